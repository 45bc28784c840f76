"""Asked when something ended, the day it began is not the answer (and the other way round)."""

from __future__ import annotations

import pytest
from support import sentence

from bot.answering.decision import Refusal, answerable
from bot.answering.phases import phase_asked, tells_phase
from bot.answering.question import Question


@pytest.mark.parametrize(
    ("clause", "phase"),
    [
        ("when did the ico finish its enquiries into uk biobank", "end"),
        ("what date was care.data finally killed off", "end"),
        ("when did the national data opt out actually start", "start"),
        ("when is the launch date", "start"),
        # both, or neither: no side is taken
        ("when does the code stopping police getting notes actually start", None),
        ("when did the consultation on the code run", None),
    ],
)
def test_a_start_or_an_end_is_read(clause: str, phase: str | None) -> None:
    assert phase_asked(clause) == phase


def test_a_sentence_telling_only_the_other_end_is_not_the_answer() -> None:
    began = "UK Biobank referred itself to the ICO, which began enquiries in April 2026."
    assert not tells_phase(began, "end") and tells_phase(began, "start")
    both = "The consultation opened on 1 May and closed on 30 June 2025."
    assert tells_phase(both, "end") and tells_phase(both, "start")
    neither = "The ICO published its findings on 3 July 2026."
    assert tells_phase(neither, "end") and tells_phase(neither, "start")


def test_when_it_finished_is_not_answered_by_when_it_began() -> None:
    q = Question("when did the ico finish its enquiries into uk biobank")
    began = sentence("UK Biobank referred itself to the ICO, which began enquiries in April 2026.")
    assert isinstance(answerable(q, [began]), Refusal)
    ended = sentence("The ICO closed its enquiries in September 2026.")
    assert answerable(q, [began, ended]) == [ended]
