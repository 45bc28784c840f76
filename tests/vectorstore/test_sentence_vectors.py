"""Sentence vectors: pooled from the chunk's own forward pass at ingest, stored beside the chunk
by id, gone with it, and used by answering so that only the question is embedded."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from support import make_settings

from bot.app import App, open_app
from ingest.chunk_vectors import embed_chunks, embedding_input
from ingest.sentences import sentence_spans
from vectorstore.embeddings import SentenceTransformerEmbedder
from vectorstore.records import ChunkRecord, DocRecord
from vectorstore.store import _encode_spans

TITLE = "Federated Data Platform"
TEXT = (
    "NHS England signed the contract in November 2023. It is worth £330m over seven years. "
    "Trusts join the platform voluntarily, and most acute trusts had signed up by 2025."
)


def test_one_pass_gives_the_chunk_vector_and_one_vector_per_sentence(
    embedder: SentenceTransformerEmbedder,
) -> None:
    vectors, sentences = embed_chunks(embedder, [(TITLE, "", TEXT)])
    full, _ = embedding_input(TITLE, "", TEXT)
    assert np.allclose(vectors[0], embedder.embed([full])[0], atol=1e-5)  # unchanged by pooling
    [sv] = sentences
    assert sv.spans == tuple(sentence_spans(TEXT)) and len(sv.spans) == 3
    assert np.allclose(np.linalg.norm(sv.vectors, axis=1), 1.0, atol=1e-4)
    # Each pooled vector is closest to its own sentence embedded alone: they are that sentence's.
    alone = embedder.embed([TEXT[a:b] for a, b in sv.spans])
    similarity = sv.vectors @ alone.T
    assert list(similarity.argmax(axis=1)) == [0, 1, 2]


def test_a_sentence_past_the_models_length_limit_is_embedded_on_its_own(
    embedder: SentenceTransformerEmbedder,
) -> None:
    filler = "The register lists every approved release of patient data by purpose. " * 40
    text = filler + "Scotland runs a separate system for approving research access."
    _, [sv] = embed_chunks(embedder, [(TITLE, "", text)])
    last = sv.spans[-1]
    alone = embedder.embed([text[slice(*last)]])[0]
    assert np.allclose(sv.vectors[-1], alone, atol=1e-5)
    assert not np.allclose(sv.vectors[0], embedder.embed([text[slice(*sv.spans[0])]])[0], atol=1e-3)


def _write(app: App, doc_id: str, digest: str, text: str, with_spans: bool = True) -> str:
    vectors, sentences = embed_chunks(app.embedder, [(TITLE, "", text)])
    chunk_id = f"{doc_id}-{digest}-0"
    app.store.replace_document(
        DocRecord(doc_id, digest, {"title": TITLE}),
        [
            ChunkRecord(
                chunk_id, doc_id, text, {"doc_id": doc_id, "content_hash": digest, "title": TITLE}
            )
        ],
        vectors,
        sentences if with_spans else (),
    )
    return chunk_id


def test_stored_vectors_round_trip_and_go_with_their_version(fresh_app: App) -> None:
    store = fresh_app.store
    old = _write(fresh_app, "doc", "v1", TEXT)
    [expected] = embed_chunks(fresh_app.embedder, [(TITLE, "", TEXT)])[1]
    got = store.span_vectors([old, "no-such-chunk"])
    assert list(got) == [old]
    assert got[old].spans == expected.spans
    assert np.allclose(got[old].vectors, expected.vectors, atol=2e-3)  # stored as float16

    new = _write(fresh_app, "doc", "v2", TEXT + " A later sentence was added.")
    assert list(store.span_vectors([old, new])) == [new]  # the old version's are gone
    store.delete_document("doc")
    assert store.span_vectors([new]) == {}


def test_orphaned_sentence_vectors_are_swept_with_their_chunks(fresh_app: App) -> None:
    store = fresh_app.store
    active = _write(fresh_app, "doc", "v1", TEXT)
    # A crash after a new version's chunks and vectors were written, before the manifest switched:
    orphan = "doc-v2-0"
    vectors, sentences = embed_chunks(fresh_app.embedder, [(TITLE, "", TEXT + " More.")])
    store._chunks.upsert(
        ids=[orphan],
        embeddings=vectors,
        documents=[TEXT],
        metadatas=[{"doc_id": "doc", "content_hash": "v2"}],
    )
    store._spans.upsert(
        ids=[orphan],
        embeddings=[[0.0]],
        metadatas=[{"doc_id": "doc", "content_hash": "v2", **_encode_spans(sentences[0])}],
    )
    assert store.sweep_orphans() == 1
    assert list(store.span_vectors([active, orphan])) == [active]


class CountingEmbedder:
    """The real model, counting the texts it is asked to embed."""

    def __init__(self, inner: SentenceTransformerEmbedder):
        self.inner = inner
        self.dimension = inner.dimension
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.embed(texts)

    def embed_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        self.texts.extend(texts)
        return self.inner.embed_spans(texts, spans)


def test_answering_embeds_only_the_question(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, fixture_corpus: Path
) -> None:
    counting = CountingEmbedder(embedder)
    with open_app(make_settings(tmp_path / "data"), counting) as app:
        app.library.ingest([fixture_corpus])
        counting.texts.clear()
        question = "how much is the palantir contract worth?"
        answer = app.answerer.ask(question)
        assert not answer.refused
        assert counting.texts == [question]


def test_chunks_stored_without_sentence_vectors_still_get_the_same_ones(
    fresh_app: App,
) -> None:
    """A store written before sentence vectors existed: they are computed once, the same way."""
    chunk_id = _write(fresh_app, "doc", "v1", TEXT, with_spans=False)
    fresh_app.answerer.index.refresh()
    [hit] = fresh_app.store.get([chunk_id])
    spans = sentence_spans(TEXT)
    got = fresh_app.answerer.sentence_vectors.vectors([(hit, a, b) for a, b in spans])
    [expected] = embed_chunks(fresh_app.embedder, [(TITLE, "", TEXT)])[1]
    assert np.allclose(got, expected.vectors, atol=1e-5)
