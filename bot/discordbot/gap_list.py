"""The knowledge gaps a curator sees with /gaps, as embeds within Discord's limits (pure)."""

from __future__ import annotations

import re

import discord

from bot.discordbot.format import (
    DESCRIPTION_CHARS,
    REFUSAL_COLOUR,
    TITLE_CHARS,
    pack_messages,
    split_text,
    truncate,
)
from bot.gap_report import GapGroup, GapReport
from ingest.addresses import is_web_address

GAPS_OFF = (
    "Knowledge gaps are off, so no questions are kept. An operator can turn them on with "
    "NHSBOT_KEEP_GAPS=true (the README's Privacy section says what is then kept)."
)
MAX_GROUPS = 25  # the rest: `nhsbot gaps` lists every group
QUESTION_CHARS = 300
EXAMPLE_CHARS = 120
TITLE_LINK_CHARS = 200
# Markdown that could work mid-line (a question never starts a line here): shown as typed.
_MARKDOWN = re.compile(r"([\\*_~|`\[\]])")


def escape_markdown(text: str) -> str:
    """`text` shown as typed: no bold, links or spoilers made by what a member wrote.
    (discord.utils.escape_markdown leaves everything after a URL unescaped.)"""
    return _MARKDOWN.sub(r"\\\1", text)


def _quoted(text: str, limit: int) -> str:
    return f"“{escape_markdown(truncate(' '.join(text.split()), limit))}”"


def group_text(n: int, group: GapGroup) -> str:
    """One group: how often and the typical wording, when, other wordings, the nearest source."""
    when = (
        group.first_day
        if group.first_day == group.last_day
        else (f"{group.first_day} – {group.last_day}")
    )
    lines = [
        f"**{n}. {group.count}×** {_quoted(group.question, QUESTION_CHARS)}",
        f"{group.refused} refused · {group.downvoted} 👎 · {when}",
    ]
    if group.examples:
        lines.append("Also: " + " · ".join(_quoted(e, EXAMPLE_CHARS) for e in group.examples))
    near = group.nearest
    if near is not None:
        title = escape_markdown(truncate(near.title or near.source, TITLE_LINK_CHARS))
        usable = is_web_address(near.url) and len(near.url) <= 500 and ")" not in near.url
        link = near.url if usable else ""
        lines.append(f"Nearest source: [{title}]({link})" if link else f"Nearest source: {title}")
    return "\n".join(lines)


def gaps_messages(report: GapReport) -> list[list[discord.Embed]]:
    """The /gaps reply: one or more messages of embeds, most asked group first."""
    days = "today" if report.days == 1 else f"the last {report.days} days"
    title = truncate(f"Knowledge gaps: {days}", TITLE_CHARS)
    if not report.groups:
        text = f"No questions went unanswered or got a 👎 in {days}."
        return [[discord.Embed(title=title, description=text, colour=REFUSAL_COLOUR)]]
    shown = report.groups[:MAX_GROUPS]
    head = (
        f"{report.questions} questions in {len(report.groups)} groups of similar questions, "
        "most asked first, with the stored source nearest to each. Questions are kept "
        f"redacted and deleted after {report.retention_days} days."
    )
    blocks = [head] + [group_text(n, g) for n, g in enumerate(shown, start=1)]
    if len(report.groups) > MAX_GROUPS:
        more = len(report.groups) - MAX_GROUPS
        blocks.append(f"…and {more} more groups: `nhsbot gaps` lists them all.")
    parts = split_text("\n\n".join(blocks), DESCRIPTION_CHARS)
    embeds = [discord.Embed(description=part, colour=REFUSAL_COLOUR) for part in parts]
    embeds[0].title = title
    return pack_messages(embeds)
