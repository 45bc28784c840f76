"""The safe fetcher against real servers on 127.0.0.1 (and names that only resolve in tests)."""

from __future__ import annotations

import ipaddress
import ssl
import time
from typing import TYPE_CHECKING

import pytest

from ingest.addresses import URLRefused, address_problem, check_url, is_odd_ipv4_spelling
from ingest.fetch import (
    BadStatusError,
    BlockedAddressError,
    BlockedURLError,
    ContentTypeError,
    FetchConnectError,
    FetchError,
    FetchTimeoutError,
    ResolveError,
    SafeFetcher,
    TLSVerificationError,
    TooLargeError,
    TooManyRedirectsError,
)

if TYPE_CHECKING:  # fixtures come from conftest.py; only their types are imported here
    from websites import Site

    from tests.ingest.conftest import FakeDNS, TLSFiles, TLSSite

PUBLIC_IP = "93.184.216.34"  # what conftest's fake DNS gives news.example

# --- address and URL policy (pure functions) -------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("10.0.0.5", "private"),
        ("172.16.4.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "metadata"),
        ("169.254.10.1", "link-local"),
        ("100.64.0.1", "CGNAT"),
        ("100.127.255.254", "CGNAT"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("255.255.255.255", "reserved"),
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "IPv4-mapped"),
        ("::ffff:8.8.8.8", "IPv4-mapped"),
        ("fd12:3456::1", "unique local"),
        ("fc00::1", "unique local"),
        ("fe80::1", "link-local"),
        ("64:ff9b::a00:1", "NAT64"),
        ("2002:a00:1::1", "6to4"),
        ("ff02::1", "multicast"),
        ("2001:db8::1", "documentation"),
    ],
)
def test_blocked_addresses_name_their_reason(address: str, reason: str) -> None:
    problem = address_problem(ipaddress.ip_address(address))
    assert problem is not None and reason in problem


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


def test_loopback_allowance_opens_loopback_only() -> None:
    allowed = [address_problem(ipaddress.ip_address(a), allow_loopback=True) for a in
               ("127.0.0.1", "::1")]  # fmt: skip
    assert allowed == [None, None]
    for other in ("10.0.0.5", "169.254.169.254", "::ffff:127.0.0.1", "0.0.0.0"):
        assert address_problem(ipaddress.ip_address(other), allow_loopback=True) is not None


@pytest.mark.parametrize(
    "host",
    ["2130706433", "0x7f.1", "017700000001", "127.1", "0x7f000001", "0177.0.0.1", "127.0.0.1.",
     "1.2.3.4.5", "0", "127.000.000.001"],
)  # fmt: skip
def test_odd_ipv4_spellings_are_detected(host: str) -> None:
    assert is_odd_ipv4_spelling(host)


@pytest.mark.parametrize("host", ["127.0.0.1", "8.8.8.8", "example.com", "0x7f.example", "a1.b2"])
def test_ordinary_hosts_are_not_odd(host: str) -> None:
    assert not is_odd_ipv4_spelling(host)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("file:///etc/passwd", "only http and https"),
        ("ftp://example.com/x", "only http and https"),
        ("gopher://example.com/", "only http and https"),
        ("http://user:pw@example.com/", "user name or password"),
        ("http://2130706433/", "unusual spelling"),
        ("http://0x7f.1/", "unusual spelling"),
        ("http://017700000001/", "unusual spelling"),
        ("http://127.1/", "unusual spelling"),
        ("http://127.0.0.1/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "IPv4-mapped"),
        ("http://[fe80::1]/", "link-local"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://100.64.1.1/", "CGNAT"),
        ("http://0.0.0.0:8000/", "unspecified"),
        ("http://%31%32%37.0.0.1/", "characters"),
        ("http:///nohost", "no host"),
    ],
)
def test_check_url_refuses_with_reason(url: str, words: str) -> None:
    with pytest.raises(URLRefused, match=words):
        check_url(url)


# --- fetching from the loopback test site -----------------------------------------------------


def test_fetches_html_with_metadata(web: Site, fetcher: SafeFetcher) -> None:
    page = fetcher.fetch(f"{web.base}/articles/gp-data")
    assert page.status == 200
    assert page.content_type == "text/html" and page.charset == "utf-8"
    assert b"federated data platform" in page.body
    assert page.header("content-length") == str(len(page.body))
    assert web.hits("/articles/gp-data")[0]["user-agent"].startswith("nhsbot/")


def test_follows_redirects_and_records_them(web: Site, fetcher: SafeFetcher) -> None:
    page = fetcher.fetch(f"{web.base}/go/gp-data")
    assert page.final_url == f"{web.base}/articles/gp-data?utm_source=rss"
    assert page.redirects == (f"{web.base}/go/gp-data",)
    assert page.url == f"{web.base}/go/gp-data"


