"""A Chroma server as the store: a client whose every request has a deadline, and the one
error front ends need when the server is down or frozen (StoreUnavailableError)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

# A Chroma server answers a query in milliseconds and writes one batch of 2,000 passages in a
# few seconds, even on two busy cores; 30 s without a byte means it is frozen or overloaded.
STORE_TIMEOUT_S = 30.0
# A server on the same network accepts a connection in milliseconds; one that is down refuses
# at once. 5 s covers a slow network without keeping a question waiting long.
CONNECT_TIMEOUT_S = 5.0


class StoreUnavailableError(RuntimeError):
    """The Chroma server could not be reached or did not answer in time. `str(err)` is one line
    for the user (which server, what to do); the cause is chained for developers. Nothing is
    broken for good: the next call works as soon as the server answers again."""


def chroma_settings() -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


def server_client(host: str, port: int, *, timeout_s: float = STORE_TIMEOUT_S) -> Any:
    """A client for a Chroma server (`chroma run`), the single writer shared by many processes.

    Every request has a deadline: `timeout_s` for each read or write, `CONNECT_TIMEOUT_S` to
    connect. chromadb 1.5.9's `HttpClient` takes no timeout: its API object keeps an
    `httpx.Client(timeout=None)` in `_server._session`, and the client's constructor already
    sends requests (identity, tenant, database). So the session's timeout is set before the
    first of them. Raises StoreUnavailableError if the server does not answer.
    """
    import httpx
    from chromadb.api.client import Client

    timeout = httpx.Timeout(timeout_s, connect=min(CONNECT_TIMEOUT_S, timeout_s))

    class TimedClient(Client):  # type: ignore[misc]
        def get_user_identity(self) -> Any:  # the constructor's first request
            self._server._session.timeout = timeout
            return super().get_user_identity()

    settings = chroma_settings()
    settings.chroma_api_impl = "chromadb.api.fastapi.FastAPI"
    settings.chroma_server_host = host
    settings.chroma_server_http_port = int(port)
    with unavailable_as_error(f"{host}:{port}", timeout_s):
        client = TimedClient(settings=settings)
    client._server._session.timeout = timeout  # whatever the constructor did
    return client


@contextlib.contextmanager
def unavailable_as_error(where: str, timeout_s: float) -> Iterator[None]:
    """Connection failures and timeouts talking to the server at `where` (host:port) become
    StoreUnavailableError, also where chromadb wraps them (its client constructor turns them
    into ValueError); an embedded store (`where` empty) is left alone."""
    import httpx

    try:
        yield
    except Exception as exc:
        cause = _transport_error(exc)
        if not where or cause is None:
            raise
        if isinstance(cause, httpx.TimeoutException):
            raise StoreUnavailableError(
                f"The Chroma server at {where} did not answer within {timeout_s:g} s (frozen or "
                "overloaded?). Check that it is running and responsive; nhsbot uses it again "
                "as soon as it answers."
            ) from exc
        raise StoreUnavailableError(
            f"The Chroma server at {where} can't be reached ({cause or type(cause).__name__}). "
            "Start it (chroma run --path DIR --host HOST --port PORT) or check "
            "NHSBOT_CHROMA_HOST / NHSBOT_CHROMA_PORT; nhsbot uses it again as soon as it answers."
        ) from exc


def _transport_error(exc: BaseException) -> BaseException | None:
    """The httpx connection error or timeout `exc` is or was raised while handling, if any."""
    import httpx

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, httpx.TransportError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def server_of(client: Any) -> tuple[str, float]:
    """("host:port", read timeout) of a server client; ("", 0) for an embedded one."""
    try:
        settings = client.get_settings()
        host, port = settings.chroma_server_host, settings.chroma_server_http_port
        timeout = client._server._session.timeout.read
    except AttributeError:
        return "", 0.0
    return (f"{host}:{port}", float(timeout or 0)) if host else ("", 0.0)
