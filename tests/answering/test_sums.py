"""Asked about a salary, a ransom, a fine or a fee, a sum of money for something else is not
the answer."""

from __future__ import annotations

import pytest
from support import refusal_text, sentence

from bot.answering.decision import answerable
from bot.answering.question import Question
from bot.answering.sums import party, purpose_asked


@pytest.mark.parametrize(
    ("clause", "purpose"),
    [
        ("how much does the national data guardian get paid?", "salary"),
        ("how much ransom did conti ask the hse for", "ransom"),
        ("how much royalty money did the trusts get paid by sensyne", "royalty"),
        ("were the patients ever paid any compensation", "compensation"),
        ("how big was the penalty", "fine"),
        ("how much did palantir charge at the start", "fee"),
        ("whats the total budget for the strategy", "budget"),
        # the money's purpose is not named
        ("how much is the fdp contract worth", None),
        ("how much did wannacry cost the nhs", None),
    ],
)
def test_what_the_money_is_for_is_read(clause: str, purpose: str | None) -> None:
    asked = purpose_asked(clause)
    assert (asked.word if asked else None) == purpose


def test_a_sum_for_something_else_is_no_answer() -> None:
    q = Question("how much does the national data guardian get paid?")
    contract = sentence("NHS England has paid £330 million for seven years of licences.")
    assert "salary" in refusal_text(q, [contract])
    salary = sentence("The guardian's salary is £75,000 a year.")
    assert answerable(q, [contract, salary]) == [salary]


def test_a_price_may_be_written_as_for_a_sum() -> None:
    q = Question("how much did palantir charge at the very start of the covid data store")
    nominal = sentence("Palantir supplied its software and engineers, first for a nominal £1.")
    assert answerable(q, [nominal]) == [nominal]


@pytest.mark.parametrize(
    ("clause", "words"),
    [
        ("how much has iqvia actually been paid so far", {"iqvia"}),
        ("how much has the mod actually paid palantir so far", {"mod"}),
        ("how much has the hse cyber attack cost ireland so far", {"hse", "cyber", "attack"}),
        # left to "it", or no party at all
        ("how much has it cost so far", set()),
        ("how much of the 600m has actually been spent so far", set()),
    ],
)
def test_the_party_paid_so_far_is_read(clause: str, words: set[str]) -> None:
    assert party(clause) == words


def test_money_paid_to_someone_else_is_no_answer() -> None:
    """The issue's own example: what NHS England paid for licences is not what IQVIA got."""
    q = Question("how much has iqvia been paid so far?")
    licences = sentence("NHS England has paid for seven years of licences, funded by £330m.")
    assert "paid or spent so far" in refusal_text(q, [licences])
    paid = sentence("By March 2025 IQVIA had been paid £9 million of its £28 million.")
    assert answerable(q, [licences, paid]) == [paid]
    # A passage titled with the party speaks of it; "HSE" stands for the spelled-out name.
    hse = Question("how much has the hse attack cost so far?")
    titled = sentence("The bill so far is €100 million.", title="The HSE ransomware attack")
    spelled = sentence("The Health Service Executive has spent €80 million so far.")
    assert answerable(hse, [titled, spelled]) == [titled, spelled]
