"""URLs and feeds into a real store (real Chroma, real model) from the loopback test site."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ingest.fetch import SafeFetcher
from ingest.sources_file import FeedSource, FolderSource, Sources, UrlSource
from ingest.web_sync import WebSync, web_doc_id

if TYPE_CHECKING:
    from websites import FeedEntry, Site

    from bot.app import App

MONTHLY = "The Caldicott guardian reviews the platform audit log every month, said the trust."
WEEKLY = "The Caldicott guardian now reviews the platform audit log every week, said the trust."
FILLER = "Access to identifiable records is limited to staff caring for the patient. " * 3


@pytest.fixture
def sync(fresh_app: App, fetcher: SafeFetcher, tmp_path: Path) -> WebSync:
    return WebSync(fresh_app.library.ingestor, fetcher, tmp_path / "data")


def stored_texts(app: App, doc_id: str) -> list[str]:
    return [text for _, text, meta in app.store.all_chunks() if meta.get("doc_id") == doc_id]


def test_same_article_under_several_urls_is_stored_once(
    web: Site, sync: WebSync, fresh_app: App
) -> None:
    urls = [
        f"{web.base}/articles/gp-data?utm_source=newsletter&fbclid=x",
        f"{web.base}/go/gp-data",
        f"{web.base}/amp/articles/gp-data",
    ]
    report = sync.ingest_urls(urls)
    canonical = f"{web.base}/articles/gp-data"
    assert (report.added, report.skipped, report.failed) == ([canonical], [canonical] * 2, [])
    docs = fresh_app.store.documents()
    assert list(docs) == [web_doc_id(canonical)]
    meta = docs[web_doc_id(canonical)].metadata
    assert (meta["origin"], meta["url"], meta["publisher"]) == ("url", canonical, "Health News")


def test_changed_feed_item_replaces_its_chunks_and_is_cited_with_new_text(
    web: Site, sync: WebSync, fresh_app: App, entry: type[FeedEntry]
) -> None:
    web.article("/articles/one", "Opt-out carried over", [FILLER, "Patients keep their opt-out."])
    web.article("/articles/two", "Audit of platform access", [FILLER, MONTHLY])
    items = [entry("/articles/one", "One", "2026-11-01T08:00:00Z"),
             entry("/articles/two?utm_source=rss", "Two", "2026-11-02T09:00:00Z")]  # fmt: skip
    web.rss("/feed.rss", items)
    feed = Sources(feeds=(FeedSource(f"{web.base}/feed.rss"),))
    first = sync.sync_sources(feed)
    assert len(first.added) == 2 and first.failed == []
    two = web_doc_id(f"{web.base}/articles/two")
    assert any("every month" in t for t in stored_texts(fresh_app, two))

    web.article("/articles/two", "Audit of platform access", [FILLER, WEEKLY])
    web.rss("/feed.rss", [items[0], entry("/articles/two", "Two", "2026-11-03T09:00:00Z")])
    second = sync.sync_sources(feed)
    assert (second.changed, second.added, second.skipped) == ([f"{web.base}/articles/two"], [], [])
    texts = stored_texts(fresh_app, two)
    assert any("every week" in t for t in texts) and not any("every month" in t for t in texts)
    assert len(web.hits("/articles/one")) == 1  # the unchanged item was not fetched again

    fresh_app.answerer.index.refresh()
    answer = fresh_app.answerer.ask("How often does the Caldicott guardian review the audit log?")
    cited = " ".join(c.passage + c.quote for c in answer.citations)
    assert "every week" in cited and "every month" not in cited

    third = sync.sync_sources(feed)  # nothing changed: one 304 and nothing else
    assert (third.added, third.changed, third.failed) == ([], [], [])
    assert web.hits("/feed.rss")[-1].get("if-none-match")


def test_each_failing_source_is_reported_and_the_rest_go_in(
    web: Site, sync: WebSync, fresh_app: App, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "note.md").write_text("# Local note\n\nThe opt-out applies to research uses. " * 3)
    sources = Sources(
        feeds=(FeedSource(f"{web.base}/articles/gp-data"),),  # a page, not a feed
        urls=(UrlSource(f"{web.base}/missing"), UrlSource(f"{web.base}/image.png"),
              UrlSource("http://169.254.169.254/latest/"), UrlSource(f"{web.base}/empty"),
              UrlSource(f"{web.base}/report.pdf")),
        folders=(FolderSource(folder),),
    )  # fmt: skip
    report = sync.sync_sources(sources)
    failed = dict(report.failed)
    assert set(failed) == {
        f"{web.base}/missing", f"{web.base}/image.png", "http://169.254.169.254/latest/",
        f"{web.base}/empty", f"{web.base}/articles/gp-data",
    }  # fmt: skip
    assert (
        "404" in failed[f"{web.base}/missing"]
        and "metadata" in failed["http://169.254.169.254/latest/"]
    )
    assert "not a feed" in failed[f"{web.base}/articles/gp-data"]
    assert f"{web.base}/report.pdf" in report.added and len(report.added) == 2
    pdf = fresh_app.store.documents()[web_doc_id(f"{web.base}/report.pdf")]
    assert pdf.metadata["origin"] == "url" and pdf.metadata["title"] == "Register"


def test_store_can_be_rebuilt_offline_from_raw_pages(
    web: Site, sync: WebSync, fresh_app: App, tmp_path: Path
) -> None:
    sync.ingest_urls([f"{web.base}/articles/gp-data", f"{web.base}/report.pdf"])
    before = {d: r.content_hash for d, r in fresh_app.store.documents().items()}
    chunks = fresh_app.store.count()
    for doc_id in before:
        fresh_app.store.delete_document(doc_id)
    web.requests.clear()
    with SafeFetcher() as offline:  # loopback refused: any fetch would fail
        report = WebSync(fresh_app.library.ingestor, offline, tmp_path / "data").rebuild()
    assert report.failed == [] and len(report.added) == 2 and web.requests == []
    after = {d: r.content_hash for d, r in fresh_app.store.documents().items()}
    assert after == before and fresh_app.store.count() == chunks


def test_unchanged_page_is_skipped_and_marked_checked(
    web: Site, sync: WebSync, fresh_app: App
) -> None:
    url = f"{web.base}/articles/gp-data"
    sync.ingest_urls([url])
    first = fresh_app.store.documents()[web_doc_id(url)].metadata["checked_at"]
    time.sleep(1.1)  # checked_at has one-second resolution
    assert sync.ingest_urls([url]).skipped == [url]
    assert fresh_app.store.documents()[web_doc_id(url)].metadata["checked_at"] > first
