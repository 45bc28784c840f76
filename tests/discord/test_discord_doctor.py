"""`nhsbot doctor` against the fake Discord on loopback: the real CLI as a subprocess for a
healthy set-up, no token, a rejected token and a missing permission; the Discord check
in-process for the other ways a server can be set up wrong. Doctor never opens the gateway."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import fake_payloads as p
import pytest
from fake_discord import FakeDiscord
from generate.samples import smollm2_file
from support import ROOT, make_settings

from bot.app import open_app
from bot.doctor.remote import check_discord

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).parents[1] / "fixtures" / "corpus"
TOKEN = "fake-bot-token-Zq81"


@pytest.fixture
async def fake() -> Any:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.close()


def doctor_env(tmp_path: Path, fake: FakeDiscord, **settings: str) -> dict[str, str]:
    """A set-up in tmp_path: a one-document corpus, the fake Discord, our guild."""
    corpus = tmp_path / "corpus"
    if not corpus.exists():
        corpus.mkdir()
        shutil.copy(FIXTURES / "fdp-contract.md", corpus)
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHSBOT_")}
    env.pop("DISCORD_TOKEN", None)
    env.update({
        "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
        "HF_HUB_OFFLINE": "1",
        "NHSBOT_DATA_DIR": str(tmp_path / "data"),
        "NHSBOT_CORPUS_DIR": str(corpus),
        "NHSBOT_DISCORD_API_BASE": fake.api_base,
        "NHSBOT_GUILD_IDS": fake.guild_id,
        "DISCORD_TOKEN": TOKEN,
        **settings,
    })  # fmt: skip
    return env


async def doctor(env: dict[str, str], cwd: Path, *args: str) -> tuple[int, str, str]:
    """`python -m bot.cli doctor` in `cwd`, awaited so the fake keeps answering meanwhile."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "doctor", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 300)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def lines(out: str, status: str, name: str) -> list[str]:
    """The output lines of one check with one status (`ok`, `warn`, `FAIL`)."""
    return [x for x in out.splitlines() if x.split()[:1] == [status] and f" {name} " in x]


async def test_healthy_setup_is_ready(tmp_path: Path, fake: FakeDiscord, embedder: Any) -> None:
    """A stored corpus, SmolLM2 loading in its own process, an accepted token with every
    permission, a sources.toml of public addresses: every check ok, exit 0."""
    env = doctor_env(tmp_path, fake, NHSBOT_LLM="llamacpp", NHSBOT_LLM_MODEL=str(smollm2_file()),
                     NHSBOT_LLM_CONTEXT="1024")  # fmt: skip
    with open_app(make_settings(tmp_path / "data"), embedder) as app:
        assert not app.library.ingest([tmp_path / "corpus"]).failed
    (tmp_path / "sources.toml").write_text(
        'feeds = ["https://www.digitalhealth.net/feed/"]\n'
        '[[urls]]\nurl = "https://www.england.nhs.uk/digitaltechnology/"\n'
        '[[folders]]\npath = "corpus"\n'
    )
    code, out, err = await doctor(env, tmp_path)
    assert code == 0, out + err
    statuses = [
        x.split()[0] for x in out.splitlines() if x.split()[:1] in (["ok"], ["warn"], ["FAIL"])
    ]
    assert statuses == ["ok"] * 7
    assert lines(out, "ok", "store") and ": 1 document, " in out
    assert lines(out, "ok", "answer model") and "loads" in out
    assert f"token accepted: nhsbot (id {fake.app_id}); Message Content intent on" in out
    assert "'Test server' (" + fake.guild_id + "): the bot has the 6 permissions" in out
    assert "1 feed, 1 page, 1 folder; every URL passes the safe-fetch checks" in out
    assert out.rstrip().endswith("Ready for `nhsbot run`.")
    assert fake.identifies == 0 and fake.unknown == []  # REST only: no gateway session
    assert TOKEN not in out + err


async def test_no_token_is_a_warning_the_chat_runs(tmp_path: Path, fake: FakeDiscord) -> None:
    env = doctor_env(tmp_path, fake)
    del env["DISCORD_TOKEN"]
    code, out, err = await doctor(env, tmp_path)
    assert code == 0, out + err
    (line,) = lines(out, "warn", "discord")
    assert "no token (DISCORD_TOKEN): `nhsbot run` will start the terminal chat" in line
    assert "fix: to run the bot, set DISCORD_TOKEN" in out
    assert fake.requests == []
    assert not (tmp_path / "data").exists()  # doctor writes nothing, not even the data folder


