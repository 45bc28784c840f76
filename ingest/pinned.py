"""Connections pinned to vetted addresses: the network layer under `ingest.fetch`.

The host is resolved here, every address it resolves to is checked, and the TCP connection goes
to one of those very addresses: there is no second DNS lookup that a rebinding attacker could
answer differently. httpcore still runs TLS with `server_hostname` set to the URL's host, so
SNI and the certificate's hostname check use the name while the socket uses the checked IP.

Inside `within(deadline)`, everything on the network has to finish by that moment: the name
lookup, each connect, the TLS handshake and every read and write. A server that trickles its
status line or headers a byte at a time gets no more time than a silent one.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

# httpcore does not export its socket wrapper; it is what its own SyncBackend returns.
from httpcore._backends.sync import SyncStream

from ingest.addresses import address_problem, literal_address

log = logging.getLogger(__name__)

Resolver = Callable[[str], Sequence[str]]  # host name -> IP address strings
Dialer = Callable[[str, int, float | None], socket.socket]  # (ip, port, timeout) -> socket


_DEADLINE: ContextVar[float | None] = ContextVar("nhsbot_fetch_deadline", default=None)


@contextlib.contextmanager
def within(deadline: float) -> Iterator[None]:
    """Network work in this block (this thread) must end by `deadline` (time.monotonic())."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _left(timeout: float | None, expired: type[Exception]) -> float | None:
    """`timeout` shortened to the time left before the deadline; `expired` once it passed."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the time limit for the whole fetch ran out")
    return left if timeout is None else min(timeout, left)


class AddressRefused(Exception):
    """The host resolves to an address that must not be contacted; args[0] says which."""


class HostUnresolved(Exception):
    """The host name does not resolve to any usable address; args[0] says why."""


def system_resolver(host: str) -> list[str]:
    """The addresses the system resolver gives for `host`, in its order, without repeats."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def plain_dialer(ip: str, port: int, timeout: float | None) -> socket.socket:
    """Open a TCP connection to an IP address (never a name, so no DNS happens here)."""
    return socket.create_connection((ip, port), timeout)


class PinnedBackend(httpcore.SyncBackend):
    """An httpcore network backend that resolves and vets at connect time, then dials the IP."""

    def __init__(self, resolver: Resolver, dialer: Dialer, *, allow_loopback: bool) -> None:
        self._resolver = resolver
        self._dialer = dialer
        self._allow_loopback = allow_loopback

    def vetted_addresses(self, host: str) -> list[str]:
        """The addresses to dial for `host`; refuses if any one of them is not public."""
        if literal_address(host) is not None:
            addresses = [host]
        else:
            try:
                addresses = list(self._resolve(host))
            except (OSError, UnicodeError) as exc:
                raise HostUnresolved(f"{host} does not resolve ({exc})") from None
            if not addresses:
                raise HostUnresolved(f"{host} has no addresses")
        for text in addresses:
            ip = literal_address(text)
            if ip is None:
                raise HostUnresolved(f"the resolver gave {host} a non-address {text!r}")
            problem = address_problem(ip, allow_loopback=self._allow_loopback)
            if problem:
                raise AddressRefused(f"{host} resolves to {text}, {problem}")
        return addresses

    def _resolve(self, host: str) -> Sequence[str]:
        """The resolver's answer, within the deadline (a lookup that hangs is left behind in
        its thread; the system resolver gives up on its own later)."""
        left = _left(None, httpcore.ConnectTimeout)
        if left is None:
            return self._resolver(host)
        pool = ThreadPoolExecutor(1, thread_name_prefix="nhsbot-resolve")
        try:
            return pool.submit(self._resolver, host).result(timeout=left)
        except FutureTimeout:
            raise httpcore.ConnectTimeout(f"looking up {host} took too long") from None
        finally:
            pool.shutdown(wait=False)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: OSError | None = None
        for ip in self.vetted_addresses(host):
            try:
                sock = self._dialer(ip, port, _left(timeout, httpcore.ConnectTimeout))
            except TimeoutError as exc:
                raise httpcore.ConnectTimeout(str(exc)) from exc
            except OSError as exc:
                last = exc
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            log.debug("connected to %s at %s port %d", host, ip, port)
            return DeadlineStream(SyncStream(sock))
        raise httpcore.ConnectError(str(last))


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation ends by the fetch's deadline (see `within`)."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        # CPython's handshake treats the socket timeout as a deadline for the whole handshake,
        # so a trickling server can't stretch it past the time left.
        left = _left(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, left))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def verified_context(context: ssl.SSLContext | None = None) -> ssl.SSLContext:
    """The default CA bundle, or a caller's context that must still verify certificates."""
    if context is None:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    if context.verify_mode != ssl.CERT_REQUIRED or not context.check_hostname:
        raise ValueError("the fetcher only accepts SSL contexts that verify certificates")
    return context


def pinned_transport(backend: PinnedBackend, context: ssl.SSLContext) -> httpx.HTTPTransport:
    """httpx's own transport (exception mapping, streaming) over a pool with our backend."""
    transport = httpx.HTTPTransport(verify=context, trust_env=False)
    # The pool is the one place httpx lets a network backend in; swap in ours.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=context, network_backend=backend, max_connections=10
    )
    return transport
