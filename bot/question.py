"""What a question asks for: its key terms and the kind of answer it expects."""

from __future__ import annotations

import re
from dataclasses import dataclass

# The kind of thing asked for, by the question's wording. Each kind has a pattern that a
# sentence answering it will usually contain (an amount, a date, a count, a name).
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "amount",
        re.compile(
            r"\bhow much\b|\bcost|\bworth\b|\bvalue\b|\bprice|\bpaid\b"
            r"|\bspen[dt]|\bbudget|\bfine[sd]?\b",
            re.I,
        ),
    ),
    (
        "date",
        re.compile(
            r"\bwhen\b|\bwhat year\b|\bwhich year\b|\bwhat date\b|\bsince when\b"
            r"|\bhow long ago\b|\bdeadline",
            re.I,
        ),
    ),
    (
        "count",
        re.compile(
            r"\bhow many\b|\bnumber of\b|\bhow long\b|\bhow old\b|\bpercent|\bproportion\b", re.I
        ),
    ),
    (
        "name",
        re.compile(
            r"\bwho\b|\bwhich (company|companies|firm|firms|organi[sz]ation|body|group"
            r"|minister|person|people|trust)",
            re.I,
        ),
    ),
)
_YES_NO = re.compile(
    r"^\s*(can|could|does|do|did|is|are|was|were|will|would|should|has|have|may|must)\b", re.I
)

_PATTERNS = {
    "amount": re.compile(
        r"[£$€]\s?\d|\b\d[\d,.]*\s?(m|bn|million|billion|thousand|pounds|per cent|%)\b", re.I
    ),
    "date": re.compile(
        r"\b(19|20)\d\d\b|\b(january|february|march|april|may|june|july|august|september|october|november|december)\b",
        re.I,
    ),
    "count": re.compile(
        r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|twelve|hundred|thousand|million)\b",
        re.I,
    ),
    "name": re.compile(
        r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zA-Z&'’-]+(?:\s+(?:of\s+|and\s+|for\s+)?[A-Z][a-zA-Z&'’-]+)*"
    ),
}


@dataclass(frozen=True)
class QuestionKind:
    kind: str  # amount | date | count | name | yesno | other

    def matches(self, sentence: str) -> bool:
        """Whether a sentence contains the kind of thing asked for (always true for other kinds)."""
        pattern = _PATTERNS.get(self.kind)
        return bool(pattern.search(sentence)) if pattern else True


def question_kind(question: str) -> QuestionKind:
    for kind, pattern in _KINDS:
        if pattern.search(question):
            return QuestionKind(kind)
    if _YES_NO.search(question):
        return QuestionKind("yesno")
    return QuestionKind("other")


# A follow-up leans on the turn before it: it opens with a connective ("and what about
# Wales?"), points back with a pronoun ("can they sell it?"), or is too short to stand alone
# ("why?"). Anything else is a new question, read on its own: mixing an unrelated question
# with the last one would answer it with the last one's sources.
_CONNECTIVE = re.compile(
    r"^\W*(and|but|so|also|or|then|plus|what about|how about|what if|same for|ok|okay)\b", re.I
)
_BACK_REFERENCE = re.compile(
    r"\b(it|its|they|them|their|theirs|that|this|those|these|there|he|she|him|her|his|such)\b",
    re.I,
)
SHORT_QUESTION_WORDS = 3


def is_follow_up(question: str) -> bool:
    """Whether a question needs the earlier turn to make sense."""
    words = re.findall(r"\w+", question)
    return (
        len(words) <= SHORT_QUESTION_WORDS
        or bool(_CONNECTIVE.search(question))
        or bool(_BACK_REFERENCE.search(question))
    )
