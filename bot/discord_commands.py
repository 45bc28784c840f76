"""The application commands. Each is thin: check, defer, run the pipeline off the loop, send."""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands

from bot.discord_format import (
    CHOICE_CHARS,
    DESCRIPTION_CHARS,
    ONLY_SOURCES,
    passage_embeds,
    split_text,
    truncate,
)
from bot.discord_text import ingest_report, updated_line
from bot.errors import QuestionError, check_question

if TYPE_CHECKING:  # the bot module imports this one
    from bot.discord_app import NhsBot

log = logging.getLogger(__name__)
Interaction = discord.Interaction[Any]


def _bot(interaction: Interaction) -> NhsBot:
    return cast("NhsBot", interaction.client)


async def _start_answer(interaction: Interaction, question: str, *, ephemeral: bool) -> bool:
    """Cooldown and question checks (answered ephemerally at once), then the defer."""
    bot = _bot(interaction)
    try:
        check_question(question, bot.settings.max_question_chars)
    except QuestionError as exc:
        await interaction.response.send_message(str(exc), ephemeral=True)
        return False
    wait = bot.cooldown.retry_after(interaction.user.id)  # only questions that will run count
    if wait:
        await interaction.response.send_message(bot.cooldown.message(wait), ephemeral=True)
        return False
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    return True


@app_commands.command(name="ask")
@app_commands.describe(
    question="Your question about who can access NHS patient data",
    private="Only you see the answer (default: everyone in the channel)",
)
async def ask(interaction: Interaction, question: str, private: bool = False) -> None:
    """Ask a question; the answer quotes and cites the stored sources."""
    if not await _start_answer(interaction, question, ephemeral=private):
        return
    bot = _bot(interaction)
    followup = functools.partial(interaction.followup.send, ephemeral=private)
    answer, send = await bot.ask(question, followup)
    in_channel = isinstance(interaction.channel, discord.TextChannel)
    await bot.send_answer(
        send,
        answer,
        title=question,
        ephemeral=private,
        rest=interaction.followup.send,
        threadable=in_channel,
    )


async def check_message(interaction: Interaction, message: discord.Message) -> None:
    """Context menu: do the sources support what this message says?"""
    text = message.content.strip()
    if not text:
        await interaction.response.send_message(
            "That message has no text to check.", ephemeral=True
        )
        return
    if not await _start_answer(interaction, text, ephemeral=False):
        return
    bot = _bot(interaction)
    answer, send = await bot.ask(text, interaction.followup.send)
    verdict = (
        "The sources don't cover this."
        if answer.refused
        else "What the sources say about this (compare it with the message):"
    )
    await bot.send_answer(
        send, answer, title=f"Checking: {text}", preface=verdict, rest=interaction.followup.send
    )


@app_commands.command(name="source")
@app_commands.describe(id="The passage handle from an answer's footer, e.g. 1a2b3c4d5e6f-0a1b2c-3")
async def source(interaction: Interaction, id: str) -> None:
    """Show one cited passage in full, with its document's details."""
    bot = _bot(interaction)
    hit = await bot.in_thread(bot.pipeline.passage, id.strip())
    if hit is None:
        await interaction.response.send_message(
            "No stored passage has that handle: copy it from an answer's footer.", ephemeral=True
        )
        return
    document = (await bot.in_thread(bot.pipeline.store.documents)).get(hit.doc_id)
    meta = document.metadata if document else {}
    updated = updated_line(str(meta.get("updated_at", "")), str(meta.get("previous_published", "")))
    details = [
        ("Publisher", hit.meta("publisher")),
        ("Published", hit.meta("published")),
        ("Updated", updated),
        ("Section", hit.meta("heading")),
        ("Link", hit.meta("url") or hit.meta("source")),
        ("Passage", hit.chunk_id),
    ]
    embeds = passage_embeds(hit.meta("title") or hit.meta("source"), hit.text, details)
    await interaction.response.send_message(embeds=embeds[:1])
    for extra in embeds[1:]:
        await interaction.followup.send(embed=extra)


