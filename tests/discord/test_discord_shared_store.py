"""A bot on a Chroma server answers from what another process (`nhsbot ingest`) wrote, within
NHSBOT_SYNC_SECONDS and without a restart. Real bot, real `chroma run`, fake Discord."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chroma_server import ChromaServer
from discord_driver import slash
from discord_helpers import answered

from bot.app import open_app
from bot.settings import Settings

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).parents[1] / "fixtures" / "corpus"
BRIEF = (
    '---\ntitle: "Test brief: the Leeds sight-loss registry"\npublisher: nhsbot tests\n'
    "published: 2026-03-03\nurl: https://example.org/leeds\n---\n"
    "The Leeds sight-loss registry shares eye clinic records with Leeds Beckett University "
    "until March 2029. Patients can leave the registry by writing to the eye clinic.\n"
)
QUESTION = "until when does the leeds sight-loss registry share eye clinic records?"
SYNC_S = 1.0


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path_factory.mktemp("bot-chroma"))
    server.start()
    yield server
    server.kill()


async def test_the_bot_answers_from_another_processs_write_within_the_interval(
    harness_factory: Any, chroma: ChromaServer, tmp_path: Path, embedder: Any
) -> None:
    shared = {"chroma_host": "127.0.0.1", "chroma_port": chroma.port, "collection": "bot-shared"}
    settings = Settings(_env_file=None, data_dir=tmp_path / "bot-data", **shared)  # type: ignore[call-arg]
    with open_app(settings, embedder) as app:
        assert not app.library.ingest([FIXTURES]).failed
        h = await harness_factory(app, sync_seconds=SYNC_S, **shared)
        assert h.bot.follower.enabled and h.bot.follower.interval_s == SYNC_S
        token = await slash(h.fake, "ask", question=QUESTION)
        (before,) = await answered(h.fake, token)
        assert "March 2029" not in before.message["embeds"][0]["description"]

        new = tmp_path / "new"
        new.mkdir()
        (new / "leeds.md").write_text(BRIEF)
        env = {k: v for k, v in os.environ.items() if not k.startswith("NHSBOT_")}
        env.update({
            "NHSBOT_DATA_DIR": str(tmp_path / "ingest-data"), "NHSBOT_CHROMA_HOST": "127.0.0.1",
            "NHSBOT_CHROMA_PORT": str(chroma.port), "NHSBOT_COLLECTION": "bot-shared",
            "HF_HUB_OFFLINE": "1",
        })  # fmt: skip
        ingest = await asyncio.create_subprocess_exec(  # the scheduled job, beside the bot
            sys.executable, "-m", "bot.cli", "ingest", str(new), env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(ingest.communicate(), 300)
        assert ingest.returncode == 0 and out.decode().startswith("1 added"), err.decode()
        written = time.monotonic()

        while True:
            token = await slash(h.fake, "ask", question=QUESTION)
            (reply,) = await answered(h.fake, token)
            if "March 2029" in reply.message["embeds"][0]["description"]:
                break
            assert time.monotonic() - written < SYNC_S + 10, "the bot never saw the write"
            await asyncio.sleep(0.1)
        assert time.monotonic() - written < SYNC_S + 10
