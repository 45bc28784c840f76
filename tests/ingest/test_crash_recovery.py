"""Crash safety: an ingest killed with SIGKILL mid-run leaves a store that opens and answers,
and running the ingest again ends exactly where an uninterrupted run does."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from bot.answering.answer import Answer
from bot.app import open_app
from bot.settings import Settings
from vectorstore.store import ChromaStore, embedded_client

ROOT = Path(__file__).resolve().parents[2]
DOCS = 8  # the first briefs of corpus/ by name: enough for a run of several seconds
QUESTION = "How many Caldicott Guardians were there after the December 2020 consultation?"


def cli_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHSBOT_")}
    env.update({"NHSBOT_DATA_DIR": str(data_dir), "NHSBOT_LOG_LEVEL": "INFO",
                "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)})  # fmt: skip
    return env


def start(args: list[str], data_dir: Path, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=cli_env(data_dir),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(proc: subprocess.Popen[str], timeout: float = 240) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-3000:]
    return out


def kill_after_stored(proc: subprocess.Popen[str], count: int) -> list[str]:
    """SIGKILL the process as soon as its log says it stored `count` documents."""
    assert proc.stderr is not None
    lines: list[str] = []
    stored = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if sum(" stored " in x for x in lines) >= count:
                stored.set()
        stored.set()  # the process ended (the assertion below says how)

    threading.Thread(target=read, daemon=True).start()
    assert stored.wait(180), "no documents stored"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    return lines


def manifest(data_dir: Path) -> tuple[dict[str, str], int]:
    """{doc id: content hash} and the chunk count of a store (opened once, after the runs)."""
    store = ChromaStore(embedded_client(data_dir / "chroma"))
    docs = {doc_id: rec.content_hash for doc_id, rec in store.documents().items()}
    return docs, store.count()


def ask_copy(data_dir: Path, copy: Path, embedder: Any) -> Answer:
    """Ask on a copy of a store, in this process (the original is left to a subprocess)."""
    shutil.copytree(data_dir, copy)
    (copy / ".nhsbot.lock").unlink(missing_ok=True)
    settings = Settings(_env_file=None, data_dir=copy)  # type: ignore[call-arg]
    with open_app(settings, embedder) as app:
        return app.answerer.ask(QUESTION)


def test_killed_ingest_is_completed_by_running_it_again(tmp_path: Path, embedder: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for path in sorted((ROOT / "corpus").glob("*.md"))[:DOCS]:
        shutil.copy(path, docs / path.name)
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    reference = start(["ingest", "docs"], whole, tmp_path)  # uninterrupted, alongside
    log = kill_after_stored(start(["ingest", "docs"], killed, tmp_path), count=2)
    assert not any("Traceback" in line for line in log), "".join(log)

    rerun = start(["ingest", "--json", "docs"], killed, tmp_path)
    partial = ask_copy(killed, tmp_path / "copy", embedder)  # while the re-run goes on
    assert "18,000" in partial.answer and partial.citations  # the killed store opens, answers
    again = json.loads(finish(rerun))
    assert again["failed"] == [] and len(again["skipped"]) >= 2
    assert len(again["added"]) + len(again["skipped"]) + len(again["changed"]) == DOCS
    finish(reference)

    final = json.loads(finish(start(["ask", "--json", QUESTION], killed, tmp_path)))
    assert not final["refused"] and "18,000" in final["answer"]
    recovered, chunks = manifest(killed)
    expected, expected_chunks = manifest(whole)
    assert len(recovered) == len(expected) == DOCS
    assert recovered == expected  # same documents, same versions
    assert chunks == expected_chunks  # and no half-written or orphaned chunks left over
