"""Answer or refuse: which sentences may answer a question at all, and what a refusal says.

Before the coverage model weighs the evidence, checks that need no weighing:
  1. a top sentence in which a source says it does not give what is asked ("The sources do
     not give the number of babies recruited") makes a refusal that says so;
  2. a question asking for a number, an amount or a date is answered only by a sentence
     holding one: "how many people" by a number of people (bot/answering/counted.py), "how
     much does it cost" by a sum of money, "how much has X been paid so far" by a sentence
     about what was paid to (or by) whom the question names, "how much is the guardian paid"
     by a sum said to be a salary (bot/answering/sums.py), and "when did it finish?" not by
     a sentence telling only when it began (bot/answering/phases.py);
  3. a question naming a year, a month, a devolved nation or a list item ("the 4th aim") is
     answered only by a sentence whose passage names them (and which is that item), not by
     one dated to another year;
  4. a question asking who holds a role ("who chairs…", "which minister…") is answered only
     by a sentence naming a person beside that role (bot/answering/roles.py);
  5. a question asking for a phone number, an email or a web address is answered only by a
     sentence holding one, and "what hours is it open?" only by opening hours
     (bot/answering/contacts.py);
  6. a question asking whether something happened ("was anyone arrested?", "did the ICO
     fine them?") is answered only by a sentence mentioning that event, or its not happening
     (bot/answering/events.py);
  7. "who…" with no role asked is answered only by a sentence naming a person or a body the
     question does not ("an outside partner spotted it" names nobody).
A refusal says what is missing, then lists the nearest passages as not the answer. So does a
choice of sentences led by a source saying what it lacks (`says_it_lacks`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.answering.contacts import WORDS, contact_asked, holds_contact
from bot.answering.counted import Counted, counted
from bot.answering.events import Event, event_asked
from bot.answering.phases import phase_asked, tells_phase
from bot.answering.question import Question
from bot.answering.reading import MONTH, Constraints, disclaimed, unknown, without_law_years
from bot.answering.roles import Role, names_anyone, question_words, role_asked
from bot.answering.ruled_out import about_ruled_out, ruled_out
from bot.answering.scoring import Sentence
from bot.answering.sums import Purpose, names_party, party, purpose_asked

_VALUES = {
    "count": re.compile(
        r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|hundred"
        r"|thousand|million|billion|half|third|quarter|all|none|no one|every)\b",
        re.I,
    ),
    "amount": re.compile(r"\d|[£$€]|\b(million|billion|thousand|free|no charge|nothing)\b", re.I),
    # "How much does it cost?" is answered by a sum of money, not by any number ("applications
    # rose by 35 per cent").
    # "1.7 million people" is a count, not a sum: a sum has its currency.
    "money": re.compile(
        r"[£$€]\s?\d|\b\d[\d,.]*\s?(?:million\s+|billion\s+|m\s+|bn\s+)?"
        r"(pounds|pence|p|euros?|dollars?|gbp|eur|usd)\b"
        r"|\b(free|no charge|nothing|without charge)\b",
        re.I,
    ),
    "date": re.compile(
        rf"\b(19|20)\d\d\b|{MONTH}"
        r"|\b\d+\s*(days?|weeks?|months?|years?)\b|\b(one|two|three|four|six|twelve)\s+"
        r"(days?|weeks?|months?|years?)\b|\b(today|yesterday|ago|since|until)\b",
        re.I,
    ),
}
_WHAT_WORD = {"count": "number", "amount": "amount", "money": "amount", "date": "date"}
# "How much of it…", "by how much…" ask for a share; "who…" with a price in it asks for a name.
_NOT_MONEY = re.compile(r"\b(how much of|by how much)\b|^\W*(who|which)\b", re.I)
# "How much has X been paid so far?" asks what was spent, not what a contract is worth.
_PAID_SO_FAR = re.compile(r"\b(so far|to date|until now|actually (been )?(paid|spent))\b", re.I)
_PAID = re.compile(
    r"\b(paid|spent|spend|spending|received|so far|to date|has cost|had cost|invoiced"
    r"|drawn down|payments? of)\b",
    re.I,
)
DISCLAIMER_RANKS = 3  # a disclaimer this near the top speaks to the question
FULL_OVERLAP = 0.5  # without a kind to match, a disclaimer must hold this much of the question
# A disclaimer below the best sentence refuses only when what it lacks holds this much of the
# question (and more than the best sentence does): most name some other missing detail.
LACKING_SHARE = 0.4
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
    # "it has not been reported whether he was charged" answers no "was he charged?"
    "yesno": re.compile(r"\b(?:whether|if)\b", re.I),
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

    def text(self, nearest: bool = True) -> str:
        """What the reader is told; `nearest` when passages are listed after it."""
        lead = f"My sources don't cover that: {self.reason}" if self.reason else REFUSAL_LEAD
        return f"{lead} {NEAREST}" if nearest else lead


REFUSAL_LEAD = "My sources don't cover that, so I can't answer it reliably."
NEAREST = "The nearest passages I have are listed below; they don't answer it."


def holds_value(kind: str, sentence: str) -> bool:
    """Whether a sentence holds the kind of value asked for (any sentence, for other kinds)."""
    pattern = _VALUES.get(kind)
    if kind == "date":
        sentence = without_law_years(sentence)
    return pattern is None or pattern.search(sentence) is not None


@dataclass(frozen=True)
class Wanted:
    """What a sentence must hold to answer a question, beyond being about its topic: a value of
    the kind asked for, the question's year, nation or list item, a number of the thing
    counted, a person named beside the role asked about, what was spent (not agreed), what the
    money asked about is for."""

    kind: str
    limits: Constraints
    count: Counted | None = None
    role: Role | None = None
    spent: bool = False
    contact: str | None = None  # "email", "phone", "web", "hours"
    purpose: Purpose | None = None  # what the money asked about is for: "salary", "ransom"
    excluded: tuple[frozenset[str], ...] = ()  # "…, not the trial": what the asker rules out
    payee: frozenset[str] = frozenset()  # "how much has iqvia been paid so far": iqvia
    phase: str | None = None  # "when did it finish?": "end"; "when did it start?": "start"
    event: Event | None = None  # "was anyone arrested?": an arrest, or that there was none
    someone: frozenset[str] | None = None  # "who…": the question's words (not the answer)

    @classmethod
    def by(cls, question: Question) -> Wanted:
        clause = question.clause
        kind = question.kind.kind
        if kind == "amount" and not _NOT_MONEY.search(clause):
            kind = "money"
        spent = kind == "money" and _PAID_SO_FAR.search(clause) is not None
        return cls(
            kind,
            question.constraints,
            counted(clause) if kind == "count" else None,
            role_asked(clause),
            spent,
            contact_asked(clause),
            purpose_asked(clause) if kind == "money" else None,
            ruled_out(question.text),
            party(clause) if spent else frozenset(),
            phase_asked(clause) if kind == "date" else None,
            event_asked(clause) if kind == "yesno" else None,
            question_words(clause) if kind == "name" and _WHO.search(clause) else None,
        )

    @property
    def anything(self) -> bool:
        """Whether any sentence about the topic may answer."""
        return (
            self.kind not in _VALUES
            and not self.limits.any
            and self.role is None
            and self.contact is None
            and not self.excluded
            and self.event is None
            and self.someone is None
        )

    def met_by(self, s: Sentence) -> bool:
        """Whether the sentence holds all of it."""
        return (
            holds_value(self.kind, s.text)
            and self.limits.met_by(s.text, _heading(s), s.hit.text)
            and (not self.spent or _PAID.search(s.text) is not None)
            and (not self.payee or names_party(f"{s.text} {_heading(s)}", self.payee))
            and (self.count is None or self.count.given_by(s.text))
            and (self.role is None or self.role.named_by(s.text))
            and (self.contact is None or holds_contact(self.contact, s.text))
            and (self.purpose is None or self.purpose.named_by(s.text))
            and not about_ruled_out(s.text, self.excluded)
            and (self.phase is None or tells_phase(s.text, self.phase))
            and (self.event is None or self.event.mentioned_by(s.text))
            and (self.someone is None or names_anyone(s.text, self.someone))
        )

    def what(self, plain: str = "") -> str:
        """What was asked for, in words: "a number of people", "the name of the chair", "a
        phone number"; for a plain kind of value, "the amount asked for" (or `plain`)."""
        if self.count is not None:
            return f"a number of {self.count.noun}"
        if self.role is not None:
            return f"the name of the {self.role.word}"
        if self.contact is not None:
            return WORDS[self.contact]
        if self.purpose is not None:
            return f"the {self.purpose.word} asked about"
        if self.spent:
            return "what has been paid or spent so far"
        word = _WHAT_WORD.get(self.kind)
        return plain or (f"the {word} asked for" if word else "it")


