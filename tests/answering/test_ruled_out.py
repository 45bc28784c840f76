"""What the asker rules out ("…, not the trial") is not the answer."""

from __future__ import annotations

import pytest
from support import sentence

from bot.answering.decision import Refusal, answerable
from bot.answering.question import Question
from bot.answering.ruled_out import ruled_out


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("when did the covid app launch across england, not the trial", [{"trial"}]),
        ("how much did barts spend - not the lost income bit, the IT spend", [{"lost", "income"}]),
        ("how many patients were affected? not appointments, like people", [{"appointment"}]),
        ("how much has iqvia been paid? not the contract value", [{"contract", "value"}]),
        # "not" inside the question, not ruling anything out
        ("can they not sell it?", []),
        ("is it not true that palantir can see my data?", []),
        ("why not?", []),
        ("i am not sure, is it 330m?", []),
    ],
)  # fmt: skip
def test_what_is_ruled_out_is_read(message: str, words: list[set[str]]) -> None:
    assert [set(w) for w in ruled_out(message)] == words


def test_a_sentence_about_what_was_ruled_out_is_no_answer() -> None:
    q = Question("how much did barts spend on its IT after wannacry - not the lost income bit")
    income = sentence("Barts said the incident had cost it £9.5 million in lost income alone.")
    assert isinstance(answerable(q, [income]), Refusal)
    it = sentence("Barts spent £4 million on new IT after the attack.")
    assert answerable(q, [income, it]) == [it]