@app_commands.command(name="sources")
@app_commands.describe(query="Words from a title, publisher or file name (optional)")
async def sources(interaction: Interaction, query: str | None = None) -> None:
    """List the documents the bot answers from."""
    bot = _bot(interaction)
    docs = await bot.in_thread(bot.pipeline.documents, query, 10)
    if not docs:
        text = "No documents match that." if query else "No documents are stored yet."
        await interaction.response.send_message(text, ephemeral=True)
        return
    lines = []
    for d in docs:
        details = ", ".join(p for p in (d.publisher, d.published) if p)
        link = d.url or d.source
        lines.append(f"**{d.title}**" + (f" — {details}" if details else ""))
        lines.append(f"{link} · {d.chunks} passages")
    body = split_text("\n".join(lines), DESCRIPTION_CHARS)[0]
    embed = discord.Embed(title="Sources" + (f" matching “{query}”" if query else ""))
    embed.description = body
    embed.set_footer(text=ONLY_SOURCES)
    await interaction.response.send_message(embed=embed, ephemeral=True)


@sources.autocomplete("query")
async def sources_autocomplete(
    interaction: Interaction, current: str
) -> list[app_commands.Choice[str]]:
    bot = _bot(interaction)
    docs = await bot.in_thread(bot.pipeline.documents, current or None, 25)
    titles = dict.fromkeys(truncate(d.title or d.source, CHOICE_CHARS) for d in docs)
    return [app_commands.Choice(name=t, value=t) for t in list(titles)[:25] if t]


def is_curator(interaction: Interaction, role_name: str) -> bool:
    """Manage Server (or administrator) permission, or the curator role, in this guild."""
    perms = interaction.permissions
    if perms.manage_guild or perms.administrator:
        return True
    user = interaction.user
    wanted = role_name.casefold()
    return isinstance(user, discord.Member) and any(r.name.casefold() == wanted for r in user.roles)


async def _curators_only(interaction: Interaction) -> bool:
    bot = _bot(interaction)
    if interaction.guild is not None and is_curator(interaction, bot.settings.curator_role):
        return True
    await interaction.response.send_message(
        f"Sorry, only curators (the “{bot.settings.curator_role}” role or Manage Server) "
        "can change the sources.",
        ephemeral=True,
    )
    return False


def is_web_address(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def resolve_ingest_target(value: str, corpus_dir: Path) -> Path:
    """The file or folder to ingest; only inside the corpus folder (not anywhere on the host)."""
    root = corpus_dir.resolve()
    path = Path(value)
    target = (path if path.is_absolute() else root / path).resolve()
    if not target.is_relative_to(root) and (Path.cwd() / path).resolve().is_relative_to(root):
        target = (Path.cwd() / path).resolve()  # "corpus/x.md" written relative to the bot
    if not target.is_relative_to(root) or not target.exists():
        raise QuestionError(f"I can only ingest files that exist inside {corpus_dir}/.")
    return target


@app_commands.command(name="ingest")
@app_commands.describe(url="A web page (http or https) or a file in the corpus folder")
async def ingest(interaction: Interaction, url: str) -> None:
    """Curators: add or update one source document (a web page or a corpus file)."""
    if not await _curators_only(interaction):
        return
    bot = _bot(interaction)
    value = url.strip()
    if is_web_address(value):  # fetched by the safe fetcher; refusals come back as reasons
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await bot.in_thread(bot.pipeline.ingest_urls, [value])
    else:
        target = resolve_ingest_target(value, bot.settings.corpus_dir)
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await bot.in_thread(bot.pipeline.ingest, [target])
    await interaction.followup.send(ingest_report(report), ephemeral=True)


@app_commands.command(name="reingest")
async def reingest(interaction: Interaction) -> None:
    """Curators: re-read the whole corpus folder (changed files replaced, removed ones pruned)."""
    if not await _curators_only(interaction):
        return
    bot = _bot(interaction)
    await interaction.response.defer(ephemeral=True, thinking=True)
    report = await bot.in_thread(bot.pipeline.ingest, [bot.settings.corpus_dir], prune=True)
    await interaction.followup.send(ingest_report(report), ephemeral=True)


@app_commands.command(name="about")
async def about(interaction: Interaction) -> None:
    """What this bot is, what it knows, and what it keeps."""
    await interaction.response.send_message(embed=await _bot(interaction).about_embed())


SLASH_COMMANDS = (ask, source, sources, ingest, reingest, about)
CONTEXT_MENU_NAME = "Check against sources"
