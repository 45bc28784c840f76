"""RSS and Atom feeds: poll with conditional GET, list the items that are new or updated.

A poll does not mark anything as seen: the caller ingests the fresh items, then calls
`FeedState.record`, so a crash between the two leaves them fresh for the next run (the feed's
ETag is only kept when every item went in, otherwise the next poll would get a 304 and skip
the items that failed).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from ingest.fetch import FetchedPage, SafeFetcher
from ingest.redact import redact
from ingest.web import normalize_url

log = logging.getLogger(__name__)

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")
STATE_FILE = "feeds.json"


class FeedError(ValueError):
    """A response that is not a usable RSS or Atom feed; the message says why."""


@dataclass(frozen=True)
class FeedItem:
    """One entry: its (normalised) article URL and dates as ISO 8601 strings, or ""."""

    url: str
    title: str
    published: str
    updated: str
    entry_id: str = ""

    @property
    def version(self) -> str:
        """What changes when the publisher updates the item (its date), "" if undated."""
        return self.updated or self.published


@dataclass(frozen=True)
class FeedPoll:
    """The outcome of polling one feed. `fresh` are the items not yet recorded as seen at
    their current version; on a 304 (`not_modified`) there are no items at all."""

    feed_url: str
    not_modified: bool
    title: str = ""
    items: tuple[FeedItem, ...] = ()
    fresh: tuple[FeedItem, ...] = ()
    etag: str = ""
    last_modified: str = ""


def _iso(parsed: time.struct_time | None) -> str:
    if not parsed:
        return ""
    return dt.datetime(*parsed[:6], tzinfo=dt.UTC).isoformat()


def parse_feed(body: bytes, feed_url: str, max_items: int = 50) -> tuple[str, list[FeedItem]]:
    """The feed's title and its first `max_items` http(s) items (relative links resolved)."""
    import feedparser

    # A stream, never a string: feedparser fetches URL-like strings and opens file paths.
    parsed = feedparser.parse(io.BytesIO(body), response_headers={"content-location": feed_url})
    if parsed.bozo and not parsed.entries:
        raise FeedError(f"{feed_url}: not a readable RSS or Atom feed ({parsed.bozo_exception})")
    if not parsed.get("version") and not parsed.entries:  # an empty body has no `version`
        raise FeedError(f"{feed_url}: not an RSS or Atom feed")
    items: list[FeedItem] = []
    for entry in parsed.entries:
        link = urljoin(feed_url, str(entry.get("link") or "").strip())
        if urlsplit(link).scheme not in ("http", "https") or not urlsplit(link).hostname:
            continue
        items.append(
            FeedItem(
                url=normalize_url(link),
                title=str(entry.get("title") or "").strip(),
                published=_iso(dict.get(entry, "published_parsed")),
                # dict.get: FeedParserDict.get maps a missing `updated` to `published`.
                updated=_iso(dict.get(entry, "updated_parsed")),
                entry_id=str(entry.get("id") or ""),
            )
        )
    unique = list({item.url: item for item in reversed(items)}.values())[::-1]
    return str(parsed.feed.get("title") or "").strip(), unique[:max_items]


class FeedState:
    """Per feed: validators (ETag, Last-Modified), when it was checked and changed, and the
    version of each item already ingested. Kept as JSON in the data dir, replaced atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._feeds: dict[str, dict[str, Any]] = {}
        if path.exists():
            try:
                self._feeds = json.loads(path.read_text(encoding="utf-8")).get("feeds", {})
            except (ValueError, AttributeError) as exc:
                log.warning("feed state %s unreadable (%s); starting afresh", path, exc)

    @classmethod
    def in_dir(cls, data_dir: Path) -> FeedState:
        return cls(data_dir / STATE_FILE)

    def feed(self, feed_url: str) -> Mapping[str, Any]:
        """The stored record for a feed (empty if never polled)."""
        return self._feeds.get(feed_url, {})

    def conditional_headers(self, feed_url: str) -> dict[str, str]:
        record = self.feed(feed_url)
        headers = {}
        if record.get("etag"):
            headers["If-None-Match"] = record["etag"]
        if record.get("last_modified"):
            headers["If-Modified-Since"] = record["last_modified"]
        return headers

    def fresh_items(self, feed_url: str, items: Iterable[FeedItem]) -> tuple[FeedItem, ...]:
        seen: dict[str, str] = dict(self.feed(feed_url).get("items", {}))
        return tuple(i for i in items if i.url not in seen or seen[i.url] != i.version)

    def record(self, poll: FeedPoll, *, failed: Iterable[str] = ()) -> None:
        """Mark `poll`'s items seen (except the `failed` URLs) and save."""
        failed_urls = set(failed)
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._lock:
            record = dict(self._feeds.get(poll.feed_url, {}))
            record["checked"] = now
            if not poll.not_modified:
                # Only the feed's current items: the record stays small, and an item that
                # failed (or drops out and comes back) is simply fresh again.
                items = {i.url: i.version for i in poll.items if i.url not in failed_urls}
                record["items"] = items
                if poll.fresh:
                    record["changed"] = now
                keep = not failed_urls  # a 304 next time would hide the failed items
                record["etag"] = poll.etag if keep else ""
                record["last_modified"] = poll.last_modified if keep else ""
            self._feeds[poll.feed_url] = record
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        data = json.dumps({"version": 1, "feeds": self._feeds}, indent=1, sort_keys=True)
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


def poll_feed(
    fetcher: SafeFetcher, feed_url: str, state: FeedState, *, max_items: int = 50
) -> FeedPoll:
    """Fetch a feed (conditionally) and say which items are fresh. Raises FetchError or
    FeedError; records nothing (see `FeedState.record`)."""
    page = fetcher.fetch(feed_url, headers=state.conditional_headers(feed_url))
    if page.not_modified:
        log.info("feed %s not modified", redact(feed_url))
        return FeedPoll(feed_url, not_modified=True)
    _check_feed_type(page)
    title, items = parse_feed(page.body, page.final_url, max_items)
    fresh = state.fresh_items(feed_url, items)
    log.info("feed %s: %d items, %d fresh", redact(feed_url), len(items), len(fresh))
    return FeedPoll(
        feed_url=feed_url,
        not_modified=False,
        title=title,
        items=tuple(items),
        fresh=fresh,
        etag=page.header("etag"),
        last_modified=page.header("last-modified"),
    )


def _check_feed_type(page: FetchedPage) -> None:
    # Many servers send feeds as text/html or text/plain; sniff for an XML root instead.
    if page.content_type in FEED_TYPES:
        return
    head = page.body[:512].lstrip().lower()
    if not head.startswith((b"<?xml", b"<rss", b"<feed", b"<rdf")):
        raise FeedError(f"{page.final_url}: {page.content_type} is not a feed")
