"""Notices the bot posts besides answers: /about, the curators' ingestion report and the
announcements of new and changed sources (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.discordbot.format import (
    ANSWER_COLOUR,
    DESCRIPTION_CHARS,
    MESSAGE_CHARS,
    TITLE_CHARS,
    pack_messages,
    truncate,
)
from bot.discordbot.names import FileNames
from bot.refresh import Announcement
from ingest.addresses import is_web_address
from ingest.progress import Progress
from ingest.sync import SyncReport

RETENTION_DAYS = 365  # feedback rows are deleted after this (see bot/feedback.py)
MAX_ANNOUNCED = 10  # per refresh; a first sync of a big feed should not flood the channel
LINK_CHARS = 1000
REASON_CHARS = 300  # one failure's reason in a curator's report
MORE = "… and {n} more."


def ingest_report(report: SyncReport, names: FileNames, limit: int = MESSAGE_CHARS) -> str:
    """What an /ingest or /reingest did, within one message: the summary line first, then only
    what was added, changed, removed or failed (each failure on its line, with its reason),
    files named by `names`. What doesn't fit is counted ("… and 12 more."), never cut."""
    summary = report.summary()
    groups = (
        ("Added", [names.source(n) for n in report.added], ", "),
        ("Changed", [names.source(n) for n in report.changed], ", "),
        ("Removed", [names.source(n) for n in report.pruned], ", "),
        ("Failed", [truncate(names.reason(n, r), REASON_CHARS) for n, r in report.failed], "\n"),
    )
    room = limit - len(summary) - len("\n" + MORE.format(n=10**6))
    lines, left = [summary], 0
    for label, items, sep in groups:
        shown: list[str] = []
        for item in items:
            new_line = sep == "\n" or not shown  # "\nLabel: item", else ", item"
            cost = len(f"\n{label}: {item}") if new_line else len(sep) + len(item)
            if cost > room:
                room = 0  # nothing after the first that doesn't fit: the order stays readable
                break
            shown.append(item)
            room -= cost
        left += len(items) - len(shown)
        if shown and sep == "\n":
            lines += [f"{label}: {item}" for item in shown]
        elif shown:
            lines.append(f"{label}: {sep.join(shown)}")
    if left:
        lines.append(MORE.format(n=left))
    return "\n".join(lines)


def ingest_progress(progress: Progress, names: FileNames) -> str:
    """A long /reingest's progress, as its reply shows it until the report replaces it."""
    line = (
        f"Re-reading the corpus folder: {progress.done} of {progress.total} documents done, "
        f"{progress.passages} passages embedded"
    )
    if progress.current:
        line += f"; now reading {names.source(progress.current)}"
    return truncate(line + " …", MESSAGE_CHARS)


def about_embed(
    documents: int,
    chunks: int,
    last_ingested: str | None,
    retention_days: int,
    *,
    gaps_days: int | None = None,
) -> discord.Embed:
    """What the bot is, what it knows, what it keeps and for how long (`gaps_days`: how long
    knowledge gaps are kept; None when they are off)."""
    when = f"{last_ingested[:16].replace('T', ' ')} UTC" if last_ingested else "never"
    embed = discord.Embed(title="About nhsbot", colour=ANSWER_COLOUR)
    embed.description = (
        "I answer questions about who can access NHS patient data, quoting and citing "
        "the stored sources only; if they don't cover a question, I say so.\n"
        "I give no medical or legal advice."
    )
    embed.add_field(
        name="Sources",
        value=f"{documents} documents, {chunks} passages; last ingested {when}. See /sources.",
        inline=False,
    )
    kept = (
        "For 👍/👎 I keep a random answer id, the ids of the passages it cited and your vote "
        f"(not who you are), for {retention_days} days. Follow-ups read the earlier turn from "
        "Discord itself."
    )
    if gaps_days is None:
        kept = "Your questions are not stored. " + kept
    embed.add_field(name="What I keep", value=kept, inline=False)
    if gaps_days is not None:
        embed.add_field(name="Knowledge gaps are on", value=gaps_notice(gaps_days), inline=False)
    return embed


def gaps_notice(days: int) -> str:
    """What /about says is kept while knowledge gaps are on."""
    return (
        "Questions my sources could not answer, and questions whose answer got a 👎, are kept "
        f"for {days} days so curators can see what to add. Before they are stored, NHS "
        "numbers, emails, phone numbers, postcodes, mentions and links' query strings are "
        "removed; with each I keep only this server and the day, not who asked. An answered "
        "question is held in memory only, for up to a day, so that a 👎 can mark it. Don't "
        "put names or health details in questions."
    )


def day(stamp: str) -> str:
    """The date part of an ISO date or timestamp ("2026-11-02T09:00:00+00:00" → "2026-11-02")."""
    return stamp.strip()[:10]


def updated_line(updated_at: str, previous_published: str) -> str:
    """The "updated on <date>" note for a document whose stored version replaced another."""
    if not updated_at:
        return ""
    line = f"updated on {day(updated_at)}"
    if previous_published:
        line += f" (the earlier version was dated {day(previous_published)})"
    return line


def announcement_embed(item: Announcement) -> discord.Embed:
    """One new or changed source: its title and link, new or changed, and its dates."""
    label = "Changed source" if item.changed else "New source"
    embed = discord.Embed(title=truncate(item.title, TITLE_CHARS), colour=ANSWER_COLOUR)
    if is_web_address(item.link) and len(item.link) <= LINK_CHARS:
        embed.url = item.link  # Discord rejects an embed url that is not http(s)
    lines = [f"**{label}**", truncate(item.link, LINK_CHARS)]
    lines.append(f"Published {day(item.published)}" if item.published else "No published date")
    if item.changed:
        line = updated_line(item.updated_at or item.ingested_at, item.previous_published)
        lines.append(line[:1].upper() + line[1:])
    embed.description = truncate("\n".join(line for line in lines if line), DESCRIPTION_CHARS)
    return embed


def updates_messages(items: Sequence[Announcement]) -> list[tuple[str, list[discord.Embed]]]:
    """The messages announcing a refresh's new and changed sources: (content, embeds) each,
    within Discord's limits; beyond MAX_ANNOUNCED, one line says how many more."""
    if not items:
        return []
    shown = [announcement_embed(item) for item in items[:MAX_ANNOUNCED]]
    messages = [("", embeds) for embeds in pack_messages(shown)]
    new = sum(1 for item in items if not item.changed)
    head = f"Sources refreshed: {new} new, {len(items) - new} changed."
    if len(items) > MAX_ANNOUNCED:
        head += f" The first {MAX_ANNOUNCED} are below; see /sources for the rest."
    messages[0] = (head, messages[0][1])
    return messages
