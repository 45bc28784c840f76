"""The ingestion job: add new and changed documents, skip unchanged ones, prune removed ones."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ingest.chunk_vectors import embed_chunks
from ingest.chunking import ChunkSettings, chunk_document
from ingest.documents import Chunk, Document, LoadError, content_hash, doc_id_for
from ingest.files import Candidate, discover, read_candidate, shown
from ingest.limits import MAX_META_CHARS, MAX_TITLE_CHARS, Limits, clip
from ingest.loaders import LOADERS, check_length
from ingest.progress import OnProgress, Tracker
from vectorstore.embeddings import Embedder
from vectorstore.records import ChunkRecord, DocRecord, Metadata
from vectorstore.store import ChromaStore, StoreUnavailableError

log = logging.getLogger(__name__)

EMBED_BATCH = 128  # passages embedded at a time: a long document reports progress as it goes


@dataclass
class SyncReport:
    """What one run did, by document name; `failed` pairs a name with the reason."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.skipped)} skipped, {len(self.pruned)} pruned, {len(self.failed)} failed"
        )

    def merge(self, other: SyncReport) -> None:
        for name in ("added", "changed", "skipped", "pruned", "failed"):
            getattr(self, name).extend(getattr(other, name))


def source_name(path: Path) -> str:
    """How a file is named in the store: relative to the working folder where possible.
    Raises LoadError for a name that is not valid UTF-8 (the store keeps text)."""
    resolved = path.resolve()
    try:
        name = str(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        name = str(resolved)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise LoadError(
            f"{shown(name)}: the file name is not valid UTF-8; rename the file"
        ) from None
    if shown(name) != name:  # a newline or an escape code would forge log lines
        raise LoadError(f"{shown(name)}: the file name has control characters; rename the file")
    return name


class Ingestor:
    """Writes documents into a store: chunk, embed, replace the document's version.

    `limits` bounds what is read (file size, text length, front matter, PDF pages, memory and
    time): see `ingest.limits`.
    """

    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        chunking: ChunkSettings | None = None,
        limits: Limits | None = None,
    ):
        self.store = store
        self.embedder = embedder
        self.chunking = chunking or ChunkSettings()
        self.limits = limits or Limits()

    def sync_paths(
        self, paths: Sequence[Path], *, prune: bool = False, progress: OnProgress | None = None
    ) -> SyncReport:
        """Ingest the files under `paths`; with `prune`, drop stored files under them now gone.

        Each file that can't be ingested (and each link or special file skipped in a folder) is
        reported in `failed` with its reason; the rest of the run goes on. `progress` is told
        each step (`ingest.progress.Progress`).
        """
        report = SyncReport()
        self.store.sweep_orphans()  # finish what a crashed run left half-written
        known = self.store.documents()
        seen: set[str] = set()
        candidates, skipped = discover(paths)
        for item in skipped:
            _fail(report, shown(item.path), f"{shown(item.path)}: {item.reason}")
        tracker = Tracker(progress, len(candidates))
        for candidate in candidates:
            name = shown(candidate.path)
            tracker.start(name)
            try:
                name = source_name(candidate.path)
                seen.add(doc_id_for(name))
                self._ingest_file(candidate, name, known, report, tracker.embedded)
            except LoadError as exc:
                _fail(report, name, str(exc))
            except StoreUnavailableError:
                raise  # every other file would fail the same way: stop, say why once
            except Exception as exc:  # noqa: BLE001 - one bad file never stops the run
                log.debug("unexpected error on %s", name, exc_info=True)
                _fail(report, name, f"{name}: could not be ingested ({_brief(exc)})")
            tracker.finish()
        if prune:
            report.pruned = self._prune(paths, known, seen)
        return report

    def _ingest_file(
        self,
        candidate: Candidate,
        name: str,
        known: dict[str, DocRecord],
        report: SyncReport,
        embedded: Callable[[int], None] | None = None,
    ) -> None:
        suffix = (candidate.target or candidate.path).suffix.lower()
        if suffix not in LOADERS:  # refused before the file is opened
            raise LoadError(f"{name}: unsupported file type {suffix or '(none)'}")
        data = read_candidate(candidate, self.limits.file_bytes)
        self.ingest_bytes(data, suffix, name, known, report, embedded)

    def ingest_bytes(
        self,
        data: bytes,
        suffix: str,
        name: str,
        known: dict[str, DocRecord],
        report: SyncReport,
        embedded: Callable[[int], None] | None = None,
    ) -> None:
        loader = LOADERS.get(suffix)
        if loader is None:
            raise LoadError(f"{name}: unsupported file type {suffix or '(none)'}")
        if len(data) > self.limits.file_bytes:
            raise LoadError(f"{name}: over the {self.limits.file_bytes:,}-byte file size limit")
        digest = content_hash(data, self.chunking.version)
        current = known.get(doc_id_for(name))
        if current is not None and current.content_hash == digest:
            report.skipped.append(name)
            return
        self.write(loader(data, name, self.limits), digest, previous=current, embedded=embedded)
        (report.changed if current else report.added).append(name)

    def write(
        self,
        doc: Document,
        digest: str,
        previous: DocRecord | None = None,
        embedded: Callable[[int], None] | None = None,
    ) -> int:
        """Chunk, embed and store one document as the active version; returns its chunk count.
        Raises LoadError for a text over the length limit (from any origin: files, pages).
        `embedded` is told how many passages each batch embedded."""
        check_length(doc.text, doc.source, self.limits)
        doc = dataclasses.replace(doc, title=clip(doc.title, MAX_TITLE_CHARS))
        chunks = chunk_document(doc, self.chunking)
        if not chunks:
            raise LoadError(f"{doc.source}: no text to index")
        parts, sentences = [], []
        for start in range(0, len(chunks), EMBED_BATCH):
            batch = chunks[start : start + EMBED_BATCH]
            vecs, spans = embed_chunks(
                self.embedder, [(doc.title, c.heading, c.text) for c in batch]
            )
            parts.append(vecs)
            sentences.extend(spans)
            if embedded is not None:
                embedded(len(batch))
        vectors = np.concatenate(parts)
        records = [self._record(doc, digest, c) for c in chunks]
        self.store.replace_document(
            DocRecord(doc.doc_id, digest, self._doc_meta(doc, len(chunks), previous)),
            records,
            vectors,
            sentences,
            is_new=previous is None,  # orphans of a crashed write are swept, and never visible
        )
        log.info("stored %s (%d chunks)", doc.source, len(chunks))
        return len(chunks)

    def _record(self, doc: Document, digest: str, chunk: Chunk) -> ChunkRecord:
        meta: Metadata = {
            **_common_meta(doc),
            "doc_id": doc.doc_id,
            "content_hash": digest,
            "chunk_index": chunk.index,
            "heading": chunk.heading,
            "page": chunk.page,
            "start": chunk.start,
            "end": chunk.end,
        }
        chunk_id = f"{doc.doc_id}-{digest[:6]}-{chunk.index}"
        return ChunkRecord(chunk_id, doc.doc_id, chunk.text, meta)

    def _doc_meta(self, doc: Document, chunks: int, previous: DocRecord | None) -> Metadata:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        meta: Metadata = {
            **_common_meta(doc),
            "chunks": chunks,
            "ingested_at": now,
            "checked_at": now,
        }
        if previous is not None:
            meta["first_ingested_at"] = str(previous.metadata.get("first_ingested_at", "")) or now
            meta["previous_published"] = str(previous.metadata.get("published", ""))
            meta["updated_at"] = now
        else:
            meta["first_ingested_at"] = now
        return meta

    def _prune(
        self, roots: Sequence[Path], known: dict[str, DocRecord], seen: set[str]
    ) -> list[str]:
        folders = []
        for root in roots:
            with contextlib.suppress(LoadError):  # a folder name that is not UTF-8 has no docs
                if root.is_dir():
                    folders.append(source_name(root))
        pruned = []
        for doc_id, record in known.items():
            source = str(record.metadata.get("source", ""))
            if record.metadata.get("origin") != "file" or doc_id in seen:
                continue
            if any(source == f or source.startswith(f.rstrip("/") + "/") for f in folders):
                self.store.delete_document(doc_id)
                pruned.append(source)
        return pruned


def _fail(report: SyncReport, name: str, reason: str) -> None:
    log.warning("skipped %s", reason)
    report.failed.append((name, reason))


def _brief(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _common_meta(doc: Document) -> Metadata:
    """Details every passage carries (for citations); each is cut to MAX_META_CHARS, since it
    is repeated in every passage of the document."""
    meta: Metadata = {
        "title": doc.title,
        "publisher": doc.publisher,
        "published": doc.published,
        "source": doc.source,
        "url": doc.url,
        "kind": doc.kind,
        "origin": doc.origin,
    }
    meta.update({k: v for k, v in doc.extra.items() if v})
    return {k: clip(v, MAX_META_CHARS) if isinstance(v, str) else v for k, v in meta.items()}
