"""Slash commands end to end: the real bot, a real pipeline, a fake Discord on loopback."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from discord_driver import autocomplete, press, slash
from discord_helpers import (
    FailsOnce,
    Gated,
    Lengthy,
    answered,
    callback,
    embeds_of,
    fields_of,
    followups,
    is_ephemeral,
    reported,
)

from bot.app import App
from bot.discordbot.failures import FAILED

pytestmark = pytest.mark.anyio
FDP_QUESTION = "how much is palantirs fdp deal worth??"
EXPECTED = {
    "ask", "source", "sources", "ingest", "reingest", "gaps", "about", "Check against sources"
}  # fmt: skip


async def test_registration_matches_the_commands(harness: Any) -> None:
    fake = harness.fake
    registered = {c["name"]: c for c in fake.commands[fake.guild_id]}
    assert set(registered) == EXPECTED
    assert None not in fake.commands  # NHSBOT_GUILD_IDS set: guild commands only (instant)
    ask = {o["name"]: o for o in registered["ask"]["options"]}
    assert ask["question"]["type"] == 3 and ask["question"]["required"]
    assert ask["private"]["type"] == 5 and not ask["private"].get("required")
    assert registered["sources"]["options"][0]["autocomplete"] is True
    assert registered["Check against sources"]["type"] == 3  # a message context menu
    assert all(c["description"] for c in registered.values() if c["type"] == 1)
    assert fake.identify["intents"] & (1 << 15)  # message content, for thread follow-ups


async def test_without_guild_ids_commands_register_globally(
    harness_factory: Any, discord_app: App
) -> None:
    h = await harness_factory(discord_app, guild_ids=[])
    assert {c["name"] for c in h.fake.commands[None]} == EXPECTED
    assert h.fake.guild_id not in h.fake.commands
    token = await slash(h.fake, "ask", question=FDP_QUESTION)  # a global command, used in a guild
    (reply,) = await answered(h.fake, token)
    assert "£330 million" in reply.message["embeds"][0]["description"]


async def test_ask_defers_before_the_pipeline_then_answers_with_the_contract(
    harness_factory: Any, discord_app: App
) -> None:
    gated = Gated(discord_app.answerer)
    h = await harness_factory(discord_app, answerer=gated)
    sent = asyncio.get_running_loop().time()
    token = await slash(h.fake, "ask", question=FDP_QUESTION)
    await h.fake.wait_for(lambda r: r.token == token and "/callback" in r.path)
    defer = callback(h.fake, token)
    assert defer.body["type"] == 5 and not is_ephemeral(defer.body.get("data") or {})
    assert not followups(h.fake, token) and gated.asked == []  # deferred while still thinking
    assert asyncio.get_running_loop().time() - sent < 1.0  # far inside Discord's 3 s
    gated.gate.set()
    (reply,) = await answered(h.fake, token)
    expected = discord_app.answerer.ask(FDP_QUESTION).to_json()
    embed = reply.message["embeds"][0]
    assert embed["title"] == FDP_QUESTION and embed["description"] == expected["answer"]
    assert "£330 million" in embed["description"]
    fields = embed["fields"]
    assert len(fields) == len(expected["citations"]) > 0
    for field, c in zip(fields, expected["citations"], strict=True):
        assert field["name"] == f"[{c['n']}] {c['title']}"
        for part in (c["publisher"], c["published"], c["url"], c["quote"]):
            assert part in field["value"]
        assert c["chunk_id"] in embed["footer"]["text"]
    assert "Answers come only from the listed sources." in embed["footer"]["text"]
    buttons = [b for row in reply.message["components"] for b in row["components"]]
    assert [b.get("label") for b in buttons[:1]] == ["Show passages"]
    assert {b["emoji"]["name"] for b in buttons[1:3]} == {"👍", "👎"}
    assert buttons[3]["custom_id"].startswith("nhsbot:thread:")
    assert buttons[4]["url"] == expected["citations"][0]["url"]
    assert reply.message["allowed_mentions"] == {"parse": []}


async def test_private_ask_is_ephemeral_throughout(harness: Any) -> None:
    token = await slash(harness.fake, "ask", question=FDP_QUESTION, private=True)
    replies = await answered(harness.fake, token)
    assert is_ephemeral(callback(harness.fake, token).body["data"])
    assert all(is_ephemeral(r.body) for r in replies)


async def test_long_answer_arrives_complete_and_within_limits(
    harness_factory: Any, discord_app: App
) -> None:
    lengthy = Lengthy(discord_app.answerer)
    h = await harness_factory(discord_app, answerer=lengthy)
    question = "who is the data controller for the platform?"
    token = await slash(h.fake, "ask", question=question)
    expected = lengthy.ask(lengthy.read(question))
    assert len(expected.answer) > 20_000
    await asyncio.sleep(0)  # let the bot start; then wait until the last message has buttons
    recs = await h.fake.wait_for(
        lambda r: r.token == token and "/webhooks/" in r.path and bool(r.body.get("components"))
    )
    replies = followups(h.fake, token)
    assert len(replies) > 3 and recs[0] is replies[-1]
    assert h.fake.problems == []  # the fake rejects (400) anything over a Discord limit
    text = " ".join(e.get("description") or "" for e in embeds_of(replies))
    assert text.split() == expected.answer.split()  # complete, in order, no word cut
    names = [f["name"] for f in fields_of(replies)]
    assert sorted(int(re.match(r"\[(\d+)\]", n)[1]) for n in names) == [  # type: ignore[index]
        c.n for c in expected.citations
    ]


async def test_show_passages_and_thumbs_up(harness: Any, discord_app: App) -> None:
    fake = harness.fake
    token = await slash(fake, "ask", question=FDP_QUESTION)
    (reply,) = await answered(fake, token)
    message = next(m for m in fake.messages[fake.channel_id] if m.get("components"))
    assert message["embeds"] == reply.message["embeds"]  # the buttons sit under the answer
    chunk_ids = re.findall(r"\] (\S+-\S+-\d+)", reply.message["embeds"][-1]["footer"]["text"])
    assert chunk_ids

    shown = await press(fake, message, "nhsbot:passages:", user="bob")
    recs = await answered(fake, shown)
    assert is_ephemeral(callback(fake, shown).body["data"]) and all(
        is_ephemeral(r.body) for r in recs
    )
    passage = discord_app.library.passage(chunk_ids[0])
    assert passage is not None
    descriptions = " ".join(e.get("description", "") for e in embeds_of(recs))
    assert passage.text.split()[:50] == descriptions.split()[:50]

    voted = await press(fake, message, "nhsbot:vote:up:", user="bob")
    await fake.wait_for(lambda r: r.token == voted)
    thanks = callback(fake, voted).body
    assert (
        thanks["type"] == 4 and is_ephemeral(thanks["data"]) and "👍 1" in thanks["data"]["content"]
    )
    answer_id = message["components"][0]["components"][0]["custom_id"].rsplit(":", 1)[1]
    assert harness.services.feedback.tally(answer_id).up == 1
    stored = harness.services.feedback.path.read_bytes()
    assert b"palantir" not in stored.lower() and answer_id.encode() in stored  # no question kept


async def test_sources_autocomplete_lists_matching_titles(harness: Any) -> None:
    token = await autocomplete(harness.fake, "sources", "query", "opt-out")
    rec = await harness.fake.wait_for(lambda r: r.token == token)
    assert rec[0].body["type"] == 8
    names = [c["name"] for c in rec[0].body["data"]["choices"]]
    assert names == ["Test brief: the national data opt-out"]


async def test_source_sources_and_about(harness: Any, discord_app: App) -> None:
    fake = harness.fake
    hit = discord_app.answerer.retrieve("SAIL Databank", 1)[0]
    tokens = [
        await slash(fake, "source", id=hit.chunk_id),
        await slash(fake, "sources", query="opt-out"),
        await slash(fake, "about"),
        await slash(fake, "source", id="no-such-passage"),
    ]
    await fake.wait_for(lambda r: "/callback" in r.path and r.token in tokens, count=4)
    source, sources, about, missing = (callback(fake, t).body["data"] for t in tokens)
    assert source["embeds"][0]["description"].split() == hit.text.split()
    assert source["embeds"][0]["title"] == hit.meta("title")
    assert "https://example.org/opt-out" in sources["embeds"][0]["description"]
    stats = discord_app.library.stats()
    assert f"{stats.documents} documents" in about["embeds"][0]["fields"][0]["value"]
    assert "no medical or legal advice" in about["embeds"][0]["description"]
    assert is_ephemeral(missing) and "No stored passage" in missing["content"]


async def test_ingest_is_for_curators_and_the_new_document_is_then_cited(
    harness: Any, discord_corpus: Any
) -> None:
    fake = harness.fake
    (discord_corpus / "bristol-trial.md").write_text(
        '---\ntitle: "Test brief: the Bristol kidney data trial"\npublisher: nhsbot tests\n'
        "published: 2026-02-02\nurl: https://example.org/bristol\n---\n"
        "The Bristol kidney data trial shares dialysis records with the University of Bristol "
        "until June 2027. Patients can leave the trial by writing to the renal unit.\n"
    )
    refused = await slash(fake, "ingest", user="alice", url="bristol-trial.md")
    await fake.wait_for(lambda r: r.token == refused)
    body = callback(fake, refused).body
    assert (
        body["type"] == 4
        and is_ephemeral(body["data"])
        and "only curators" in body["data"]["content"]
    )

    accepted = await slash(fake, "ingest", user="bob", url="bristol-trial.md")  # curator role
    (report,) = await answered(fake, accepted)
    assert is_ephemeral(report.body)
    assert report.body["content"].splitlines() == [
        "1 added, 0 changed, 0 skipped, 0 pruned, 0 failed",
        "Added: bristol-trial.md",  # relative to the corpus folder, not the server's path
    ]

    asked = await slash(
        fake, "ask", question="until when does the bristol kidney trial share records?"
    )
    (reply,) = await answered(fake, asked)
    assert "June 2027" in reply.message["embeds"][0]["description"]
    assert reply.message["embeds"][0]["fields"][0]["name"].endswith("the Bristol kidney data trial")

    (discord_corpus / "bad.pdf").write_bytes(b"not a pdf at all")
    try:
        again = await slash(fake, "reingest", user="carol")  # Manage Server, no curator role
        report = await reported(fake, again)
    finally:
        (discord_corpus / "bad.pdf").unlink()
    assert not followups(fake, again)  # the report replaces the reply, in the same message
    lines = report.body["content"].splitlines()
    assert lines[0].startswith("0 added, 0 changed, ") and lines[0].endswith("0 pruned, 1 failed")
    assert len(lines) == 2 and lines[1].startswith("Failed: bad.pdf: ")  # unchanged ones unlisted
    outside = await slash(fake, "ingest", user="bob", url="/etc/passwd")
    await fake.wait_for(lambda r: r.token == outside)
    refusal = callback(fake, outside).body["data"]["content"]
    assert "only ingest files" in refusal and str(discord_corpus) not in refusal


async def test_pipeline_error_becomes_an_ephemeral_message_and_the_bot_goes_on(
    harness_factory: Any, discord_app: App
) -> None:
    h = await harness_factory(discord_app, answerer=FailsOnce(discord_app.answerer))
    first = await slash(h.fake, "ask", question=FDP_QUESTION)
    (error,) = await answered(h.fake, first)
    assert is_ephemeral(error.body) and error.body["content"] == FAILED
    methods = [(r.method, r.path.rsplit("/", 1)[-1]) for r in h.fake.recorded(first)]
    assert ("DELETE", "@original") in methods  # the public "thinking…" is removed
    second = await slash(h.fake, "ask", question=FDP_QUESTION)
    (reply,) = await answered(h.fake, second)
    assert "£330 million" in reply.message["embeds"][0]["description"]


async def test_overlong_question_and_cooldown_answer_at_once(
    harness_factory: Any, discord_app: App
) -> None:
    h = await harness_factory(discord_app, cooldown_seconds=60)
    long = await slash(h.fake, "ask", question="why " * 400)
    await h.fake.wait_for(lambda r: r.token == long)
    body = callback(h.fake, long).body
    assert (
        body["type"] == 4 and is_ephemeral(body["data"]) and "limit is" in body["data"]["content"]
    )
    ok = await slash(h.fake, "ask", question=FDP_QUESTION)
    await answered(h.fake, ok)
    wait = await slash(h.fake, "ask", question=FDP_QUESTION)
    await h.fake.wait_for(lambda r: r.token == wait)
    assert "try again in" in callback(h.fake, wait).body["data"]["content"]


async def test_buttons_keep_working_after_a_restart(harness_factory: Any, discord_app: App) -> None:
    first = await harness_factory(discord_app)
    token = await slash(first.fake, "ask", question=FDP_QUESTION)
    await answered(first.fake, token)
    message = first.fake.messages[first.fake.channel_id][-1]
    await first.bot.close()

    second = await harness_factory(discord_app)  # same data dir: same feedback store
    shown = await press(second.fake, message, "nhsbot:passages:")
    recs = await answered(second.fake, shown)
    assert "£330 million" in " ".join(e.get("description", "") for e in embeds_of(recs))

    forgotten = {**message, "components": [{"type": 1, "components": [
        {"type": 2, "style": 2, "label": "Show passages", "custom_id": "nhsbot:passages:ffff"}
    ]}]}  # fmt: skip
    gone = await press(second.fake, forgotten, "nhsbot:passages:")
    await second.fake.wait_for(lambda r: r.token == gone)
    body = callback(second.fake, gone).body
    assert is_ephemeral(body["data"]) and "no longer have the passages" in body["data"]["content"]


async def test_refusal_says_so_and_lists_the_nearest_sources(
    harness: Any, discord_app: App
) -> None:
    question = "best recipe for banana bread"
    expected = discord_app.answerer.ask(question)
    assert expected.refused and expected.citations
    token = await slash(harness.fake, "ask", question=question)
    (reply,) = await answered(harness.fake, token)
    first, nearest = reply.message["embeds"]
    assert first["description"] == expected.answer and "don't cover" in first["description"]
    assert nearest["title"] == "Nearest sources"
    assert [f["name"] for f in nearest["fields"]] == [
        f"[{c.n}] {c.title}" for c in expected.citations
    ]
