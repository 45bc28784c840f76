"""Replying in Discord: an answer (streamed as verified drafts when a model writes it), sent as
messages within Discord's limits with its buttons."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.answering.answer import Answer
from bot.answering.question import Question
from bot.discordbot.format import MESSAGE_CHARS, answer_messages, truncate
from bot.discordbot.services import Services
from bot.discordbot.stream import Send, with_drafts
from bot.discordbot.views import answer_view, source_links
from bot.feedback import new_answer_id

log = logging.getLogger(__name__)


async def ask(services: Services, question: Question, send: Send) -> tuple[Answer, Send]:
    """The answer, and the `send` for its first message. With an answer model, verified drafts
    appear meanwhile in a message posted through `send`; the returned `send` then replaces that
    draft, so the final answer and its sources take its place."""
    answerer = services.answerer
    if answerer.generator is None:
        return await services.run(answerer.ask, question), send

    def run(on_draft: Callable[[str], None]) -> Awaitable[Answer]:
        return services.run(answerer.ask, question, on_draft=on_draft)

    return await with_drafts(run, send, services.draft_interval_s)


async def send_answer(
    services: Services,
    send: Send,
    answer: Answer,
    *,
    title: str,
    ephemeral: bool = False,
    preface: str | None = None,
    rest: Send | None = None,
    threadable: bool = False,
    question: Question,
    guild_id: int | None,
) -> str:
    """Send an answer as one or more messages; buttons go under the last. Returns its id.
    The question and answer go to the knowledge gaps (which keep them only when on)."""
    answer = services.names.answer(answer)  # no path on the server reaches a member
    answer_id = new_answer_id()
    chunk_ids = [c.chunk_id for c in answer.citations]
    services.feedback.record_answer(answer_id, chunk_ids, refused=answer.refused)
    services.gaps.record(question, answer, guild_id=guild_id, answer_id=answer_id)
    messages = answer_messages(answer, answer_id, title=title)
    view = answer_view(answer_id, source_links(answer), threadable=threadable and not ephemeral)
    for i, embeds in enumerate(messages):
        kwargs: dict[str, Any] = {"embeds": embeds}
        if ephemeral:
            kwargs["ephemeral"] = True
        if i == 0 and preface:
            kwargs["content"] = truncate(preface, MESSAGE_CHARS)
        if i == len(messages) - 1:
            kwargs["view"] = view
        await (send if i == 0 or rest is None else rest)(**kwargs)
    log.info(
        "answered: refused=%s citations=%d messages=%d total_ms=%.0f",
        answer.refused,
        len(answer.citations),
        len(messages),
        answer.timings_ms.get("total", 0.0),
    )
    return answer_id
