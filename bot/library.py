"""The library: what is stored (documents, passages, stats) and every write to it.

One process owns an embedded store, and within it one writer at a time: ingesting files, URLs
and the sources file, and rebuilding from raw copies, all go through `Library` under one lock.
Readers keep the old search index until the new one is complete.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.progress import OnProgress
from ingest.sources_file import Sources
from ingest.sync import Ingestor, SyncReport
from ingest.web_sync import WebSync
from vectorstore.hybrid import HybridIndex
from vectorstore.records import Hit
from vectorstore.store import ChromaStore


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

    @classmethod
    def from_metadata(cls, doc_id: str, meta: Mapping[str, object]) -> DocumentInfo:
        get = lambda key: str(meta.get(key, "") or "")  # noqa: E731
        return cls(
            doc_id, get("title"), get("publisher"), get("published"), get("source"), get("url"),
            int(str(meta.get("chunks", 0) or 0)), get("ingested_at"), get("updated_at"),
            get("previous_published"), get("origin"), get("checked_at"),
        )  # fmt: skip


@dataclass(frozen=True)
class StoreStats:
    documents: int
    chunks: int
    last_ingested: str | None


class Library:
    """Documents and passages in the store, and the one writer that changes them."""

    def __init__(
        self, store: ChromaStore, index: HybridIndex, ingestor: Ingestor, web: WebSync | None = None
    ) -> None:
        self.store = store
        self.index = index
        self.ingestor = ingestor
        self.web = web  # None: no fetching (file ingestion only)
        self._write_lock = threading.Lock()

    # --- reading ---------------------------------------------------------------------------
    def documents(self, query: str | None = None, limit: int = 25) -> list[DocumentInfo]:
        """Stored documents, newest first; with `query`, those whose title or source match it."""
        docs = [
            DocumentInfo.from_metadata(doc_id, rec.metadata)
            for doc_id, rec in self.store.documents().items()
        ]
        if query:
            words = query.lower().split()
            docs = [
                d
                for d in docs
                if all(w in f"{d.title} {d.source} {d.publisher}".lower() for w in words)
            ]
        docs.sort(key=lambda d: (d.published, d.title), reverse=True)
        return docs[:limit]

    def document(self, doc_id: str) -> DocumentInfo | None:
        record = self.store.documents().get(doc_id)
        return None if record is None else DocumentInfo.from_metadata(doc_id, record.metadata)

    def described(self, doc_ids: Sequence[str]) -> dict[str, DocumentInfo]:
        """The stored documents among `doc_ids`, by id (one read of the manifest)."""
        records = self.store.documents()
        return {
            i: DocumentInfo.from_metadata(i, records[i].metadata) for i in doc_ids if i in records
        }

    def passage(self, chunk_id: str) -> Hit | None:
        """One searchable stored passage by its id (the handle answers show)."""
        return self.index.chunk(chunk_id)

    def stats(self) -> StoreStats:
        docs = self.store.documents()
        stamps = [str(d.metadata.get("ingested_at", "")) for d in docs.values()]
        return StoreStats(len(docs), self.index.size, max(stamps) if stamps else None)

    # --- writing ---------------------------------------------------------------------------
    def ingest(
        self,
        paths: Sequence[str | Path],
        *,
        prune: bool = False,
        progress: OnProgress | None = None,
    ) -> SyncReport:
        """Sync files/folders into the store, then make the new passages searchable; each
        step is handed to `progress` (documents done of total, the current one, passages)."""
        targets = [Path(p) for p in paths]
        return self._write(
            lambda: self.ingestor.sync_paths(targets, prune=prune, progress=progress)
        )

    def ingest_urls(self, urls: Sequence[str]) -> SyncReport:
        """Fetch web pages safely and store their articles (one document per canonical URL)."""
        return self._write(lambda: self._web().ingest_urls(urls))

    def ingest_sources(
        self, sources: Sources, *, prune: bool = False, progress: OnProgress | None = None
    ) -> SyncReport:
        """Sync every folder, URL and feed of a sources file (its folders' `progress` told)."""
        return self._write(
            lambda: self._web().sync_sources(sources, prune=prune, progress=progress)
        )

    def rebuild(self) -> SyncReport:
        """Re-store every fetched page from the raw copies in the data dir, offline."""
        return self._write(lambda: self._web().rebuild())

    def catch_up(self) -> bool:
        """Make what other processes wrote to a shared store searchable here: refresh the index
        when the store's documents differ from the index's. Whether it refreshed; False at once
        while this process is writing (its write refreshes the index when it ends)."""
        if not self._write_lock.acquire(blocking=False):
            return False
        try:
            if not self.index.stale():
                return False
            self.index.refresh()
            return True
        finally:
            self._write_lock.release()

    def _web(self) -> WebSync:
        if self.web is None:
            raise RuntimeError("this library was opened without a fetcher and data dir")
        return self.web

    def _write(self, job: Callable[[], SyncReport]) -> SyncReport:
        """One writer at a time; readers keep the old index until the new one is complete."""
        with self._write_lock, self.store.deferred_cleanup():
            report = job()
            self.index.refresh()
        return report
