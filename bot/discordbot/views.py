"""Buttons under an answer: Show passages, 👍 / 👎, and links to the sources.

The action buttons are `DynamicItem`s whose custom id carries the answer id, so they keep
working after a restart (the passages an answer cited are looked up in the feedback store).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.answering.answer import Answer
from bot.discordbot.failures import report_error
from bot.discordbot.format import BUTTON_LABEL_CHARS, pack_messages, passage_embeds, truncate
from bot.discordbot.services import services_of
from ingest.addresses import is_web_address

log = logging.getLogger(__name__)

MAX_LINK_BUTTONS = 5
PASSAGES_TEMPLATE = r"nhsbot:passages:(?P<answer_id>[0-9a-f]{1,32})"
VOTE_TEMPLATE = r"nhsbot:vote:(?P<vote>up|down):(?P<answer_id>[0-9a-f]{1,32})"
THREAD_TEMPLATE = r"nhsbot:thread:(?P<answer_id>[0-9a-f]{1,32})"
THREAD_NAME_CHARS = 100


async def _guarded(
    interaction: discord.Interaction[Any],
    press: Callable[[discord.Interaction[Any]], Awaitable[None]],
) -> None:
    """A failing button still answers the member (briefly, privately) and logs the cause."""
    try:
        await press(interaction)
    except Exception as exc:  # noqa: BLE001 - reported to the member and logged with traceback
        await report_error(interaction, exc)


class PassagesButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PASSAGES_TEMPLATE):
    """Shows the full stored passages an answer cited, only to the member who asks."""

    def __init__(self, answer_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Show passages",
                style=discord.ButtonStyle.secondary,
                custom_id=f"nhsbot:passages:{answer_id}",
                emoji="📄",
            )
        )
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> PassagesButton:
        return cls(match["answer_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _guarded(interaction, self._press)

    async def _press(self, interaction: discord.Interaction[Any]) -> None:
        services = services_of(interaction)
        chunk_ids = services.feedback.chunk_ids(self.answer_id)
        if not chunk_ids:
            await interaction.response.send_message(
                "I no longer have the passages for that answer: please ask again.", ephemeral=True
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        passage = services.library.passage
        hits = await services.run(lambda: [passage(cid) for cid in chunk_ids])
        embeds: list[discord.Embed] = []
        for n, hit in enumerate(hits, start=1):
            if hit is None:
                continue
            details = [("Publisher", hit.meta("publisher")), ("Published", hit.meta("published"))]
            link = hit.meta("url") or services.names.source(hit.meta("source"))
            details += [("Link", link), ("Passage", hit.chunk_id)]
            embeds += passage_embeds(f"[{n}] {hit.meta('title')}", hit.text, details)
        if not embeds:
            await interaction.followup.send("Those passages are no longer stored.", ephemeral=True)
            return
        for message in pack_messages(embeds):
            await interaction.followup.send(embeds=message, ephemeral=True)


class VoteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=VOTE_TEMPLATE):
    """👍 / 👎: one vote per member per answer, stored with the answer id only."""

    def __init__(self, answer_id: str, up: bool) -> None:
        super().__init__(
            discord.ui.Button(
                emoji="👍" if up else "👎",
                style=discord.ButtonStyle.secondary,
                custom_id=f"nhsbot:vote:{'up' if up else 'down'}:{answer_id}",
            )
        )
        self.answer_id = answer_id
        self.up = up

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> VoteButton:
        return cls(match["answer_id"], match["vote"] == "up")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _guarded(interaction, self._press)

    async def _press(self, interaction: discord.Interaction[Any]) -> None:
        services = services_of(interaction)
        tally = services.feedback.vote(self.answer_id, interaction.user.id, self.up)
        services.gaps.voted(self.answer_id, down=tally.down > 0)  # a 👎 marks a gap (when on)
        thanks = "Thanks, glad it helped." if self.up else "Thanks: that helps us improve."
        await interaction.response.send_message(
            f"{thanks} (👍 {tally.up} · 👎 {tally.down})", ephemeral=True
        )


class ThreadButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=THREAD_TEMPLATE):
    """Starts a thread on the answer; messages there are follow-ups (no mention needed)."""

    def __init__(self, answer_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Follow up in a thread",
                style=discord.ButtonStyle.secondary,
                custom_id=f"nhsbot:thread:{answer_id}",
                emoji="🧵",
            )
        )
        self.answer_id = answer_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ThreadButton:
        return cls(match["answer_id"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await _guarded(interaction, self._press)

    async def _press(self, interaction: discord.Interaction[Any]) -> None:
        message = interaction.message
        if message is None or not isinstance(message.channel, discord.TextChannel):
            await interaction.response.send_message(
                "Threads can only start on answers in a server's text channel.", ephemeral=True
            )
            return
        if message.thread is None:
            title = message.embeds[0].title if message.embeds else None
            name = truncate(title or "Follow-up questions", THREAD_NAME_CHARS)
            thread = await message.create_thread(name=name, auto_archive_duration=1440)
        else:
            thread = message.thread
        await interaction.response.send_message(
            f"Ask your follow-up in {thread.mention}: I'll read it with this answer.",
            ephemeral=True,
        )


def source_links(answer: Answer) -> list[tuple[str, str]]:
    """(label, url) for each distinct http(s) source link, at most five."""
    links: dict[str, str] = {}
    for c in answer.citations:
        if is_web_address(c.url) and c.url not in links:
            label = truncate(f"[{c.n}] {c.publisher or c.title}", BUTTON_LABEL_CHARS)
            links[c.url] = label
    return [(label, url) for url, label in list(links.items())[:MAX_LINK_BUTTONS]]


def answer_view(
    answer_id: str, links: Sequence[tuple[str, str]], *, threadable: bool = False
) -> discord.ui.View:
    """The buttons under an answer; the view never times out (the items are persistent)."""
    view = discord.ui.View(timeout=None)
    view.add_item(PassagesButton(answer_id))
    view.add_item(VoteButton(answer_id, True))
    view.add_item(VoteButton(answer_id, False))
    if threadable:
        view.add_item(ThreadButton(answer_id))
    for label, url in links:
        view.add_item(
            discord.ui.Button(label=label, url=url, style=discord.ButtonStyle.link, row=1)
        )
    return view
