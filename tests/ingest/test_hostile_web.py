"""Hostile servers and URLs: a bad redirect, a trickling server, a slow resolver, a PDF bomb,
credentials in a URL. Each is reported by URL with its reason, within the fetch's time limit,
credentials never shown; everything else in the run is stored. Real servers on 127.0.0.1."""

from __future__ import annotations

import logging
import ssl
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pdfs import deflate_bomb_pdf
from websites import Route, trickle_proxy

from ingest.fetch import BadRedirectError, BlockedURLError, FetchTimeoutError, SafeFetcher
from ingest.redact import redact
from ingest.sync import Ingestor
from ingest.web_sync import WebSync
from vectorstore.store import ChromaStore

if TYPE_CHECKING:
    from websites import Site

    from tests.ingest.conftest import FakeDNS, TLSFiles, TLSSite

PUBLIC_IP = "93.184.216.34"
SLACK_S = 1.5  # scheduling on two busy cores


@pytest.fixture
def web_sync(ingestor: Ingestor, fetcher: SafeFetcher, tmp_path: Path) -> WebSync:
    return WebSync(ingestor, fetcher, tmp_path / "data")


def stored_sources(store: ChromaStore) -> set[str]:
    return {str(r.metadata["source"]) for r in store.documents().values()}


@pytest.mark.parametrize(
    "location",
    ["http:\\\\127.0.0.1:{port}/plain.txt", "http:\\\\127.0.0.1:{port}\\plain.txt",
     "http://[::1", "http://\x01/"],
)  # fmt: skip
def test_a_redirect_to_an_invalid_url_is_a_fetch_error(
    web: Site, fetcher: SafeFetcher, location: str
) -> None:
    web.set("/bad-redirect", Route(302, headers={"Location": location}))
    with pytest.raises(BadRedirectError, match="not a valid URL"):
        fetcher.fetch(f"{web.base}/bad-redirect")


def test_bad_urls_in_a_run_are_reported_and_the_rest_stored(
    web: Site, web_sync: WebSync, store: ChromaStore
) -> None:
    web.set("/bad-redirect", Route(302, headers={"Location": "http:\\\\127.0.0.1:{port}/x"}))
    web.set("/bomb.pdf", Route(content_type="application/pdf", body=deflate_bomb_pdf(60_000_000)))
    good = f"{web.base}/articles/gp-data"
    report = web_sync.ingest_urls(
        [f"{web.base}/bad-redirect", f"{web.base}/bomb.pdf", good,
         f"http://user:hunter2@127.0.0.1:{web.port}/plain.txt"]
    )  # fmt: skip
    failed = dict(report.failed)
    assert "not a valid URL" in failed[f"{web.base}/bad-redirect"]
    assert "20,000,000 bytes a stream" in failed[f"{web.base}/bomb.pdf"]
    assert "user name or password" in failed[f"http://***@127.0.0.1:{web.port}/plain.txt"]
    assert report.added == [good] and stored_sources(store) == {good}


def test_a_trickled_status_line_and_headers_get_no_more_time_than_the_limit(web: Site) -> None:
    """One byte every 50 ms: each read is quick, so only a deadline for the whole fetch
    (connect, status line, headers, body) stops it."""
    with trickle_proxy(web.port, 0.05) as port:
        started = time.monotonic()
        with SafeFetcher(allow_loopback=True, timeout_s=1.0) as fetcher:
            with pytest.raises(FetchTimeoutError, match="longer than 1 s"):
                fetcher.fetch(f"http://127.0.0.1:{port}/articles/gp-data")
        assert time.monotonic() - started < 1.0 + SLACK_S


def test_the_limit_covers_redirect_hops_together(web: Site) -> None:
    with trickle_proxy(web.port, 0.01) as port:  # each hop alone is well under the limit
        with SafeFetcher(allow_loopback=True, timeout_s=1.5) as fetcher:
            started = time.monotonic()
            with pytest.raises(FetchTimeoutError):
                fetcher.fetch(f"http://127.0.0.1:{port}/chain/3")  # 5 hops of ~0.4 s
            assert time.monotonic() - started < 1.5 + SLACK_S


def test_a_trickled_tls_handshake_gets_no_more_time_than_the_limit(
    tls_site: TLSSite, tls_files: TLSFiles, dns: FakeDNS
) -> None:
    context = ssl.create_default_context(cafile=str(tls_files.ca))
    with trickle_proxy(tls_site.site.port, 0.05) as port:
        with SafeFetcher(
            resolver=dns.resolve, dialer=dns.dial, ssl_context=context, timeout_s=1.0
        ) as fetcher:
            started = time.monotonic()
            with pytest.raises(FetchTimeoutError):
                fetcher.fetch(f"https://news.example:{port}/secure")
            assert time.monotonic() - started < 1.0 + SLACK_S


def test_a_slow_name_lookup_counts_against_the_limit(web: Site, dns: FakeDNS) -> None:
    def slow_resolve(host: str) -> list[str]:
        time.sleep(5)
        return [PUBLIC_IP]

    with SafeFetcher(resolver=slow_resolve, dialer=dns.dial, timeout_s=1.0) as fetcher:
        started = time.monotonic()
        with pytest.raises(FetchTimeoutError):
            fetcher.fetch(f"http://news.example:{web.port}/plain.txt")
        assert time.monotonic() - started < 1.0 + SLACK_S


def test_pages_within_the_limit_still_arrive_through_a_slow_link(web: Site) -> None:
    web.set("/short.txt", Route(content_type="text/plain", body=b"short"))
    with trickle_proxy(web.port, 0.001) as port:
        with SafeFetcher(allow_loopback=True, timeout_s=10) as fetcher:
            assert fetcher.fetch(f"http://127.0.0.1:{port}/short.txt").body == b"short"


def test_credentials_never_reach_logs_or_reasons(
    web: Site, web_sync: WebSync, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"http://admin:hunter2@127.0.0.1:{web.port}/plain.txt"
    with pytest.raises(BlockedURLError) as info:
        web_sync.fetcher.fetch(url)
    assert "hunter2" not in str(info.value) and "admin" not in info.value.url
    report = web_sync.ingest_urls([url, "https://bob:s3cret@news.example/feed"])
    assert report.failed and "hunter2" not in repr(report.failed) + report.summary()
    assert "s3cret" not in repr(report.failed)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "refused to fetch" in logged and "***@" in logged
    assert "hunter2" not in logged and "s3cret" not in logged


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://u:p@host/x", "http://***@host/x"),
        ("at https://user:pa%40ss@example.org:8443/a?b=c", "at https://***@example.org:8443/a?b=c"),
        ("http://a@b@host/", "http://***@host/"),
        ("http:\\\\u:p@host\\x", "http:\\\\***@host\\x"),
        ("//u:p@host/", "//***@host/"),
        ("http://host/path@not-userinfo", "http://host/path@not-userinfo"),
        ("mailto:someone@example.org", "mailto:someone@example.org"),
        ("two: http://a:1@x/ and ftp://b:2@y/", "two: http://***@x/ and ftp://***@y/"),
    ],
)  # fmt: skip
def test_redact(text: str, shown: str) -> None:
    assert redact(text) == shown
