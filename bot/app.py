"""The composition root: settings in, the answering core and the library out.

Everything heavy is built here, once, and handed to what uses it: the embedding model, the store
(embedded, under its lock, or a Chroma server), the search index, the calibration, the answer
model, the `Answerer` that reads and the `Library` that writes. Front ends get an `App`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from bot.answering.calibration import Calibration
from bot.answering.generation.backends import ChatGenerator, GenerationError, build_generator
from bot.answering.pipeline import Answerer
from bot.answering.sentence_vectors import SentenceVectors
from bot.gaps import Gaps, open_gaps
from bot.library import Library
from bot.settings import Settings
from ingest.fetch import SafeFetcher
from ingest.sync import Ingestor
from ingest.web_sync import WebSync
from vectorstore.embeddings import Embedder, SentenceTransformerEmbedder
from vectorstore.hybrid import HybridIndex
from vectorstore.lock import StoreLock
from vectorstore.store import ChromaStore, StoreUnavailableError, embedded_client, server_client

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class App:
    """What the front ends use: the settings, the answerer, the library and the knowledge gaps
    (which record refused and 👎-voted questions only when NHSBOT_KEEP_GAPS is on)."""

    settings: Settings
    answerer: Answerer
    library: Library
    embedder: Embedder
    gaps: Gaps

    @property
    def store(self) -> ChromaStore:
        return self.library.store


def build_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(
        settings.embedding_model,
        cache_dir=settings.data_dir / "models",
        threads=settings.embedding_threads or None,
    )


def generator_from_settings(settings: Settings, kind: str | None = None) -> ChatGenerator | None:
    """The generator NHSBOT_LLM* describe (`kind` overrides NHSBOT_LLM); None for extractive."""
    return build_generator(
        settings.llm if kind is None else kind,
        model=settings.llm_model,
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key.get_secret_value(),
        timeout_s=settings.llm_timeout_s,
        threads=settings.llm_threads,
        context=settings.llm_context,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        data_dir=settings.data_dir,
    )


def warm(generator: ChatGenerator | None) -> None:
    """Start a local model now rather than on the first question; a failure is only logged
    (every question then falls back to the extractive answer, saying so)."""
    if generator is None:
        return
    try:
        generator.warm()
    except GenerationError as exc:
        log.warning("the %s answer model is unavailable: %s", generator.name, exc)


def warm_up(app: App) -> None:
    """Load and warm every model before the first question is taken (the bot before it
    connects, the chat before its prompt), so the first answer is as fast as the hundredth:
    the embedding model, the store's indexes and sentence vectors, and any answer model."""
    started = time.perf_counter()
    try:
        app.answerer.warm()
    except StoreUnavailableError as exc:  # the model is loaded; the store warms on first use
        log.warning("warming up without the store: %s", exc)
    warm(app.answerer.generator)
    log.info("warmed up in %.1f s", time.perf_counter() - started)


@contextlib.contextmanager
def open_app(settings: Settings, embedder: Embedder | None = None) -> Iterator[App]:
    """The app on the configured store; holds the embedded store's lock while open."""
    if settings.chroma_host:
        client = server_client(settings.chroma_host, settings.chroma_port)
        lock = None
    else:
        lock = StoreLock(settings.data_dir)
        lock.acquire()  # before Chroma opens the folder: a second process fails fast and clearly
        client = embedded_client(settings.chroma_dir)
    fetcher = SafeFetcher(allow_loopback=settings.allow_loopback_fetch)
    answerer: Answerer | None = None
    gaps: Gaps | None = None
    try:
        store = ChromaStore(client, settings.collection)
        embedder = embedder or build_embedder(settings)
        index = HybridIndex(store, embedder)
        answerer = Answerer(
            index,
            embedder,
            SentenceVectors(store, embedder),
            Calibration.load(),
            top_k=settings.top_k,
            max_question_chars=settings.max_question_chars,
            generator=generator_from_settings(settings),
        )
        ingestor = Ingestor(store, embedder)
        library = Library(store, index, ingestor, WebSync(ingestor, fetcher, settings.data_dir))
        gaps = open_gaps(
            settings.data_dir,
            keep=settings.keep_gaps,
            days=settings.gaps_days,
            embedder=embedder,
            index=index,
        )
        yield App(settings, answerer, library, embedder, gaps)
    finally:
        if gaps is not None:
            gaps.close()
        if answerer is not None and answerer.generator is not None:
            answerer.generator.close()  # a local model's process stops with us
        fetcher.close()
        if lock is not None:
            lock.release()
