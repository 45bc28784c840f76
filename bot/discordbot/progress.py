"""A long job's progress in Discord: the deferred reply is edited with the latest step at most
once every few seconds (edits are rate-limited, and a curator needs no more than that).

The job runs in a worker thread and hands each step to the `ProgressEdits` object (a plain
callback); a task on the event loop edits the message when the step has changed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import discord

from ingest.progress import Progress

log = logging.getLogger(__name__)


class ProgressEdits:
    """`async with` it around the job, and pass it to the job as its progress callback."""

    def __init__(
        self,
        edit: Callable[[str], Awaitable[Any]],
        render: Callable[[Progress], str],
        interval_s: float,
    ) -> None:
        self.edit = edit
        self.render = render
        self.interval_s = interval_s
        self._latest: Progress | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def __call__(self, progress: Progress) -> None:
        """From the worker thread: keep the latest step (one assignment, nothing awaited)."""
        self._latest = progress

    async def __aenter__(self) -> ProgressEdits:
        self._task = asyncio.create_task(self._show())
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()  # an edit under way finishes first: it never lands after the result
        if self._task is not None:
            await self._task

    async def _show(self) -> None:
        shown: Progress | None = None
        while not await self._stopped_within(self.interval_s):
            latest = self._latest
            if latest is None or latest == shown:
                continue
            try:
                await self.edit(self.render(latest))
            except discord.HTTPException as exc:  # progress is a courtesy: the job goes on
                log.warning("could not show progress: %s", exc)
            shown = latest

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
            return True
        except TimeoutError:
            return False
