"""Fixtures for generation tests: the verifier, SmolLM2 via llama-cpp, and llama_cpp.server."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from generate.samples import free_port, smollm2_file

from bot.answering.generation.backends import ChatGenerator, build_generator
from bot.answering.generation.verify import Verifier
from vectorstore.embeddings import SentenceTransformerEmbedder


@pytest.fixture(scope="session")
def verifier(embedder: SentenceTransformerEmbedder) -> Verifier:
    return Verifier(embedder.embed)


@pytest.fixture(scope="session")
def smollm2() -> Iterator[ChatGenerator]:
    """The llamacpp backend with the real SmolLM2 in its own process (started on first use,
    once per session, stopped at the end).

    The deadline is generous: these tests need the model to finish even on a loaded machine
    (the deadline itself is tested with its own short timeouts)."""
    gen = build_generator(
        "llamacpp", model=str(smollm2_file()), context=2048, max_tokens=48, timeout_s=600
    )
    assert gen is not None
    yield gen
    gen.close()


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m llama_cpp.server` with SmolLM2 on 127.0.0.1; yields its /v1 base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_file())]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--model_alias", "smollm2"]
    cmd += ["--n_ctx", "2048", "--n_threads", "2", "--n_batch", "512", "--verbose", "False"]
    log_file = tmp_path_factory.mktemp("llama-server") / "server.log"
    with log_file.open("wb") as log:  # a file, not a pipe: an unread pipe fills and blocks it
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while not _answers(f"{base}/models"):
            assert proc.poll() is None, log_file.read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, log_file.read_text(errors="replace")[-2000:]
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False
