"""The Discord client: its cogs and buttons, error handling, the scheduled refresh of the
sources with its announcements, and `run_bot`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.ext import commands

from bot.app import App
from bot.discordbot.commands import cogs
from bot.discordbot.failures import report_error
from bot.discordbot.notices import RETENTION_DAYS, updates_messages
from bot.discordbot.services import Services, services_of
from bot.discordbot.views import PassagesButton, ThreadButton, VoteButton
from bot.feedback import FeedbackStore
from bot.follow import StoreFollower, follow_seconds
from bot.refresh import Announcement, Refresher, RefreshResult
from vectorstore.store import StoreUnavailableError

log = logging.getLogger(__name__)


class NhsTree(app_commands.CommandTree):
    """Every failure becomes a short ephemeral message, never a dead interaction."""

    async def interaction_check(self, interaction: discord.Interaction[Any]) -> bool:
        if interaction.guild is not None or services_of(interaction).settings.allow_dms:
            return True
        if interaction.type is discord.InteractionType.application_command:
            await interaction.response.send_message(
                "I only answer in servers here; direct messages are turned off.", ephemeral=True
            )
        return False

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)


class NhsBot(commands.Bot):
    """The bot: the services its commands use (answerer, library, feedback, cooldown), the
    scheduled refresh of the sources (every NHSBOT_REFRESH_MINUTES, when set) and, with a
    Chroma server, the check for other processes' writes (every NHSBOT_SYNC_SECONDS)."""

    def __init__(
        self,
        services: Services,
        *,
        refresher: Refresher | None = None,
        follower: StoreFollower | None = None,
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
        self.services = services
        settings = services.settings
        self.refresher = refresher or Refresher(
            services.library, settings.sources_file, settings.refresh_minutes * 60
        )
        self.follower = follower or StoreFollower(services.library, follow_seconds(settings))
        self._refresh_task: asyncio.Task[None] | None = None
        self._follow_task: asyncio.Task[None] | None = None

    async def setup_hook(self) -> None:
        for cog in cogs(self.services, self):
            await self.add_cog(cog)
        self.add_dynamic_items(PassagesButton, VoteButton, ThreadButton)
        guild_ids = self.services.settings.guild_ids
        if guild_ids:  # guild commands appear at once; global ones take a while
            for guild_id in guild_ids:
                guild = discord.Object(guild_id)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("synced %d commands to guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands", len(synced))
        if self.refresher.enabled:
            self._refresh_task = asyncio.create_task(self.refresh_loop())
        if self.follower.enabled:
            self._follow_task = asyncio.create_task(self.follow_loop())

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: mentions and follow-ups are answered by the Answering cog."""

    async def close(self) -> None:
        for task in (self._refresh_task, self._follow_task):
            if task is not None:
                task.cancel()  # work already in its thread finishes on its own
        await super().close()

    async def on_ready(self) -> None:
        log.info("connected as %s to %d servers", self.user, len(self.guilds))

    # --- keeping the sources fresh -----------------------------------------------------------
    async def refresh_loop(self) -> None:
        """Refresh once connected, then every interval; one failed run never stops the loop."""
        await self.wait_until_ready()
        while not self.is_closed():
            try:
                await self.refresh_and_announce()
            except StoreUnavailableError as exc:
                log.warning("scheduled refresh skipped: %s", exc)
            except Exception:
                log.exception("scheduled refresh failed")
            await asyncio.sleep(self.refresher.interval_s)

    async def follow_loop(self) -> None:
        """Every NHSBOT_SYNC_SECONDS, make what other processes wrote to the shared store
        searchable (in a worker thread, not a question slot)."""
        while not self.is_closed():
            await asyncio.sleep(self.follower.interval_s)
            try:
                await asyncio.to_thread(self.follower.check)
            except StoreUnavailableError as exc:
                log.warning("could not check the store for other processes' writes: %s", exc)
            except Exception:
                log.exception("checking the store for other processes' writes failed")

    async def refresh_and_announce(self) -> RefreshResult | None:
        """One refresh in a worker thread (not a question slot), then its announcements."""
        result = await asyncio.to_thread(self.refresher.run)
        if result is not None and result.announcements:
            await self.announce(result.announcements)
        return result

    async def announce(self, items: tuple[Announcement, ...]) -> None:
        """Post new and changed sources to NHSBOT_UPDATES_CHANNEL (if set), mentioning no one."""
        channel_id = self.services.settings.updates_channel
        if not channel_id:
            return
        channel = self.get_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("updates channel %s not found or not a text channel", channel_id)
            return
        shown = [self.services.names.announcement(item) for item in items]
        for content, embeds in updates_messages(shown):
            await channel.send(
                content=content or None,
                embeds=embeds,
                allowed_mentions=discord.AllowedMentions.none(),
            )


@contextlib.contextmanager
def discord_endpoints(api_base: str = "", gateway_url: str = "") -> Iterator[None]:
    """discord.py pointed at another Discord (a local fake in tests) while the block runs;
    empty means the real one. discord.py reads both addresses from class attributes, so they
    are put back afterwards."""
    saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    try:
        if api_base:
            discord.http.Route.BASE = api_base.rstrip("/")
        if gateway_url:
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
        yield
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = saved


async def main(app: App, **options: Any) -> int:
    """Run the bot until SIGINT/SIGTERM; returns the process exit status."""
    settings = app.settings
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    feedback = FeedbackStore(settings.data_dir / "feedback.sqlite3", retention_days=RETENTION_DAYS)
    services = Services(app.answerer, app.library, feedback, settings, gaps=app.gaps)
    try:
        async with NhsBot(services, **options) as bot:
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


def run_bot(app: App) -> int:
    """`nhsbot run` with a token: connect to Discord and answer until stopped."""
    settings = app.settings
    with discord_endpoints(settings.discord_api_base, settings.discord_gateway_url):
        return asyncio.run(main(app))
