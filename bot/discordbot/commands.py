"""The application commands, in three cogs: answering (/ask, /about, "Check against sources",
mentions and thread follow-ups), sources (/source, /sources) and curation (/ingest, /reingest,
/gaps).

Each command is thin: check, defer, run the work off the event loop, send. Cogs receive the
services they use; none reaches into the bot.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.answering.question import Question, QuestionError
from bot.answering.stance import ClaimChecker
from bot.discordbot.failures import FAILED, STORE_AWAY
from bot.discordbot.format import (
    CHOICE_CHARS,
    DESCRIPTION_CHARS,
    ONLY_SOURCES,
    passage_embeds,
    split_text,
    truncate,
)
from bot.discordbot.gap_list import GAPS_OFF, gaps_messages
from bot.discordbot.notices import (
    RETENTION_DAYS,
    about_embed,
    ingest_progress,
    ingest_report,
    updated_line,
)
from bot.discordbot.progress import ProgressEdits
from bot.discordbot.replies import ask, send_answer
from bot.discordbot.services import Services
from bot.discordbot.threads import earlier_turn, strip_mentions
from ingest.addresses import is_web_address
from vectorstore.store import StoreUnavailableError

log = logging.getLogger(__name__)
Interaction = discord.Interaction[Any]
CONTEXT_MENU_NAME = "Check against sources"
VERDICTS = {
    "supports": "The sources support this (each claim is matched to the sentence quoted):",
    "contradicts": "The sources say otherwise on at least one point (read the quotes):",
    "not covered": "The sources don't settle this; the closest passages are below:",
}
ASK_AFTER_MENTION = "Ask me a question after the mention, e.g. “who can see my GP record?”"


class Answering(commands.Cog):
    """Questions: /ask, the "Check against sources" menu, mentions and thread follow-ups."""

    def __init__(self, services: Services, client: commands.Bot) -> None:
        self.services = services
        self.client = client  # for its own user (mentions) and its command tree
        self.check_menu = app_commands.ContextMenu(
            name=CONTEXT_MENU_NAME, callback=self.check_message
        )
        client.tree.add_command(self.check_menu)  # context menus can't live in a cog's body

    async def cog_unload(self) -> None:
        self.client.tree.remove_command(CONTEXT_MENU_NAME, type=self.check_menu.type)

    async def start_answer(
        self, interaction: Interaction, text: str, *, ephemeral: bool
    ) -> Question | None:
        """The question read (refusals and the cooldown answered ephemerally at once), then
        the defer; None when nothing is to be answered."""
        try:
            question = self.services.answerer.read(text)
        except QuestionError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return None
        cooldown = self.services.cooldown
        wait = cooldown.retry_after(interaction.user.id)  # only questions that will run count
        if wait:
            await interaction.response.send_message(cooldown.message(wait), ephemeral=True)
            return None
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        return question

    @app_commands.command(name="ask")
    @app_commands.describe(
        question="Your question about who can access NHS patient data",
        private="Only you see the answer (default: everyone in the channel)",
    )
    async def ask(self, interaction: Interaction, question: str, private: bool = False) -> None:
        """Ask a question; the answer quotes and cites the stored sources."""
        read = await self.start_answer(interaction, question, ephemeral=private)
        if read is None:
            return
        followup = functools.partial(interaction.followup.send, ephemeral=private)
        answer, send = await ask(self.services, read, followup)
        await send_answer(
            self.services,
            send,
            answer,
            title=question,
            ephemeral=private,
            rest=interaction.followup.send,
            threadable=isinstance(interaction.channel, discord.TextChannel),
            question=read,
            guild_id=interaction.guild_id,
        )

    async def check_message(self, interaction: Interaction, message: discord.Message) -> None:
        """Context menu: do the sources support what this message says?"""
        text = message.content.strip()
        if not text:
            await interaction.response.send_message(
                "That message has no text to check.", ephemeral=True
            )
            return
        read = await self.start_answer(interaction, text, ephemeral=False)
        if read is None:
            return
        checker = ClaimChecker(self.services.answerer)
        checked = await self.services.run(checker.check, read.text)
        await send_answer(
            self.services,
            interaction.followup.send,
            checked.as_answer(),
            title=f"Checking: {text}",
            preface=VERDICTS[checked.stance],
            rest=interaction.followup.send,
            question=read,
            guild_id=interaction.guild_id,
        )

    @app_commands.command(name="about")
    async def about(self, interaction: Interaction) -> None:
        """What this bot is, what it knows, and what it keeps."""
        stats = await self.services.run(self.services.library.stats)
        gaps = self.services.gaps
        embed = about_embed(
            stats.documents,
            stats.chunks,
            stats.last_ingested,
            RETENTION_DAYS,
            gaps_days=gaps.retention_days if gaps.enabled else None,
        )
        await interaction.response.send_message(embed=embed)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.client.user is None:
            return
        try:
            await self.answer_message(message)
        except StoreUnavailableError as exc:
            log.warning("the store is unavailable: %s", exc)
            await message.reply(STORE_AWAY)
        except Exception as exc:  # never leave a member without a reply
            log.error("answering a message failed", exc_info=exc)
            await message.reply(FAILED)

    async def answer_message(self, message: discord.Message) -> None:
        """Mention → answer as a reply; a reply to one of my answers or a message in a thread I
        started → a follow-up that uses the earlier turn."""
        me = self.client.user
        assert me is not None
        if message.guild is None and not self.services.settings.allow_dms:
            return
        earlier = await earlier_turn(self.client, message)
        if message.guild is not None and me not in message.mentions and earlier is None:
            return
        text = strip_mentions(message.content, me.id)
        if not text:
            await message.reply(ASK_AFTER_MENTION)
            return
        try:
            question = self.services.answerer.read(text, [earlier] if earlier else [])
        except QuestionError as exc:
            await message.reply(str(exc))
            return
        cooldown = self.services.cooldown
        wait = cooldown.retry_after(message.author.id)
        if wait:
            await message.reply(cooldown.message(wait))
            return
        async with message.channel.typing():
            answer, send = await ask(self.services, question, message.reply)
        await send_answer(
            self.services,
            send,
            answer,
            title=text,
            rest=message.channel.send,
            threadable=isinstance(message.channel, discord.TextChannel),
            question=question,
            guild_id=message.guild.id if message.guild else None,
        )


class Sources(commands.Cog):
    """Looking sources up: one passage in full, and the list of documents."""

    def __init__(self, services: Services) -> None:
        self.services = services

    @app_commands.command(name="source")
    @app_commands.describe(
        id="The passage handle from an answer's footer, e.g. 1a2b3c4d5e6f-0a1b2c-3"
    )
    async def source(self, interaction: Interaction, id: str) -> None:
        """Show one cited passage in full, with its document's details."""
        library = self.services.library
        hit = await self.services.run(library.passage, id.strip())
        if hit is None:
            await interaction.response.send_message(
                "No stored passage has that handle: copy it from an answer's footer.",
                ephemeral=True,
            )
            return
        document = await self.services.run(library.document, hit.doc_id)
        updated = updated_line(document.updated_at, document.previous_published) if document else ""
        source = self.services.names.source(hit.meta("source"))
        details = [
            ("Publisher", hit.meta("publisher")),
            ("Published", hit.meta("published")),
            ("Updated", updated),
            ("Section", hit.meta("heading")),
            ("Link", hit.meta("url") or source),
            ("Passage", hit.chunk_id),
        ]
        embeds = passage_embeds(hit.meta("title") or source, hit.text, details)
        await interaction.response.send_message(embeds=embeds[:1])
        for extra in embeds[1:]:
            await interaction.followup.send(embed=extra)

    @app_commands.command(name="sources")
    @app_commands.describe(query="Words from a title, publisher or file name (optional)")
    async def sources(self, interaction: Interaction, query: str | None = None) -> None:
        """List the documents the bot answers from."""
        docs = await self.services.run(self.services.library.documents, query, 10)
        if not docs:
            text = "No documents match that." if query else "No documents are stored yet."
            await interaction.response.send_message(text, ephemeral=True)
            return
        lines = []
        for d in docs:
            details = ", ".join(p for p in (d.publisher, d.published) if p)
            lines.append(f"**{d.title}**" + (f" — {details}" if details else ""))
            lines.append(f"{d.url or self.services.names.source(d.source)} · {d.chunks} passages")
        embed = discord.Embed(title="Sources" + (f" matching “{query}”" if query else ""))
        embed.description = split_text("\n".join(lines), DESCRIPTION_CHARS)[0]
        embed.set_footer(text=ONLY_SOURCES)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @sources.autocomplete("query")
    async def sources_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        docs = await self.services.run(self.services.library.documents, current or None, 25)
        names = self.services.names
        titles = dict.fromkeys(
            truncate(d.title or names.source(d.source), CHOICE_CHARS) for d in docs
        )
        return [app_commands.Choice(name=t, value=t) for t in list(titles)[:25] if t]


