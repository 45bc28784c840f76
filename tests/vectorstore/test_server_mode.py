"""The store in server mode: a real `chroma run` on 127.0.0.1, shared by two processes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support import make_settings

from bot.app import open_app
from vectorstore.embeddings import SentenceTransformerEmbedder
from vectorstore.store import SERVER_ORPHAN_AGE_S as ORPHAN_AGE


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma CLI ships with the chromadb wheel"
    port = _free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma server did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_ingest_and_ask_through_the_server(
    chroma_server: int, tmp_path: Path, fixture_corpus: Path, embedder: SentenceTransformerEmbedder
) -> None:
    settings = make_settings(
        tmp_path / "data",
        chroma_host="127.0.0.1",
        chroma_port=chroma_server,
        collection="server-test",
    )
    with open_app(settings, embedder) as app:
        report = app.library.ingest([fixture_corpus])
        assert len(report.added) == 5
        answer = app.answerer.ask("how much is the fdp contract worth")
        assert "£330 million" in answer.answer
        assert app.library.passage(answer.citations[0].chunk_id) is not None
    assert not (tmp_path / "data" / "chroma").exists()  # nothing embedded was created

    # A second process reads the same store while this one still has it open: no lock error.
    with open_app(settings, embedder) as still_open:
        env = {k: v for k, v in os.environ.items() if not k.startswith("NHSBOT_")}
        env.update(
            NHSBOT_DATA_DIR=str(tmp_path / "data"),
            NHSBOT_CHROMA_HOST="127.0.0.1",
            NHSBOT_CHROMA_PORT=str(chroma_server),
            NHSBOT_COLLECTION="server-test",
        )
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "ask", "--json", "who got the FDP contract?"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        assert "Palantir" in json.loads(done.stdout)["answer"]
        assert still_open.library.stats().documents == 5


def test_sweeping_a_server_store_spares_another_processs_write_in_progress(
    chroma_server: int, tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    """Chunks stored before their manifest switches look like orphans; on a server another
    process may be writing them, so only old orphans are swept (a crash's, not a write's)."""
    settings = make_settings(
        tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server, collection="sweep"
    )
    now = int(time.time())
    with open_app(settings, embedder) as app:
        for chunk_id, written_at in (("mid-write", now), ("crashed", now - 2 * ORPHAN_AGE)):
            app.store._chunks.upsert(
                ids=[chunk_id],
                embeddings=embedder.embed(["text"]),
                documents=["text"],
                metadatas=[{"doc_id": "d", "content_hash": chunk_id, "written_at": written_at}],
            )
        assert app.store.sweep_orphans() == 1
        assert [h.chunk_id for h in app.store.get(["mid-write", "crashed"])] == ["mid-write"]