def test_five_redirects_pass_six_fail(web: Site, fetcher: SafeFetcher) -> None:
    assert fetcher.fetch(f"{web.base}/chain/3").body == b"end of the chain"  # 5 hops
    with pytest.raises(TooManyRedirectsError, match="more than 5 redirects"):
        fetcher.fetch(f"{web.base}/chain/2")  # 6 hops
    assert not web.hits("/chain/8")[1:]  # the 7th request never went out


def test_redirect_loop_is_refused(web: Site, fetcher: SafeFetcher) -> None:
    with pytest.raises(TooManyRedirectsError, match="loop"):
        fetcher.fetch(f"{web.base}/loop")


def test_gzip_body_is_decoded(web: Site, fetcher: SafeFetcher) -> None:
    page = fetcher.fetch(f"{web.base}/gzipped")
    assert page.body.startswith(b"<!DOCTYPE html>")


def test_pdf_and_plain_text_are_allowed(web: Site, fetcher: SafeFetcher) -> None:
    assert fetcher.fetch(f"{web.base}/report.pdf").body.startswith(b"%PDF-")
    assert fetcher.fetch(f"{web.base}/plain.txt").content_type == "text/plain"


@pytest.mark.parametrize(
    ("path", "words"), [("/image.png", "image/png"), ("/no-type", "no content")]
)
def test_wrong_content_type_is_refused_before_reading(
    web: Site, fetcher: SafeFetcher, path: str, words: str
) -> None:
    with pytest.raises(ContentTypeError, match=words) as info:
        fetcher.fetch(f"{web.base}{path}")
    assert "not a page, feed or PDF" in str(info.value)


def test_error_status_is_reported(web: Site, fetcher: SafeFetcher) -> None:
    with pytest.raises(BadStatusError, match="404"):
        fetcher.fetch(f"{web.base}/missing")


def test_endless_body_stops_at_the_byte_cap(web: Site) -> None:
    started = time.monotonic()
    with SafeFetcher(allow_loopback=True, max_bytes=1_000_000, timeout_s=10) as fetcher:
        with pytest.raises(TooLargeError, match="larger than 1,000,000 bytes"):
            fetcher.fetch(f"{web.base}/endless")
    assert time.monotonic() - started < 5  # stopped early, not after gigabytes


def test_gzip_bomb_is_capped_by_decoded_size(web: Site) -> None:
    with SafeFetcher(allow_loopback=True, max_bytes=1_000_000) as fetcher:
        with pytest.raises(TooLargeError):
            fetcher.fetch(f"{web.base}/bomb")


def test_slow_body_hits_the_overall_time_limit(web: Site) -> None:
    started = time.monotonic()
    with SafeFetcher(allow_loopback=True, timeout_s=1.0) as fetcher:
        with pytest.raises(FetchTimeoutError, match="longer than 1 s"):
            fetcher.fetch(f"{web.base}/slow")  # every read is quick; the whole is not
    assert time.monotonic() - started < 3


def test_conditional_get_gives_not_modified(web: Site, fetcher: SafeFetcher) -> None:
    web.add("/feed", b"<rss/>", "application/rss+xml", validators=True)
    first = fetcher.fetch(f"{web.base}/feed")
    again = fetcher.fetch(f"{web.base}/feed", headers={"If-None-Match": first.header("etag")})
    assert again.not_modified and again.body == b""


def test_connection_refused_is_a_fetch_error(fetcher: SafeFetcher) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once closed
    with pytest.raises(FetchConnectError, match="could not connect"):
        fetcher.fetch(f"http://127.0.0.1:{port}/")


# --- SSRF refusals with the loopback allowance off -------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:{port}/plain.txt", "http://localhost:{port}/plain.txt",
     "http://[::1]:{port}/", "http://2130706433:{port}/", "http://0x7f.1:{port}/",
     "http://017700000001:{port}/", "http://169.254.169.254/latest/meta-data/",
     "http://[::ffff:127.0.0.1]:{port}/", "http://0.0.0.0:{port}/", "file:///etc/passwd"],
)  # fmt: skip
def test_loopback_and_odd_urls_are_refused_without_the_allowance(web: Site, url: str) -> None:
    with SafeFetcher() as fetcher:  # production defaults: real resolver, no loopback
        with pytest.raises((BlockedURLError, BlockedAddressError)) as info:
            fetcher.fetch(url.format(port=web.port))
    assert info.value.reason  # a reason a curator can read
    assert web.requests == []  # nothing reached the server


@pytest.mark.parametrize(
    ("host", "words"),
    [("intranet.example", "10.0.0.5, a private address"),
     ("metadata.example", "cloud metadata"), ("mixed.example", "192.168.1.20"),
     ("cgnat.example", "CGNAT"), ("mapped.example", "IPv4-mapped"),
     ("ula.example", "unique local")],
)  # fmt: skip
def test_names_resolving_to_private_addresses_are_refused(
    web: Site, public_fetcher: SafeFetcher, dns: FakeDNS, host: str, words: str
) -> None:
    with pytest.raises(BlockedAddressError, match=words):
        public_fetcher.fetch(f"http://{host}:{web.port}/plain.txt")
    assert dns.dialed == [] and web.requests == []