_WHO = re.compile(r"^\W*who(?:'s|’s|s)?\b", re.I)


def answerable(question: Question, ranked: Sequence[Sentence]) -> list[Sentence] | Refusal:
    """The sentences that may answer the question, best first; or a Refusal when none may."""
    refusal = _disclaimer(question, ranked)
    if refusal:
        return refusal
    wanted = Wanted.by(question)
    if wanted.anything:
        return list(ranked)
    fit = [s for s in ranked if wanted.met_by(s)]
    if fit:
        return fit
    missing = question.clause.rstrip(" ?")
    if wanted.limits.any:
        where = wanted.limits.describe()
        reason = f"none of the passages I found gives {wanted.what('it')} for {where}."
        return Refusal(f"{missing} ({where})", reason)
    if wanted.event is not None:
        return Refusal(missing, f"none of the passages I found mentions {wanted.event.words}.")
    return Refusal(missing, f"none of the passages I found gives {wanted.what()}.")


def says_it_lacks(
    question: Question,
    chosen: Sequence[Sentence],
    share: Callable[[str], float] = lambda text: 0.0,
) -> Refusal | None:
    """A refusal when a sentence chosen to answer is a source saying it does not give what is
    asked: the best one saying it lacks anything ("… do not record when, or whether, the
    action ended"), or a later one saying it lacks something that holds more of the question
    (`share`: its rarity-weighted share of the question's terms) than the best sentence does
    ("nor was it made public what the investigation concluded" below "an investigation was
    under way"). Quoting it would dress "my sources don't say" up as an answer. "What is X?"
    is still answered."""
    if not chosen or _DEFINITION.search(question.clause):
        return None
    name_asked = question.kind.kind == "name"
    what = disclaimed(chosen[0].text, name_asked)
    if what:
        return Refusal(what, f"my sources say {unknown(what)}.")
    best = share(chosen[0].text)
    for s in chosen[1:]:
        what = disclaimed(s.text, name_asked)
        if what and share(what) >= max(best, LACKING_SHARE):
            return Refusal(what, f"my sources say {unknown(what)}.")
    return None


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
        what = disclaimed(s.text, kind == "name")
        if not what or (rank and s.overlap < max(t.overlap for t in top[:rank])):
            continue
        cue = _CUES.get(kind)
        if cue.search(what) if cue else (rank == 0 and s.overlap >= FULL_OVERLAP):
            return Refusal(what, f"my sources say {unknown(what)}.")
    return None


def _heading(s: Sentence) -> str:
    return f"{s.hit.meta('title')} {s.hit.meta('heading')}"
