"""The scheduled refresh: sync the sources file into the store and say what is new or changed.

The bot runs it in a worker thread every `NHSBOT_REFRESH_MINUTES`; the store allows one
writer, so a refresh that is still running when the next one is due is skipped, not queued.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.library import DocumentInfo, Library
from ingest.documents import doc_id_for
from ingest.sources_file import SourcesError, load_sources
from ingest.sync import SyncReport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Announcement:
    """One new or changed document, with what an announcement shows."""

    doc_id: str
    title: str
    link: str  # the document's URL, or its source path when it has none
    changed: bool
    published: str = ""
    previous_published: str = ""
    updated_at: str = ""
    ingested_at: str = ""


@dataclass(frozen=True)
class RefreshResult:
    report: SyncReport
    announcements: tuple[Announcement, ...]


def report_names(report: SyncReport) -> list[tuple[str, bool]]:
    """(source, changed) for each document a run added or changed, each once."""
    added = [(name, False) for name in dict.fromkeys(report.added)]
    return added + [(name, True) for name in dict.fromkeys(report.changed)]


def announcements(report: SyncReport, documents: Mapping[str, DocumentInfo]) -> list[Announcement]:
    """The added and changed documents of a run, as the library now describes them.

    Report names are document sources (a path or a canonical URL), from which ids derive."""
    out = []
    for name, changed in report_names(report):
        info = documents.get(doc_id_for(name))
        if info is not None:  # None: written, then pruned within the same run
            out.append(_announcement(info, name, changed))
    return out


def _announcement(info: DocumentInfo, name: str, changed: bool) -> Announcement:
    return Announcement(
        info.doc_id, info.title or name, info.url or name, changed, info.published,
        info.previous_published, info.updated_at, info.ingested_at,
    )  # fmt: skip


class Refresher:
    """Syncs every feed, URL and folder of a sources file through the library."""

    def __init__(self, library: Library, sources_file: Path, interval_s: float) -> None:
        self.library = library
        self.sources_file = sources_file
        self.interval_s = interval_s  # 0 = no scheduled refresh
        self._running = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.interval_s > 0

    def run(self) -> RefreshResult | None:
        """One refresh (blocking); None when one is already running or there is nothing to sync."""
        if not self._running.acquire(blocking=False):
            log.info("refresh skipped: the previous one is still running")
            return None
        try:
            return self._run()
        finally:
            self._running.release()

    def _run(self) -> RefreshResult | None:
        if not self.sources_file.exists():
            log.info("refresh skipped: no sources file at %s", self.sources_file)
            return None
        try:
            sources = load_sources(self.sources_file)
        except SourcesError as exc:
            log.warning("refresh skipped: %s", exc)
            return None
        report = self.library.ingest_sources(sources)
        for name, reason in report.failed:
            log.warning("refresh: %s failed: %s", name, reason)
        log.info("refresh done: %s", report.summary())
        ids = [doc_id_for(name) for name, _ in report_names(report)]
        found = announcements(report, self.library.described(ids))
        return RefreshResult(report, tuple(found))
