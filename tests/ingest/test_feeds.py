"""RSS and Atom polling against the loopback test site: conditional GET, changing items."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ingest.feeds import FeedError, FeedState, parse_feed, poll_feed
from ingest.fetch import SafeFetcher
from ingest.web import article_from_page

if TYPE_CHECKING:
    from websites import FeedEntry, Site

LM_1 = "Mon, 02 Nov 2026 09:00:00 GMT"
LM_2 = "Tue, 03 Nov 2026 12:00:00 GMT"


@pytest.fixture
def state(tmp_path: Path) -> FeedState:
    return FeedState.in_dir(tmp_path / "data")


def first_items(entry: type[FeedEntry]) -> list[FeedEntry]:
    return [
        entry("/articles/one?utm_source=rss&utm_medium=feed", "One", "2026-11-01T08:00:00Z"),
        entry("/articles/two", "Two", "2026-11-02T09:00:00Z"),
    ]


def second_items(entry: type[FeedEntry]) -> list[FeedEntry]:
    """Between syncs: a new item three, item two updated, item one unchanged."""
    return [
        entry("/articles/three", "Three", "2026-11-03T10:00:00Z"),
        entry("/articles/two", "Two (updated)", "2026-11-03T11:00:00Z"),
        entry("/articles/one?utm_source=rss&utm_medium=feed", "One", "2026-11-01T08:00:00Z"),
    ]


def test_rss_items_are_parsed_and_normalised(web: Site, entry: type[FeedEntry]) -> None:
    web.rss("/feed.rss", first_items(entry))
    title, items = parse_feed(web.routes["/feed.rss"].body, f"{web.base}/feed.rss")
    assert title == "Health News"
    assert [i.url for i in items] == [f"{web.base}/articles/one", f"{web.base}/articles/two"]
    assert items[0].published == "2026-11-01T08:00:00+00:00"
    assert items[1].title == "Two" and items[1].version == "2026-11-02T09:00:00+00:00"
    assert items[1].updated == ""  # RSS has no updated date; the version is the pubDate


def test_atom_relative_links_resolve_against_the_feed(web: Site, entry: type[FeedEntry]) -> None:
    web.atom("/feed.atom", first_items(entry), LM_1)
    title, items = parse_feed(web.routes["/feed.atom"].body, f"{web.base}/feed.atom")
    assert title == "Data Wire"
    assert [i.url for i in items] == [f"{web.base}/articles/one", f"{web.base}/articles/two"]
    assert items[1].updated == "2026-11-02T09:00:00+00:00"


def test_feed_items_are_capped_deduplicated_and_http_only(web: Site) -> None:
    body = f"""<rss version="2.0"><channel><title>T</title>
    <item><link>javascript:alert(1)</link></item><item><link>mailto:a@b.example</link></item>
    <item><link>{web.base}/a?utm_source=x</link></item><item><link>{web.base}/a</link></item>
    <item><link>{web.base}/b</link></item><item><link>{web.base}/c</link></item>
    </channel></rss>""".encode()
    _, items = parse_feed(body, f"{web.base}/f", max_items=2)
    assert [i.url for i in items] == [f"{web.base}/a", f"{web.base}/b"]


def test_feedparser_never_opens_or_fetches_what_a_body_names(
    web: Site, entry: type[FeedEntry], tmp_path: Path
) -> None:
    """feedparser opens file paths and fetches URLs given as strings; we only hand it bytes
    in a stream, so a body that names a real feed file or URL is just a broken feed."""
    web.rss("/feed.rss", first_items(entry))
    local = tmp_path / "feed.xml"
    local.write_bytes(web.routes["/feed.rss"].body)
    for body in (str(local).encode(), f"{web.base}/feed.rss".encode()):
        with pytest.raises(FeedError):
            parse_feed(body, "https://news.example/feed")
    assert web.requests == []


def test_feed_served_as_html_is_sniffed(
    web: Site, fetcher: SafeFetcher, state: FeedState, entry: type[FeedEntry]
) -> None:
    web.rss("/feed.rss", first_items(entry))
    web.add("/feed-as-html", web.routes["/feed.rss"].body, "text/html")
    assert len(poll_feed(fetcher, f"{web.base}/feed-as-html", state).fresh) == 2


def test_unchanged_feed_costs_one_conditional_request(
    web: Site, fetcher: SafeFetcher, state: FeedState, entry: type[FeedEntry]
) -> None:
    web.rss("/feed.rss", first_items(entry))
    first = poll_feed(fetcher, f"{web.base}/feed.rss", state)
    assert len(first.fresh) == 2 and first.etag
    state.record(first)
    again = poll_feed(fetcher, f"{web.base}/feed.rss", state)
    assert again.not_modified and again.fresh == ()
    hits = web.hits("/feed.rss")
    assert len(hits) == 2 and hits[1]["if-none-match"] == first.etag
    assert "if-none-match" not in hits[0]


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_items_that_change_between_syncs_are_fresh_again(
    web: Site, fetcher: SafeFetcher, state: FeedState, entry: type[FeedEntry], kind: str
) -> None:
    url = f"{web.base}/feed.{kind}"
    publish = (lambda items, lm: web.rss("/feed.rss", items)) if kind == "rss" else (
        lambda items, lm: web.atom("/feed.atom", items, lm))  # fmt: skip
    publish(first_items(entry), LM_1)
    state.record(poll_feed(fetcher, url, state))
    publish(second_items(entry), LM_2)
    second = poll_feed(fetcher, url, state)
    assert not second.not_modified
    assert [i.url for i in second.fresh] == [
        f"{web.base}/articles/three",
        f"{web.base}/articles/two",
    ]
    state.record(second)
    assert poll_feed(fetcher, url, state).not_modified


def test_atom_uses_if_modified_since(
    web: Site, fetcher: SafeFetcher, state: FeedState, entry: type[FeedEntry]
) -> None:
    web.atom("/feed.atom", first_items(entry), LM_1)
    state.record(poll_feed(fetcher, f"{web.base}/feed.atom", state))
    assert poll_feed(fetcher, f"{web.base}/feed.atom", state).not_modified
    assert web.hits("/feed.atom")[1]["if-modified-since"] == LM_1


def test_unrecorded_poll_leaves_items_fresh(
    web: Site, fetcher: SafeFetcher, state: FeedState, entry: type[FeedEntry]
) -> None:
    """A crash between polling and ingesting loses nothing: no validators were kept."""
    web.rss("/feed.rss", first_items(entry))
    poll_feed(fetcher, f"{web.base}/feed.rss", state)
    again = poll_feed(fetcher, f"{web.base}/feed.rss", state)
    assert not again.not_modified and len(again.fresh) == 2


def test_failed_items_stay_fresh_and_drop_the_etag(
    web: Site, fetcher: SafeFetcher, state: FeedState, entry: type[FeedEntry]
) -> None:
    web.rss("/feed.rss", first_items(entry))
    poll = poll_feed(fetcher, f"{web.base}/feed.rss", state)
    state.record(poll, failed=[f"{web.base}/articles/two"])
    again = poll_feed(fetcher, f"{web.base}/feed.rss", state)
    assert not again.not_modified  # a 304 would have hidden the failed item
    assert [i.url for i in again.fresh] == [f"{web.base}/articles/two"]


def test_state_survives_a_restart_and_a_corrupt_file(
    web: Site, fetcher: SafeFetcher, state: FeedState, entry: type[FeedEntry]
) -> None:
    web.rss("/feed.rss", first_items(entry))
    state.record(poll_feed(fetcher, f"{web.base}/feed.rss", state))
    reopened = FeedState(state.path)
    assert poll_feed(fetcher, f"{web.base}/feed.rss", reopened).not_modified
    saved = json.loads(state.path.read_text())["feeds"][f"{web.base}/feed.rss"]
    assert set(saved) >= {"etag", "checked", "changed", "items"}
    state.path.write_text("{ not json")
    assert FeedState(state.path).feed(f"{web.base}/feed.rss") == {}


def test_a_page_that_is_not_a_feed_is_refused(
    web: Site, fetcher: SafeFetcher, state: FeedState
) -> None:
    with pytest.raises(FeedError, match="not a feed"):
        poll_feed(fetcher, f"{web.base}/articles/gp-data", state)


def test_fresh_items_fetch_as_articles_with_their_new_text(
    web: Site, fetcher: SafeFetcher, state: FeedState, entry: type[FeedEntry]
) -> None:
    """The whole loop a sync runs: poll, fetch each fresh item, extract, record."""
    web.article("/articles/one", "Item one", ["Patients can opt out of data sharing. " * 8])
    web.article("/articles/two", "Item two", ["The audit log is reviewed every month. " * 8])
    web.rss("/feed.rss", first_items(entry))
    poll = poll_feed(fetcher, f"{web.base}/feed.rss", state)
    first = {
        a.canonical_url: a for a in (article_from_page(fetcher.fetch(i.url)) for i in poll.fresh)
    }
    assert "reviewed every month" in first[f"{web.base}/articles/two"].text
    state.record(poll)
    web.article("/articles/two", "Item two", ["The audit log is now reviewed every week. " * 8])
    web.article("/articles/three", "Item three", ["Researchers use secure environments. " * 8])
    web.rss("/feed.rss", second_items(entry))
    poll = poll_feed(fetcher, f"{web.base}/feed.rss", state)
    second = {
        a.canonical_url: a for a in (article_from_page(fetcher.fetch(i.url)) for i in poll.fresh)
    }
    assert set(second) == {f"{web.base}/articles/two", f"{web.base}/articles/three"}
    assert "reviewed every week" in second[f"{web.base}/articles/two"].text
