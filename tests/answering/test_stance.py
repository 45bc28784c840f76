"""Checking claims against the sources: supported, contradicted (another value, or "not" on
one side), not settled; the claims found in a chatty message; values compared as written."""

from __future__ import annotations

import pytest

from bot.answering.question import QuestionError
from bot.answering.stance import (
    ClaimChecker,
    claims_in,
    says_not,
    unheld,
    value_conflict,
    values,
)
from bot.app import App


@pytest.fixture(scope="module")
def checker(app: App) -> ClaimChecker:
    return ClaimChecker(app.answerer)


def test_a_claim_the_sources_state_is_supported_with_the_sentence_that_says_it(
    checker: ClaimChecker,
) -> None:
    checked = checker.check(
        "NHS England awarded the Federated Data Platform contract in November 2023."
    )
    assert checked.stance == "supports"
    (claim,) = checked.claims
    (quote,) = [c for c in checked.citations if c.n in claim.cited]
    assert "November 2023" in quote.quote and quote.source.endswith("fdp-contract.md")


@pytest.mark.parametrize(
    ("claim", "reason"),
    [
        (
            "NHS England awarded the Federated Data Platform contract in November 2021.",
            "2023, not 2021",
        ),
        (
            "The Federated Data Platform contract is worth up to £480 million over seven years.",
            "£330 million, not £480 million",
        ),
        ("The national data opt-out applies to the patient's own direct care.", "not so"),
    ],
)
def test_another_value_or_the_opposite_is_a_contradiction(
    checker: ClaimChecker, claim: str, reason: str
) -> None:
    checked = checker.check(claim)
    assert checked.stance == "contradicts"
    assert reason in checked.claims[0].reason
    assert checked.citations[0].quote in checked.citations[0].passage


def test_a_claim_on_nothing_stored_is_not_settled_with_the_nearest_sources(
    checker: ClaimChecker,
) -> None:
    checked = checker.check("banana bread cures colds")
    assert checked.stance == "not covered"
    assert "don't cover" in checked.claims[0].reason
    answer = checked.as_answer()
    assert answer.refused and answer.citations  # the nearest, as for a refused question


def test_each_claim_of_a_message_is_checked_and_cited_in_turn(checker: ClaimChecker) -> None:
    checked = checker.check(
        "The national data opt-out applies only in England. "
        "The Federated Data Platform contract is worth up to £480 million over seven years."
    )
    first, second = checked.claims
    assert (first.stance, second.stance) == ("supports", "contradicts")
    assert checked.stance == "contradicts"  # one wrong point makes the message wrong
    numbers = [c.n for c in checked.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    assert set(first.cited).isdisjoint(second.cited)
    lines = checked.text.splitlines()
    assert lines[0].startswith("Supported:") and lines[1].startswith("Contradicted:")
    as_json = checked.to_json()
    assert as_json["stance"] == "contradicts" and len(as_json["claims"]) == 2
    assert "passage" not in as_json["citations"][0]


def test_an_empty_or_oversized_message_is_refused(checker: ClaimChecker) -> None:
    with pytest.raises(QuestionError):
        checker.check("   ")
    with pytest.raises(QuestionError, match="limit"):
        checker.check("x " * 2000)


@pytest.mark.parametrize(
    ("message", "claims"),
    [
        (
            "saw this on twitter lol — Palantir got the FDP contract for £480m?? is that right",
            ["Palantir got the FDP contract for £480m."],
        ),
        (
            "apparently the opt-out doesn't cover the FDP. can anyone confirm?",
            ["the opt-out doesn't cover the FDP."],
        ),
        ("hmm", ["hmm"]),  # nothing stands alone: the message as it is
    ],
)
def test_claims_are_the_statements_without_openers_and_tags(
    message: str, claims: list[str]
) -> None:
    assert claims_in(message) == claims


def test_values_compare_as_written() -> None:
    assert not unheld("more than 1.2 million opted out", "1,275,153 people opted out")
    assert [v.shown for v in unheld("worth £300m", "worth £330 million")] == ["£300m"]
    assert [v.kind for v in values("in March 2024, 5% of £2bn")] == [
        "month",
        "year",
        "percent",
        "money",
    ]
    assert value_conflict("awarded in 2021", "awarded in November 2023") == (
        "the closest source gives 2023, not 2021"
    )
    assert value_conflict("seven principles", "eight principles") is not None
    assert value_conflict("awarded in 2023", "awarded in November 2023") is None


def test_a_value_said_of_something_else_is_no_contradiction() -> None:
    claim = "Palantir got the FDP contract for £480m."
    assert value_conflict(claim, "At least £244.5 million had been spent on Palantir.") is None
    assert value_conflict(claim, "The final FDP contract was £330 million.") is not None


def test_names_and_dates_are_not_quantities() -> None:
    assert values("Principle 7 says so; section 251 applies; Type 1 opt-outs") == []
    assert values("4. Access on a need-to-know basis") == []
    assert [(v.kind, v.shown) for v in values("on 25 May 2018")] == [
        ("month", "May"),
        ("day", "25"),
        ("year", "2018"),
    ]
    assert values("patients may opt out") == []  # the verb, not the month


@pytest.mark.parametrize(
    ("text", "denies"),
    [
        ("The National Data Guardian is not a regulator.", True),
        ("the biobank data didnt have names in it", True),
        ("you have to use the paper form not the website", False),  # a contrast, not a denial
        ("you have to use the paper form, not the website", False),
        ("The opt-out applies only in England.", False),
    ],
)
def test_what_counts_as_saying_not(text: str, denies: bool) -> None:
    assert says_not(text) is denies
