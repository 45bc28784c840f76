"""Answering on the real store: citations are real passages, refusals are honest."""

import pytest

from bot.errors import QuestionError
from bot.pipeline import Pipeline
from bot.question import is_follow_up


def _assert_citations_are_stored(pipeline: Pipeline, answer) -> None:  # noqa: ANN001
    for c in answer.citations:
        stored = pipeline.passage(c.chunk_id)
        assert stored is not None, c.chunk_id
        assert c.quote in stored.text  # the exact quote, from the exact passage
        assert c.title == stored.meta("title") and c.source == stored.meta("source")


def test_answer_cites_the_fact(pipeline: Pipeline) -> None:
    answer = pipeline.ask("how much is palantirs fdp deal worth??")
    assert not answer.refused
    assert "£330 million" in answer.answer
    assert "[1]" in answer.answer
    assert answer.citations[0].source.endswith("fdp-contract.md")
    assert answer.citations[0].published == "2023-11-21"
    _assert_citations_are_stored(pipeline, answer)
    assert {"retrieve", "answer", "total"} <= set(answer.timings_ms)


def test_every_marker_has_a_citation(pipeline: Pipeline) -> None:
    answer = pipeline.ask("how can I set the opt out for my kid")
    assert not answer.refused
    numbers = {c.n for c in answer.citations}
    import re

    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)} == numbers
    assert numbers == set(range(1, len(numbers) + 1))
    _assert_citations_are_stored(pipeline, answer)


@pytest.mark.parametrize(
    ("question", "expected_source"),
    [
        ("what does the sail databank hold", "wales.txt"),
        ("when was the trusted research environment review published", "tre-review.pdf"),
        ("who appoints the national data guardian", "guardian-page.html"),
    ],
)
def test_each_file_kind_answers(pipeline: Pipeline, question: str, expected_source: str) -> None:
    answer = pipeline.ask(question)
    assert not answer.refused, answer.answer
    assert answer.citations[0].source.endswith(expected_source)
    _assert_citations_are_stored(pipeline, answer)


@pytest.mark.parametrize(
    "question",
    [
        "who won the football world cup in 2022?",
        "best recipe for banana bread",
        "what is the capital of peru",
    ],
)
def test_off_topic_is_refused_with_nearest_sources(pipeline: Pipeline, question: str) -> None:
    answer = pipeline.ask(question)
    assert answer.refused
    assert "don't cover" in answer.answer
    assert answer.citations  # the nearest sources, still real passages
    _assert_citations_are_stored(pipeline, answer)


@pytest.mark.parametrize("question", ["", "   ", "x" * 1001])
def test_bad_questions_are_refused_clearly(pipeline: Pipeline, question: str) -> None:
    with pytest.raises(QuestionError, match="question|limit"):
        pipeline.ask(question)


def test_follow_up_uses_the_earlier_turn(pipeline: Pipeline) -> None:
    first = pipeline.ask("does the national data opt-out apply in scotland and wales?")
    follow = pipeline.ask(
        "and what about the sail databank there?", history=[(first.question, first.answer)]
    )
    assert not follow.refused
    assert any(c.source.endswith("wales.txt") for c in follow.citations)


def test_a_new_question_after_an_answer_is_read_on_its_own(pipeline: Pipeline) -> None:
    """Read together with the last turn, an off-topic question would borrow its sources."""
    first = pipeline.ask("how do I set the national data opt-out?")
    assert not first.refused
    alone = pipeline.ask("what is the capital city of peru?")
    after = pipeline.ask(
        "what is the capital city of peru?", history=[(first.question, first.answer)]
    )
    assert alone.refused and after.refused
    assert after.citations == alone.citations


@pytest.mark.parametrize(
    ("question", "follow_up"),
    [
        ("and what about Wales?", True),
        ("can they sell it to insurers?", True),
        ("why?", True),
        ("What about children", True),
        ("what is the capital city of peru?", False),
        ("how do I set the national data opt-out?", False),
        ("who appoints the National Data Guardian?", False),
    ],
)
def test_is_follow_up(question: str, follow_up: bool) -> None:
    assert is_follow_up(question) is follow_up


def test_documents_and_stats(pipeline: Pipeline) -> None:
    docs = pipeline.documents()
    assert len(docs) == 5 and all(d.chunks > 0 for d in docs)
    assert [d.title for d in pipeline.documents("opt-out")] == [
        "Test brief: the national data opt-out"
    ]
    stats = pipeline.stats()
    assert stats.documents == 5 and stats.chunks == sum(d.chunks for d in docs)
    assert stats.last_ingested


def test_term_coverage_weighs_the_questions_rare_terms(pipeline: Pipeline) -> None:
    covers = pipeline.term_coverage("Can a parent set the opt-out for a child?")
    on_point = covers("A parent or guardian can set it for a child under 13.")
    nearby = covers("Patients can set or change the opt-out online or through the NHS App.")
    assert on_point > nearby > 0.0
    assert covers("Scotland has its own arrangements.") == 0.0
    assert covers("a parent can set the opt-out for a child") == pytest.approx(1.0)
