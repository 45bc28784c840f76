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
from typing import TYPE_CHECKING

from ingest.documents import doc_id_for
from ingest.sources_file import SourcesError, load_sources
from ingest.sync import SyncReport
from vectorstore.records import DocRecord

if TYPE_CHECKING:
    from bot.pipeline import Pipeline

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


def announcements(report: SyncReport, documents: Mapping[str, DocRecord]) -> list[Announcement]:
    """The added and changed documents of a run, as the manifest now describes them.

    Report names are document sources (a path or a canonical URL), from which ids derive."""
    out = []
    for changed, names in ((False, report.added), (True, report.changed)):
        for name in dict.fromkeys(names):
            record = documents.get(doc_id_for(name))
            if record is not None:  # None: written, then pruned within the same run
                out.append(_announcement(record, name, changed))
    return out


def _announcement(record: DocRecord, name: str, changed: bool) -> Announcement:
    meta = record.metadata
    get = lambda key: str(meta.get(key, "") or "")  # noqa: E731
    return Announcement(
        record.doc_id, get("title") or name, get("url") or name, changed, get("published"),
        get("previous_published"), get("updated_at"), get("ingested_at"),
    )  # fmt: skip


class Refresher:
    """Syncs every feed, URL and folder of a sources file through the pipeline."""

    def __init__(self, pipeline: Pipeline, sources_file: Path, interval_s: float) -> None:
        self.pipeline = pipeline
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
        report = self.pipeline.ingest_sources(sources)
        for name, reason in report.failed:
            log.warning("refresh: %s failed: %s", name, reason)
        log.info("refresh done: %s", report.summary())
        found = announcements(report, self.pipeline.store.documents())
        return RefreshResult(report, tuple(found))
