"""Keeping sources fresh from Discord: the scheduled refresh announces new and changed feed
items to the updates channel, and `/ingest url:` fetches a page. Real bot, real app, a
real feed server and a fake Discord, all on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from discord_driver import slash
from discord_helpers import answered, callback, is_ephemeral, stop_bots
from discord_limits import message_problems
from fake_discord import FakeDiscord, Recorded
from websites import FeedEntry, Route, Site, article_html, serve

from bot.app import App, open_app
from bot.discordbot.client import NhsBot, discord_endpoints
from bot.discordbot.notices import updates_messages
from bot.discordbot.services import Services
from bot.feedback import FeedbackStore
from bot.refresh import Announcement, Refresher
from bot.settings import Settings
from ingest.sync import SyncReport
from ingest.web_sync import web_doc_id

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).parents[1] / "fixtures" / "corpus"
FILLER = "The trust says access to identifiable records is limited to the care team. " * 2
SHARING = "Kent cancer registry records are shared with the University of Kent until 2028."
SHARING_NEW = "Kent cancer registry records are now shared with the University of Kent until 2030."
WARDS = "Sussex ward rosters now feed the regional workforce dashboard every night."


def dated_article(site: Site, path: str, title: str, text: str, published: str) -> None:
    """A cluttered article at `path` declaring itself canonical, published on `published`."""
    html = article_html(path, title, [FILLER, text], canonical=f"{site.base}{path}")
    html = html.replace("2026-11-02T09:00:00Z", published)
    site.set(path, Route(body=html.encode()))


@pytest.fixture(scope="module")
def news() -> Iterator[Site]:
    """A news site with a feed on 127.0.0.1."""
    site = Site()
    server = serve(site)
    site.base = f"http://127.0.0.1:{site.port}"
    site.set("/image.png", Route(content_type="image/png", body=b"\x89PNG\r\n\x1a\n"))
    yield site
    server.shutdown()


@pytest.fixture(scope="module")
def web_app(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Iterator[App]:
    """An app over the fixture corpus that may fetch from loopback (tests only)."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path_factory.mktemp("refresh-data"),
        allow_loopback_fetch=True,
    )
    with open_app(settings, embedder) as app:
        assert not app.library.ingest([FIXTURES]).failed
        yield app


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Any]:
    """Starts the real bot against a fresh fake Discord, with the refresher a test gives it."""
    started: list[tuple[FakeDiscord, NhsBot, asyncio.Task[None], FeedbackStore]] = []
    endpoints = contextlib.ExitStack()

    async def start(app: App, refresher: Refresher) -> tuple[FakeDiscord, NhsBot]:
        fake = FakeDiscord()
        await fake.start()
        endpoints.enter_context(discord_endpoints(fake.api_base, fake.gateway_url))
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=tmp_path / "data", guild_ids=[int(fake.guild_id)], cooldown_seconds=0,
            updates_channel=int(fake.channel_id), sources_file=refresher.sources_file,
        )  # fmt: skip
        feedback = FeedbackStore(tmp_path / "data" / "feedback.sqlite3")
        services = Services(app.answerer, app.library, feedback, settings)
        bot = NhsBot(services, refresher=refresher, guild_ready_timeout=0.05)
        runner = asyncio.create_task(bot.start("fake-token"))
        started.append((fake, bot, runner, feedback))
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        return fake, bot

    with endpoints:
        try:
            yield start
        finally:
            await stop_bots(started)


def posts_to(fake: FakeDiscord, channel_id: str) -> list[Recorded]:
    return [
        r for r in fake.requests if r.method == "POST" and r.path.endswith(f"{channel_id}/messages")
    ]


async def announced(fake: FakeDiscord, title: str) -> dict[str, Any]:
    """The announcement embed for `title` in the updates channel (waits for it)."""
    path = f"/channels/{fake.channel_id}/messages"

    def has(r: Recorded) -> bool:
        if r.method != "POST" or not r.path.endswith(path):
            return False
        return any(e["title"] == title for e in r.body.get("embeds") or [])

    (post,) = await fake.wait_for(has, timeout=30)
    assert post.body["allowed_mentions"] == {"parse": []}  # never pings anyone
    return next(e for e in post.body["embeds"] if e["title"] == title)


async def test_scheduled_refresh_announces_new_and_changed_feed_items(
    news: Site, web_app: App, running: Any, tmp_path: Path
) -> None:
    first = FeedEntry("/news/kent", "Kent registry", "2026-11-01T08:00:00Z")
    dated_article(
        news, "/news/kent", "Kent cancer registry shared", SHARING, "2026-11-01T08:00:00Z"
    )
    news.rss("/feed.rss", [first])
    sources = tmp_path / "sources.toml"
    sources.write_text(f'feeds = ["{news.base}/feed.rss"]\n')
    fake, bot = await running(web_app, Refresher(web_app.library, sources, interval_s=0.3))

    kent = await announced(fake, "Kent cancer registry shared")  # the first run, at start
    assert kent["url"] == f"{news.base}/news/kent"
    assert "**New source**" in kent["description"] and "Published 2026-11-01" in kent["description"]

    dated_article(news, "/news/wards", "Ward rosters feed dashboard", WARDS, "2026-11-03T10:00:00Z")
    second = FeedEntry("/news/wards?utm_source=rss", "Wards", "2026-11-03T10:00:00Z")
    news.rss("/feed.rss", [first, second])
    wards = await announced(fake, "Ward rosters feed dashboard")  # a later scheduled run
    assert "New source" in wards["description"] and wards["url"] == f"{news.base}/news/wards"

    dated_article(news, "/news/kent", "Kent registry sharing extended", SHARING_NEW,
                  "2026-11-20T08:00:00Z")  # fmt: skip
    news.rss("/feed.rss", [FeedEntry("/news/kent", "Kent", "2026-11-20T08:00:00Z"), second])
    changed = await announced(fake, "Kent registry sharing extended")
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert "**Changed source**" in changed["description"]
    assert "Published 2026-11-20" in changed["description"]
    assert (
        f"Updated on {today} (the earlier version was dated 2026-11-01)" in changed["description"]
    )

    await asyncio.sleep(1.0)  # several more runs: unchanged items are not announced again
    assert len(posts_to(fake, fake.channel_id)) == 3
    doc_id = web_doc_id(f"{news.base}/news/kent")
    chunk = next(cid for cid, _, m in web_app.store.all_chunks() if m["doc_id"] == doc_id)
    token = await slash(fake, "source", id=chunk)
    await fake.wait_for(lambda r: r.token == token and "/callback" in r.path)
    fields = {
        f["name"]: f["value"] for f in callback(fake, token).body["data"]["embeds"][0]["fields"]
    }
    assert fields["Updated"] == f"updated on {today} (the earlier version was dated 2026-11-01)"


