"""Asked whether something happened, a sentence that never mentions it is not the answer."""

from __future__ import annotations

import pytest
from support import refusal_text, sentence

from bot.answering.decision import answerable
from bot.answering.events import event_asked
from bot.answering.question import Question


@pytest.mark.parametrize(
    ("clause", "kinds"),
    [
        ("was the hacker ever arrested or charged for anything", ("arrest", "charge")),
        ("did the met actually charge anyone over it", ("charge",)),
        ("has the shielded patient list data been deleted now", ("delete",)),
        ("did the trust pay the ransom or not", ("pay",)),
        ("did any of the trusts terminate their contracts", ("end",)),
        ("did berkshire sign up to the fdp", ("join",)),
        ("did the patients ever get any compensation", ("compensate",)),
        ("was my record leaked", ("leak",)),
        # "the HSE hack" names the topic; the event asked about is the charge
        ("has anyone been charged for the HSE hack", ("charge",)),
        # "was it a hack?" asks whether there was one
        ("was the biobank thing a hack or a leak", ("leak",)),
        ("did the regulator ever investigate the deal", ("investigate",)),
        ("was anyone at the firm punished by the regulator", ("discipline",)),
    ],
)
def test_the_event_asked_about_is_read(clause: str, kinds: tuple[str, ...]) -> None:
    event = event_asked(clause)
    assert event is not None and event.kinds == kinds


@pytest.mark.parametrize(
    "clause",
    [
        "can the national data guardian fine anyone",  # a power, not an event
        "does data saves lives apply in wales",
        "did the government act on the review",  # no event we know the words for
    ],
)
def test_other_questions_ask_about_no_event(clause: str) -> None:
    assert event_asked(clause) is None


def test_a_sentence_that_never_mentions_the_event_does_not_answer() -> None:
    q = Question("was marcus hutchins ever arrested or charged for anything after wannacry?")
    about = sentence("Marcus Hutchins found the kill switch that stopped WannaCry spreading.")
    text = refusal_text(q, [about])
    assert "none of the passages I found mentions an arrest or charges" in text
    held = sentence("Hutchins was arrested by the FBI in August 2017 in Las Vegas.")
    assert answerable(q, [about, held]) == [held]


def test_a_sentence_saying_it_did_not_happen_answers() -> None:
    q = Question("did the ico fine the royal free over the deepmind app?")
    topic = sentence("The Royal Free shared 1.6 million records with DeepMind for the app.")
    no_fine = sentence("The ICO did not fine the trust; it asked for an undertaking instead.")
    assert answerable(q, [topic, no_fine]) == [no_fine]


def test_free_answers_whether_anyone_paid() -> None:
    q = Question("did amazon pay the nhs anything for the health pages or was it free")
    topic = sentence("Amazon's Alexa reads out NHS health pages when people ask it questions.")
    free = sentence("Amazon got a royalty-free licence, without paying a penny for it.")
    assert answerable(q, [topic, free]) == [free]


def test_a_question_about_a_power_is_not_read_as_an_event() -> None:
    q = Question("can the national data guardian fine anyone?")
    powers = sentence("The National Data Guardian is not a regulator and has no powers to enforce.")
    assert answerable(q, [powers]) == [powers]


def test_asked_whether_anyone_was_punished_the_sentence_on_discipline_answers() -> None:
    q = Question("was the pharmacy boss punished by the regulator as well?")
    topic = sentence("The regulator fined the pharmacy £130,000 for selling patients' details.")
    held = sentence("The pharmacy council said no one had been suspended or struck off.")
    assert answerable(q, [topic, held]) == [held]
