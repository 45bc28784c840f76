"""The `nhsbot` command against bad input and a failing store: an error line or message for the
bad item, everything else answered or stored, the documented exit code, no traceback."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from chroma_server import ChromaServer

ROOT = Path(__file__).resolve().parents[2]


def run(
    args: list[str], env: dict[str, str], stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin, capture_output=True, env=env, cwd=ROOT, timeout=300,
    )  # fmt: skip


def base_env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHSBOT_")}
    return env | {"NHSBOT_DATA_DIR": str(data)}


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory, fixture_corpus: Path) -> dict[str, str]:
    env = base_env(tmp_path_factory.mktemp("hostile-cli"))
    assert run(["ingest", str(fixture_corpus)], env).returncode == 0
    return env


def test_bad_lines_in_a_question_stream_get_an_error_line_each(stored: dict[str, str]) -> None:
    lines = [b"who got the FDP contract?", b"caf\xe9 \xff\xfe opt-out?", b"", b"   ",
             b"how do I set the opt-out for my child?"]  # fmt: skip
    done = run(["ask", "--json", "-"], stored, stdin=b"\n".join(lines) + b"\n")
    assert done.returncode == 2, done.stderr
    assert b"Traceback" not in done.stderr
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(out) == len(lines)  # one output line for each input line, in order
    assert "Palantir" in out[0]["answer"] and "answer" in out[4]
    assert "not valid text" in out[1]["error"]
    assert all("type a question" in o["error"] for o in out[2:4])


def test_a_question_argument_that_is_not_utf8_is_refused(stored: dict[str, str]) -> None:
    done = run(["ask", "--json", os.fsdecode(b"opt-out \xff\xfe?")], stored)
    assert done.returncode == 2 and b"not valid text" in done.stderr
    assert b"Traceback" not in done.stderr


def test_output_closed_early_stops_quietly(stored: dict[str, str]) -> None:
    questions = b"\n".join([b"who got the FDP contract?"] * 40) + b"\n"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "ask", "-"], env=stored, cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    proc.stdin.write(questions)
    proc.stdin.close()
    proc.stdout.read(10)  # like `| head -c 10`
    proc.stdout.close()
    assert proc.wait(120) == 141
    assert b"Traceback" not in proc.stderr.read()


def test_ingest_exit_codes_say_all_some_or_none_stored(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    (good / "brief.md").write_text("---\ntitle: A brief\n---\nThe opt-out began in 2018.\n")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_text("")
    env = base_env(tmp_path / "data")
    assert run(["ingest", str(good)], env).returncode == 0
    some = run(["ingest", str(good), str(bad)], env | {"NHSBOT_DATA_DIR": str(tmp_path / "d2")})
    assert some.returncode == 3 and b"empty.txt" in some.stderr
    none = run(["ingest", str(bad)], env | {"NHSBOT_DATA_DIR": str(tmp_path / "d3")})
    assert none.returncode == 1 and b"empty.txt" in none.stderr


@pytest.fixture
def server(tmp_path: Path) -> ChromaServer:
    chroma = ChromaServer(tmp_path / "chroma-server")
    chroma.start()
    yield chroma  # type: ignore[misc]
    chroma.kill()


def test_a_store_server_that_dies_during_the_chat_costs_one_line_and_comes_back(
    server: ChromaServer, tmp_path: Path, fixture_corpus: Path
) -> None:
    env = base_env(tmp_path / "data") | {
        "NHSBOT_CHROMA_HOST": "127.0.0.1", "NHSBOT_CHROMA_PORT": str(server.port),
        "NHSBOT_CORPUS_DIR": str(fixture_corpus),
    }  # fmt: skip
    chat = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "chat"], env=env, cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert chat.stdin is not None and chat.stdout is not None

    def until_prompt() -> str:
        """What the chat writes up to its next "> " prompt."""
        assert chat.stdout is not None
        out = b""
        deadline = time.monotonic() + 120
        while not out.endswith(b"\n> "):
            assert time.monotonic() < deadline and chat.poll() is None, out
            if select.select([chat.stdout], [], [], 1.0)[0]:
                out += os.read(chat.stdout.fileno(), 65536)
        return out.decode()

    def ask(question: str) -> str:
        assert chat.stdin is not None
        chat.stdin.write(question.encode() + b"\n")
        chat.stdin.flush()
        return until_prompt()

    try:
        assert "passages)" in until_prompt()  # the banner
        assert "Palantir" in ask("who got the FDP contract?")
        server.kill()
        away = ask("who got the FDP contract?")
        assert "127.0.0.1" in away and "Traceback" not in away
        server.start()
        deadline = time.monotonic() + 60
        while "Palantir" not in (back := ask("who got the FDP contract?")):
            assert time.monotonic() < deadline, back
    finally:
        chat.kill()
        _, err = chat.communicate(timeout=30)
    err = err.decode()
    assert "Traceback" not in err


def test_no_store_server_is_one_clear_line(tmp_path: Path, fixture_corpus: Path) -> None:
    from chroma_server import free_port

    env = base_env(tmp_path / "data") | {
        "NHSBOT_CHROMA_HOST": "127.0.0.1", "NHSBOT_CHROMA_PORT": str(free_port()),
    }  # fmt: skip
    done = run(["ask", "who got the FDP contract?"], env)
    assert done.returncode == 1
    assert done.stderr.decode().strip().count("\n") == 0 and b"error:" in done.stderr
