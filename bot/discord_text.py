"""Fixed texts the bot shows: /about and the curators' ingestion report (pure functions)."""

from __future__ import annotations

import discord

from bot.discord_format import ANSWER_COLOUR, MESSAGE_CHARS, truncate
from ingest.sync import SyncReport

RETENTION_DAYS = 365  # feedback rows are deleted after this (see bot/feedback.py)


def ingest_report(report: SyncReport) -> str:
    """What an /ingest or /reingest did, by document, within one message."""
    groups = (
        ("Added", report.added),
        ("Changed", report.changed),
        ("Unchanged", report.skipped),
        ("Removed", report.pruned),
    )
    lines = [f"{label}: {', '.join(names)}" for label, names in groups if names]
    lines += [f"Failed: {reason}" for _, reason in report.failed]
    lines.append(report.summary())
    return truncate("\n".join(lines), MESSAGE_CHARS)


def about_embed(
    documents: int, chunks: int, last_ingested: str | None, retention_days: int
) -> discord.Embed:
    """What the bot is, what it knows, what it keeps and for how long."""
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
    embed.add_field(
        name="What I keep",
        value=(
            "Your questions are not stored. For 👍/👎 I keep a random answer id, the ids of the "
            "passages it cited and your vote (not who you are), for "
            f"{retention_days} days. Follow-ups read the earlier turn from Discord itself."
        ),
        inline=False,
    )
    return embed
