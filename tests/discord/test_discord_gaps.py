"""Knowledge gaps in Discord, end to end over the fake Discord: refused questions from /ask and
mentions and 👎-voted answers are kept redacted (when on), /gaps shows them to curators only,
privately, within Discord's limits; with gaps off nothing is written."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from discord_driver import context_menu, press, say, slash
from discord_helpers import answered, callback, embeds_of, is_ephemeral
from discord_limits import message_problems

from bot.app import App
from bot.discordbot.commands import VERDICTS
from bot.discordbot.gap_list import GAPS_OFF, MAX_GROUPS, gaps_messages
from bot.gap_report import GapGroup, GapReport, NearestSource
from bot.gaps import FILE_NAME, Gaps, open_gaps

pytestmark = pytest.mark.anyio
NHS_NUMBER = "9998765439"  # valid, never issued
REFUSED = f"best recipe for banana bread? my nhs number is {NHS_NUMBER}"
MENTIONED = "whats the best banana bread recipe, ring me on 07700 900123"
ANSWERED = "how much is palantirs fdp deal worth??"
RAW = (NHS_NUMBER.encode(), b"999 876 5439", b"07700 900123", b"900123")


@pytest.fixture
def gaps(tmp_path: Path, discord_app: App) -> Iterator[Gaps]:
    """Knowledge gaps kept in the harness's data dir (tmp_path/data)."""
    kept = open_gaps(tmp_path / "data", keep=True, days=30,
                     embedder=discord_app.embedder, index=discord_app.library.index)  # fmt: skip
    yield kept
    kept.close()


