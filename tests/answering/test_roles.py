"""A question asking who holds a role is answered by a person named beside that role."""

from __future__ import annotations

import pytest
from support import sentence

from bot.answering.decision import Refusal, answerable
from bot.answering.question import Question, question_kind
from bot.answering.roles import first_person, names_anyone, role_asked


@pytest.mark.parametrize(
    ("clause", "role"),
    [
        ("who is the national data guardian rn", "guardian"),
        ("who chaired the uk biobank oversight committee", "chair"),
        ("which minister wrote to gps to pause gpdpr", "minister"),
        ("whats the name of the person nhs england appointed as the new chair", "chair"),
        ("who took over from wes streeting as health secretary", "secretary"),
        ("whos the national data guardian atm", "guardian"),
        ("who's lined up to take over as data guardian", "guardian"),
        # the role said at the end of a chatty question, in short
        ("who's in charge at the trust these days, like the current chief exec", "chief executive"),
        ("who was running it back then, like the board's ceo?", "chief executive"),
        ("who signed the deal for the company, like which exec?", "chief executive"),
    ],
)
def test_the_role_asked_about_is_read(clause: str, role: str) -> None:
    assert question_kind(clause).kind == "name" or not clause.startswith("who")
    found = role_asked(clause)
    assert found is not None and found.word == role


@pytest.mark.parametrize(
    "clause",
    [
        "who won the fdp contract",  # an organisation, not a person in a role
        "who actually has to have a caldicott guardian now",  # who must have one, not who is one
        "how much does the chair get paid",
        "who runs cprd",  # a body may run it: no role asked
    ],
)
def test_questions_not_asking_for_a_role_holder(clause: str) -> None:
    assert role_asked(clause) is None


def test_a_person_named_beside_the_role_answers() -> None:
    role = role_asked("who is the national data guardian now")
    assert role is not None
    assert role.named_by("Dr Nicola Byrne, the National Data Guardian, said in June 2026 …")
    assert role.named_by("The current guardian is Nicola Byrne, appointed in 2019.")


@pytest.mark.parametrize(
    ("clause", "sentence"),
    [
        # a person beside another role
        ("who is the information commissioner now", "Dr Nicola Byrne, the National Data Guardian"),
        # the role with no one named
        ("who chairs the advisory group for data", "The new chair of the group wrote in 2026."),
        # a body, not a person
        ("which nhs england director signed it", "NHS England Data Services, a directorate"),
        # a name the question already gives
        ("who took over from wes streeting as health secretary", "Wes Streeting, health secretary"),
        # a body's name, however many capitalised words it has
        (
            "whats the name of the person at the support unit who sent it",
            "A staff member at the North West Commissioning Support Unit sent it.",
        ),
        # a campaign's name, not a person's
        (
            "whos the national data guardian atm",
            "The National Data Guardian's office was contacted through the Not With My NHS Data "
            "campaign.",
        ),
    ],
)
def test_no_one_named_beside_the_role_does_not(clause: str, sentence: str) -> None:
    role = role_asked(clause)
    assert role is not None and not role.named_by(sentence)


def test_asked_who_holds_it_now_a_former_holder_is_not_the_answer() -> None:
    now = role_asked("who chairs the advisory group for data now?")
    assert now is not None and now.now
    assert not now.named_by("Its first chair was Chris Carrigan, a cancer data specialist.")
    assert now.named_by("Dr Jane Smith chairs the group, appointed in 2026.")
    ever = role_asked("who chaired the advisory group for data")
    assert ever is not None and ever.named_by("Its first chair was Chris Carrigan.")


@pytest.mark.parametrize(
    ("clause", "now"),
    [
        ("who chairs the advisory group for data", True),  # present tense: the holder now
        ("whos the national data guardian", True),
        ("the name of the person appointed as the new chair of the group", True),  # not the first
        ("who is the first chair of IGARD", False),  # asks for the first holder
        ("who was the national data guardian in 2019", False),
        ("who chaired the advisory group for data", False),
    ],
)
def test_a_present_tense_question_asks_for_the_holder_now(clause: str, now: bool) -> None:
    role = role_asked(clause)
    assert role is not None and role.now is now


def test_a_name_a_clause_away_from_the_role_answers() -> None:
    role = role_asked("who took over from him as ceo")
    assert role is not None
    assert role.named_by(
        "Alex Snow, a former banker who founded the broker Evolution, took over as CEO in 2022."
    )


def test_a_secretary_of_state_is_a_minister_but_a_shadow_one_is_not() -> None:
    role = role_asked("who was the minister that went to the commons and blamed a legacy system")
    assert role is not None
    assert role.named_by("Health Secretary Matt Hancock made a statement in the Commons.")
    assert not role.named_by("Labour's shadow health secretary, Jonathan Ashworth, said so.")
    assert not role.named_by("The permanent secretary, Sir Chris Wormald, wrote back.")
    # the other way round, a minister is not the secretary asked about
    secretary = role_asked("whats the name of the defence secretary who signed it")
    assert secretary is not None
    assert not secretary.named_by("The minister Lord Bethell said it would be signed.")


def test_the_role_written_before_a_name_is_not_part_of_it() -> None:
    assert first_person("Health Secretary Matt Hancock told MPs on Monday.") == "Matt Hancock"
    assert first_person("Dr Nicola Byrne, the guardian, said so.") == "Dr Nicola Byrne"
    assert first_person("The London Clinic said it would act.") is None  # "The" is no office
    role = role_asked("who was the health secretary then")
    assert role is not None and role.named_by("Health Secretary Matt Hancock told MPs on Monday.")


def test_who_is_answered_by_a_sentence_naming_someone_the_question_does_not() -> None:
    asked = frozenset("who was the outside partner that tipped bupa off".split())
    assert not names_anyone("Bupa found out when an outside partner spotted the data.", asked)
    assert names_anyone("Bupa found out when Acme Security spotted the data.", asked)
    assert names_anyone("Accenture runs the service for NHS England.", asked)
    q = Question("who was the outside partner that tipped bupa off about the data being for sale")
    nobody = sentence("Bupa only found out on 16 June 2017, when an outside partner alerted it.")
    assert isinstance(answerable(q, [nobody]), Refusal)


def test_a_chief_executive_is_named_in_other_words_than_the_question_used() -> None:
    role = role_asked("who's in charge at the board now, like the current chief exec")
    assert role is not None
    assert role.named_by("Pam Dudek, the board's chief executive, said it was sorry.")
    assert not role.named_by("Pam Dudek, the board's medical director, said it was sorry.")


def test_a_holder_at_the_time_is_not_the_holder_now() -> None:
    role = role_asked("who is the agency's ceo now?")
    assert role is not None and role.now
    assert not role.named_by("Paula Reed, the agency's chief executive at the time, named them.")
    assert role.named_by("Paula Reed, the agency's chief executive, named them.")