def test_public_name_is_fetched_through_the_checked_address(
    web: Site, public_fetcher: SafeFetcher, dns: FakeDNS
) -> None:
    assert dns.public_ip == PUBLIC_IP
    page = public_fetcher.fetch(f"http://news.example:{web.port}/plain.txt")
    assert page.body.startswith(b"Plain notice")
    assert dns.dialed == [(PUBLIC_IP, web.port)]
    assert web.hits("/plain.txt")[0]["host"] == f"news.example:{web.port}"


def test_no_second_lookup_for_rebinding(
    web: Site, public_fetcher: SafeFetcher, dns: FakeDNS
) -> None:
    """The name is looked up once per connection and that very answer is dialed: a rebinding
    DNS server that answers 127.0.0.1 the second time never gets asked again."""
    answers = iter([[PUBLIC_IP], ["127.0.0.1"], ["127.0.0.1"]])
    dns.names["rebind.example"] = []
    dns.resolve = lambda host: (dns.lookups.append(host), next(answers))[1]  # type: ignore[method-assign]
    with SafeFetcher(resolver=dns.resolve, dialer=dns.dial) as fetcher:
        assert fetcher.fetch(f"http://rebind.example:{web.port}/plain.txt").status == 200
    assert dns.lookups == ["rebind.example"] and dns.dialed == [(PUBLIC_IP, web.port)]


@pytest.mark.parametrize(
    ("path", "error", "words"),
    [("/to-loopback", BlockedURLError, "127.0.0.1 is a loopback address"),
     ("/to-metadata", BlockedURLError, "cloud metadata"),
     ("/to-intranet", BlockedAddressError, "10.0.0.5"),
     ("/to-ftp", BlockedURLError, "only http and https")],
)  # fmt: skip
def test_redirects_to_blocked_places_are_refused(
    web: Site, public_fetcher: SafeFetcher, dns: FakeDNS, path: str, error: type, words: str
) -> None:
    with pytest.raises(error, match=words):
        public_fetcher.fetch(f"http://news.example:{web.port}{path}")
    assert [p for p, _ in web.requests] == [path]  # the hop was checked before any request
    assert dns.dialed == [(PUBLIC_IP, web.port)]


def test_unknown_name_is_a_resolve_error(web: Site, public_fetcher: SafeFetcher) -> None:
    with pytest.raises(ResolveError, match="does not resolve"):
        public_fetcher.fetch(f"http://nowhere.example:{web.port}/")


def test_every_refusal_is_a_fetch_error() -> None:
    for error in (BlockedURLError, BlockedAddressError, TooLargeError, ContentTypeError,
                  TooManyRedirectsError, FetchTimeoutError, TLSVerificationError):  # fmt: skip
        assert issubclass(error, FetchError)


# --- TLS: always verified; SNI and hostname checks use the name, not the pinned IP ----------


def test_tls_with_a_trusted_ca_checks_the_name_and_sends_sni(
    tls_site: TLSSite, tls_files: TLSFiles, dns: FakeDNS
) -> None:
    context = ssl.create_default_context(cafile=str(tls_files.ca))
    with SafeFetcher(resolver=dns.resolve, dialer=dns.dial, ssl_context=context) as fetcher:
        page = fetcher.fetch(f"https://news.example:{tls_site.site.port}/secure")
    assert page.body == b"served over TLS"
    assert "news.example" in tls_site.server_names
    assert dns.dialed == [(PUBLIC_IP, tls_site.site.port)]


def test_tls_certificate_for_another_name_is_refused(
    tls_site: TLSSite, tls_files: TLSFiles, dns: FakeDNS
) -> None:
    context = ssl.create_default_context(cafile=str(tls_files.ca))
    with SafeFetcher(resolver=dns.resolve, dialer=dns.dial, ssl_context=context) as fetcher:
        with pytest.raises(TLSVerificationError, match="did not verify"):
            fetcher.fetch(f"https://other.example:{tls_site.site.port}/secure")


def test_untrusted_certificate_is_refused_by_default(tls_site: TLSSite, dns: FakeDNS) -> None:
    with SafeFetcher(resolver=dns.resolve, dialer=dns.dial) as fetcher:
        with pytest.raises(TLSVerificationError, match="certificate"):
            fetcher.fetch(f"https://news.example:{tls_site.site.port}/secure")


def test_unverified_ssl_contexts_are_rejected() -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with pytest.raises(ValueError, match="verify certificates"):
        SafeFetcher(ssl_context=context)
