"""`nhsbot doctor` as a subprocess on real parts (a real Chroma server started, killed and
frozen; a store locked by another process; a sources.toml with refused addresses; a missing
model file), and how findings are shown. Discord: tests/discord/test_discord_doctor.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from chroma_server import ChromaServer
from support import FIXTURES, ROOT, make_settings

from bot.app import open_app
from bot.doctor import Check, render_text, to_json
from bot.doctor.results import scrub
from vectorstore.lock import StoreLock


def env_for(tmp_path: Path, **settings: str) -> dict[str, str]:
    """A set-up in tmp_path (no Discord token: the terminal chat), plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHSBOT_")}
    env.pop("DISCORD_TOKEN", None)
    env.update({
        "PYTHONPATH": os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]),
        "HF_HUB_OFFLINE": "1",
        "NHSBOT_DATA_DIR": str(tmp_path / "data"),
        "NHSBOT_CORPUS_DIR": str(FIXTURES / "corpus"),
        **settings,
    })  # fmt: skip
    return env


def doctor(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "doctor", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def line(out: str, status: str, name: str) -> str:
    """The one output line of check `name` with `status` (`ok`, `warn`, `FAIL`)."""
    (found,) = [x for x in out.splitlines() if x.split()[:1] == [status] and f" {name} " in x]
    return found


# --- how findings are shown ------------------------------------------------------------------
CHECKS = [
    Check("settings", "ok", "read from the environment"),
    Check("discord", "warn", "no token", "set DISCORD_TOKEN"),
    Check("answer model", "fail", "model file not found: x.gguf", "set NHSBOT_LLM_MODEL"),
]


def test_text_is_one_line_a_check_with_the_fix_under_it() -> None:
    assert render_text(CHECKS).splitlines() == [
        "ok    settings      read from the environment",
        "warn  discord       no token",
        "                    fix: set DISCORD_TOKEN",
        "FAIL  answer model  model file not found: x.gguf",
        "                    fix: set NHSBOT_LLM_MODEL",
        "",
        "1 problem to fix before `nhsbot run`.",
    ]
    assert render_text(CHECKS[:2]).endswith("Ready for `nhsbot run` (1 warning above).")
    assert render_text(CHECKS[:1]).endswith("Ready for `nhsbot run`.")


def test_json_shape_is_stable() -> None:
    report = to_json(CHECKS)
    assert report["ok"] is False and list(report) == ["ok", "checks"]
    assert [list(c) for c in report["checks"]] == [["name", "status", "found", "fix"]] * 3
    assert to_json(CHECKS[:2])["ok"] is True  # a warning is not a failure


def test_secrets_are_scrubbed_wherever_they_got_in() -> None:
    leaky = [Check("x", "fail", "token s3cr3t-token in http://me:pw@host/", "key sk-abc123")]
    (clean,) = scrub(leaky, ["s3cr3t-token", "sk-abc123", ""])
    assert clean.found == "token *** in http://***@host/" and clean.fix == "key ***"


# --- the real command ------------------------------------------------------------------------
def test_settings_that_dont_parse_are_reported_and_nothing_else(tmp_path: Path) -> None:
    env = env_for(tmp_path, NHSBOT_LLM="gpt-4", NHSBOT_TOP_K="five", DISCORD_TOKEN="tok-Qx71")
    done = doctor(env, tmp_path, "--json")
    assert done.returncode == 2, done.stderr
    (check,) = json.loads(done.stdout)["checks"]
    assert check["name"] == "settings" and check["status"] == "fail"
    assert "NHSBOT_LLM: Input should be 'extractive', 'llamacpp' or 'openai'" in check["found"]
    assert "NHSBOT_TOP_K:" in check["found"] and "five" not in check["found"]
    assert check["fix"].startswith("correct it in the environment or .env")


def test_a_chroma_server_up_down_and_frozen(tmp_path: Path) -> None:
    server = ChromaServer(tmp_path / "chroma-server")
    server.start()
    env = env_for(tmp_path, NHSBOT_CHROMA_HOST="127.0.0.1", NHSBOT_CHROMA_PORT=str(server.port))
    where = f"127.0.0.1:{server.port}"
    try:
        up = doctor(env, tmp_path)
        assert up.returncode == 0, up.stdout + up.stderr
        assert f"Chroma server at {where}: empty; `nhsbot run` ingests" in line(
            up.stdout, "ok", "store"
        )
        server.freeze()
        started = time.monotonic()
        frozen = doctor(env, tmp_path)
        took = time.monotonic() - started
        assert frozen.returncode == 1
        found = line(frozen.stdout, "FAIL", "store")
        assert f"The Chroma server at {where} did not answer within 5 s" in found
        assert "fix: check that it is running and not frozen or overloaded" in frozen.stdout
        assert took < 90  # 5 s for the store; the model load is most of the rest
        server.kill()
        down = doctor(env, tmp_path)
    finally:
        server.kill()
    assert down.returncode == 1
    assert f"The Chroma server at {where} can't be reached" in line(down.stdout, "FAIL", "store")
    assert (
        f"fix: start it (chroma run --path DIR --host 127.0.0.1 --port {server.port})"
        in down.stdout
    )
    assert down.stdout.rstrip().endswith("1 problem to fix before `nhsbot run`.")
    assert "Traceback" not in down.stderr + frozen.stderr


def test_a_store_held_by_a_running_bot_is_a_warning(tmp_path: Path, embedder: Any) -> None:
    """Another process (here: this one) holds the embedded store. That process opened it, so
    it works; doctor says who holds it and doesn't touch it."""
    with open_app(make_settings(tmp_path / "data"), embedder):
        pass  # creates the store
    with StoreLock(tmp_path / "data"):
        done = doctor(env_for(tmp_path), tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    found = line(done.stdout, "warn", "store")
    assert f"in use by another nhsbot process (pid {os.getpid()})" in found
    assert "fix: nothing to do while that bot runs; stop it before starting another" in done.stdout


def test_a_sources_url_to_a_private_address_fails(tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text(
        'feeds = ["https://www.digitalhealth.net/feed/", "http://127.0.0.1:8080/feed"]\n'
        '[[urls]]\nurl = "http://169.254.169.254/latest/meta-data/"\n'
    )
    done = doctor(env_for(tmp_path), tmp_path)
    assert done.returncode == 1
    found = line(done.stdout, "FAIL", "sources")
    assert "2 of 3 URLs refused by the safe-fetch checks" in found
    assert "http://127.0.0.1:8080/feed (127.0.0.1 is a loopback address)" in found
    assert "(169.254.169.254 is the cloud metadata address)" in found
    assert "fix: remove them or use a public address" in done.stdout


def test_a_missing_local_model_file_fails(tmp_path: Path) -> None:
    missing = tmp_path / "models" / "qwen.gguf"
    env = env_for(tmp_path, NHSBOT_LLM="llamacpp", NHSBOT_LLM_MODEL=str(missing))
    done = doctor(env, tmp_path)
    assert done.returncode == 1
    assert f"model file not found: {missing}" in line(done.stdout, "FAIL", "answer model")
    assert "fix: set NHSBOT_LLM_MODEL to an existing .gguf file, or NHSBOT_LLM=extractive" in (
        done.stdout
    )


def test_keys_and_passwords_are_never_printed(tmp_path: Path) -> None:
    """An unreachable OpenAI-compatible endpoint with a key and a password in its URL, and
    an unreachable Discord with a token: the failures are shown, the secrets never."""
    secrets = ("sk-live-Key-4471", "hunter2pw", "tok-Discord-9931")
    env = env_for(
        tmp_path, NHSBOT_LLM="openai", NHSBOT_LLM_API_KEY=secrets[0],
        NHSBOT_LLM_BASE_URL=f"http://admin:{secrets[1]}@127.0.0.1:9/v1", DISCORD_TOKEN=secrets[2],
        NHSBOT_DISCORD_API_BASE="http://127.0.0.1:9/api/v10",
    )  # fmt: skip
    text, js = doctor(env, tmp_path), doctor(env, tmp_path, "--json")
    assert text.returncode == js.returncode == 1
    assert "the endpoint http://***@127.0.0.1:9/v1 can't be reached" in text.stdout
    assert "Discord can't be reached" in line(text.stdout, "FAIL", "discord")
    for output in (text.stdout, text.stderr, js.stdout, js.stderr):
        assert not any(secret in output for secret in secrets)
