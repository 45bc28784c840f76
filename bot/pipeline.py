"""The answering pipeline as small named steps: check → retrieve → score → decide → compose."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.answer import Answer
from bot.coverage import CALIBRATION_FILE, CoverageModel, coverage_features, term_coverage
from bot.errors import check_question
from bot.extractive import REFUSAL, compose, nearest, select
from bot.generate import Generator, generator_from_settings
from bot.generated import Draft, generated_answer
from bot.question import is_follow_up, question_kind
from bot.sentence_vectors import SentenceVectors
from bot.sentences_scoring import Sentence, SentenceScorer, Weights, load_selection
from bot.settings import Settings
from bot.verify import Covers, Verifier
from ingest.fetch import SafeFetcher
from ingest.sources_file import Sources
from ingest.sync import Ingestor, SyncReport
from ingest.web_sync import WebSync
from vectorstore.embeddings import Embedder, SentenceTransformerEmbedder
from vectorstore.hybrid import HybridIndex
from vectorstore.lock import StoreLock
from vectorstore.records import Hit
from vectorstore.store import ChromaStore, embedded_client, server_client

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    title: str
    publisher: str
    published: str
    source: str
    url: str
    chunks: int
    ingested_at: str = ""
    updated_at: str = ""
    previous_published: str = ""
    origin: str = ""
    checked_at: str = ""


@dataclass(frozen=True)
class StoreStats:
    documents: int
    chunks: int
    last_ingested: str | None


class Pipeline:
    """Answers questions from the store; also ingests into it (one process owns the store)."""

    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        *,
        top_k: int = 5,
        max_question_chars: int = 1000,
        coverage: CoverageModel | None = None,
        weights: Weights | None = None,
        fetcher: SafeFetcher | None = None,
        data_dir: Path | None = None,
        generator: Generator | None = None,
        verifier: Verifier | None = None,
    ):
        self.store = store
        self.embedder = embedder
        self.top_k = top_k
        self.max_question_chars = max_question_chars
        self.coverage = coverage or CoverageModel.load()
        calibrated, self.selection = load_selection(CALIBRATION_FILE)
        self.index = HybridIndex(store, embedder)
        self.sentence_vectors = SentenceVectors(store, embedder)
        self.scorer = SentenceScorer(
            self.sentence_vectors.vectors,
            self.index.terms,
            self.index.idf,
            weights or calibrated,
        )
        self.ingestor = Ingestor(store, embedder)
        self.web = WebSync(self.ingestor, fetcher, data_dir) if fetcher and data_dir else None
        self._write_lock = threading.Lock()
        self.generator = generator  # None: extractive answers only
        self.verifier = verifier or Verifier(embedder.embed)

    # --- answering ---------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        history: Sequence[tuple[str, str]] = (),
        on_draft: Draft | None = None,
    ) -> Answer:
        """Answer one question; QuestionError when it is empty or too long.

        With a generator, the extractive answer is composed first: it is the fallback, and its
        coverage decision says whether the model is asked at all. `on_draft` then receives the
        verified part of the generated answer as it is written."""
        started = time.perf_counter()
        text = check_question(question, self.max_question_chars)
        query = self.contextual_query(text, history)
        qvec = self.embedder.embed([query])[0]
        hits = self.index.search(query, k or self.top_k, query_vector=qvec)
        retrieved = time.perf_counter()
        kind = question_kind(text)
        ranked = self.scorer.score(query, qvec, kind, self.scorer.candidates(hits))
        chosen = select(ranked, **self.selection)
        features = self.features(query, hits, ranked, chosen)
        covered = bool(hits) and self.coverage.covered(features)
        if covered:
            answer_text, citations = compose(chosen)
        else:
            answer_text, citations = REFUSAL, nearest(ranked)
        done = time.perf_counter()
        timings = {
            "retrieve": (retrieved - started) * 1000,
            "answer": (done - retrieved) * 1000,
            "total": (done - started) * 1000,
        }
        log.debug("answered (covered=%s, p=%.2f)", covered, self.coverage.probability(features))
        answer = Answer(text, answer_text, not covered, tuple(citations), timings)
        # Not covered: no model is asked. A small model given near-miss passages states their
        # nearby facts (verified, yet not what was asked) instead of refusing.
        if self.generator is None or not covered:
            return answer
        return self.generate(answer, hits, history, started, on_draft, query=query)

    def generate(
        self,
        extractive: Answer,
        hits: Sequence[Hit],
        history: Sequence[tuple[str, str]],
        started: float,
        on_draft: Draft | None = None,
        *,
        query: str,
    ) -> Answer:
        """The generated answer, verified against `hits` (found for `query`), or `extractive`
        as the fallback."""
        assert self.generator is not None
        question = extractive.question
        earlier = self.earlier_question(question, history)
        if earlier:  # the model reads a follow-up together with the question it follows
            question = f"{question} (a follow-up to the earlier question: {earlier})"
        answer = generated_answer(
            question,
            hits,
            extractive,
            self.generator,
            self.verifier,
            on_draft=on_draft,
            covers=self.term_coverage(query),
        )
        total = (time.perf_counter() - started) * 1000
        return dataclasses.replace(answer, timings_ms={**answer.timings_ms, "total": total})

    @contextlib.contextmanager
    def using(self, generator: Generator | None) -> Iterator[Pipeline]:
        """This pipeline answering with `generator` for a while (`nhsbot eval --llm`)."""
        saved, self.generator = self.generator, generator
        try:
            yield self
        finally:
            self.generator = saved

    def contextual_query(self, question: str, history: Sequence[tuple[str, str]]) -> str:
        """A follow-up ("and what about Wales?") is searched together with the earlier question;
        a new question ("what is a Caldicott Guardian?") on its own."""
        earlier = self.earlier_question(question, history)
        return f"{earlier} {question}" if earlier else question

    @staticmethod
    def earlier_question(question: str, history: Sequence[tuple[str, str]]) -> str | None:
        """The last turn's question when `question` leans on it (bot.question.is_follow_up)."""
        return history[-1][0] if history and is_follow_up(question) else None

    def features(
        self,
        query: str,
        hits: Sequence[Hit],
        ranked: Sequence[Sentence],
        chosen: Sequence[Sentence],
    ) -> dict[str, float]:
        idf = self._idf(query)
        known = self.index.known_share(query)
        passage_terms: set[str] = set()
        for hit in hits[:3]:
            passage_terms.update(self.index.terms(f"{hit.meta('title')} {hit.text}"))
        return coverage_features(list(idf), idf, known, passage_terms, hits, ranked, chosen)

    def term_coverage(self, query: str) -> Covers:
        """How much of `query` a text takes up: the share of its terms, weighted by rarity."""
        idf = self._idf(query)
        return lambda text: term_coverage(list(idf), idf, set(self.index.terms(text)))

    def _idf(self, query: str) -> dict[str, float]:
        """The query's terms (in order, each once) and how rare each is in the store."""
        return {t: self.index.idf(t) for t in self.index.query_terms(query)}

    def retrieve(self, question: str, k: int) -> list[Hit]:
        return self.index.search(question, k)

    def passage(self, chunk_id: str) -> Hit | None:
        return self.index.chunk(chunk_id)

    # --- documents -------------------------------------------------------------------------
    def documents(self, query: str | None = None, limit: int = 25) -> list[DocumentInfo]:
        """Stored documents, newest first; with `query`, those whose title or source match it."""
        docs = [self._info(doc_id, rec.metadata) for doc_id, rec in self.store.documents().items()]
        if query:
            words = query.lower().split()
            docs = [
                d
                for d in docs
                if all(w in f"{d.title} {d.source} {d.publisher}".lower() for w in words)
            ]
        docs.sort(key=lambda d: (d.published, d.title), reverse=True)
        return docs[:limit]

    @staticmethod
    def _info(doc_id: str, meta: dict) -> DocumentInfo:
        get = lambda key: str(meta.get(key, "") or "")  # noqa: E731
        return DocumentInfo(
            doc_id,
            get("title"),
            get("publisher"),
            get("published"),
            get("source"),
            get("url"),
            int(meta.get("chunks", 0) or 0),
            get("ingested_at"),
            get("updated_at"),
            get("previous_published"),
            get("origin"),
            get("checked_at"),
        )

    def stats(self) -> StoreStats:
        docs = self.store.documents()
        stamps = [str(d.metadata.get("ingested_at", "")) for d in docs.values()]
        return StoreStats(len(docs), self.index.size, max(stamps) if stamps else None)

    def ingest(self, paths: Sequence[str | Path], *, prune: bool = False) -> SyncReport:
        """Sync files/folders into the store, then make the new passages searchable."""
        return self._write(lambda: self.ingestor.sync_paths([Path(p) for p in paths], prune=prune))

    def ingest_urls(self, urls: Sequence[str]) -> SyncReport:
        """Fetch web pages safely and store their articles (one document per canonical URL)."""
        return self._write(lambda: self._web().ingest_urls(urls))

    def ingest_sources(self, sources: Sources, *, prune: bool = False) -> SyncReport:
        """Sync every folder, URL and feed of a sources file."""
        return self._write(lambda: self._web().sync_sources(sources, prune=prune))

    def rebuild(self) -> SyncReport:
        """Re-store every fetched page from the raw copies in the data dir, offline."""
        return self._write(lambda: self._web().rebuild())

    def _web(self) -> WebSync:
        if self.web is None:
            raise RuntimeError("this pipeline was opened without a fetcher and data dir")
        return self.web

    def _write(self, job: Callable[[], SyncReport]) -> SyncReport:
        """One writer at a time; readers keep the old index until the new one is complete."""
        with self._write_lock, self.store.deferred_cleanup():
            report = job()
            self.index.refresh()
        return report


def build_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(
        settings.embedding_model,
        cache_dir=settings.data_dir / "models",
        threads=settings.embedding_threads or None,
    )


@contextlib.contextmanager
def open_pipeline(settings: Settings, embedder: Embedder | None = None) -> Iterator[Pipeline]:
    """A Pipeline on the configured store; holds the embedded store's lock while open."""
    if settings.chroma_host:
        client = server_client(settings.chroma_host, settings.chroma_port)
        lock = None
    else:
        lock = StoreLock(settings.data_dir)
        lock.acquire()  # before Chroma opens the folder: a second process fails fast and clearly
        client = embedded_client(settings.chroma_dir)
    fetcher = SafeFetcher(allow_loopback=settings.allow_loopback_fetch)
    try:
        store = ChromaStore(client, settings.collection)
        yield Pipeline(
            store,
            embedder or build_embedder(settings),
            top_k=settings.top_k,
            max_question_chars=settings.max_question_chars,
            fetcher=fetcher,
            data_dir=settings.data_dir,
            generator=generator_from_settings(settings),
        )
    finally:
        fetcher.close()
        if lock is not None:
            lock.release()
