"""Shared fixtures: the real embedding model (loaded once), a real app (answerer and library)
over a small corpus, and a clean environment for every test."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # test helpers such as pdfs.py

from support import FIXTURES, make_settings  # noqa: E402

from bot.app import App, open_app  # noqa: E402
from vectorstore.embeddings import SentenceTransformerEmbedder  # noqa: E402


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No NHSBOT_* or Discord setting from the developer's shell leaks into a test."""
    for name in list(os.environ):
        if name.startswith("NHSBOT_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real bundled MiniLM model, loaded once for the whole run."""
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="session")
def fixture_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test corpus: fixtures/corpus plus a generated text PDF."""
    from pdfs import text_pdf

    folder = tmp_path_factory.mktemp("corpus")
    shutil.copytree(FIXTURES / "corpus", folder, dirs_exist_ok=True)
    pages = [
        "The review of trusted research environments was published in April 2022. "
        "It recommended that researchers work inside secure environments "
        "instead of receiving copies of data.",
        "The second page says that public trust depends on telling patients "
        "how their records are used.",
    ]
    (folder / "tre-review.pdf").write_bytes(text_pdf(pages, title="Trusted research review"))
    return folder


@pytest.fixture(scope="session")
def app(
    tmp_path_factory: pytest.TempPathFactory,
    embedder: SentenceTransformerEmbedder,
    fixture_corpus: Path,
) -> Iterator[App]:
    """A real app (real Chroma, real model) over the test corpus, shared by the session.

    Tests that change the store use their own `fresh_app` instead.
    """
    settings = make_settings(tmp_path_factory.mktemp("data"))
    with open_app(settings, embedder) as app:
        report = app.library.ingest([fixture_corpus])
        assert not report.failed, report.failed
        yield app


@pytest.fixture
def fresh_app(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> Iterator[App]:
    """An empty app of its own, for tests that write to the store."""
    with open_app(make_settings(tmp_path / "data"), embedder) as app:
        yield app
