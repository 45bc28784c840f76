"""Answering on the real store: citations are real passages, refusals are honest."""

from pathlib import Path

import pytest
from support import make_settings

from bot.answering.decision import Refusal
from bot.answering.extractive import select
from bot.answering.question import QuestionError, is_follow_up, referent
from bot.app import App, open_app
from vectorstore.embeddings import SentenceTransformerEmbedder


def _assert_citations_are_stored(app: App, answer) -> None:  # noqa: ANN001
    for c in answer.citations:
        stored = app.library.passage(c.chunk_id)
        assert stored is not None, c.chunk_id
        assert c.quote in stored.text  # the exact quote, from the exact passage
        assert c.title == stored.meta("title") and c.source == stored.meta("source")


def test_answer_cites_the_fact(app: App) -> None:
    answer = app.answerer.ask("how much is palantirs fdp deal worth??")
    assert not answer.refused
    assert "£330 million" in answer.answer
    assert "[1]" in answer.answer
    assert answer.citations[0].source.endswith("fdp-contract.md")
    assert answer.citations[0].published == "2023-11-21"
    _assert_citations_are_stored(app, answer)
    assert {"retrieve", "answer", "total"} <= set(answer.timings_ms)


def test_every_marker_has_a_citation(app: App) -> None:
    answer = app.answerer.ask("how can I set the opt out for my kid")
    assert not answer.refused
    numbers = {c.n for c in answer.citations}
    import re

    assert {int(n) for n in re.findall(r"\[(\d+)\]", answer.answer)} == numbers
    assert numbers == set(range(1, len(numbers) + 1))
    _assert_citations_are_stored(app, answer)


@pytest.mark.parametrize(
    ("question", "expected_source"),
    [
        ("what does the sail databank hold", "wales.txt"),
        ("when was the trusted research environment review published", "tre-review.pdf"),
        ("who appoints the national data guardian", "guardian-page.html"),
    ],
)
def test_each_file_kind_answers(app: App, question: str, expected_source: str) -> None:
    answer = app.answerer.ask(question)
    assert not answer.refused, answer.answer
    assert answer.citations[0].source.endswith(expected_source)
    _assert_citations_are_stored(app, answer)


@pytest.mark.parametrize(
    "question",
    [
        "who won the football world cup in 2022?",
        "best recipe for banana bread",
        "what is the capital of peru",
    ],
)
def test_off_topic_is_refused_with_nearest_sources(app: App, question: str) -> None:
    answer = app.answerer.ask(question)
    assert answer.refused
    assert "don't cover" in answer.answer
    assert answer.citations  # the nearest sources, still real passages
    _assert_citations_are_stored(app, answer)


@pytest.mark.parametrize("question", ["", "   ", "x" * 1001])
def test_bad_questions_are_refused_clearly(app: App, question: str) -> None:
    with pytest.raises(QuestionError, match="question|limit"):
        app.answerer.ask(question)


def test_follow_up_uses_the_earlier_turn(app: App) -> None:
    first = app.answerer.ask("does the national data opt-out apply in scotland and wales?")
    turn = [(first.question, first.answer)]
    follow = app.answerer.ask(app.answerer.read("and what about the sail databank there?", turn))
    assert not follow.refused
    assert any(c.source.endswith("wales.txt") for c in follow.citations)


def test_a_new_question_after_an_answer_is_read_on_its_own(app: App) -> None:
    """Read together with the last turn, an off-topic question would borrow its sources."""
    first = app.answerer.ask("how do I set the national data opt-out?")
    assert not first.refused
    alone = app.answerer.ask("what is the capital city of peru?")
    turn = [(first.question, first.answer)]
    after = app.answerer.ask(app.answerer.read("what is the capital city of peru?", turn))
    assert alone.refused and after.refused
    assert after.citations == alone.citations


@pytest.mark.parametrize(
    ("question", "follow_up"),
    [
        ("and what about Wales?", True),
        ("can they sell it to insurers?", True),
        ("why?", True),
        ("What about children", True),
        ("who was the information commissioner back then", True),
        ("who was in charge at the time", True),
        ("what is the capital city of peru?", False),
        ("how do I set the national data opt-out?", False),
        ("who appoints the National Data Guardian?", False),
        ("what happens when the opt-out is set", False),
    ],
)
def test_is_follow_up(question: str, follow_up: bool) -> None:
    assert is_follow_up(question) is follow_up


def test_documents_and_stats(app: App) -> None:
    docs = app.library.documents()
    assert len(docs) == 5 and all(d.chunks > 0 for d in docs)
    assert [d.title for d in app.library.documents("opt-out")] == [
        "Test brief: the national data opt-out"
    ]
    stats = app.library.stats()
    assert stats.documents == 5 and stats.chunks == sum(d.chunks for d in docs)
    assert stats.last_ingested


def test_term_coverage_weighs_the_questions_rare_terms(app: App) -> None:
    covers = app.answerer.terms("Can a parent set the opt-out for a child?").coverage
    on_point = covers("A parent or guardian can set it for a child under 13.")
    nearby = covers("Patients can set or change the opt-out online or through the NHS App.")
    assert on_point > nearby > 0.0
    assert covers("Scotland has its own arrangements.") == 0.0
    assert covers("a parent can set the opt-out for a child") == pytest.approx(1.0)


