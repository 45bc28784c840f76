"""The Discord front end: the bot, its error handling, mentions and follow-ups, and `run_bot`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.answer import Answer
from bot.cooldown import Cooldown
from bot.discord_commands import CONTEXT_MENU_NAME, SLASH_COMMANDS, check_message
from bot.discord_format import MESSAGE_CHARS, answer_messages, truncate
from bot.discord_stream import with_drafts
from bot.discord_text import RETENTION_DAYS, about_embed, updates_messages
from bot.discord_threads import earlier_turn, strip_mentions
from bot.discord_views import (
    PassagesButton,
    ThreadButton,
    VoteButton,
    answer_view,
    source_links,
)
from bot.errors import QuestionError, check_question
from bot.feedback import FeedbackStore, new_answer_id
from bot.pipeline import Pipeline
from bot.refresh import Announcement, Refresher, RefreshResult
from bot.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
Send = Callable[..., Awaitable[Any]]

FAILED = "Sorry, something went wrong on my side: it has been logged. Please try again."


class NhsTree(app_commands.CommandTree):
    """Every failure becomes a short ephemeral message, never a dead interaction."""

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        bot: NhsBot = interaction.client  # type: ignore[assignment]
        if interaction.guild is not None or bot.settings.allow_dms:
            return True
        if interaction.type is discord.InteractionType.application_command:
            await interaction.response.send_message(
                "I only answer in servers here; direct messages are turned off.", ephemeral=True
            )
        return False

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        bot: NhsBot = interaction.client  # type: ignore[assignment]
        await bot.report_error(interaction, error)


class NhsBot(commands.Bot):
    """The bot: owns the pipeline (and so the store), the feedback store, the cooldown and the
    scheduled refresh of the sources (by default every NHSBOT_REFRESH_MINUTES)."""

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline,
        feedback: FeedbackStore,
        *,
        refresher: Refresher | None = None,
        **options: Any,
    ) -> None:
        intents = discord.Intents.default()
        intents.message_content = True  # follow-ups in threads come without a mention
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=NhsTree,
            **options,
        )
        self.settings = settings
        self.pipeline = pipeline
        self.feedback = feedback
        self.cooldown = Cooldown(settings.cooldown_seconds)
        self._slots = asyncio.Semaphore(2)  # the pipeline is CPU-bound: 2 cores
        self.refresher = refresher or Refresher(
            pipeline, settings.sources_file, settings.refresh_minutes * 60
        )
        self._refresh_task: asyncio.Task[None] | None = None
        self.draft_interval_s = 1.0  # at most one draft edit a second (Discord rate-limits)

    async def setup_hook(self) -> None:
        for command in SLASH_COMMANDS:
            self.tree.add_command(command)
        self.tree.add_command(
            app_commands.ContextMenu(name=CONTEXT_MENU_NAME, callback=check_message)
        )
        self.add_dynamic_items(PassagesButton, VoteButton, ThreadButton)
        if self.settings.guild_ids:  # guild commands appear at once; global ones take a while
            for guild_id in self.settings.guild_ids:
                guild = discord.Object(guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("synced %d commands to guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands", len(synced))
        if self.refresher.enabled:
            self._refresh_task = asyncio.create_task(self.refresh_loop())

    async def close(self) -> None:
        if self._refresh_task is not None:
            self._refresh_task.cancel()  # a sync already in its thread finishes on its own
        await super().close()

    async def on_ready(self) -> None:
        log.info("connected as %s to %d servers", self.user, len(self.guilds))

    async def in_thread(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run blocking pipeline work off the event loop, two at a time."""
        async with self._slots:
            return await asyncio.to_thread(fn, *args, **kwargs)

    async def ask(
        self, question: str, send: Send, *, history: list[tuple[str, str]] | None = None
    ) -> tuple[Answer, Send]:
        """The pipeline's answer, and the `send` for its first message. With an answer model,
        verified drafts appear meanwhile in a message posted through `send`; the returned `send`
        then replaces that draft, so the final answer and its sources take its place."""
        kwargs: dict[str, Any] = {"history": history} if history else {}
        if self.pipeline.generator is None:
            return await self.in_thread(self.pipeline.ask, question, **kwargs), send

        def run(on_draft: Callable[[str], None]) -> Awaitable[Answer]:
            return self.in_thread(self.pipeline.ask, question, on_draft=on_draft, **kwargs)

        return await with_drafts(run, send, self.draft_interval_s)

    # --- keeping the sources fresh -----------------------------------------------------------
    async def refresh_loop(self) -> None:
        """Refresh once connected, then every interval; one failed run never stops the loop."""
        await self.wait_until_ready()
        while not self.is_closed():
            try:
                await self.refresh_and_announce()
            except Exception:
                log.exception("scheduled refresh failed")
            await asyncio.sleep(self.refresher.interval_s)

    async def refresh_and_announce(self) -> RefreshResult | None:
        """One refresh in a worker thread (not a question slot), then its announcements."""
        result = await asyncio.to_thread(self.refresher.run)
        if result is not None and result.announcements:
            await self.announce(result.announcements)
        return result

    async def announce(self, items: tuple[Announcement, ...]) -> None:
        """Post new and changed sources to NHSBOT_UPDATES_CHANNEL (if set), mentioning no one."""
        channel_id = self.settings.updates_channel
        if not channel_id:
            return
        channel = self.get_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("updates channel %s not found or not a text channel", channel_id)
            return
        for content, embeds in updates_messages(items):
            await channel.send(
                content=content or None,
                embeds=embeds,
                allowed_mentions=discord.AllowedMentions.none(),
            )

    # --- sending ---------------------------------------------------------------------------
    async def send_answer(
        self,
        send: Send,
        answer: Answer,
        *,
        title: str,
        ephemeral: bool = False,
        preface: str | None = None,
        rest: Send | None = None,
        threadable: bool = False,
    ) -> str:
        """Send an answer as one or more messages; buttons go under the last. Returns its id."""
        answer_id = new_answer_id()
        chunk_ids = [c.chunk_id for c in answer.citations]
        self.feedback.record_answer(answer_id, chunk_ids, refused=answer.refused)
        messages = answer_messages(answer, answer_id, title=title)
        view = answer_view(answer_id, source_links(answer), threadable=threadable and not ephemeral)
        for i, embeds in enumerate(messages):
            kwargs: dict[str, Any] = {"embeds": embeds}
            if ephemeral:
                kwargs["ephemeral"] = True
            if i == 0 and preface:
                kwargs["content"] = truncate(preface, MESSAGE_CHARS)
            if i == len(messages) - 1:
                kwargs["view"] = view
            await (send if i == 0 or rest is None else rest)(**kwargs)
        log.info(
            "answered: refused=%s citations=%d messages=%d total_ms=%.0f",
            answer.refused,
            len(answer.citations),
            len(messages),
            answer.timings_ms.get("total", 0.0),
        )
        return answer_id

    async def report_error(self, interaction: discord.Interaction[Any], error: Exception) -> None:
        """A short ephemeral message to the member; the traceback to the log."""
        cause = getattr(error, "original", error)
        if isinstance(cause, QuestionError):
            text = str(cause)
        else:
            name = interaction.command.name if interaction.command else interaction.type.name
            log.error("interaction %s failed", name, exc_info=cause)
            text = FAILED
        try:
            if not interaction.response.is_done():
                await interaction.response.send_message(text, ephemeral=True)
                return
            if (
                interaction.response.type
                is discord.InteractionResponseType.deferred_channel_message
            ):
                # A public "thinking…" would turn the error public: remove it, then reply privately.
                # (Gone already when it became a draft that was discarded.)
                with contextlib.suppress(discord.NotFound):
                    await interaction.delete_original_response()
            await interaction.followup.send(text, ephemeral=True)
        except discord.HTTPException:
            log.exception("could not report an error to the member")

    async def about_embed(self) -> discord.Embed:
        stats = await self.in_thread(self.pipeline.stats)
        return about_embed(stats.documents, stats.chunks, stats.last_ingested, RETENTION_DAYS)

    # --- mentions, replies and threads -----------------------------------------------------
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.user is None:
            return
        try:
            await self.answer_message(message)
        except Exception as exc:  # never leave a member without a reply
            log.error("answering a message failed", exc_info=exc)
            await message.reply(FAILED)

    async def answer_message(self, message: discord.Message) -> None:
        """Mention → answer as a reply; a reply to one of my answers or a message in a thread I
        started → a follow-up that uses the earlier turn."""
        assert self.user is not None
        if message.guild is None and not self.settings.allow_dms:
            return
        earlier = await earlier_turn(self, message)
        mentioned = self.user in message.mentions
        if message.guild is not None and not mentioned and earlier is None:
            return
        question = strip_mentions(message.content, self.user.id)
        if not question:
            await message.reply(
                "Ask me a question after the mention, e.g. “who can see my GP record?”"
            )
            return
        try:
            check_question(question, self.settings.max_question_chars)
        except QuestionError as exc:
            await message.reply(str(exc))
            return
        wait = self.cooldown.retry_after(message.author.id)
        if wait:
            await message.reply(self.cooldown.message(wait))
            return
        history = [earlier] if earlier else []
        async with message.channel.typing():
            answer, send = await self.ask(question, message.reply, history=history)
        in_channel = isinstance(message.channel, discord.TextChannel)
        await self.send_answer(
            send, answer, title=question, rest=message.channel.send, threadable=in_channel
        )


