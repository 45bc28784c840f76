"""Whether a "when" question asks for a start or an end: "when did the ICO finish its
enquiries?" is not answered by the day it began them, nor "when did the opt-out start?" by the
day it was paused. A sentence that tells only the other end is not the answer."""

from __future__ import annotations

import re

_START = re.compile(
    r"\b(?:start(?:s|ed|ing)?|beg[ia]n(?:s|ning)?|begun|launch(?:es|ed|ing)?|open(?:s|ed|ing)?"
    r"|commenc\w*|introduc\w*|since|came into force|comes? into force|go(?:es|ing)? live"
    r"|went live|set up|created|established|founded)\b",
    re.I,
)
_END = re.compile(
    r"\b(?:end(?:s|ed|ing)?|finish(?:es|ed|ing)?|conclud\w*|clos(?:es|ed|ing|e)|stop(?:s|ped|ping)?"
    r"|complet\w*|scrap(?:s|ped|ping)?|abolish\w*|abandon\w*|killed|wound up|until|ceased?"
    r"|expir\w*|terminat\w*|dropped|replaced|merged|folded)\b",
    re.I,
)


def phase_asked(clause: str) -> str | None:
    """ "start" or "end" when a question names one of them and not the other, else None."""
    start, end = _START.search(clause), _END.search(clause)
    if start and not end:
        return "start"
    if end and not start:
        return "end"
    return None


def tells_phase(sentence: str, phase: str) -> bool:
    """False for a sentence that tells only the other end ("… began enquiries" asked when
    they finished); a sentence naming neither may still give the date."""
    start, end = _START.search(sentence), _END.search(sentence)
    if phase == "end":
        return bool(end) or not start
    return bool(start) or not end