GUARDIANS = """---
title: Guardians of patient data
publisher: nhsbot test
published: 2026-01-05
url: https://example.org/guardians
---
## The role

The National Data Guardian for health and social care advises the health and care system in
England on the safe use of confidential patient information. The post was put on a statutory
footing in 2018, and public bodies must have regard to its guidance. Dr Ada Quill has held the
post since March 2021.

## The first guardian

Dame Olive Stone was the first National Data Guardian, serving on a non-statutory basis from
November 2014 and becoming the first statutory National Data Guardian on 1 April 2019. She
died in February 2021, weeks before she was due to retire. Her reviews of data security set
the consent model that the national data opt-out later followed.

## The appointment

Dr Ada Quill, a consultant psychiatrist with twenty years of clinical experience, was
appointed after an open competition that began in August 2020, and a committee of MPs
endorsed the appointment. She gave up her roles at a London mental health trust on taking
up the post.
"""


def test_she_in_a_follow_up_is_the_person_the_answer_named(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    """Searched with "who is the national data guardian?" alone, "and when did she start?"
    finds the first guardian's dates; "she" is the one the answer named."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guardians.md").write_text(GUARDIANS)
    with open_app(make_settings(tmp_path / "data"), embedder) as app:
        app.library.ingest([tmp_path / "docs"])
        earlier = "who is the national data guardian?"
        said = "Dr Ada Quill has held the post since March 2021. [1]"
        question = app.answerer.read("and when did she start?", [(earlier, said)])
        assert question.person == "Dr Ada Quill"
        follow = app.answerer.ask(question)
        assert not follow.refused and "Ada Quill" in follow.answer
        assert "Olive Stone" not in follow.answer


@pytest.mark.parametrize(
    ("clause", "earlier", "answer", "person"),
    [
        (
            "when did she start?",
            "who is the guardian?",
            "Dr Ada Quill took over in 2021.",
            "Dr Ada Quill",
        ),
        (
            "what did his report say?",
            "who chairs it?",
            "It is chaired by Tom Reed Smith.",
            "Tom Reed Smith",
        ),
        # the earlier question named someone: "he" means that person, already in the search
        ("when did he say it?", "what did Matt Hancock say?", "Sir Ada Quill said no.", None),
        ("when did it start?", "who is the guardian?", "Dr Ada Quill took over in 2021.", None),
        (
            "when did she start?",
            "who is the guardian?",
            "The Health and Social Care Committee.",
            None,
        ),
        (
            "when did she start?",
            "who is the guardian?",
            "People wrote through the Not With My NHS Data campaign; Dr Ada Quill replied.",
            "Dr Ada Quill",
        ),
        (
            "when did she start?",
            "who is the guardian?",
            Refusal("guardian").text() + " Dr Ada Quill",
            None,
        ),
    ],
)
def test_referent(clause: str, earlier: str, answer: str, person: str | None) -> None:
    assert referent(clause, earlier, answer) == person


@pytest.mark.parametrize(
    "question",
    [
        "how much is palantirs fdp deal worth??",
        "who won the fdp contract",
        "who runs the platform day to day",
        "how many trusts use the fdp",
        "when did the national data opt out start",
    ],
)
def test_a_check_only_refuses_it_never_makes_the_model_surer(app: App, question: str) -> None:
    """What the checks let through is weighed as it is, and as what would have been quoted
    without them: an answer needs both to pass the coverage threshold."""
    answerer = app.answerer
    found = answerer.retrieve_for(answerer.read(question), answerer.top_k)
    decided = answerer.decide(found)
    unchecked = select(found.ranked, **answerer.calibration.selection)
    coverage = answerer.calibration.coverage
    if not coverage.covered(answerer.features(found, unchecked)):
        assert isinstance(decided, Refusal)
    if not isinstance(decided, Refusal):
        assert coverage.covered(answerer.features(found, decided))


CHATTY = (
    "ok so my cousin keeps ranting about crypto wallets, football transfer gossip, petrol prices "
    "in devon, her puppy's vet bills, her cat's diet and her allotment tomatoes, total nonsense "
    "lol. anyway how much is the federated data platform contract worth?"
)


def test_a_chatty_messages_asides_do_not_turn_an_answer_into_a_refusal(app: App) -> None:
    """The asides' words are in no passage: weighed on the whole message the coverage model
    says no; weighed on the part that asks, the answer stands."""
    answerer = app.answerer
    found = answerer.retrieve_for(answerer.read(CHATTY), answerer.top_k)
    chosen = answerer.decide(found)
    assert not isinstance(chosen, Refusal)
    whole = answerer.store_signals(found)
    assert not answerer.covered(found, chosen, chosen, whole)  # on the whole message: not covered
    answer = answerer.ask(CHATTY)
    assert not answer.refused and "£330 million" in answer.answer


def test_a_chatty_near_miss_is_still_refused(app: App) -> None:
    near_miss = CHATTY.replace("the federated data platform contract worth", "IQVIA paid")
    assert app.answerer.ask(near_miss).refused
