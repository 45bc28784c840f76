"""A progress bar for long work on a terminal (tqdm, imported only when a bar is drawn): an
ingestion run's documents done of total, the current file and the passages embedded.

Only on a terminal: to a pipe, a file, a log or a `--json` reader nothing is written."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any, TextIO

from ingest.progress import OnProgress, Progress

REDRAW_S = 0.1  # at most ten redraws a second: embedding reports every batch
NAME_CHARS = 40


def shortened(name: str, limit: int = NAME_CHARS) -> str:
    """The end of a long path (the file name matters most): "…/reports/fdp-contract.md"."""
    return name if len(name) <= limit else "…" + name[-(limit - 1) :]


class Bar:
    """Draws each Progress it is given on `stream` (redraws at most every REDRAW_S seconds)."""

    def __init__(self, stream: TextIO, description: str) -> None:
        self.stream = stream
        self.description = description
        self._bar: Any = None
        self._drawn = 0.0

    def __call__(self, progress: Progress) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(
                total=progress.total,
                file=self.stream,
                desc=self.description,
                unit="doc",
                leave=False,  # the summary line that follows says how it ended
                dynamic_ncols=True,
                # The bar first and of a fixed width, so it stays put as file names change.
                bar_format="{desc} |{bar:24}| {n_fmt}/{total_fmt} documents{postfix} "
                "[{elapsed}<{remaining}]",
            )
        bar, now = self._bar, time.monotonic()
        finished = progress.done != bar.n
        if not finished and now - self._drawn < REDRAW_S:
            return
        bar.total = progress.total
        bar.n = progress.done
        current = f", now {shortened(progress.current)}" if progress.current else ""
        bar.set_postfix_str(f"{progress.passages} passages embedded{current}", refresh=False)
        bar.refresh()
        self._drawn = now

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


@contextlib.contextmanager
def terminal_progress(
    stream: TextIO, description: str = "Ingesting", *, quiet: bool = False
) -> Iterator[OnProgress | None]:
    """A progress callback drawing a bar on `stream` while the block runs, when `stream` is a
    terminal and not `quiet`; otherwise None (nothing drawn)."""
    if quiet or not stream.isatty():
        yield None
        return
    bar = Bar(stream, description)
    try:
        yield bar
    finally:
        bar.close()
