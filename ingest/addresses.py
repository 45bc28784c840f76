"""Which URLs and IP addresses the fetcher may reach: pure checks, no network.

`check_url` vets a URL's form (scheme, credentials, odd IP spellings, literal addresses) before
any connection; `address_problem` vets each address a hostname resolves to, at connect time.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = ("http", "https")

# Checked in order, so the most specific reason wins (metadata before link-local).
_V4_BLOCKS: Sequence[tuple[str, str]] = (
    ("169.254.169.254/32", "the cloud metadata address"),
    ("0.0.0.0/8", "an unspecified ('this network') address"),
    ("127.0.0.0/8", "a loopback address"),
    ("10.0.0.0/8", "a private address"),
    ("172.16.0.0/12", "a private address"),
    ("192.168.0.0/16", "a private address"),
    ("169.254.0.0/16", "a link-local address"),
    ("100.64.0.0/10", "a carrier-grade NAT (CGNAT) address"),
    ("192.0.0.0/24", "an IETF protocol address"),
    ("192.0.2.0/24", "a documentation address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("198.18.0.0/15", "a benchmarking address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
)
_V6_BLOCKS: Sequence[tuple[str, str]] = (
    ("::/128", "the unspecified IPv6 address"),
    ("::1/128", "the IPv6 loopback address"),
    ("::ffff:0:0/96", "an IPv4-mapped IPv6 address"),
    ("::/96", "an IPv4-compatible IPv6 address"),
    ("64:ff9b::/96", "a NAT64 address (it wraps an IPv4 address)"),
    ("64:ff9b:1::/48", "a NAT64 address (it wraps an IPv4 address)"),
    ("2002::/16", "a 6to4 address (it wraps an IPv4 address)"),
    ("2001::/32", "a Teredo address (it wraps an IPv4 address)"),
    ("fc00::/7", "an IPv6 unique local (private) address"),
    ("fe80::/10", "an IPv6 link-local address"),
    ("fec0::/10", "an IPv6 site-local address"),
    ("ff00::/8", "an IPv6 multicast address"),
    ("2001:db8::/32", "an IPv6 documentation address"),
    ("100::/64", "an IPv6 discard address"),
)
_NETWORKS = [(ipaddress.ip_network(net), why) for net, why in (*_V4_BLOCKS, *_V6_BLOCKS)]
_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))

_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")
_CANONICAL_OCTET = re.compile(r"^(?:0|[1-9][0-9]{0,2})$")
_HOST_CHARS = re.compile(r"^[a-z0-9._-]+$")


class URLRefused(ValueError):
    """A URL the fetcher will not request; the message says why."""


def address_problem(ip: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why `ip` must not be contacted (e.g. "a private address"), or None if it is public."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        return "an IPv6 address with a zone index"
    if allow_loopback and any(ip in net for net in _LOOPBACK if net.version == ip.version):
        return None
    for net, why in _NETWORKS:
        if net.version == ip.version and ip in net:
            return why
    if not ip.is_global:
        return "a non-public address"
    return None


def is_odd_ipv4_spelling(host: str) -> bool:
    """True for hosts a URL parser or `inet_aton` could read as IPv4 but that are not a plain
    dotted quad: `2130706433`, `0x7f.1`, `017700000001`, `127.1`, `127.0.0.1.`, `1.2.3.4.5`."""
    labels = host.lower().removesuffix(".").split(".")
    if not _NUMERIC_LABEL.match(labels[-1]):
        return False  # an ordinary name (its last label has a letter)
    if len(labels) != 4 or host.endswith("."):
        return True
    return not all(_CANONICAL_OCTET.match(label) and int(label) <= 255 for label in labels)


def literal_address(host: str) -> IPAddress | None:
    """The address if `host` is an IP literal (IPv6 without brackets, as httpx gives it)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def check_url(url: str | httpx.URL, *, allow_loopback: bool = False) -> httpx.URL:
    """Parse `url` and refuse anything but a plain http(s) URL to a public host.

    Hostnames are checked again at connect time, against every address they resolve to.
    """
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(str(url).strip())
    except httpx.InvalidURL as exc:
        raise URLRefused(f"not a valid URL ({exc})") from None
    if parsed.scheme not in ALLOWED_SCHEMES:
        shown = parsed.scheme or "no scheme"
        raise URLRefused(f"only http and https URLs can be fetched, not {shown}")
    if parsed.userinfo:
        raise URLRefused("URLs with a user name or password are not fetched")
    host = parsed.host
    if not host:
        raise URLRefused("the URL has no host name")
    ip = literal_address(host)
    if ip is not None:
        problem = address_problem(ip, allow_loopback=allow_loopback)
        if problem:
            raise URLRefused(f"{host} is {problem}")
        return parsed
    if "%" in host or not _HOST_CHARS.match(host):
        raise URLRefused(f"the host name {host!r} has characters a host name cannot have")
    if is_odd_ipv4_spelling(host):
        raise URLRefused(f"{host!r} is an unusual spelling of an IP address; use a host name")
    return parsed


def is_web_address(value: str) -> bool:
    """Whether `value` is written as an http(s) address (not whether it may be fetched)."""
    return value.strip().lower().startswith(("http://", "https://"))
