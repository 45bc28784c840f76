"""Article extraction and canonical URLs, on pages served by the loopback test site."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from ingest.fetch import SafeFetcher
from ingest.web import (
    ExtractionError,
    WebArticle,
    article_from_page,
    choose_canonical,
    normalize_url,
    same_site,
)

if TYPE_CHECKING:
    from websites import Site

CLUTTER = ("cookie", "Subscribe", "free trial", "Related stories", "Jobs board",
           "canteens", "parking", "newsletter", "Copyright", "All rights reserved")  # fmt: skip


def article(fetcher: SafeFetcher, url: str) -> WebArticle:
    return article_from_page(fetcher.fetch(url))


def test_extraction_keeps_the_article_and_drops_the_clutter(
    web: Site, fetcher: SafeFetcher
) -> None:
    found = article(fetcher, f"{web.base}/articles/gp-data")
    assert "legitimate relationship with the patient" in found.text
    assert "commercial companies cannot buy the data" in found.text
    assert "by the end of next year" in found.text
    assert [word for word in CLUTTER if word.lower() in found.text.lower()] == []


def test_clutter_inside_the_article_element_is_dropped(web: Site, fetcher: SafeFetcher) -> None:
    found = article(fetcher, f"{web.base}/articles/opt-out")
    for phrase in ("national data opt-out", "British Medical Association", "carried over"):
        assert phrase in found.text
    assert [word for word in CLUTTER if word.lower() in found.text.lower()] == []
    assert "3 of 3 free articles" not in found.text


def test_metadata_is_extracted(web: Site, fetcher: SafeFetcher) -> None:
    found = article(fetcher, f"{web.base}/articles/gp-data")
    assert found.title == "Federated data platform to hold every trust's records"
    assert (found.author, found.site_name, found.published) == (
        "Jane Reporter",
        "Health News",
        "2026-11-02",
    )
    assert found.canonical_url == f"{web.base}/articles/gp-data"


def test_same_article_under_many_urls_has_one_canonical_url(
    web: Site, fetcher: SafeFetcher
) -> None:
    urls = [
        f"{web.base}/articles/gp-data",
        f"{web.base}/articles/gp-data?utm_source=twitter&utm_medium=social&fbclid=IwAR0x",
        f"{web.base}/articles/gp-data?gclid=abc#comments",
        f"{web.base}/go/gp-data",  # a 301 to the article with a tracking parameter
        f"{web.base}/amp/articles/gp-data",  # AMP page declaring rel=canonical
    ]
    found = {article(fetcher, url).canonical_url for url in urls}
    assert found == {f"{web.base}/articles/gp-data"}


def test_without_a_canonical_link_normalisation_still_merges(
    web: Site, fetcher: SafeFetcher
) -> None:
    plain = article(fetcher, f"{web.base}/news/budget?utm_campaign=nov&gclid=9")
    amp = article(fetcher, f"{web.base}/news/budget/amp")
    assert plain.canonical_url == amp.canonical_url == f"{web.base}/news/budget"


def test_redirect_origins_are_kept_as_aliases(web: Site, fetcher: SafeFetcher) -> None:
    found = article(fetcher, f"{web.base}/go/gp-data")
    assert found.aliases == (f"{web.base}/go/gp-data",)
    assert found.fetched_url == f"{web.base}/articles/gp-data?utm_source=rss"


def test_a_page_cannot_claim_another_sites_article(web: Site, fetcher: SafeFetcher) -> None:
    found = article(fetcher, f"{web.base}/articles/impostor")
    assert found.canonical_url == f"{web.base}/articles/impostor"


def test_plain_text_pages_become_articles(web: Site, fetcher: SafeFetcher) -> None:
    found = article(fetcher, f"{web.base}/plain.txt?utm_source=x")
    assert (found.title, found.canonical_url) == ("Plain notice", f"{web.base}/plain.txt")
    assert "Some text." in found.text


@pytest.mark.parametrize(("path", "words"), [("/report.pdf", "not a web page"),
                                             ("/empty", "no article text")])  # fmt: skip
def test_pages_without_an_article_are_refused(
    web: Site, fetcher: SafeFetcher, path: str, words: str
) -> None:
    with pytest.raises(ExtractionError, match=words):
        article(fetcher, f"{web.base}{path}")


def test_extraction_never_fetches(web: Site, fetcher: SafeFetcher) -> None:
    article(fetcher, f"{web.base}/amp/articles/gp-data")  # links, canonical, related stories
    assert [path for path, _ in web.requests] == ["/amp/articles/gp-data"]


def test_trafilatura_insecure_ssl_fallback_is_off() -> None:
    from ingest.web import _config

    assert _config().getboolean("DEFAULT", "INSECURE_SSL_FALLBACK") is False
    assert _config().getboolean("DEFAULT", "SSRF_PROTECTION") is True


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM:443/a/b/?utm_source=x&b=2&a=1&fbclid=z#frag",
         "https://example.com/a/b?a=1&b=2"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com/news/story/amp", "https://example.com/news/story"),
        ("https://example.com/news/story.amp", "https://example.com/news/story"),
        ("https://example.com/news/story.amp.html", "https://example.com/news/story.html"),
        ("https://amp.example.com/amp/news/story", "https://example.com/news/story"),
        ("https://example.com/story?amp=1&id=4", "https://example.com/story?id=4"),
        ("https://example.com/story?outputType=amp", "https://example.com/story"),
        ("https://www.google.com/amp/s/example.com/news/story", "https://example.com/news/story"),
        ("https://example-com.cdn.ampproject.org/c/s/example.com/news/story?amp",
         "https://example.com/news/story"),
        ("https://example.com//a///b", "https://example.com/a/b"),
        ("https://example.com/%7ejane/%2f", "https://example.com/~jane/%2F"),
        ("https://example.com/?q=", "https://example.com/?q="),
        ("https://example.com/p?mc_cid=1&mc_eid=2&utm_content=3&page=2",
         "https://example.com/p?page=2"),
    ],
)  # fmt: skip
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("https://www.bbc.co.uk/a", "https://bbc.co.uk/b", True),
        ("https://news.bbc.co.uk/a", "https://www.bbc.co.uk/b", True),
        ("https://digital.nhs.uk/a", "https://england.nhs.uk/b", False),
        ("https://example.com/a", "https://example.org/a", False),
        ("http://127.0.0.1:1/a", "http://127.0.0.1:2/a", True),
        ("http://127.0.0.1/a", "https://www.bbc.co.uk/a", False),
    ],
)
def test_same_site(first: str, second: str, same: bool) -> None:
    assert same_site(first, second) is same


def test_choose_canonical_ignores_non_http_and_resolves_relative() -> None:
    page = "https://example.com/news/a?utm_source=x"
    assert choose_canonical(page, "javascript:alert(1)") == "https://example.com/news/a"
    assert choose_canonical(page, "/news/a-story") == "https://example.com/news/a-story"
    assert choose_canonical(page, "") == "https://example.com/news/a"
