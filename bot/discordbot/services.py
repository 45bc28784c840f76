"""What the Discord commands, views and client work with, built once and handed to each.

Commands (cogs) receive `Services` in their constructor. Persistent buttons are made by
discord.py itself from their custom id, so they find the services through the client, typed by
the small `HasServices` protocol rather than the concrete bot class.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol, TypeVar, cast

import discord

from bot.answering.pipeline import Answerer
from bot.discordbot.cooldown import Cooldown
from bot.discordbot.names import FileNames
from bot.feedback import FeedbackStore
from bot.gaps import Gaps
from bot.library import Library
from bot.settings import Settings

T = TypeVar("T")

WORKERS = 2  # the pipeline is CPU-bound: 2 cores


class Services:
    """The answerer, the library, feedback, the cooldown, the settings the bot reads, the
    knowledge gaps (off unless given) and how it names files (`names`); and `run`, which does
    blocking work off the event loop, a few at a time."""

    def __init__(
        self,
        answerer: Answerer,
        library: Library,
        feedback: FeedbackStore,
        settings: Settings,
        *,
        cooldown: Cooldown | None = None,
        draft_interval_s: float = 1.0,  # at most one draft edit a second (Discord rate-limits)
        gaps: Gaps | None = None,
        progress_interval_s: float = 3.0,  # a long /reingest edits its reply at most this often
    ) -> None:
        self.answerer = answerer
        self.library = library
        self.feedback = feedback
        self.settings = settings
        self.cooldown = cooldown or Cooldown(settings.cooldown_seconds)
        self.names = FileNames(settings.corpus_dir)  # files as members see them
        self.draft_interval_s = draft_interval_s
        self.progress_interval_s = progress_interval_s
        self._slots = asyncio.Semaphore(WORKERS)
        self.gaps = gaps or Gaps(None)  # no store: nothing is kept

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking work (answering, store reads) in a thread, at most WORKERS at once."""
        async with self._slots:
            return await asyncio.to_thread(fn, *args, **kwargs)


class HasServices(Protocol):
    services: Services


def services_of(interaction: discord.Interaction[Any]) -> Services:
    """The services of the client an interaction came to (for items discord.py builds)."""
    return cast(HasServices, interaction.client).services
