"""Discord test fixtures: a fake Discord on loopback and the real bot connected to it."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # fake_discord, discord_driver, …

from discord_helpers import paths_shown, stop_bots  # noqa: E402
from fake_discord import FakeDiscord  # noqa: E402

from bot.app import App, open_app  # noqa: E402
from bot.discordbot.client import NhsBot, discord_endpoints  # noqa: E402
from bot.discordbot.services import Services  # noqa: E402
from bot.feedback import FeedbackStore  # noqa: E402
from bot.settings import Settings  # noqa: E402

FIXTURES = Path(__file__).parents[1] / "fixtures" / "corpus"
HERE = Path(__file__).parent / "corpus"  # documents only these tests need


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def server_paths(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Paths on the server that no member may see: the tests' temp folders (their corpus and
    data folders), the temp folder, the home folder and the checkout."""
    return {
        str(tmp_path_factory.getbasetemp()), "/tmp/", tempfile.gettempdir() + "/",
        str(Path.home()).rstrip("/") + "/", str(Path(__file__).resolve().parents[2]) + "/",
    } - {"/"}  # fmt: skip


@pytest.fixture(autouse=True)
def no_server_paths(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every message, edit, follow-up and autocomplete the bot sent to any fake Discord in a
    test is scanned afterwards for paths on the server."""
    FakeDiscord.instances.clear()
    yield
    leaks = [leak for fake in FakeDiscord.instances for leak in
             paths_shown(fake, server_paths(tmp_path_factory))]  # fmt: skip
    FakeDiscord.instances.clear()
    assert not leaks, f"server paths shown in Discord: {leaks[:3]}"


@pytest.fixture(scope="session")
def discord_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared fixture corpus plus a source that contains @everyone and a role mention."""
    folder = tmp_path_factory.mktemp("discord-corpus")
    shutil.copytree(FIXTURES, folder, dirs_exist_ok=True)
    shutil.copy(HERE / "mentions-notice.md", folder / "mentions-notice.md")
    return folder


@pytest.fixture(scope="session")
def discord_app(
    tmp_path_factory: pytest.TempPathFactory, embedder: Any, discord_corpus: Path
) -> Iterator[App]:
    """A real app of its own (the /ingest test writes to it), on the shared model."""
    settings = bot_settings(tmp_path_factory.mktemp("discord-data"), discord_corpus)
    with open_app(settings, embedder) as app:
        report = app.library.ingest([discord_corpus])
        assert not report.failed, report.failed
        yield app


def bot_settings(data_dir: Path, corpus_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir, "corpus_dir": corpus_dir, "cooldown_seconds": 0,
        "curator_role": "curator", **overrides,
    }  # fmt: skip
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class Harness:
    """The fake Discord, the bot connected to it, and the services behind the bot."""

    def __init__(self, fake: FakeDiscord, bot: NhsBot) -> None:
        self.fake, self.bot, self.services = fake, bot, bot.services


async def start_bot(fake: FakeDiscord, bot: NhsBot) -> asyncio.Task[None]:
    runner = asyncio.create_task(bot.start("fake-token"))
    ready = asyncio.create_task(bot.wait_until_ready())
    await asyncio.wait({runner, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if runner.done():
        runner.result()  # the bot stopped: show why
    assert ready.done(), f"bot not ready; fake saw {[r.path for r in fake.requests]}"
    return runner


@pytest.fixture
async def harness_factory(tmp_path: Path, discord_corpus: Path) -> AsyncIterator[Any]:
    """Starts the real bot against a fresh fake Discord; everything is stopped afterwards and
    the test fails if the bot used a route the fake does not know or broke a Discord limit."""
    started: list[tuple[FakeDiscord, NhsBot, asyncio.Task[None], FeedbackStore]] = []
    endpoints = contextlib.ExitStack()

    async def make(
        app: App, *, answerer: Any = None, gaps: Any = None, **overrides: Any
    ) -> Harness:
        """The bot on `app`'s library, answering with `answerer` (default: the app's own),
        with knowledge gaps kept by `gaps` (default: off)."""
        fake = FakeDiscord()
        await fake.start()
        endpoints.enter_context(discord_endpoints(fake.api_base, fake.gateway_url))
        overrides.setdefault("guild_ids", [int(fake.guild_id)])
        corpus = overrides.pop("corpus_dir", discord_corpus)
        settings = bot_settings(tmp_path / "data", corpus, **overrides)
        feedback = FeedbackStore(tmp_path / "data" / "feedback.sqlite3")
        services = Services(answerer or app.answerer, app.library, feedback, settings, gaps=gaps)
        bot = NhsBot(services, guild_ready_timeout=0.05)
        started.append((fake, bot, await start_bot(fake, bot), feedback))
        return Harness(fake, bot)

    with endpoints:
        try:
            yield make
        finally:
            await stop_bots(started)


@pytest.fixture
async def harness(harness_factory: Any, discord_app: App) -> Harness:
    return await harness_factory(discord_app)
