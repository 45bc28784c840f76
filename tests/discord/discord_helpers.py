"""Small helpers shared by the end-to-end Discord tests: answerer wrappers and readers."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import replace
from typing import Any

from fake_discord import EPHEMERAL, FakeDiscord, Recorded

from bot.answering.answer import Answer, Citation
from bot.answering.pipeline import Answerer
from bot.answering.question import Question


class Wrapped:
    """The real answerer, with `ask` changed for one test (everything else passes through).
    `calls` records each question the bot read: its text and the earlier turns it handed over."""

    def __init__(self, real: Answerer) -> None:
        self.real = real
        self.calls: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        self.asked: list[Question] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def read(self, text: str, history: Any = ()) -> Question:
        self.calls.append((text, tuple(history)))
        return self.real.read(text, history)

    def ask(self, question: Question, *, k: int | None = None, on_draft: Any = None) -> Answer:
        self.asked.append(question)
        return self.real.ask(question, k=k, on_draft=on_draft)


class Gated(Wrapped):
    """Holds every answer until the test opens the gate (to prove the defer came first)."""

    def __init__(self, real: Answerer) -> None:
        super().__init__(real)
        self.gate = threading.Event()

    def ask(self, question: Question, *, k: int | None = None, on_draft: Any = None) -> Answer:
        assert self.gate.wait(10), "the test never opened the gate"
        return super().ask(question, k=k, on_draft=on_draft)


class FailsOnce(Wrapped):
    """The first question raises an unexpected error; later ones are answered."""

    def ask(self, question: Question, *, k: int | None = None, on_draft: Any = None) -> Answer:
        if not self.asked:
            self.asked.append(question)
            raise RuntimeError("the store went away")
        return super().ask(question, k=k, on_draft=on_draft)


class Lengthy(Wrapped):
    """A real answer and real citations, made longer than every Discord limit.

    The extractive app never writes 20,000 characters, but a generator could; the real
    citations and their real passages are kept so "Show passages" still works.
    """

    def ask(self, question: Question, *, k: int | None = None, on_draft: Any = None) -> Answer:
        hits = self.real.retrieve(question.text, 8)
        cites = tuple(
            Citation(n, h.meta("title"), h.meta("publisher"), h.meta("published"),
                     h.meta("source"), h.meta("url"), h.text, h.chunk_id, h.score, h.text)
            for n, h in enumerate(hits, start=1)
        )  # fmt: skip
        paragraphs = [
            " ".join(f"Point {i}.{j} restates what source {n} says about the question. [{n}]"
                     for j, n in enumerate(range(1, len(cites) + 1)))
            for i in range(40)
        ]  # fmt: skip
        paragraphs.insert(5, " ".join(["unbroken"] * 1500) + " sentence. [2]")
        base = self.real.ask(question)
        return replace(base, answer="\n\n".join(paragraphs), citations=cites, refused=False)


def paths_shown(fake: FakeDiscord, paths: set[str]) -> list[str]:
    """ "METHOD path: [paths]" for each request the bot sent `fake` whose body shows one of
    `paths` (messages, edits, follow-ups, autocomplete choices, command registrations)."""
    found = []
    for rec in fake.requests:
        sent = json.dumps(rec.body, ensure_ascii=False)
        if shown := sorted(p for p in paths if p in sent):
            found.append(f"{rec.method} {rec.path}: {shown} in {sent[:400]}")
    return found


def is_message_post(r: Recorded) -> bool:
    """Requests that create or change a message (where allowed_mentions matters)."""
    if r.method not in ("POST", "PATCH"):
        return False
    if "/callback" in r.path:
        return r.body.get("type") in (4, 7)
    return "/webhooks/" in r.path or r.path.endswith("/messages") or "@original" in r.path


def followups(fake: FakeDiscord, token: str) -> list[Recorded]:
    return [r for r in fake.recorded(token) if r.method == "POST" and "/webhooks/" in r.path]


def callback(fake: FakeDiscord, token: str) -> Recorded:
    calls = [r for r in fake.recorded(token) if "/callback" in r.path]
    assert len(calls) == 1, calls
    return calls[0]


def is_ephemeral(payload: dict[str, Any]) -> bool:
    return bool(int(payload.get("flags") or 0) & EPHEMERAL)


async def answered(fake: FakeDiscord, token: str, count: int = 1) -> list[Recorded]:
    """Wait for `count` follow-up messages on an interaction."""
    return await fake.wait_for(
        lambda r: r.token == token and r.method == "POST" and "/webhooks/" in r.path, count=count
    )


async def reported(fake: FakeDiscord, token: str) -> Recorded:
    """The edit of an interaction's reply that carries a curator's report (its summary line
    comes first: "N added, …"), after any progress edits."""
    recs = await fake.wait_for(
        lambda r: r.token == token and r.method == "PATCH" and r.path.endswith("/@original")
        and " added, " in (r.body or {}).get("content", "").split("\n")[0],
        timeout=120,
    )  # fmt: skip
    return recs[-1]


def embeds_of(recs: list[Recorded]) -> list[dict[str, Any]]:
    return [e for r in recs for e in r.message.get("embeds") or []]


def fields_of(recs: list[Recorded]) -> list[dict[str, Any]]:
    return [f for e in embeds_of(recs) for f in e.get("fields") or []]


async def stop_bots(started: list[tuple[Any, Any, asyncio.Task[Any], Any]]) -> None:
    """Close every (fake, bot, runner, feedback) a fixture started, then check the fakes saw
    only known, valid requests."""
    for fake, bot, runner, feedback in started:
        await bot.close()
        await asyncio.gather(runner, return_exceptions=True)
        await fake.close()
        feedback.close()
    for fake, *_ in started:
        assert fake.unknown == [], f"the bot used routes the fake doesn't know: {fake.unknown}"
        assert fake.problems == [], f"Discord would have rejected: {fake.problems}"
