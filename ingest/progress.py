"""How far an ingestion run has got, handed to a plain callback the caller passes in: the
terminal draws a bar with it, Discord edits a message; ingestion knows neither."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """Documents finished (stored, unchanged or failed) of those found, the one being read
    ("" between documents) and the passages embedded so far in this run."""

    done: int
    total: int
    current: str = ""
    passages: int = 0


OnProgress = Callable[[Progress], None]


class Tracker:
    """Counts a run's progress and hands each step to `on_progress` (None: counts only)."""

    def __init__(self, on_progress: OnProgress | None, total: int) -> None:
        self.on_progress = on_progress
        self.total = total
        self.done = 0
        self.passages = 0
        self.current = ""

    def start(self, name: str) -> None:
        """A document is being read."""
        self.current = name
        self._tell()

    def embedded(self, passages: int) -> None:
        """Some of its passages were embedded."""
        self.passages += passages
        self._tell()

    def finish(self) -> None:
        """The document is done, whatever happened to it."""
        self.done += 1
        self.current = ""
        self._tell()

    def _tell(self) -> None:
        if self.on_progress is not None:
            self.on_progress(Progress(self.done, self.total, self.current, self.passages))