def is_curator(interaction: Interaction, role_name: str) -> bool:
    """Manage Server (or administrator) permission, or the curator role, in this guild."""
    perms = interaction.permissions
    if perms.manage_guild or perms.administrator:
        return True
    user = interaction.user
    wanted = role_name.casefold()
    return isinstance(user, discord.Member) and any(r.name.casefold() == wanted for r in user.roles)


def resolve_ingest_target(value: str, corpus_dir: Path) -> Path:
    """The file or folder to ingest; only inside the corpus folder (not anywhere on the host)."""
    root = corpus_dir.resolve()
    path = Path(value)
    target = (path if path.is_absolute() else root / path).resolve()
    if not target.is_relative_to(root) and (Path.cwd() / path).resolve().is_relative_to(root):
        target = (Path.cwd() / path).resolve()  # "corpus/x.md" written relative to the bot
    if not target.is_relative_to(root) or not target.exists():
        raise QuestionError(  # never the folder's path: members don't need the server's layout
            "I can only ingest files that exist inside the corpus folder: give the file's name "
            "relative to it (e.g. `brief.md` or `reports/brief.pdf`), or a web page's address."
        )
    return target


class Curation(commands.Cog):
    """Curators only: add or update sources, and see the knowledge gaps."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def curators_only(
        self, interaction: Interaction, doing: str = "change the sources"
    ) -> bool:
        """Whether a curator asked; anyone else is told so, privately."""
        role = self.services.settings.curator_role
        if interaction.guild is not None and is_curator(interaction, role):
            return True
        await interaction.response.send_message(
            f"Sorry, only curators (the “{role}” role or Manage Server) can {doing}.",
            ephemeral=True,
        )
        return False

    @app_commands.command(name="ingest")
    @app_commands.describe(url="A web page (http or https) or a file in the corpus folder")
    async def ingest(self, interaction: Interaction, url: str) -> None:
        """Curators: add or update one source document (a web page or a corpus file)."""
        if not await self.curators_only(interaction):
            return
        library = self.services.library
        value = url.strip()
        if is_web_address(value):  # fetched by the safe fetcher; refusals come back as reasons
            await interaction.response.defer(ephemeral=True, thinking=True)
            report = await self.services.run(library.ingest_urls, [value])
        else:
            target = resolve_ingest_target(value, self.services.settings.corpus_dir)
            await interaction.response.defer(ephemeral=True, thinking=True)
            report = await self.services.run(library.ingest, [target])
        await interaction.followup.send(ingest_report(report, self.services.names), ephemeral=True)

    @app_commands.command(name="reingest")
    async def reingest(self, interaction: Interaction) -> None:
        """Curators: re-read the corpus folder (changed files replaced, removed ones pruned)."""
        if not await self.curators_only(interaction):
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = self.services
        edits = ProgressEdits(  # the reply shows how far it has got, then the report
            lambda text: interaction.edit_original_response(content=text),
            functools.partial(ingest_progress, names=services.names),
            services.progress_interval_s,
        )
        async with edits:
            corpus = services.settings.corpus_dir
            report = await services.run(
                services.library.ingest, [corpus], prune=True, progress=edits
            )
        await interaction.edit_original_response(content=ingest_report(report, services.names))

    @app_commands.command(name="gaps")
    @app_commands.describe(days="Only the last N days (default: every question kept)")
    async def gaps(
        self, interaction: Interaction, days: app_commands.Range[int, 1, 365] | None = None
    ) -> None:
        """Curators: questions the sources could not answer, grouped, most asked first."""
        if not await self.curators_only(interaction, "see the knowledge gaps"):
            return
        gaps = self.services.gaps
        if not gaps.enabled:
            await interaction.response.send_message(GAPS_OFF, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await self.services.run(gaps.report, days, guild_id=interaction.guild_id)
        for embeds in gaps_messages(report):  # this server's questions only
            await interaction.followup.send(embeds=embeds, ephemeral=True)


def cogs(services: Services, client: commands.Bot) -> list[commands.Cog]:
    return [Answering(services, client), Sources(services), Curation(services)]
