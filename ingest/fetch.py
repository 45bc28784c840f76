"""A safe HTTP fetcher for URLs that members and feeds supply (the bot's SSRF surface).

Every hop is checked: only http(s) URLs to public hosts; the hostname is resolved here and the
connection goes to the very address that was checked (no second DNS lookup that a rebinding
attacker could answer differently); redirects are followed by hand (at most 5); the whole fetch
has one time limit, which covers every lookup, connect, TLS handshake, header and body byte of
every hop; the body is capped by the bytes actually read; only allowed content types are
accepted; TLS certificates are always verified. URLs are shown without their credentials.
"""

from __future__ import annotations

import logging
import ssl
import time
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import httpx

from ingest.addresses import URLRefused, check_url
from ingest.pinned import (
    AddressRefused,
    Dialer,
    HostUnresolved,
    PinnedBackend,
    Resolver,
    pinned_transport,
    plain_dialer,
    system_resolver,
    verified_context,
    within,
)
from ingest.redact import redact

log = logging.getLogger(__name__)

__all__ = ["Dialer", "FetchError", "FetchedPage", "Resolver", "SafeFetcher"]

ALLOWED_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "application/pdf",
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
)
REDIRECT_CODES = (301, 302, 303, 307, 308)
USER_AGENT = "nhsbot/0.1 (+https://github.com/nhsbot; fetches pages curators add)"


class FetchError(Exception):
    """A fetch that was refused or failed; `str(err)` is a reason a curator can act on."""

    def __init__(self, url: str, reason: str) -> None:
        url, reason = redact(url), redact(reason)  # never echo user:password@
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class BlockedURLError(FetchError):
    """The URL's form is not allowed (scheme, credentials, odd IP spelling, private literal)."""


class BlockedAddressError(FetchError):
    """The host resolves to an address the fetcher must not contact."""


class ResolveError(FetchError):
    """The host name does not resolve."""


class FetchConnectError(FetchError):
    """The server could not be reached (refused, reset, TLS failure)."""


class TLSVerificationError(FetchConnectError):
    """The server's TLS certificate did not verify."""


class FetchTimeoutError(FetchError):
    """The fetch took longer than its time limit."""


class TooManyRedirectsError(FetchError):
    """More redirects than allowed, a loop, or a redirect without a Location."""


class BadRedirectError(FetchError):
    """A redirect whose Location is not a usable URL."""


class BadStatusError(FetchError):
    """The server answered with an error status."""


class ContentTypeError(FetchError):
    """The response is not one of the allowed content types."""


class TooLargeError(FetchError):
    """The body is larger than the byte cap."""


