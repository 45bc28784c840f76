"""Mentions, replies, threads and the context menu, end to end over the fake Discord."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from discord_driver import context_menu, press, say, slash, start_thread
from discord_helpers import Wrapped, answered, callback, is_message_post

from bot.app import App
from bot.discordbot.commands import VERDICTS

pytestmark = pytest.mark.anyio
FIRST = "How much is the Federated Data Platform contract worth?"
FOLLOW_UP = "and how long does it last?"


def bot_posts(fake: Any, channel_id: str) -> list[Any]:
    return [
        r
        for r in fake.requests
        if r.method == "POST" and r.path.endswith(f"/{channel_id}/messages")
    ]


async def test_mention_is_answered_as_a_reply(harness: Any) -> None:
    fake = harness.fake
    asked = await say(fake, "how much is palantirs fdp deal worth??", mention_bot=True)
    (post,) = await fake.wait_for(lambda r: r in bot_posts(fake, fake.channel_id))
    assert str(post.body["message_reference"]["message_id"]) == asked["id"]
    embed = post.body["embeds"][0]
    assert embed["title"] == "how much is palantirs fdp deal worth??"  # the mention is stripped
    assert "£330 million" in embed["description"] and embed["fields"]
    assert any(r.path.endswith("/typing") for r in fake.requests)
    assert post.body["allowed_mentions"] == {"parse": []}  # nor the replied-to member


async def test_plain_messages_and_own_messages_are_ignored(harness: Any) -> None:
    fake = harness.fake
    await say(fake, "how much is palantirs fdp deal worth??")  # no mention, not a reply
    await say(fake, "<@&1> what about the opt-out?")  # a role mention is not the bot
    asked = await say(fake, "what does the SAIL Databank hold?", mention_bot=True)
    await fake.wait_for(lambda r: r in bot_posts(fake, fake.channel_id))
    await asyncio.sleep(0.3)  # the bot's own echoed MESSAGE_CREATE must not start a loop
    (only,) = bot_posts(fake, fake.channel_id)
    assert str(only.body["message_reference"]["message_id"]) == asked["id"]


async def test_reply_to_an_answer_is_a_follow_up_using_the_earlier_turn(
    harness_factory: Any, discord_app: App
) -> None:
    recording = Wrapped(discord_app.answerer)
    h = await harness_factory(discord_app, answerer=recording)
    fake = h.fake
    await say(fake, FIRST, mention_bot=True)
    await fake.wait_for(lambda r: r in bot_posts(fake, fake.channel_id))
    answer = next(m for m in fake.messages[fake.channel_id] if m["author"]["id"] == fake.app_id)
    earlier = answer["embeds"][0]["description"]
    await say(fake, FOLLOW_UP, reply_to=answer)  # a reply, no mention typed
    await fake.wait_for(lambda r: r in bot_posts(fake, fake.channel_id), count=2)
    assert recording.calls[-1] == (FOLLOW_UP, ((FIRST, earlier),))
    second = bot_posts(fake, fake.channel_id)[-1].body["embeds"][0]
    with_turn = discord_app.answerer.ask(discord_app.answerer.read(FOLLOW_UP, [(FIRST, earlier)]))
    assert second["description"] == with_turn.answer
    assert with_turn.answer != discord_app.answerer.ask(FOLLOW_UP).answer  # the turn mattered


async def test_thread_started_on_an_answer_takes_follow_ups_without_a_mention(
    harness_factory: Any, discord_app: App
) -> None:
    recording = Wrapped(discord_app.answerer)
    h = await harness_factory(discord_app, answerer=recording)
    fake = h.fake
    token = await slash(fake, "ask", question=FIRST)
    await answered(fake, token)
    answer = fake.messages[fake.channel_id][-1]
    earlier = answer["embeds"][0]["description"]
    pressed = await press(fake, answer, "nhsbot:thread:")
    await fake.wait_for(lambda r: r.token == pressed)
    thread_id = answer["id"]  # a thread started on a message takes the message's id
    assert thread_id in fake.channels and fake.channels[thread_id]["owner_id"] == fake.app_id
    assert f"<#{thread_id}>" in callback(fake, pressed).body["data"]["content"]

    theirs = await start_thread(fake, fake.users["alice"]["id"], "chat")
    await say(fake, FOLLOW_UP, channel_id=theirs)  # someone else's thread, no mention: ignored
    await say(fake, FOLLOW_UP, channel_id=thread_id)
    (post,) = await fake.wait_for(lambda r: r in bot_posts(fake, thread_id))
    assert recording.calls[-1] == (FOLLOW_UP, ((FIRST, earlier),))  # from the thread's starter
    expected = discord_app.answerer.ask(discord_app.answerer.read(FOLLOW_UP, [(FIRST, earlier)]))
    assert not expected.refused and post.body["embeds"][0]["description"] == expected.answer
    assert expected.answer != discord_app.answerer.ask(FOLLOW_UP).answer  # the turn mattered

    await say(fake, "who are the partners?", channel_id=thread_id)
    await fake.wait_for(lambda r: r in bot_posts(fake, thread_id), count=2)
    assert recording.calls[-1][1] == ((FOLLOW_UP, expected.answer),)  # the latest turn there
    assert bot_posts(fake, theirs) == []


async def test_context_menu_checks_a_message_against_the_sources(harness: Any) -> None:
    fake = harness.fake
    claim = await say(
        fake,
        "The national data opt-out applies only in England. "
        "The Federated Data Platform contract is worth up to £480 million over seven years.",
    )
    token = await context_menu(fake, "Check against sources", claim)
    (reply,) = await answered(fake, token)
    assert callback(fake, token).body["type"] == 5
    body = reply.message
    assert body["embeds"][0]["title"] == f"Checking: {claim['content']}"
    assert body["content"] == VERDICTS["contradicts"]
    description = body["embeds"][0]["description"]
    assert description.startswith("Supported:") and "\nContradicted:" in description
    assert "£330 million, not £480 million" in description
    assert any("opt-out" in f["name"] for f in body["embeds"][0]["fields"])


async def test_everyone_and_role_mentions_never_ping(harness: Any) -> None:
    fake = harness.fake
    question = "@everyone <@&123456789012345678> who will count the votes in the forum ballot?"
    await say(fake, question, mention_bot=True)
    token = await slash(fake, "ask", question=question)
    await answered(fake, token)
    await fake.wait_for(lambda r: r in bot_posts(fake, fake.channel_id))
    posts = [r for r in fake.requests if is_message_post(r)]
    assert len(posts) == 2
    for post in posts:
        text = str(post.message)
        assert "@everyone" in text and "<@&123456789012345678>" in text  # the source's and ours
        assert post.message["allowed_mentions"] == {"parse": []}


@pytest.mark.parametrize("allow_dms", [False, True])
async def test_direct_messages_only_when_enabled(
    harness_factory: Any, discord_app: App, allow_dms: bool
) -> None:
    h = await harness_factory(discord_app, allow_dms=allow_dms)
    fake = h.fake
    dm = await say(fake, "how much is palantirs fdp deal worth??", dm=True)
    probe = await say(fake, "what does the SAIL Databank hold?", mention_bot=True)
    await fake.wait_for(lambda r: r in bot_posts(fake, probe["channel_id"]))  # the bot is alive
    if allow_dms:
        (reply,) = await fake.wait_for(lambda r: r in bot_posts(fake, dm["channel_id"]))
        assert "£330 million" in reply.body["embeds"][0]["description"]
    else:
        await asyncio.sleep(0.2)
        assert bot_posts(fake, dm["channel_id"]) == []
