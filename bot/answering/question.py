"""A question as the pipeline reads it: checked once, its kind of answer, and whether it leans
on the earlier turn of a conversation."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering.reading import Constraints, asked_clause, constraints, without_scene
from bot.answering.roles import first_person

# The kind of thing asked for, by the question's wording. Each kind has a pattern that a
# sentence answering it will usually contain (an amount, a date, a count, a name).
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "amount",
        re.compile(
            r"\bhow much\b|\bcost|\bworth\b|\bvalue\b|\bprice|\bpaid\b"
            r"|\bspen[dt]|\bbudget|\bfine[sd]?\b|\bpenalt(?:y|ies)\b",
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
            r"\bhow many\b|\bnumber of\b|\bhow long\b|\bhow old\b|\bpercent|\bproportion\b"
            # "what's the opt-out figure for 2025?", "what was the rate before and after?"
            r"|\bwhat\w*\b[^?]*\b(?:figures?|totals?|rates?|stats|statistics)\b",
            re.I,
        ),
    ),
    (
        "name",
        re.compile(
            r"\bwho(?:s|'s|’s)?\b|\bwhich (company|companies|firm|firms|organi[sz]ation|body|group"
            r"|minister|person|people|trust)",
            re.I,
        ),
    ),
)
_YES_NO = re.compile(
    r"^\s*(can|could|does|do|did|is|are|was|were|will|would|should|has|have|may|must)\b", re.I
)
_QUESTION_WORD = re.compile(r"\b(how|what\w*|when|where|which|who\w*|whose|whom|why)\b", re.I)
# A question word that opens a question: at the start, after a mark, or after a word that
# leads into one ("and who…", "know how much…"); not "the woman who…".
_OPENS_QUESTION = re.compile(
    r"(?:^|[,;:?!(]\s*|\b(?:and|or|but|so|then|know|ask|asking|wondering|tell me|explain|say"
    r"|is|are|was|were)\s+)(?:how|what\w*|when|where|which|who\w*|whose|whom|why)\b",
    re.I,
)
_COMPARES = re.compile(r"\bdifference between\b|\bwhat(?:'s|s| is)? the difference\b", re.I)

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
    # "was the clinic fined?", "is the contract worth more than £330m?" ask yes or no: the
    # words of a kind count only beside a question word ("how much was it fined?"), and
    # "who" after a noun ("was the woman who sent it blamed?") is no question word.
    if _YES_NO.search(question) and not _OPENS_QUESTION.search(question):
        return QuestionKind("yesno")
    # "in the bupa fine story what's SWAN?": what comes before the question word sets the
    # scene; "what's the difference between a reprimand and a fine?" asks for no sum.
    start = _QUESTION_WORD.search(question)
    asking = question[start.start() :] if start else question
    if _COMPARES.search(asking):
        return QuestionKind("other")
    for kind, pattern in _KINDS:
        if pattern.search(asking):
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
    r"\b(it|its|they|them|their|theirs|that|this|those|these|there|he|she|him|her|his|such"
    r"|back then|by then|since then|at the time)\b",
    re.I,
)
SHORT_QUESTION_WORDS = 3
# "and when did she start?" after "who is the national data guardian?" asks about the person
# the earlier *answer* named. Refusals (decision.Refusal.text) open with "My sources don't":
# the people they list are the nearest passages', not an answer.
_PERSON_PRONOUN = re.compile(r"\b(he|she|him|her|his|hers)\b", re.I)
_REFUSAL = re.compile(r"^\W*My sources don['’]t\b")


def is_follow_up(question: str) -> bool:
    """Whether a question needs the earlier turn to make sense."""
    words = re.findall(r"\w+", question)
    return (
        len(words) <= SHORT_QUESTION_WORDS
        or bool(_CONNECTIVE.search(question))
        or bool(_BACK_REFERENCE.search(question))
    )


class QuestionError(ValueError):
    """The question can't be asked as it is (empty, too long); the message says what to do."""


def check_question(question: str, max_chars: int) -> str:
    """The question, trimmed; QuestionError when it is empty or longer than `max_chars`."""
    text = " ".join(question.split())
    if not text:
        raise QuestionError("Please type a question, e.g. “Can Palantir staff see my GP record?”")
    if any("\ud800" <= c <= "\udfff" for c in text):  # bytes that were not UTF-8
        raise QuestionError("That question is not valid text (UTF-8): please type it again.")
    if len(text) > max_chars:
        raise QuestionError(
            f"That question is {len(text)} characters long; the limit is {max_chars}. "
            "Please ask something shorter, one question at a time."
        )
    return text


@dataclass(frozen=True)
class Question:
    """A checked question. `earlier` is the last turn's question when this one leans on it
    ("and what about Wales?"): decided once here, for retrieval and for a model's prompt."""

    text: str
    earlier: str | None = None
    person: str | None = None  # whom "she" or "his" means: the person the earlier answer named

    @classmethod
    def read(cls, text: str, max_chars: int, history: Sequence[tuple[str, str]] = ()) -> Question:
        """QuestionError when `text` is empty or too long; `history` is (question, answer) turns."""
        checked = check_question(text, max_chars)
        clause = asked_clause(checked)
        if not history or not is_follow_up(clause):
            return cls(checked)
        earlier, answer = history[-1]
        return cls(checked, earlier, referent(clause, earlier, answer))

    @functools.cached_property
    def clause(self) -> str:
        """The part that asks (a long chatty message has asides around it)."""
        return asked_clause(self.text)

    @property
    def query(self) -> str:
        """What is searched: the question, after the question a follow-up leans on.

        (Searching only the asking part of a long message, and only the earlier question's
        topic for a follow-up, were tried: neither helped on questions we did not write.)"""
        leaned_on = " ".join(part for part in (self.earlier, self.person) if part)
        return f"{leaned_on} {self.text}" if leaned_on else self.text

    @property
    def kind(self) -> QuestionKind:
        return question_kind(without_scene(self.clause))

    @functools.cached_property
    def constraints(self) -> Constraints:
        return constraints(self.clause)

    @property
    def for_model(self) -> str:
        """The question as a model reads it: a follow-up says what it follows."""
        if not self.earlier:
            return self.text
        about = f", whose answer named {self.person}" if self.person else ""
        return f"{self.text} (a follow-up to the earlier question: {self.earlier}{about})"


def referent(clause: str, earlier: str, answer: str) -> str | None:
    """The person a follow-up's "she", "him" or "his" means: the first one the earlier answer
    named, when the earlier question named nobody (then the pronoun means that person)."""
    if not _PERSON_PRONOUN.search(clause) or _REFUSAL.match(answer) or first_person(earlier):
        return None
    return first_person(answer)
