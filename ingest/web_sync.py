"""Web pages and feeds into the store, through the same Ingestor files use.

A page becomes a Document whose `source` is its canonical URL, so the same article under
two URLs is one document. The raw bytes of every fetched page are kept in the data dir, so the
store can be rebuilt offline (`rebuild`). Each URL or feed that fails is reported by name and
the run goes on.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ingest.documents import Document, LoadError, content_hash, doc_id_for
from ingest.feeds import FeedError, FeedState, poll_feed
from ingest.fetch import FetchedPage, FetchError, SafeFetcher
from ingest.limits import Limits
from ingest.loaders import DEFAULT_LIMITS, load_pdf
from ingest.progress import OnProgress
from ingest.redact import redact
from ingest.sources_file import FeedSource, Sources
from ingest.sync import Ingestor, SyncReport
from ingest.web import ExtractionError, article_from_page, normalize_url
from vectorstore.records import DocRecord
from vectorstore.store import StoreUnavailableError

log = logging.getLogger(__name__)

RAW_DIR = "raw"


def document_from_page(page: FetchedPage, limits: Limits = DEFAULT_LIMITS) -> Document:
    """A Document for a fetched HTML, text or PDF page (raises LoadError if it has no text)."""
    if page.content_type == "application/pdf":
        url = normalize_url(page.final_url)
        doc = load_pdf(page.body, url, limits)
        return dataclasses.replace(doc, url=url, kind="web", origin="url")
    try:
        article = article_from_page(page)
    except ExtractionError as exc:
        raise LoadError(str(exc)) from None
    return Document(
        source=article.canonical_url,
        text=article.text,
        title=article.title or article.canonical_url,
        publisher=article.site_name,
        published=article.published,
        url=article.canonical_url,
        kind="web",
        origin="url",
        extra={"author": article.author, "aliases": " ".join(article.aliases)},
    )


def document_digest(doc: Document, salt: str) -> str:
    """Hash of what is stored (text and citation details), not of the raw page: a page whose
    adverts or menus change is not re-ingested."""
    fields = (doc.title, doc.publisher, doc.published, doc.url, doc.text)
    return content_hash("\0".join(fields).encode(), salt)


class RawArchive:
    """The raw bytes of fetched pages, by document id: `<id>.body` and a `<id>.json` sidecar."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, doc_id: str, page: FetchedPage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        meta = {
            "url": page.url,
            "final_url": page.final_url,
            "content_type": page.content_type,
            "charset": page.charset,
            "redirects": list(page.redirects),
            "fetched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        # Body first, sidecar last: a sidecar always has its body (crash safety).
        _write_atomic(self.folder / f"{doc_id}.body", page.body)
        _write_atomic(self.folder / f"{doc_id}.json", json.dumps(meta).encode())

    def pages(self) -> Iterator[FetchedPage]:
        for sidecar in sorted(self.folder.glob("*.json")):
            body = sidecar.with_suffix(".body")
            try:
                meta = json.loads(sidecar.read_text(encoding="utf-8"))
                data = body.read_bytes()
            except (OSError, ValueError) as exc:
                log.warning("skipping unreadable raw page %s: %s", sidecar.name, exc)
                continue
            yield FetchedPage(
                meta["url"], meta["final_url"], 200, meta["content_type"], meta["charset"],
                data, (), tuple(meta.get("redirects", ())),
            )  # fmt: skip


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class WebSync:
    """Fetches URLs and feeds and writes them with `ingestor`. Not thread-safe: the caller
    holds the store's write lock and refreshes the search index afterwards."""

    def __init__(self, ingestor: Ingestor, fetcher: SafeFetcher, data_dir: Path) -> None:
        self.ingestor = ingestor
        self.fetcher = fetcher
        self.archive = RawArchive(data_dir / RAW_DIR)
        self.state = FeedState.in_dir(data_dir)

    def ingest_urls(self, urls: Iterable[str], report: SyncReport | None = None) -> SyncReport:
        """Fetch and store each URL; failures are reported by URL with the reason."""
        report = report if report is not None else SyncReport()
        known = self.ingestor.store.documents()
        for url in urls:
            self._ingest_url(url, known, report)
        return report

    def sync_sources(
        self, sources: Sources, *, prune: bool = False, progress: OnProgress | None = None
    ) -> SyncReport:
        """Everything in a sources file: folders (pruned if asked; their files' `progress`
        reported), single URLs, then feeds."""
        report = SyncReport()
        if sources.folders:
            folders = [f.path for f in sources.folders]
            report.merge(self.ingestor.sync_paths(folders, prune=prune, progress=progress))
        self.ingest_urls([u.url for u in sources.urls], report)
        for feed in sources.feeds:
            self.sync_feed(feed, report)
        return report

    def sync_feed(self, feed: FeedSource, report: SyncReport) -> None:
        """Poll one feed; store its new and updated items; then mark them seen."""
        try:
            poll = poll_feed(self.fetcher, feed.url, self.state, max_items=feed.max_items)
        except (FetchError, FeedError) as exc:
            log.warning("feed failed: %s", redact(str(exc)))
            report.failed.append((redact(feed.url), redact(str(exc))))
            return
        except Exception as exc:  # noqa: BLE001 - one bad feed never stops the run
            log.debug("feed %s failed", redact(feed.url), exc_info=True)
            reason = f"{redact(feed.url)}: not a usable feed ({_brief(exc)})"
            log.warning("feed failed: %s", reason)
            report.failed.append((redact(feed.url), reason))
            return
        known = self.ingestor.store.documents()
        failed = [i.url for i in poll.fresh if not self._ingest_url(i.url, known, report)]
        self.state.record(poll, failed=failed)

    def rebuild(self) -> SyncReport:
        """Re-store every archived page without the network (after a store was lost)."""
        report = SyncReport()
        known = self.ingestor.store.documents()
        for page in self.archive.pages():
            try:
                self._store(document_from_page(page, self.ingestor.limits), known, report)
            except LoadError as exc:
                report.failed.append((redact(page.final_url), redact(str(exc))))
        return report

    def _ingest_url(self, url: str, known: dict[str, DocRecord], report: SyncReport) -> bool:
        try:
            page = self.fetcher.fetch(url)
            doc = document_from_page(page, self.ingestor.limits)
            self.archive.save(doc.doc_id, page)
            self._store(doc, known, report)
            return True
        except (FetchError, LoadError) as exc:
            reason = redact(str(exc))
        except StoreUnavailableError:
            raise  # every other URL would fail the same way: stop, say why once
        except Exception as exc:  # noqa: BLE001 - one bad page never stops the run
            log.debug("could not ingest %s", redact(url), exc_info=True)
            reason = f"{redact(url)}: could not be ingested ({_brief(exc)})"
        log.warning("could not ingest %s: %s", redact(url), reason)
        report.failed.append((redact(url), reason))
        return False

    def _store(self, doc: Document, known: dict[str, DocRecord], report: SyncReport) -> None:
        digest = document_digest(doc, self.ingestor.chunking.version)
        current = known.get(doc.doc_id)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        if current is not None and current.content_hash == digest:
            self.ingestor.store.touch_document(doc.doc_id, {"checked_at": now})
            report.skipped.append(doc.source)
            return
        self.ingestor.write(doc, digest, previous=current)
        known[doc.doc_id] = DocRecord(doc.doc_id, digest, {"source": doc.source})
        (report.changed if current else report.added).append(doc.source)


def _brief(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return redact(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)


def web_doc_id(url: str) -> str:
    """The document id a URL would be stored under if it is its own canonical URL."""
    return doc_id_for(normalize_url(url))
