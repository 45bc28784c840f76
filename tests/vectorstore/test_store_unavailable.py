"""A Chroma server that is frozen (SIGSTOP), killed or never there: one clear error within the
deadline (StoreUnavailableError), and the same store object works again once it is back.
A real `chroma run` on 127.0.0.1 and real signals."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from chroma_server import ChromaServer, free_port

from vectorstore.records import ChunkRecord, DocRecord
from vectorstore.store import ChromaStore, StoreUnavailableError, server_client

DEADLINE_S = 2.0
SLACK_S = 3.0  # process scheduling on two busy cores


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-server")
    server.start()
    yield server
    server.kill()


def _store(port: int) -> ChromaStore:
    return ChromaStore(server_client("127.0.0.1", port, timeout_s=DEADLINE_S), "unavailable")


def _raised_within(limit: float, call: Callable[[], object]) -> BaseException:
    """What `call` raised, failing the test (not hanging it) if it is still waiting at `limit`."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(limit)
    assert outcome, f"still waiting after {limit:g} s"
    assert outcome[0] is not None, "the call succeeded"
    return outcome[0]


def _write_one(store: ChromaStore) -> None:
    vector = np.ones((1, 4), dtype=np.float32) / 2
    chunk = ChunkRecord("doc-abc-0", "doc", "A passage.", {"doc_id": "doc", "content_hash": "abc"})
    store.replace_document(DocRecord("doc", "abc", {"source": "a.md"}), [chunk], vector)


def test_a_frozen_server_gives_an_error_within_the_deadline_then_recovers(
    server: ChromaServer,
) -> None:
    store = _store(server.port)
    _write_one(store)
    server.freeze()
    try:
        for call in (store.count, lambda: store.query(np.ones(4, np.float32) / 2, 3)):
            error = _raised_within(DEADLINE_S + SLACK_S, call)
            assert isinstance(error, StoreUnavailableError), repr(error)
            message = str(error)
            assert f"127.0.0.1:{server.port}" in message and "did not answer within 2 s" in message
            assert "\n" not in message
    finally:
        server.thaw()
    assert store.count() == 1  # the same store object, once the server answers again


def test_opening_a_frozen_server_gives_an_error_within_the_deadline(server: ChromaServer) -> None:
    server.freeze()
    try:
        # the client's constructor already talks to the server
        error = _raised_within(DEADLINE_S + SLACK_S, lambda: _store(server.port))
        assert isinstance(error, StoreUnavailableError) and "did not answer" in str(error)
    finally:
        server.thaw()


def test_a_killed_server_gives_one_clear_error_and_recovers_when_restarted(
    server: ChromaServer,
) -> None:
    store = _store(server.port)
    _write_one(store)
    server.kill()
    with pytest.raises(StoreUnavailableError) as info:
        store.documents()
    message = str(info.value)
    assert message.startswith(f"The Chroma server at 127.0.0.1:{server.port} can't be reached")
    assert "chroma run" in message and "\n" not in message
    assert info.value.__cause__ is not None  # developers keep the cause
    with pytest.raises(StoreUnavailableError):
        list(store.all_chunks())  # generators are guarded too
    server.start()
    assert list(store.documents()) == ["doc"] and store.count() == 1


def test_no_server_at_all_is_a_clear_error() -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailableError, match="can't be reached"):
        _store(free_port())
    assert time.monotonic() - started < DEADLINE_S + SLACK_S
