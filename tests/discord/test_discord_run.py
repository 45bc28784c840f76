"""`nhsbot run` as a real process against the fake Discord: connects, answers, stops on SIGINT."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest
from discord_driver import slash
from discord_helpers import answered
from fake_discord import FakeDiscord

pytestmark = pytest.mark.anyio
NHSBOT = Path(sys.executable).with_name("nhsbot")
FIXTURES = Path(__file__).parents[1] / "fixtures" / "corpus"
QUESTION = "how much is palantirs fdp deal worth??"


def run_env(fake: FakeDiscord, tmp_path: Path) -> dict[str, str]:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(FIXTURES / "fdp-contract.md", corpus)  # small: the first run ingests it
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHSBOT_")}
    env.update({
        "DISCORD_TOKEN": "fake-token",
        "NHSBOT_DISCORD_API_BASE": fake.api_base,
        "NHSBOT_DISCORD_GATEWAY_URL": fake.gateway_url,
        "NHSBOT_GUILD_IDS": fake.guild_id,
        "NHSBOT_DATA_DIR": str(tmp_path / "data"),
        "NHSBOT_CORPUS_DIR": str(corpus),
        "NHSBOT_COOLDOWN_SECONDS": "0",
        "NHSBOT_LOG_LEVEL": "INFO",
        "HF_HUB_OFFLINE": "1",
    })  # fmt: skip
    return env


async def test_nhsbot_run_answers_then_exits_cleanly_on_sigint(tmp_path: Path) -> None:
    fake = FakeDiscord()
    await fake.start()
    proc = await asyncio.create_subprocess_exec(
        str(NHSBOT), "run", env=run_env(fake, tmp_path), cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        waiter = asyncio.create_task(fake.identified.wait())
        exited = asyncio.create_task(proc.wait())
        await asyncio.wait({waiter, exited}, timeout=90, return_when=asyncio.FIRST_COMPLETED)
        if not waiter.done():
            _, err = await proc.communicate() if exited.done() else (b"", b"(still running)")
            pytest.fail(f"nhsbot run never connected: {err.decode()[-2000:]}")
        await fake.wait_for(lambda r: r.method == "PUT" and "/commands" in r.path)
        token = await slash(fake, "ask", question=QUESTION)
        (reply,) = await answered(fake, token)
        assert "£330 million" in reply.message["embeds"][0]["description"]
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await fake.close()
    log = err.decode()
    assert proc.returncode == 0, log[-2000:]
    assert "stopping on signal" in log
    # The models were loaded and warmed before it logged in, so the first question waits for none.
    assert log.index("warmed up in") < log.index("logging in using static token")
    assert QUESTION not in log and "fake-token" not in log  # no raw question, no token at INFO
    assert fake.unknown == [] and fake.problems == []
