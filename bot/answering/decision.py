"""Answer or refuse: which sentences may answer a question at all, and what a refusal says.

Before the coverage model weighs the evidence, three checks that need no weighing:
  1. a top sentence in which a source says it does not give what is asked ("The sources do
     not give the number of babies recruited") makes a refusal that says so;
  2. a question asking for a number, an amount or a date is answered only by a sentence
     holding one;
  3. a question naming a year, a month, a devolved nation or a list item ("the 4th aim") is
     answered only by a sentence whose passage names them (and which is that item).
A refusal says what is missing, then lists the nearest passages as not the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answering.counted import Counted, counted
from bot.answering.question import Question
from bot.answering.reading import disclaimed
from bot.answering.roles import Role, role_asked
from bot.answering.scoring import Sentence

_VALUES = {
    "count": re.compile(
        r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred"
        r"|thousand|million|billion|half|third|quarter|all|none|no one|every)\b",
        re.I,
    ),
    "amount": re.compile(r"\d|[£$€]|\b(million|billion|thousand|free|no charge|nothing)\b", re.I),
    # "How much does it cost?" is answered by a sum of money, not by any number ("applications
    # rose by 35 per cent").
    "money": re.compile(
        r"[£$€]\s?\d|\b\d[\d,.]*\s?(million|billion|bn|m|k|thousand|pounds|pence|p)\b"
        r"|\b(free|no charge|nothing|without charge)\b",
        re.I,
    ),
    "date": re.compile(
        r"\b(19|20)\d\d\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
        r"|\b\d+\s*(days?|weeks?|months?|years?)\b|\b(one|two|three|four|six|twelve)\s+"
        r"(days?|weeks?|months?|years?)\b|\b(today|yesterday|ago|since|until)\b",
        re.I,
    ),
}
_WHAT_WORD = {"count": "number", "amount": "amount", "money": "amount", "date": "date"}
# "How much of it…", "by how much…" ask for a share; "who…" with a price in it asks for a name.
_NOT_MONEY = re.compile(r"\b(how much of|by how much)\b|^\W*(who|which)\b", re.I)
DISCLAIMER_RANKS = 3  # a disclaimer this near the top speaks to the question
FULL_OVERLAP = 0.5  # without a kind to match, a disclaimer must hold this much of the question
# What a disclaimer's missing thing must mention to match the kind of thing asked for.
_CUES = {
    "count": re.compile(
        r"\b(numbers?|how many|count|totals?|figures?|statistics|proportion|percentage|share"
        r"|rate|size|how much of)\b",
        re.I,
    ),
    "amount": re.compile(
        r"\b(cost|costs|charged?|charges|fees?|price|paid|pay|payments?|amounts?|value|worth"
        r"|how much|spend|spent|spending|budget|fines?|funding)\b|£",
        re.I,
    ),
    "date": re.compile(r"\b(dates?|when|years?|months?|days?|timetable|deadline|how long)\b", re.I),
    "name": re.compile(
        r"\b(who|names?|individuals?|person|people|chair|members?|organisations?|firms?"
        r"|compan(?:y|ies)|ministers?|directors?|officials?|suppliers?|bodies|body)\b",
        re.I,
    ),
}
_DEFINITION = re.compile(
    r"^\W*(?:what(?:'s|s| is| are| was| were)\s+(?:a |an |the )?\w+(?:\W+\w+){0,6}\W*$"
    r"|what does .* mean|explain\b|tell me about\b|define\b)",
    re.I,
)


@dataclass(frozen=True)
class Refusal:
    """Why the sources can't answer: `missing` is what they lack, in a few words (the JSON
    contract's `missing`), `reason` a sentence for the reader (may be empty)."""

    missing: str
    reason: str = ""

    def text(self) -> str:
        lead = f"My sources don't cover that: {self.reason}" if self.reason else REFUSAL_LEAD
        return f"{lead} {NEAREST}"


REFUSAL_LEAD = "My sources don't cover that, so I can't answer it reliably."
NEAREST = "The nearest passages I have are listed below; they don't answer it."


def holds_value(kind: str, sentence: str) -> bool:
    """Whether a sentence holds the kind of value asked for (any sentence, for other kinds)."""
    pattern = _VALUES.get(kind)
    return pattern is None or pattern.search(sentence) is not None


def answerable(question: Question, ranked: Sequence[Sentence]) -> list[Sentence] | Refusal:
    """The sentences that may answer the question, best first; or a Refusal when none may."""
    refusal = _disclaimer(question, ranked)
    if refusal:
        return refusal
    kind = question.kind.kind
    if kind == "amount" and not _NOT_MONEY.search(question.clause):
        kind = "money"
    limits = question.constraints
    count = counted(question.clause) if kind == "count" else None
    role = role_asked(question.clause)
    if kind not in _VALUES and not limits.any and role is None:
        return list(ranked)
    fit = [
        s
        for s in ranked
        if holds_value(kind, s.text)
        and limits.met_by(s.text, _heading(s), s.hit.text)
        and (count is None or count.given_by(s.text))
        and (role is None or role.named_by(s.text))
    ]
    if fit:
        return fit
    missing = question.clause.rstrip(" ?")
    what = _what(kind, count, role)
    if limits.any:
        where = limits.describe()
        reason = f"none of the passages I found gives {what} for {where}."
        return Refusal(f"{missing} ({where})", reason)
    return Refusal(missing, f"none of the passages I found gives {what}.")


def _what(kind: str, count: Counted | None, role: Role | None) -> str:
    """What was asked for, in words: "a number of people", "the name of the chair", "the
    amount asked for", "it"."""
    if count is not None:
        return f"a number of {count.noun}"
    if role is not None:
        return f"the name of the {role.word}"
    return f"the {_WHAT_WORD[kind]} asked for" if kind in _WHAT_WORD else "it"


def _disclaimer(question: Question, ranked: Sequence[Sentence]) -> Refusal | None:
    """A top sentence saying its sources don't give what is asked: the kind of thing asked
    for (a number, an amount, a date, a name), about the question's topic, and speaking to the
    question at least as fully as the sentences above it. "What is X?" is not refused for a
    source lacking some detail of X."""
    if _DEFINITION.search(question.clause):
        return None
    kind = question.kind.kind
    top = list(ranked[:DISCLAIMER_RANKS])
    for rank, s in enumerate(top):
        what = disclaimed(s.text)
        if not what or (rank and s.overlap < max(t.overlap for t in top[:rank])):
            continue
        cue = _CUES.get(kind)
        if cue.search(what) if cue else (rank == 0 and s.overlap >= FULL_OVERLAP):
            return Refusal(what, f"my sources say they don't give {what}.")
    return None


def _heading(s: Sentence) -> str:
    return f"{s.hit.meta('title')} {s.hit.meta('heading')}"
