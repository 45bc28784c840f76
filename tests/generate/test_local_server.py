"""The local model in its own process (SmolLM2, real llama.cpp): a crash of the model costs one
answer (the extractive one is shown) and never this process; the child is restarted, stopped
with its owner, and never outlives it."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from generate.samples import FDP, OPT_OUT, KillsMidAnswer, extractive_answer, smollm2_file

from bot.answering.generation.assemble import FALLBACK, generated_answer
from bot.answering.generation.backends import ChatGenerator, GenerationError, build_generator
from bot.answering.generation.verify import Verifier

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "What does the national data opt-out let patients do?"
HITS = [OPT_OUT, FDP]


def alive(pid: int) -> bool:
    """Whether `pid` is a running process (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not alive(pid)


def model_processes(marker: str) -> list[int]:
    """Running model processes whose command line holds `marker` (a unique model path)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        ours = "bot.answering.generation.model_process" in argv and marker in argv
        if ours and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


@pytest.fixture
def own_model(tmp_path: Path) -> Path:
    """SmolLM2 under a path of this test's own, so its processes can be told from others'."""
    path = tmp_path / "own-smollm2.gguf"
    os.symlink(smollm2_file(), path)
    return path


@pytest.fixture
def local() -> Iterator[ChatGenerator]:
    gen = build_generator("llamacpp", model=str(smollm2_file()), context=2048, max_tokens=64,
                          timeout_s=600)  # fmt: skip
    assert gen is not None and gen.server is not None
    gen.server.backoff_s = (0.2,)  # restart at once: the test waits for it
    yield gen
    gen.close()


def test_a_crash_mid_answer_costs_that_answer_only(
    local: ChatGenerator, verifier: Verifier, caplog: pytest.LogCaptureFixture
) -> None:
    local.warm()
    assert local.server is not None
    first_pid = local.server.pid
    extractive = extractive_answer(QUESTION, HITS)
    with caplog.at_level(logging.WARNING):
        crashed = generated_answer(QUESTION, HITS, extractive, KillsMidAnswer(local), verifier)
        assert crashed.generator == FALLBACK and "unavailable" in crashed.answer
        assert crashed.answer.startswith(extractive.answer)  # the quoted passages, one notice
        deadline = time.monotonic() + 120
        while local.server.restarts == 0:
            assert time.monotonic() < deadline, "the model process was not restarted"
            time.sleep(0.1)
    assert any("died" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert local.server.restarts == 1 and local.server.pid not in (None, first_pid)
    assert not alive(first_pid or 0)
    again = generated_answer(QUESTION, HITS, extractive, local, verifier)
    assert again.verified_sentences is not None  # the model wrote again, and was checked
    assert "unavailable" not in again.answer


def test_a_question_while_the_model_restarts_falls_back_at_once(
    local: ChatGenerator, verifier: Verifier
) -> None:
    local.warm()
    assert local.server is not None
    local.server.backoff_s = (30.0,)  # it stays down for the length of this test
    pid = local.server.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    assert gone_within(pid, 10)
    deadline = time.monotonic() + 10
    while local.server.ready and time.monotonic() < deadline:
        time.sleep(0.05)  # the watcher notices the death
    started = time.monotonic()
    answer = generated_answer(QUESTION, HITS, extractive_answer(QUESTION, HITS), local, verifier)
    assert time.monotonic() - started < 2  # no member waits for a restart
    assert answer.generator == FALLBACK and "unavailable" in answer.answer


def test_an_abandoned_question_frees_the_model_for_the_next(
    local: ChatGenerator, verifier: Verifier
) -> None:
    local.warm()
    local.timeout_s = 0.3  # the answer can't come in time: the question is given up on
    with pytest.raises(GenerationError, match="no answer within"):
        "".join(local.stream(QUESTION, HITS))
    assert local._run_lock is not None and local._run_lock.acquire(timeout=0.05)  # free at once
    local._run_lock.release()
    # Its worker closes the stream at its next token, and so stops the generation.
    deadline = time.monotonic() + 30
    while any(t.name == "generate-llamacpp" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the abandoned generation was never closed"
        time.sleep(0.1)


@pytest.mark.parametrize("content", [b"", b"GGUF" + os.urandom(4096)])
def test_a_missing_or_corrupt_model_file_is_named_and_answers_fall_back(
    tmp_path: Path, verifier: Verifier, content: bytes
) -> None:
    path = tmp_path / "broken-model.gguf"
    if content:
        path.write_bytes(content)  # a header, then garbage: llama.cpp refuses it
    gen = build_generator("llamacpp", model=str(path), timeout_s=60)
    assert gen is not None and gen.server is not None
    with pytest.raises(GenerationError, match="broken-model.gguf"):
        gen.warm()
    assert gen.server.pid is None  # nothing left running
    started = time.monotonic()
    answer = generated_answer(QUESTION, HITS, extractive_answer(QUESTION, HITS), gen, verifier)
    assert time.monotonic() - started < 2  # no new attempt per question
    assert answer.generator == FALLBACK and "unavailable" in answer.answer
    assert "broken-model" not in answer.answer  # the file is named to the operator, not users


def test_the_model_process_dies_with_its_owner_even_when_it_is_killed(own_model: Path) -> None:
    owner = (
        "import sys, time\n"
        "from bot.answering.generation.local_server import LocalModelServer\n"
        f"server = LocalModelServer({str(own_model)!r}, context=512)\n"
        "server.start()\n"
        "print(server.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", owner], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        child = int(proc.stdout.readline())
        assert alive(child) and model_processes(str(own_model)) == [child]
    finally:
        proc.kill()  # SIGKILL: no clean-up code of the owner runs
        proc.wait(10)
    assert gone_within(child, 15), "the model process outlived its owner"


@pytest.mark.parametrize("ending", ["quit", "SIGTERM", "SIGKILL"])
def test_the_terminal_chat_stops_its_model_process(
    own_model: Path, tmp_path: Path, fixture_corpus: Path, ending: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHSBOT_")}
    env |= {"NHSBOT_DATA_DIR": str(tmp_path / "data"), "NHSBOT_CORPUS_DIR": str(fixture_corpus),
            "NHSBOT_LLM": "llamacpp", "NHSBOT_LLM_MODEL": str(own_model)}  # fmt: skip
    chat = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "chat"], cwd=ROOT, env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert chat.stdout is not None and chat.stdin is not None
        assert "nhsbot" in chat.stdout.readline()  # the banner: the model was started before it
        (child,) = model_processes(str(own_model))
        if ending == "quit":
            chat.stdin.write("quit\n")
            chat.stdin.flush()
        else:
            chat.send_signal(getattr(signal, ending))
        chat.wait(60)
    finally:
        chat.kill()
    assert gone_within(child, 15), f"the model process outlived the chat ({ending})"
    assert model_processes(str(own_model)) == []


def test_the_build_leaves_out_the_amx_path() -> None:
    """llama.cpp is built for a portable baseline (Makefile): its AMX path crashes on some
    Sapphire Rapids hosts, so it must not be in the build CI makes."""
    info = subprocess.run(
        [sys.executable, "-c", "import llama_cpp; print(llama_cpp.llama_print_system_info())"],
        capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip
    assert "AVX2 = 1" in info and "AMX" not in info, info
