"""Embedding model resolution, near-duplicate detection, fusion and the store lock."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.app import App
from vectorstore.embeddings import SentenceTransformerEmbedder, bundled_model_path, resolve_model
from vectorstore.hybrid import near_duplicate
from vectorstore.lock import StoreLock, StoreLockedError
from vectorstore.store import EF_SEARCH, ChromaStore, build_threads, embedded_client


def test_bundled_model_resolves_to_the_package(tmp_path: Path) -> None:
    path, local = resolve_model("bundled")
    assert local and Path(path) == bundled_model_path()
    assert (bundled_model_path() / "config.json").exists()
    assert resolve_model(str(tmp_path)) == (str(tmp_path), True)
    # A hub id is passed through for sentence-transformers to download once (needs a network).
    assert resolve_model("sentence-transformers/all-mpnet-base-v2") == (
        "sentence-transformers/all-mpnet-base-v2",
        False,
    )


def test_model_loads_from_a_copied_folder(tmp_path: Path) -> None:
    """Any local sentence-transformers folder works: a copy of what the package ships."""
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(bundled_model_path(), copy)
    embedder = SentenceTransformerEmbedder(str(copy))
    vectors = embedder.embed(["patient data", "patient records"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert float(vectors[0] @ vectors[1]) > 0.5


PASSAGE = (
    "The national data opt-out lets a patient in England stop their confidential patient "
    "information being used for research and planning. It does not apply to direct care, and "
    "patients can set it online, in the NHS App or by phone."
)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (PASSAGE, PASSAGE, True),
        (PASSAGE, PASSAGE.replace("by phone", "by telephone") + " Updated 2024.", True),
        (PASSAGE, PASSAGE[:80], False),
        ("The opt-out applies only in England.", "Wales has its own rules on health data.", False),
        ("", "anything", False),
    ],
)
def test_near_duplicate(a: str, b: str, same: bool) -> None:
    assert near_duplicate(a, b) is same


def test_hybrid_finds_rare_terms_and_meaning(app: App) -> None:
    lexical = app.answerer.retrieve("0300 303 5678", 3)  # a phone number: BM25's job
    assert "0300 303 5678" in lexical[0].text
    dense = app.answerer.retrieve("stopping my records being used for studies", 3)  # paraphrase
    assert dense[0].meta("source").endswith("opt-out.md")
    assert all(-1.0 <= h.dense <= 1.0 for h in dense) and dense[0].dense > 0.3


def test_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    with StoreLock(tmp_path):
        # flock is per open file description: a second descriptor in this process contends too.
        with pytest.raises(StoreLockedError, match="in use by another nhsbot process"):
            StoreLock(tmp_path).acquire()
    with StoreLock(tmp_path):
        pass


def test_question_words_are_not_counted_as_what_a_question_is_about(app: App) -> None:
    index = app.answerer.index
    assert index.query_terms("How much can they see of my GP records?") == index.query_terms(
        "see GP records"
    )
    assert index.terms("Who appoints the National Data Guardian?") == index.terms(
        "appoints National Data Guardian"
    )


def test_search_is_wide_in_new_and_older_stores(tmp_path: Path) -> None:
    """HNSW's default candidate list missed true neighbours, differently on each build; a
    build on several threads differed from process to process."""
    client = embedded_client(tmp_path / "chroma")
    client.get_or_create_collection(
        "old", embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )
    for name in ("old", "new"):
        ChromaStore(client, name)
        hnsw = client.get_collection(name, embedding_function=None).configuration["hnsw"]
        assert hnsw["ef_search"] == EF_SEARCH and hnsw["space"] == "cosine"
        assert build_threads(client.get_collection(name, embedding_function=None)) == 1
