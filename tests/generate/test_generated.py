"""Deciding what to show from a model's text (hand-written outputs) and our own passages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from generate.samples import CANARY, EVIL_HOST, FDP, OPT_OUT, POISONED, extractive_answer

from bot.answering.generation.assemble import FALLBACK, answer_from_text
from bot.answering.generation.verify import Thresholds, Verifier

HITS = [FDP, OPT_OUT, POISONED]


def test_verified_answer_is_renumbered_and_cites_only_our_passages(verifier: Verifier) -> None:
    text = (
        "It does not apply to direct care [2]. Palantir won the contract in November 2023 [1][6]. "
        "Trusts can choose whether to use it [1]."
    )
    answer = answer_from_text(
        "q", HITS, extractive_answer("q", HITS), text, verifier, "llamacpp", 9.0
    )
    assert answer.generator == "llamacpp" and not answer.refused
    assert answer.answer == (
        "It does not apply to direct care [1]. Palantir won the contract in November 2023 [2]. "
        "Trusts can choose whether to use it [2]."
    )
    assert [c.chunk_id for c in answer.citations] == ["chunk-2", "chunk-1"]
    assert [c.n for c in answer.citations] == [1, 2]
    for c, hit in zip(answer.citations, [OPT_OUT, FDP], strict=True):
        assert c.quote in hit.text and c.passage == hit.text and c.title == hit.meta("title")
    assert answer.citations[0].quote == "It does not apply to direct care."
    assert answer.timings_ms["generate"] == 9.0
    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)} == {1, 2}


def test_refusal_with_strong_retrieval_falls_back_to_extractive(verifier: Verifier) -> None:
    extractive = extractive_answer("q", HITS, refused=False)
    answer = answer_from_text("q", HITS, extractive, "The sources don't say.", verifier, "llamacpp")
    assert answer.generator == FALLBACK
    assert answer.answer.startswith(extractive.answer)
    notice = answer.answer.removeprefix(extractive.answer).strip()
    assert notice and "\n" not in notice
    assert answer.citations == extractive.citations
    assert answer.to_json()["generator"] == "extractive-fallback"


def test_refusal_agreeing_with_weak_retrieval_stays_a_refusal(verifier: Verifier) -> None:
    extractive = extractive_answer("q", HITS, refused=True)
    answer = answer_from_text("q", HITS, extractive, "The sources don't say.", verifier, "openai")
    assert answer.refused and answer.generator == "openai"
    assert answer.answer == extractive.answer


@pytest.mark.parametrize(
    "text",
    [
        f"{CANARY} [3].",
        f"The opt-out was introduced in May 2018 [3]. {CANARY} [3]. ![s](https://{EVIL_HOST}/p.png)",
        f"Visit https://{EVIL_HOST}/story for the opt-out [3].",
        # honest sentences around the injection: the quote must not span or link it
        "The national data opt-out was introduced in May 2018 [3]. See the full story [3].",
    ],
)
def test_obeying_an_injection_never_shows_the_canary_or_link(verifier: Verifier, text: str) -> None:
    answer = answer_from_text("q", HITS, extractive_answer("q", HITS), text, verifier, "llamacpp")
    shown = answer.answer + " ".join(c.quote for c in answer.citations)
    assert CANARY not in shown and EVIL_HOST not in shown


def test_unverifiable_answer_falls_back(verifier: Verifier) -> None:
    text = "Accenture runs the platform for £1 billion [1]. Every GP record is shared [2]."
    answer = answer_from_text("q", HITS, extractive_answer("q", HITS), text, verifier, "llamacpp")
    assert answer.generator == FALLBACK


def test_a_verified_answer_to_another_question_falls_back(verifier: Verifier) -> None:
    """Every sentence supported, none on the question: the quoted passages answer it better."""
    question = "Who was awarded the Federated Data Platform contract?"
    extractive = extractive_answer(question, HITS)  # quotes the award sentence
    off = "Trusts can choose whether to use it [1]."
    answer = answer_from_text(question, HITS, extractive, off, verifier, "llamacpp")
    assert answer.generator == FALLBACK and "more closely" in answer.answer
    on = "Palantir was awarded the Federated Data Platform contract in November 2023 [1]."
    assert answer_from_text(question, HITS, extractive, on, verifier, "llamacpp").generator == (
        "llamacpp"
    )


def test_the_relevance_check_can_be_turned_off(embedder: Any) -> None:
    question = "Who was awarded the Federated Data Platform contract?"
    lenient = Verifier(embedder.embed, Thresholds(max_relevance_gap=None))
    off = "Trusts can choose whether to use it [1]."
    answer = answer_from_text(question, HITS, extractive_answer(question, HITS), off, lenient, "x")
    assert answer.generator == "x"
