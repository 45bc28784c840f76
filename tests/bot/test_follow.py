"""Several processes, one store: with a Chroma server, what one process writes is answered from
in another within NHSBOT_SYNC_SECONDS, without a restart. A real `chroma run` on 127.0.0.1."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from chroma_server import ChromaServer
from support import make_settings

from bot.app import open_app
from bot.follow import StoreFollower, follow_seconds

BRISTOL = (
    '---\ntitle: "Test brief: the Bristol kidney data trial"\npublisher: nhsbot tests\n'
    "published: 2026-02-02\nurl: https://example.org/bristol\n---\n"
    "The Bristol kidney data trial shares dialysis records with the University of Bristol "
    "until June 2027. Patients can leave the trial by writing to the renal unit.\n"
)
QUESTION = "until when does the bristol kidney trial share dialysis records?"


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path_factory.mktemp("shared-chroma"))
    server.start()
    yield server
    server.kill()


def server_settings(data_dir: Path, chroma: ChromaServer, collection: str, **more: Any) -> Any:
    return make_settings(
        data_dir, chroma_host="127.0.0.1", chroma_port=chroma.port, collection=collection, **more
    )


def process_env(data_dir: Path, chroma: ChromaServer, collection: str, **more: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHSBOT_")}
    env.pop("DISCORD_TOKEN", None)
    env.update({
        "NHSBOT_DATA_DIR": str(data_dir), "NHSBOT_CHROMA_HOST": "127.0.0.1",
        "NHSBOT_CHROMA_PORT": str(chroma.port), "NHSBOT_COLLECTION": collection,
        "HF_HUB_OFFLINE": "1", **more,
    })  # fmt: skip
    return env


class Recorder:
    """A library stand-in that records each catch-up."""

    def __init__(self) -> None:
        self.catch_ups = 0

    def catch_up(self) -> bool:
        self.catch_ups += 1
        return False


def test_the_follower_looks_only_once_its_interval_has_passed() -> None:
    now = [100.0]
    library = Recorder()
    follower = StoreFollower(library, 60, clock=lambda: now[0])  # type: ignore[arg-type]
    assert not follower.check_if_due() and library.catch_ups == 0  # built just now
    now[0] += 59.9
    follower.check_if_due()
    assert library.catch_ups == 0  # not before the interval: no read per question
    now[0] += 0.2
    follower.check_if_due()
    follower.check_if_due()
    assert library.catch_ups == 1  # once, then the interval starts again
    off = StoreFollower(library, 0)  # type: ignore[arg-type]
    assert not off.enabled and not off.check_if_due() and library.catch_ups == 1


def test_follow_seconds_apply_to_a_server_store_only(tmp_path: Path) -> None:
    assert follow_seconds(make_settings(tmp_path)) == 0  # embedded: one process owns it
    assert follow_seconds(make_settings(tmp_path, chroma_host="127.0.0.1")) == 60
    assert follow_seconds(make_settings(tmp_path, chroma_host="h", sync_seconds=5)) == 5


def test_a_library_catches_up_with_another_librarys_writes(
    chroma: ChromaServer, tmp_path: Path, fixture_corpus: Path, embedder: Any
) -> None:
    settings = server_settings(tmp_path / "data", chroma, "catch-up")
    with open_app(settings, embedder) as reader, open_app(settings, embedder) as writer:
        assert not writer.library.ingest([fixture_corpus]).failed
        assert reader.library.stats().chunks == 0  # its index is from before the write
        assert reader.library.catch_up() and not reader.library.catch_up()  # once per change
        assert reader.library.stats().chunks == writer.library.stats().chunks > 0
        brief = tmp_path / "bristol.md"
        brief.write_text(BRISTOL)
        writer.library.ingest([brief])
        assert "June 2027" not in reader.answerer.ask(QUESTION).answer
        assert reader.library.catch_up()
        assert "June 2027" in reader.answerer.ask(QUESTION).answer
        writer.library.ingest([brief / ".." / "nothing-here"])  # a failed run writes nothing
        assert not reader.library.catch_up()


class Chat:
    """`nhsbot chat` in its own process: ask a question, read the answer up to the next prompt."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "chat"], env=env, cwd=cwd, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._out: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.banner = self._until_prompt(300)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        while char := self.proc.stdout.read(1):
            self._out.put(char)

    def _until_prompt(self, timeout: float) -> str:
        text, deadline = "", time.monotonic() + timeout
        while not text.endswith("\n> "):
            text += self._out.get(timeout=max(deadline - time.monotonic(), 0.01))
        return text[: -len("\n> ")]

    def ask(self, question: str, timeout: float = 60) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(question + "\n")
        self.proc.stdin.flush()
        return self._until_prompt(timeout)

    def close(self) -> None:
        try:
            self.proc.communicate("quit\n", timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def test_a_chat_answers_from_what_an_ingest_process_wrote_within_the_interval(
    chroma: ChromaServer, tmp_path: Path, fixture_corpus: Path, embedder: Any
) -> None:
    sync_s = 2.0
    with open_app(server_settings(tmp_path / "data", chroma, "two-processes"), embedder) as seed:
        assert not seed.library.ingest([fixture_corpus]).failed
    new = tmp_path / "new"
    new.mkdir()
    (new / "bristol.md").write_text(BRISTOL)
    env = process_env(tmp_path / "data", chroma, "two-processes")
    chat = Chat({**env, "NHSBOT_SYNC_SECONDS": str(sync_s)}, tmp_path)  # process A
    try:
        assert "5 documents" in chat.banner
        assert "June 2027" not in chat.ask(QUESTION)
        written = subprocess.run(  # process B, while A runs: a server has no folder lock
            [sys.executable, "-m", "bot.cli", "ingest", str(new)],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert written.returncode == 0, written.stderr
        assert written.stdout.startswith("1 added")
        at = time.monotonic()
        answer = chat.ask(QUESTION)
        while "June 2027" not in answer and time.monotonic() - at < sync_s + 10:
            time.sleep(0.2)
            answer = chat.ask(QUESTION)
        assert "June 2027" in answer, answer
        assert time.monotonic() - at < sync_s + 10  # within the interval (and a margin)
    finally:
        chat.close()
    assert chat.proc.returncode == 0
