"""Following a shared store: a process answering from a Chroma server notices what other
processes (a scheduled `nhsbot ingest`, another bot) wrote, within NHSBOT_SYNC_SECONDS, without
a restart. The bot checks on that schedule in the background; the terminal chat checks before
a question once the interval has passed. The embedded store has one process, so never there."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.library import Library
from bot.settings import Settings

log = logging.getLogger(__name__)


def follow_seconds(settings: Settings) -> float:
    """How often to look for other processes' writes: NHSBOT_SYNC_SECONDS with a Chroma server,
    never (0) with the embedded store, which only this process can write."""
    return max(settings.sync_seconds, 0.0) if settings.chroma_host else 0.0


class StoreFollower:
    """Refreshes the library's search index when another process changed the store's documents
    (one cheap read of the document list per check; the index is rebuilt only on a change)."""

    def __init__(
        self, library: Library, interval_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.library = library
        self.interval_s = interval_s  # 0 = off
        self._clock = clock
        self._last = clock()  # the index was built from the store just now

    @property
    def enabled(self) -> bool:
        return self.interval_s > 0

    def check(self) -> bool:
        """Look now; whether the index was refreshed."""
        self._last = self._clock()
        changed = self.library.catch_up()
        if changed:
            stats = self.library.stats()
            log.info(
                "picked up another process's writes: now %d documents, %d passages",
                stats.documents,
                stats.chunks,
            )
        return changed

    def check_if_due(self) -> bool:
        """Look if the interval has passed since the last look (before a question)."""
        if not self.enabled or self._clock() - self._last < self.interval_s:
            return False
        return self.check()