async def test_a_rejected_token_fails_and_is_never_shown(tmp_path: Path, fake: FakeDiscord) -> None:
    fake.token = "the-right-token-Yw22"
    env = doctor_env(tmp_path, fake)
    code, out, err = await doctor(env, tmp_path)
    assert code == 1, out + err
    (line,) = lines(out, "FAIL", "discord")
    assert "Discord rejected DISCORD_TOKEN (401)" in line
    assert "fix: reset the token on the Bot page of the Discord Developer Portal" in out
    code, js, err2 = await doctor(env, tmp_path, "--json")
    report = json.loads(js)
    assert code == 1 and report["ok"] is False
    assert {"name": "discord", "status": "fail"}.items() <= report["checks"][-2].items()
    for text in (out, err, js, err2):
        assert TOKEN not in text and "the-right-token" not in text


async def test_a_missing_permission_fails_with_the_role_to_fix(
    tmp_path: Path, fake: FakeDiscord
) -> None:
    """The bot's role lacks Embed Links, and so does @everyone (as on many servers)."""
    fake.bot_role["permissions"] = str(p.BOT_PERMISSIONS & ~p.EMBED_LINKS)
    fake.everyone_role["permissions"] = str(p.MEMBER_PERMISSIONS & ~p.EMBED_LINKS)
    code, out, err = await doctor(doctor_env(tmp_path, fake), tmp_path)
    assert code == 1, out + err
    (line,) = lines(out, "FAIL", "discord server")
    assert line.endswith(f"'Test server' ({fake.guild_id}): the bot lacks Embed Links")
    assert "fix: Server Settings → Roles → nhsbot: turn on Embed Links; or re-invite it: " in out
    assert (
        f"client_id={fake.app_id}&scope=bot+applications.commands&permissions=309237730304" in out
    )
    assert out.rstrip().endswith("1 problem to fix before `nhsbot run`.")
    assert fake.identifies == 0 and fake.unknown == []


# --- the Discord check in-process: the other ways a server can be wrong ---------------------
async def discord_findings(fake: FakeDiscord, guild_ids: list[int] | None = None) -> list:
    settings = make_settings(
        Path("unused"), discord_token=TOKEN, discord_api_base=fake.api_base,
        guild_ids=[int(fake.guild_id)] if guild_ids is None else guild_ids,
    )  # fmt: skip
    return await asyncio.to_thread(check_discord, settings)  # it runs its own event loop


async def test_message_content_intent_off_fails(fake: FakeDiscord) -> None:
    fake.app_flags = 0
    login = (await discord_findings(fake))[0]
    assert login.status == "fail" and "Message Content intent is off" in login.found
    assert "Privileged Gateway Intents: turn on Message Content Intent" in login.fix


async def test_a_server_the_bot_is_not_in_fails_with_the_invite(fake: FakeDiscord) -> None:
    _, ours, other = await discord_findings(fake, [int(fake.guild_id), 4242])
    assert ours.status == "ok"
    assert other.status == "fail" and "4242: can't read it (403 Missing Access)" in other.found
    assert other.fix.startswith(
        f"invite it: https://discord.com/oauth2/authorize?client_id={fake.app_id}"
    )


async def test_channel_overwrites_and_members_commands_are_warnings(fake: FakeDiscord) -> None:
    deny = {"id": fake.bot_role["id"], "type": 0, "allow": "0", "deny": str(p.EMBED_LINKS)}
    fake.channels[fake.channel_id]["permission_overwrites"] = [deny]
    fake.everyone_role["permissions"] = str(p.MEMBER_PERMISSIONS & ~(1 << 31))
    _, server, channel, commands = await discord_findings(fake)
    assert server.status == "ok"
    assert channel.status == "warn" and channel.found.endswith("#general: Embed Links")
    assert commands.status == "warn" and "Use Application Commands" in commands.found


async def test_administrator_is_enough_and_no_guild_ids_is_a_warning(fake: FakeDiscord) -> None:
    fake.bot_role["permissions"] = str(1 << 3)
    login, server = await discord_findings(fake)
    assert login.status == server.status == "ok"
    login, unchecked = await discord_findings(fake, [])
    assert unchecked.status == "warn" and "NHSBOT_GUILD_IDS is empty" in unchecked.found
