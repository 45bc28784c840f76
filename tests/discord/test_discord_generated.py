"""Generated answers in Discord, end to end: the real bot, pipeline, ChatOpenAI client, prompt and
verifier, with a scripted OpenAI-compatible model on 127.0.0.1 (so we know what it writes).
Drafts stream into the follow-up (edits at most about once a second), then the verified answer
and its sources replace the draft; nothing a model writes can ping anyone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from discord_driver import say, slash
from discord_helpers import Wrapped, answered, is_ephemeral, is_message_post
from fake_discord import FakeDiscord, Recorded
from generate.samples import KillsMidAnswer, free_port, smollm2_file
from scripted_model import ScriptedModel

from bot.answering.generation.backends import build_generator
from bot.app import App
from bot.discordbot.failures import FAILED
from bot.discordbot.stream import DRAFT_NOTE

pytestmark = pytest.mark.anyio
QUESTION = "How much is the Federated Data Platform contract worth?"
SENTENCES = [
    "NHS England awarded the Federated Data Platform contract in November 2023 "
    "{cite:awarded the Federated}. ",
    "The contract went to a consortium led by Palantir {cite:consortium led by Palantir}. ",
    "It is worth up to £330 million over seven years {cite:£330 million}. ",
    "Each trust or integrated care board remains the data controller for its own instance "
    "{cite:data controller}. ",
    "The contract runs for seven years {cite:£330 million}.",
]


def script(sentences: list[str], seconds_each: float) -> list[tuple[str, float]]:
    """Each sentence as three pieces (tokens, roughly), spread over `seconds_each`."""
    out = []
    for sentence in sentences:
        words = sentence.split(" ")
        third = max(1, len(words) // 3)
        parts = [" ".join(words[:third]), " ".join(words[third : 2 * third])]
        parts.append(" ".join(words[2 * third :]))
        out += [(f"{part} " if i < 2 else part, seconds_each / 3) for i, part in enumerate(parts)]
    return out


@pytest.fixture
def scripted() -> Iterator[ScriptedModel]:
    model = ScriptedModel()
    model.start()
    yield model
    model.close()


@pytest.fixture
def generating(discord_app: App, scripted: ScriptedModel) -> Iterator[App]:
    """The shared app answering through the scripted model for one test."""
    gen = build_generator("openai", base_url=scripted.base_url, model="scripted", timeout_s=20)
    yield replace(discord_app, answerer=discord_app.answerer.with_generator(gen))


def answered_posts(fake: FakeDiscord, token: str) -> list[Recorded]:
    return [r for r in fake.recorded(token) if r.method == "POST" and "/webhooks/" in r.path]


def edits(fake: FakeDiscord, token: str) -> list[Recorded]:
    return [r for r in fake.recorded(token) if r.method == "PATCH" and "/messages/" in r.path]


async def test_drafts_stream_into_the_follow_up_then_the_verified_answer_replaces_them(
    harness_factory: Any, generating: App, scripted: ScriptedModel
) -> None:
    scripted.script = script(SENTENCES, 0.5)
    h = await harness_factory(generating)
    fake = h.fake
    token = await slash(fake, "ask", question=QUESTION)
    (draft,) = await answered(fake, token)  # the first draft is the follow-up itself
    assert draft.body["content"].endswith(DRAFT_NOTE) and not draft.body.get("embeds")
    assert "£330 million" not in draft.body["content"]  # only finished, verified sentences
    final = (await fake.wait_for(lambda r: r in edits(fake, token) and r.body.get("embeds")))[0]

    shown = [draft, *[r for r in edits(fake, token) if r.at < final.at]]
    assert len(shown) >= 2, "the draft was edited as the answer grew"
    gaps = [b.at - a.at for a, b in zip(shown, shown[1:])]
    assert min(gaps) >= 0.9, f"draft edits came faster than one a second: {gaps}"
    assert all(r.body["content"].endswith(DRAFT_NOTE) for r in shown)

    # The final answer replaces the draft: same message, no draft text, sources and buttons.
    message_id = final.path.rsplit("/", 1)[1]
    assert message_id == fake.followups[message_id]["id"]
    stored = fake.followups[message_id]
    assert stored["content"] == "" and stored["components"]
    embed = stored["embeds"][0]
    assert "£330 million" in embed["description"] and "[1]" in embed["description"]
    assert all(f["name"].startswith("[") for f in embed["fields"])
    assert "Showing quoted passages" not in embed["description"]  # generated, not a fallback
    assert len(answered_posts(fake, token)) == 1  # one message: the draft became the answer
    assert len(scripted.prompts) == 1


async def test_a_mention_streams_into_its_reply(
    harness_factory: Any, generating: App, scripted: ScriptedModel
) -> None:
    scripted.script = script(SENTENCES[:3], 0.5)
    h = await harness_factory(generating)
    fake = h.fake
    await say(fake, QUESTION, mention_bot=True)
    final = await fake.wait_for(
        lambda r: r.method == "PATCH" and "/channels/" in r.path and bool(r.body.get("embeds"))
    )
    (reply,) = [m for m in fake.messages[fake.channel_id] if m["author"]["id"] == fake.app_id]
    assert final[0].path.endswith(f"/messages/{reply['id']}")
    assert reply["content"] == "" and "£330 million" in reply["embeds"][0]["description"]


async def test_model_output_with_everyone_never_pings(
    harness_factory: Any, generating: App, scripted: ScriptedModel
) -> None:
    scripted.script = script(
        [
            "The forum notice said: @everyone the ballot on sharing GP records closes on "
            "14 March 2025 {cite:forum notice}. ",
            "<@&123456789012345678> stewards will count the votes {cite:stewards}. ",
            "The ballot is on sharing GP records {cite:forum notice}.",
        ],
        0.4,
    )
    h = await harness_factory(generating)
    fake = h.fake
    token = await slash(fake, "ask", question="who will count the votes in the forum ballot?")
    await answered(fake, token)
    await fake.wait_for(lambda r: r in edits(fake, token) and bool(r.body.get("embeds")))
    posts = [r for r in fake.recorded(token) if is_message_post(r)]
    assert any("@everyone" in (r.body.get("content") or "") for r in posts)  # a draft had it
    assert any("@everyone" in str(r.body.get("embeds")) for r in posts)  # so did the answer
    for post in posts:
        assert post.body["allowed_mentions"] == {"parse": []}


async def test_endpoint_down_answers_extractively_with_a_notice(
    harness_factory: Any, discord_app: App
) -> None:
    down = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    gen = build_generator("openai", base_url=down, model="m", timeout_s=5)
    h = await harness_factory(discord_app, answerer=discord_app.answerer.with_generator(gen))
    fake = h.fake
    token = await slash(fake, "ask", question=QUESTION)
    (reply,) = await answered(fake, token)
    description = reply.body["embeds"][0]["description"]
    assert "£330 million" in description and "answer model is unavailable" in description
    assert edits(fake, token) == []  # no draft was shown, so nothing was replaced


class DraftThenFails(Wrapped):
    """An answerer with a model that shows one draft, then fails unexpectedly."""

    generator = "a model"  # not None: the bot streams drafts

    def ask(self, question: Any, *, k: int | None = None, on_draft: Any = None) -> Any:
        on_draft("The contract is worth up to £330 million over seven years [1].")
        time.sleep(0.5)  # the draft is posted meanwhile
        raise RuntimeError("the model's host went away")


async def test_a_failure_after_a_draft_leaves_no_draft_behind(
    harness_factory: Any, discord_app: App
) -> None:
    h = await harness_factory(discord_app, answerer=DraftThenFails(discord_app.answerer))
    fake = h.fake
    token = await slash(fake, "ask", question=QUESTION)
    draft, error = await answered(fake, token, count=2)
    assert draft.body["content"].endswith(DRAFT_NOTE)
    assert is_ephemeral(error.body) and error.body["content"] == FAILED
    deleted = [r.path.rsplit("/", 1)[1] for r in fake.recorded(token) if r.method == "DELETE"]
    drafts = [i for i in deleted if i.isdigit()]  # (the other is the "thinking…" message)
    assert len(drafts) == 1 and drafts[0] not in fake.followups
    assert not any(DRAFT_NOTE in m["content"] for m in fake.messages[fake.channel_id])


class Recording(Wrapped):
    """The real answerer, keeping each Answer it gave (drafts still stream through)."""

    def __init__(self, real: Any) -> None:
        super().__init__(real)
        self.answers: list[Any] = []

    def ask(self, question: Any, *, k: int | None = None, on_draft: Any = None) -> Any:
        answer = super().ask(question, k=k, on_draft=on_draft)
        self.answers.append(answer)
        return answer


async def test_a_real_local_model_streams_through_to_a_verified_or_fallback_answer(
    harness_factory: Any, discord_app: App
) -> None:
    """SmolLM2 through the llamacpp backend, over the loopback Discord: plumbing only, so the
    test checks what reached Discord against what the pipeline decided, never the wording."""
    gen = build_generator(
        "llamacpp", model=str(smollm2_file()), context=2048, max_tokens=64, timeout_s=600
    )
    recording = Recording(discord_app.answerer.with_generator(gen))
    h = await harness_factory(discord_app, answerer=recording)
    fake = h.fake
    # On this machine SmolLM2 gets one of three sentences verified (too few, so the
    # extractive answer is shown); any outcome must reach Discord whole and consistent.
    question = "What does the national data opt-out let patients do?"
    token = await slash(fake, "ask", question=question)
    await answered(fake, token)
    final = await fake.wait_for(
        lambda r: r.token == token and is_message_post(r) and bool(r.body.get("embeds")),
        timeout=300,
    )
    (answer,) = recording.answers
    assert answer.verified_sentences is not None, "the model ran and its text was verified"
    assert answer.generator in ("llamacpp", "extractive-fallback")
    assert "answer model" not in answer.answer  # it neither failed nor timed out

    (post,) = answered_posts(fake, token)  # one message: a draft (then replaced) or the answer
    drafts = [r for r in [post, *edits(fake, token)] if DRAFT_NOTE in (r.body.get("content") or "")]
    gaps = [b.at - a.at for a, b in zip(drafts, drafts[1:])]
    assert all(gap >= 0.9 for gap in gaps), gaps
    (stored,) = fake.followups.values()  # the draft, replaced by the answer; or the answer
    if drafts:
        assert final[0].method == "PATCH" and final[0].path.endswith(f"/messages/{stored['id']}")
    assert DRAFT_NOTE not in (stored["content"] or "")
    text = " ".join(e.get("description") or "" for e in stored["embeds"])
    fallback_notice = "Showing quoted passages" in text
    assert fallback_notice == (answer.generator == "extractive-fallback")
    # Every source shown is one of our stored passages, numbered as in the answer.
    passage = discord_app.library.passage
    assert answer.citations and all(passage(c.chunk_id) for c in answer.citations)
    names = [f["name"] for e in stored["embeds"] for f in e.get("fields") or []]
    assert {n.split("]")[0] + "]" for n in names} == {f"[{c.n}]" for c in answer.citations}
    for r in fake.recorded(token):
        if is_message_post(r):
            assert r.body["allowed_mentions"] == {"parse": []}


async def test_a_model_crash_mid_answer_costs_one_answer_and_the_bot_stays_connected(
    harness_factory: Any, discord_app: App
) -> None:
    """The local model's process is killed (SIGSEGV) while it answers: that member gets the
    quoted passages with a notice, the bot keeps its gateway session, and once the process is
    back the next answer is generated again."""
    gen = build_generator(
        "llamacpp", model=str(smollm2_file()), context=2048, max_tokens=64, timeout_s=600
    )
    assert gen is not None and gen.server is not None
    gen.server.backoff_s = (0.2,)
    gen.warm()
    try:
        h = await harness_factory(
            discord_app, answerer=discord_app.answerer.with_generator(KillsMidAnswer(gen))
        )
        fake, question = h.fake, "What does the national data opt-out let patients do?"
        first = await final_answer(fake, await slash(fake, "ask", question=question))
        assert "answer model is unavailable" in first
        while gen.server.restarts == 0:  # the watcher restarts the process
            await asyncio.sleep(0.1)
        recording = Recording(discord_app.answerer.with_generator(gen))
        h.services.answerer = recording
        second = await final_answer(fake, await slash(fake, "ask", question=question))
        assert "answer model is unavailable" not in second
        (answer,) = recording.answers
        assert answer.verified_sentences is not None  # the model wrote, and it was checked
        assert not h.bot.is_closed() and fake.identifies == 1  # never reconnected
    finally:
        gen.close()


async def final_answer(fake: FakeDiscord, token: str) -> str:
    """The description of the answer that replaced any draft (waits for it)."""
    recs = await fake.wait_for(
        lambda r: r.token == token and is_message_post(r) and bool(r.body.get("embeds")),
        timeout=300,
    )
    return str(recs[-1].body["embeds"][0]["description"])