def configure_endpoints(api_base: str = "", gateway_url: str = "") -> None:
    """Point discord.py at another Discord (a local fake in tests); empty means the real one."""
    if api_base:
        discord.http.Route.BASE = api_base.rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


async def main(settings: Settings, pipeline: Pipeline, **options: Any) -> int:
    """Run the bot until SIGINT/SIGTERM; returns the process exit status."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    feedback = FeedbackStore(settings.data_dir / "feedback.sqlite3", retention_days=RETENTION_DAYS)
    try:
        async with NhsBot(settings, pipeline, feedback, **options) as bot:
            runner = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()))
            stopper = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if runner in done:
                runner.result()  # a login failure or a fatal gateway error ends the run here
                return 0
            log.info("stopping on signal")
            await bot.close()
            await asyncio.gather(runner, return_exceptions=True)
            return 0
    except discord.LoginFailure:
        log.error("Discord refused the token: check DISCORD_TOKEN")
        return 1
    finally:
        feedback.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def run_bot(settings: Settings, pipeline: Pipeline) -> int:
    """`nhsbot run` with a token: connect to Discord and answer until stopped."""
    configure_endpoints(settings.discord_api_base, settings.discord_gateway_url)
    return asyncio.run(main(settings, pipeline))


__all__ = ["NhsBot", "configure_endpoints", "main", "run_bot"]