def kept_rows(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT guild_id, reason, question FROM gaps ORDER BY id").fetchall()


def replies_to(fake: Any, message: dict[str, Any]) -> list[Any]:
    return [
        r for r in fake.requests
        if r.method == "POST" and r.path.endswith(f"/{fake.channel_id}/messages")
        and str((r.body.get("message_reference") or {}).get("message_id")) == message["id"]
    ]  # fmt: skip


async def test_refusals_and_thumbs_down_are_kept_and_curators_see_them_privately(
    harness_factory: Any, discord_app: App, gaps: Gaps, tmp_path: Path
) -> None:
    h = await harness_factory(discord_app, gaps=gaps)
    fake, guild = h.fake, int(h.fake.guild_id)
    database = tmp_path / "data" / FILE_NAME

    refused = await slash(fake, "ask", question=REFUSED)
    (reply,) = await answered(fake, refused)
    assert "don't cover" in reply.message["embeds"][0]["description"]
    asked = await say(fake, MENTIONED, mention_bot=True)
    await fake.wait_for(lambda r: r in replies_to(fake, asked))
    token = await slash(fake, "ask", question=ANSWERED)
    await answered(fake, token)
    answer = fake.messages[fake.channel_id][-1]
    assert kept_rows(database) == [
        (guild, "refused", "best recipe for banana bread? my nhs number is [NHS number]"),
        (guild, "refused", "whats the best banana bread recipe, ring me on [phone number]"),
    ]  # the answered question waits in memory, not on disk

    down = await press(fake, answer, "nhsbot:vote:down:", user="carol")
    await fake.wait_for(lambda r: r.token == down)
    assert "👎 1" in callback(fake, down).body["data"]["content"]
    assert kept_rows(database)[-1] == (guild, "downvoted", ANSWERED)
    assert gaps.store is not None
    gaps.store.add("a question from another server", reason="refused", guild_id=guild + 1)

    denied = await slash(fake, "gaps", user="alice")
    await fake.wait_for(lambda r: r.token == denied)
    body = callback(fake, denied).body
    assert body["type"] == 4 and is_ephemeral(body["data"])
    content = body["data"]["content"]
    assert "only curators" in content and "see the knowledge gaps" in content

    shown = await slash(fake, "gaps", user="bob", days=7)  # the curator role
    recs = await answered(fake, shown)
    assert is_ephemeral(callback(fake, shown).body["data"])
    assert all(is_ephemeral(r.body) for r in recs)
    (embed,) = embeds_of(recs)
    assert embed["title"] == "Knowledge gaps: the last 7 days"
    text = embed["description"]
    assert text.startswith("3 questions in 2 groups of similar questions")
    assert "**1. 2×** “" in text and "banana bread" in text and "2 refused · 0 👎" in text
    assert f"**2. 1×** “{ANSWERED}”" in text and "0 refused · 1 👎" in text
    assert "Nearest source: [" in text and "another server" not in text
    assert NHS_NUMBER not in text and "900123" not in text

    stored = database.read_bytes()
    for raw in RAW:
        assert raw not in stored, raw

    about = await slash(fake, "about")
    await fake.wait_for(lambda r: r.token == about)
    fields = callback(fake, about).body["data"]["embeds"][0]["fields"]
    assert fields[-1]["name"] == "Knowledge gaps are on" and "30 days" in fields[-1]["value"]
    assert "not stored" not in fields[1]["value"]


async def test_taking_the_thumbs_down_back_forgets_the_question(
    harness_factory: Any, discord_app: App, gaps: Gaps, tmp_path: Path
) -> None:
    h = await harness_factory(discord_app, gaps=gaps)
    token = await slash(h.fake, "ask", question=ANSWERED)
    await answered(h.fake, token)
    answer = h.fake.messages[h.fake.channel_id][-1]
    down = await press(h.fake, answer, "nhsbot:vote:down:", user="bob")
    await h.fake.wait_for(lambda r: r.token == down)
    assert [reason for _, reason, _ in kept_rows(tmp_path / "data" / FILE_NAME)] == ["downvoted"]
    up = await press(h.fake, answer, "nhsbot:vote:up:", user="bob")
    await h.fake.wait_for(lambda r: r.token == up)
    assert kept_rows(tmp_path / "data" / FILE_NAME) == []


async def test_a_checked_message_the_sources_dont_cover_is_kept_redacted(
    harness_factory: Any, discord_app: App, gaps: Gaps, tmp_path: Path
) -> None:
    h = await harness_factory(discord_app, gaps=gaps)
    claim = await say(h.fake, "<@123456789012345678> at SW1A 1AA says banana bread cures colds")
    token = await context_menu(h.fake, "Check against sources", claim)
    (reply,) = await answered(h.fake, token)
    assert reply.message["content"] == VERDICTS["not covered"]
    assert kept_rows(tmp_path / "data" / FILE_NAME) == [
        (int(h.fake.guild_id), "refused", "[mention] at [postcode] says banana bread cures colds")
    ]


async def test_with_gaps_off_nothing_is_written_and_gaps_says_so(
    harness: Any, tmp_path: Path
) -> None:
    fake = harness.fake
    token = await slash(fake, "ask", question=REFUSED)
    await answered(fake, token)
    asked = await say(fake, MENTIONED, mention_bot=True)
    await fake.wait_for(lambda r: r in replies_to(fake, asked))
    answer = fake.messages[fake.channel_id][-1]
    down = await press(fake, answer, "nhsbot:vote:down:", user="bob")
    await fake.wait_for(lambda r: r.token == down)
    assert not (tmp_path / "data" / FILE_NAME).exists()
    assert NHS_NUMBER.encode() not in b"".join(
        p.read_bytes() for p in (tmp_path / "data").rglob("*") if p.is_file()
    )

    shown = await slash(fake, "gaps", user="bob")
    await fake.wait_for(lambda r: r.token == shown)
    body = callback(fake, shown).body
    assert is_ephemeral(body["data"]) and body["data"]["content"] == GAPS_OFF
    about = await slash(fake, "about")
    await fake.wait_for(lambda r: r.token == about)
    fields = callback(fake, about).body["data"]["embeds"][0]["fields"]
    assert fields[1]["value"].startswith("Your questions are not stored.")
    assert all(f["name"] != "Knowledge gaps are on" for f in fields)


async def test_gaps_command_is_registered_with_its_days_option(harness: Any) -> None:
    command = harness.fake.find_command("gaps")
    (days,) = command["options"]
    assert days["name"] == "days" and days["type"] == 4 and not days.get("required")
    assert (days["min_value"], days["max_value"]) == (1, 365)
    assert command["description"].startswith("Curators:")


def group(n: int, chars: int) -> GapGroup:
    long = f"question {n} " + "very long words and *markdown* [x](https://e.org) " * chars
    near = NearestSource("T" * 400, "s.md", "https://e.org/" + "p" * 600, "c")
    return GapGroup(long, 100 - n, 90 - n, 10, "2026-01-01", "2026-01-30", (long,) * 3, near)


@pytest.mark.parametrize(("groups", "chars"), [(0, 0), (1, 1), (8, 40), (MAX_GROUPS + 15, 40)])
def test_gaps_messages_stay_within_discords_limits(groups: int, chars: int) -> None:
    report = GapReport(True, 30, 30, groups * 3, tuple(group(n, chars) for n in range(groups)))
    messages = gaps_messages(report)
    for embeds in messages:
        payload = {"embeds": [e.to_dict() for e in embeds]}
        assert message_problems(payload) == []
    text = "\n".join(e.description or "" for m in messages for e in m)
    assert text.count("×**") == min(groups, MAX_GROUPS)
    if groups > MAX_GROUPS:
        assert "15 more groups: `nhsbot gaps`" in text
    if groups == 0:
        assert "No questions went unanswered" in text
    if chars:
        assert r"\*markdown\*" in text and "*markdown*" not in text.replace(r"\*", "")
