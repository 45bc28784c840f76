"""A generated answer's drafts shown in one Discord message, edited at most about once a second.

The pipeline calls `push` from its worker thread each time another verified sentence is ready;
the event loop posts the first draft and then edits it, never more often than `interval_s`
(Discord rate-limits edits, and a member can't read faster anyway). When the answer is final,
`close` hands back the draft message so the verified answer and its sources can replace it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.answering.answer import Answer
from bot.answering.generation.assemble import Draft
from bot.discordbot.format import MESSAGE_CHARS, truncate

log = logging.getLogger(__name__)

DRAFT_NOTE = "\n\n-# Writing… each sentence is checked against the sources before it appears."

Create = Callable[[str], Awaitable[Any]]  # posts the first draft, returns the message
Send = Callable[..., Awaitable[Any]]  # posts a message (a follow-up, a reply)


def draft_content(draft: str) -> str:
    """A draft as plain message content, within Discord's 2,000 characters."""
    return truncate(draft, MESSAGE_CHARS - len(DRAFT_NOTE)) + DRAFT_NOTE


class DraftStream:
    """Drafts into one message; create it with `start` inside the event loop."""

    def __init__(self, create: Create, *, interval_s: float = 1.0) -> None:
        self._create = create
        self.interval_s = interval_s
        self.message: Any = None  # the draft message, once posted
        self._loop = asyncio.get_running_loop()
        self._latest: str | None = None
        self._wake = asyncio.Event()
        self._closed = False
        self._sending = asyncio.Lock()  # held while a draft is being posted or edited
        self._task = asyncio.create_task(self._run())

    def push(self, draft: str) -> None:
        """The newest draft (called from any thread); older unsent drafts are skipped."""
        self._loop.call_soon_threadsafe(self._set, draft)

    def _set(self, draft: str) -> None:
        self._latest = draft
        self._wake.set()

    async def _run(self) -> None:
        last = -self.interval_s
        while True:
            await self._wake.wait()
            await asyncio.sleep(max(0.0, last + self.interval_s - time.monotonic()))
            self._wake.clear()
            draft, self._latest = self._latest, None
            if draft is None:
                continue
            async with self._sending:
                if self._closed:
                    return
                last = time.monotonic()
                await self._show(draft_content(draft))

    async def _show(self, content: str) -> None:
        try:
            if self.message is None:
                self.message = await self._create(content)
            else:
                await self.message.edit(
                    content=content, allowed_mentions=discord.AllowedMentions.none()
                )
        except discord.HTTPException as exc:  # a lost draft is harmless: the final answer follows
            log.warning("could not show a draft: %s", exc)

    async def close(self) -> Any:
        """Stop drafting (waiting for a draft already on its way); the draft message or None."""
        self._closed = True
        async with self._sending:  # never cancel mid-request: the message would be orphaned
            self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return self.message


def replacing(message: Any) -> Callable[..., Awaitable[Any]]:
    """A `send` that puts a message's content in place of the draft in `message`."""

    async def send(**kwargs: Any) -> Any:
        kwargs.pop("ephemeral", None)  # fixed when the draft was posted
        kwargs.setdefault("content", None)  # clears the draft text
        kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
        return await message.edit(**kwargs)

    return send


async def with_drafts(
    run: Callable[[Draft], Awaitable[Answer]], send: Send, interval_s: float = 1.0
) -> tuple[Answer, Send]:
    """`run(on_draft)`'s answer, its drafts shown meanwhile in a message posted through `send`;
    and the `send` for the answer's first message (it replaces the draft, if one was shown)."""

    async def create(content: str) -> Any:
        return await send(content=content, allowed_mentions=discord.AllowedMentions.none())

    stream = DraftStream(create, interval_s=interval_s)
    try:
        answer = await run(stream.push)
    except BaseException:
        await _discard(await stream.close())  # no half-written draft left behind
        raise
    draft = await stream.close()
    return answer, (send if draft is None else replacing(draft))


async def _discard(draft: Any) -> None:
    if draft is not None:
        try:
            await draft.delete()
        except discord.HTTPException:
            log.warning("could not delete a draft after a failure")