@dataclass(frozen=True)
class FetchedPage:
    """A fetched response: `final_url` after redirects; `status` 304 means "not modified"."""

    url: str
    final_url: str
    status: int
    content_type: str  # media type only, lower case ("" for a 304)
    charset: str
    body: bytes
    headers: tuple[tuple[str, str], ...]
    redirects: tuple[str, ...] = ()  # the URLs passed through before `final_url`

    def header(self, name: str) -> str:
        """The first header called `name` (case-insensitive), or ""."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), "")

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def _media_type(value: str) -> tuple[str, str]:
    media, _, params = value.partition(";")
    charset = ""
    for param in params.split(";"):
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'").lower()
    return media.strip().lower(), charset


class SafeFetcher:
    """Fetches one URL at a time under the rules in the module docstring.

    `allow_loopback=True` lets tests reach servers on 127.0.0.1 / ::1 (nothing else opens up).
    `resolver` and `dialer` are seams for tests: map a name to an address without DNS, or route
    a vetted address to a local test server.
    """

    def __init__(
        self,
        *,
        allow_loopback: bool = False,
        resolver: Resolver = system_resolver,
        dialer: Dialer = plain_dialer,
        max_bytes: int = 10_000_000,
        max_redirects: int = 5,
        timeout_s: float = 30.0,
        allowed_types: Sequence[str] = ALLOWED_TYPES,
        ssl_context: ssl.SSLContext | None = None,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.allow_loopback = allow_loopback
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.timeout_s = timeout_s
        self.allowed_types = tuple(t.lower() for t in allowed_types)
        backend = PinnedBackend(resolver, dialer, allow_loopback=allow_loopback)
        self._client = httpx.Client(
            transport=pinned_transport(backend, verified_context(ssl_context)),
            follow_redirects=False,
            trust_env=False,  # an environment proxy would bypass the address pinning
            headers={
                "User-Agent": user_agent,
                "Accept": ", ".join(self.allowed_types),
                "Accept-Encoding": "gzip, deflate",  # the only encodings _body_chunks decodes
            },
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(self, url: str, *, headers: Mapping[str, str] | None = None) -> FetchedPage:
        """GET `url`, following up to `max_redirects` checked redirects.

        `headers` may carry If-None-Match / If-Modified-Since; a 304 answer then comes back as
        a page with `not_modified` set and an empty body. Raises a FetchError subclass.
        """
        deadline = time.monotonic() + self.timeout_s
        try:
            with within(deadline):
                return self._follow(url, dict(headers or {}), deadline)
        except FetchError:
            raise
        except Exception as exc:  # noqa: BLE001 - a hostile server must not crash a run
            log.debug("fetch of %s failed", redact(url), exc_info=True)
            detail = str(exc).splitlines()[0][:200] if str(exc) else ""
            raise FetchError(url, f"the fetch failed ({type(exc).__name__}: {detail})") from None

    def _follow(self, url: str, headers: dict[str, str], deadline: float) -> FetchedPage:
        current, chain = url, []
        while True:
            target = self._check(current)
            step = self._request(target, headers, deadline)
            if isinstance(step, FetchedPage):
                page = FetchedPage(
                    url=url, final_url=str(target), status=step.status,
                    content_type=step.content_type, charset=step.charset, body=step.body,
                    headers=step.headers, redirects=tuple(chain),
                )  # fmt: skip
                log.info("fetched %s (%d bytes, %s)", page.final_url, len(page.body), page.status)
                return page
            chain.append(str(target))
            if len(chain) > self.max_redirects:
                raise TooManyRedirectsError(url, f"more than {self.max_redirects} redirects")
            current = _join(target, step)
            if current in chain:
                raise TooManyRedirectsError(url, f"redirect loop at {current}")

    def _check(self, url: str) -> httpx.URL:
        try:
            return check_url(url, allow_loopback=self.allow_loopback)
        except URLRefused as exc:
            log.warning("refused to fetch %s: %s", redact(url), redact(str(exc)))
            raise BlockedURLError(url, str(exc)) from None

    def _request(
        self, url: httpx.URL, headers: dict[str, str], deadline: float
    ) -> FetchedPage | str:
        """One hop: a FetchedPage, or the Location of a redirect."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchTimeoutError(str(url), f"took longer than {self.timeout_s:g} s")
        try:
            with self._client.stream("GET", url, headers=headers, timeout=remaining) as resp:
                return self._read(url, resp, bool(headers), deadline)
        except AddressRefused as exc:
            log.warning("refused to fetch %s: %s", url, exc)
            raise BlockedAddressError(str(url), str(exc)) from None
        except HostUnresolved as exc:
            raise ResolveError(str(url), str(exc)) from None
        except httpx.TimeoutException:
            raise FetchTimeoutError(str(url), f"took longer than {self.timeout_s:g} s") from None
        except httpx.InvalidURL as exc:
            # httpx reads a redirect's Location even when not following it (to offer
            # `next_request`), and refuses some this way...
            raise BadRedirectError(str(url), f"the redirect is not a valid URL ({exc})") from None
        except httpx.RemoteProtocolError as exc:
            if "location header" in str(exc).lower():  # ...and others this way
                raise BadRedirectError(
                    str(url), f"the redirect is not a valid URL ({exc})"
                ) from None
            raise _connect_error(str(url), exc) from None
        except httpx.TransportError as exc:
            raise _connect_error(str(url), exc) from None

    def _read(
        self, url: httpx.URL, resp: httpx.Response, conditional: bool, deadline: float
    ) -> FetchedPage | str:
        if resp.status_code in REDIRECT_CODES:
            location = resp.headers.get("location", "").strip()
            if not location:
                raise TooManyRedirectsError(str(url), f"a {resp.status_code} without a Location")
            return location
        pairs = tuple((k, v) for k, v in resp.headers.multi_items())
        if resp.status_code == 304 and conditional:
            return FetchedPage(str(url), str(url), 304, "", "", b"", pairs)
        if not 200 <= resp.status_code < 300:
            raise BadStatusError(
                str(url), f"the server answered {resp.status_code} {resp.reason_phrase}"
            )
        media, charset = _media_type(resp.headers.get("content-type", ""))
        if media not in self.allowed_types:
            shown = media or "no content type"
            raise ContentTypeError(str(url), f"{shown} is not a page, feed or PDF we can read")
        body = self._read_capped(url, resp, deadline)
        return FetchedPage(str(url), str(url), resp.status_code, media, charset, body, pairs)

    def _read_capped(self, url: httpx.URL, resp: httpx.Response, deadline: float) -> bytes:
        """The decoded body, stopping as soon as it passes the cap or the deadline."""
        parts: list[bytes] = []
        size = 0
        for part in _body_chunks(url, resp):
            size += len(part)
            if size > self.max_bytes:
                raise TooLargeError(str(url), f"the body is larger than {self.max_bytes:,} bytes")
            if time.monotonic() > deadline:
                raise FetchTimeoutError(str(url), f"took longer than {self.timeout_s:g} s")
            parts.append(part)
        return b"".join(parts)


def _join(base: httpx.URL, location: str) -> str:
    """Where a redirect's Location leads from `base`, or BadRedirectError."""
    try:
        return str(base.join(location))
    except (httpx.InvalidURL, ValueError) as exc:
        shown = redact(location)[:200]
        raise BadRedirectError(
            str(base), f"the redirect goes to {shown!r}, which is not a valid URL ({exc})"
        ) from None


def _body_chunks(url: httpx.URL, resp: httpx.Response) -> Iterator[bytes]:
    """The body, decompressed in bounded steps so a small gzip bomb cannot balloon in memory."""
    encoding = resp.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        yield from resp.iter_raw()
        return
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise ContentTypeError(str(url), f"the body uses an unsupported encoding {encoding!r}")
    inflater = zlib.decompressobj(wbits=47)  # 32 + 15: gzip or zlib header, detected
    try:
        for raw in resp.iter_raw():
            data = raw
            while data:
                yield inflater.decompress(data, 65536)
                data = inflater.unconsumed_tail
        yield inflater.flush()
    except zlib.error as exc:
        raise BadStatusError(str(url), f"the compressed body is corrupt ({exc})") from None


def _connect_error(url: str, exc: httpx.TransportError) -> FetchError:
    """Name certificate failures; otherwise say the server could not be reached."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return TLSVerificationError(
                url, f"the TLS certificate did not verify ({cause.verify_message})"
            )
        cause = cause.__cause__ or cause.__context__
    return FetchConnectError(url, f"could not connect ({exc or type(exc).__name__})")