class Blocking:
    """A library stand-in whose sync waits until the test lets it finish."""

    def __init__(self) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        self.syncs = 0

    def ingest_sources(self, sources: Any, *, prune: bool = False) -> SyncReport:
        self.syncs += 1
        self.started.set()
        assert self.release.wait(10)
        return SyncReport()

    def described(self, doc_ids: Any) -> dict[str, Any]:
        return {}


def test_a_refresh_never_runs_twice_at_once(tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text('feeds = ["https://news.example/feed"]\n')
    library = Blocking()
    refresher = Refresher(library, sources, interval_s=60)  # type: ignore[arg-type]
    worker = threading.Thread(target=refresher.run)
    worker.start()
    assert library.started.wait(10)
    assert refresher.run() is None  # due again while the first still runs: skipped
    library.release.set()
    worker.join(10)
    assert refresher.run() is not None and library.syncs == 2
    assert Refresher(library, tmp_path / "none.toml", 60).run() is None  # type: ignore[arg-type]


def test_refresh_interval_comes_from_the_settings(tmp_path: Path) -> None:
    for minutes, seconds in ((0, 0), (15, 900)):
        settings = Settings(_env_file=None, refresh_minutes=minutes)  # type: ignore[call-arg]
        services = Services(None, Blocking(), None, settings)  # type: ignore[arg-type]
        bot = NhsBot(services)
        assert bot.refresher.interval_s == seconds and bot.refresher.enabled == bool(minutes)


async def test_curator_ingests_a_web_page_which_is_then_cited(
    news: Site, web_app: App, harness_factory: Any
) -> None:
    h = await harness_factory(web_app)
    fake, url = h.fake, f"{news.base}/news/lancs"
    dated_article(news, "/news/lancs", "Lancashire shares maternity records", (
        "Lancashire maternity records are shared with the Lancaster midwifery research "
        "unit under a data sharing agreement that ends in March 2029."
    ), "2026-10-05T09:00:00Z")  # fmt: skip
    refused = await slash(fake, "ingest", user="alice", url=url)
    await fake.wait_for(lambda r: r.token == refused)
    assert "only curators" in callback(fake, refused).body["data"]["content"]
    assert news.hits("/news/lancs") == []  # nothing fetched for a non-curator

    accepted = await slash(fake, "ingest", user="bob", url=f"{url}?utm_source=discord")
    (report,) = await answered(fake, accepted)
    assert is_ephemeral(report.body) and f"Added: {url}" in report.body["content"]

    asked = await slash(
        fake, "ask", question="When does the Lancashire maternity data agreement end?"
    )
    (reply,) = await answered(fake, asked)
    embed = reply.message["embeds"][0]
    assert "March 2029" in embed["description"]
    cited = [
        f for f in embed["fields"] if f["name"].endswith("Lancashire shares maternity records")
    ]
    assert cited and url in cited[0]["value"]

    bad = await slash(fake, "ingest", user="bob", url=f"{news.base}/image.png")
    (report,) = await answered(fake, bad)
    assert "Failed: " in report.body["content"] and "image/png" in report.body["content"]
    assert "0 added" in report.body["content"]


def test_announcements_stay_within_discord_limits_and_name_what_changed() -> None:
    items = [
        Announcement(f"id{n}", "Long title " * 40, f"https://news.example/{n}", n % 2 == 1,
                     f"2026-11-0{n}" if n < 10 else "", "2026-10-01", "2026-11-28T09:00:00+00:00")
        for n in range(14)
    ]  # fmt: skip
    items.append(Announcement("f", "A local brief", "corpus/brief.md", False))
    messages = updates_messages(items)
    assert "8 new, 7 changed" in messages[0][0] and "first 10" in messages[0][0]
    embeds = [e.to_dict() for _, batch in messages for e in batch]
    assert len(embeds) == 10
    for content, batch in messages:
        assert message_problems({"content": content, "embeds": [e.to_dict() for e in batch]}) == []
    assert embeds[1]["description"].splitlines() == [
        "**Changed source**", "https://news.example/1", "Published 2026-11-01",
        "Updated on 2026-11-28 (the earlier version was dated 2026-10-01)",
    ]  # fmt: skip
    local = updates_messages(items[-1:])[0][1][0].to_dict()
    assert "url" not in local and "corpus/brief.md" in local["description"]  # no http link
    assert "No published date" in local["description"] and updates_messages([]) == []
