"""Checking what a message claims against the sources: for each claim in it, a stored sentence
that supports it, one that contradicts it, or "the sources don't settle this".

A claim is a statement ("the FDP contract is worth £480m"), not a question, so the question
path's coverage decision is the wrong test: a contradicting sentence is as much "about" the
claim as a supporting one. Here a sentence is about the claim when it is close in meaning and
holds most of the claim's content words; it then supports the claim when it holds its numbers
and names with the same polarity, and contradicts it when it gives another value of the same
kind (a year, a month, an amount, a percentage, a count) or says the opposite.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from bot.answering.answer import Answer, Citation
from bot.answering.extractive import nearest
from bot.answering.generation.claims import content_words, lexical_problem, negated
from bot.answering.passages import strip_markup
from bot.answering.pipeline import Answerer
from bot.answering.question import check_question
from bot.answering.reading import disclaimed
from bot.answering.scoring import Sentence

Stance = Literal["supports", "contradicts", "not covered"]

MAX_CLAIMS = 3  # a message's first claims; a long post is checked a few claims at a time
CANDIDATES = 20  # the best-ranked sentences read for each claim


@dataclass(frozen=True)
class Thresholds:
    """When a sentence is about a claim, and when it is close enough to support it
    (fitted on eval/claims.jsonl with bench/claims_bench.py)."""

    about_similarity: float = 0.4  # MiniLM cosine, claim to sentence
    about_share: float = 0.3  # of the claim's terms, weighted by rarity, in the sentence or title
    support_similarity: float = 0.65
    support_share: float = 0.5
    contradict_similarity: float = 0.65
    contradict_share: float = 0.5  # another value counts only in a sentence this close
    opposite_share: float = 0.5  # "not" on one side only counts when this much is shared


@dataclass(frozen=True)
class Checked:
    """One claim and what the sources say of it. `cited` is the claim's citation numbers."""

    claim: str
    stance: Stance
    reason: str
    cited: tuple[int, ...] = ()


@dataclass(frozen=True)
class ClaimCheck:
    """A message checked claim by claim; citations are numbered across the whole check."""

    message: str
    claims: tuple[Checked, ...]
    citations: tuple[Citation, ...]

    @property
    def stance(self) -> Stance:
        """The message's verdict: contradicted if any claim is, supported if all are."""
        stances = {c.stance for c in self.claims}
        if "contradicts" in stances:
            return "contradicts"
        return "supports" if stances == {"supports"} else "not covered"

    @property
    def text(self) -> str:
        return "\n".join(_line(c) for c in self.claims)

    def as_answer(self) -> Answer:
        """The check as an answer, so every front end shows it with its sources."""
        return Answer(self.message, self.text, self.stance == "not covered", self.citations)

    def to_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "stance": self.stance,
            "claims": [
                {"claim": c.claim, "stance": c.stance, "reason": c.reason, "cited": list(c.cited)}
                for c in self.claims
            ],
            "citations": self.as_answer().to_json()["citations"],
        }


_LABEL = {"supports": "Supported", "contradicts": "Contradicted", "not covered": "Not settled"}


def _line(c: Checked) -> str:
    marks = "".join(f" [{n}]" for n in c.cited)
    return f"{_LABEL[c.stance]}: “{c.claim}” — {c.reason}{marks}"


# --- finding the claims in a message ------------------------------------------------------------
_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+|\s+[—–]\s+|\s+-\s+")
_OPENER = re.compile(
    r"^\W*(?:(?:so|ok|okay|lol|lmao|wow|hmm+|fyi|psa|btw|apparently|honestly|basically|"
    r"guys|folks|all|right|well|also|and|but|plus)\b[\s,:!.]*"
    r"|(?:(?:i|we)\s+(?:just\s+)?(?:read|heard|saw|was told)|(?:just\s+)?saw\s+(?:this|a post|"
    r"on\s+\w+)|someone\s+(?:said|told me|posted|reckons|claims)|people\s+(?:are\s+)?saying|"
    r"they(?:'re|\s+are)\s+saying|is\s+it\s+(?:true|right)|did\s+you\s+know|heard|"
    r"my\s+\w+\s+(?:said|says|told me|reckons))\b[^,:]{0,30}?(?:\bthat\b|[,:]|$)\s*)",
    re.I,
)
_TAG = re.compile(
    r"[\s,;:-]*(?:is\s+(?:that|this|it)\s+(?:right|true|correct|so)|right|true|no\??|"
    r"can\s+any(?:one|body)\s+confirm|any(?:one|body)\s+know|or\s+not|lol|lmao|smh)\W*$",
    re.I,
)
MIN_CLAIM_WORDS = 3


def claims_in(message: str) -> list[str]:
    """The statements in a message, openers ("saw on twitter that") and tags ("is that
    right?") dropped; the whole message when no part of it makes a claim on its own."""
    out = []
    for part in _SPLIT.split(message):
        claim = _trimmed(part)
        if len(content_words(claim)) >= MIN_CLAIM_WORDS and claim not in out:
            out.append(claim)
    return out[:MAX_CLAIMS] or [message.strip()]


def _trimmed(part: str) -> str:
    text = part.strip()
    for _ in range(3):  # "lol apparently someone said that …"
        before = text
        text = _TAG.sub("", _OPENER.sub("", text)).strip(" ,;:-—–")
        if text == before:
            break
    return text.rstrip("?!. ") + "." if text and text[-1] in "?!" else text


# --- what a sentence says of a claim --------------------------------------------------------------
_VALUE = re.compile(
    r"(?P<cur>[£$€])?\s?(?P<num>\d[\d,]*(?:\.\d+)?)\s?"
    r"(?:(?P<mult>million|billion|bn|thousand|m|k)\b)?\s?(?P<pct>%|per\s?cent\b|percent\b)?",
    re.I,
)
_SPELLED = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\b", re.I)
_MONTHS = (
    "january february march april may june july august september october november december".split()
)
_MONTH = re.compile(rf"\b({'|'.join(_MONTHS)})\b(?=\s+\d)", re.I)
_MULTIPLIER = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9}
_WORDS = "one two three four five six seven eight nine ten eleven twelve".split()


@dataclass(frozen=True)
class Value:
    """A value a text states: its kind, amount, the unit of its last written digit (a claim
    of "1.2 million" holds for 1,275,153) and how it was written."""

    kind: str  # year | month | money | percent | count
    amount: float
    unit: float
    shown: str

    def same(self, other: Value) -> bool:
        if {self.kind, other.kind} <= {"money", "count"} or self.kind == other.kind:
            if self.kind in ("year", "month") or other.kind in ("year", "month"):
                return self.kind == other.kind and self.amount == other.amount
            return abs(self.amount - other.amount) < max(self.unit, other.unit)
        return False


def values(text: str) -> list[Value]:
    """The years, months, amounts, percentages and counts a text states."""
    out = [
        Value("month", float(_MONTHS.index(m[1].lower())), 1, m[1].capitalize())
        for m in _MONTH.finditer(text)
    ]
    for m in _VALUE.finditer(text):
        num = m["num"].rstrip(",.").replace(",", "")
        if not num:
            continue
        scale = _MULTIPLIER.get((m["mult"] or "").lower(), 1.0)
        unit = (10.0 ** -len(num.partition(".")[2])) * scale
        amount = float(num) * scale
        if m["pct"]:
            kind = "percent"
        elif m["cur"] or m["mult"]:
            kind = "money" if m["cur"] else "count"
        else:
            kind = "year" if num.isdigit() and 1900 <= int(num) <= 2099 else "count"
        out.append(Value(kind, amount, unit, m[0].strip()))
    out += [
        Value("count", float(_WORDS.index(w.lower()) + 1), 1, w) for w in _SPELLED.findall(text)
    ]
    return out


def unheld(claim: str, evidence: str) -> list[Value]:
    """The claim's values that the evidence does not state."""
    theirs = values(evidence)
    return [v for v in values(claim) if not any(v.same(t) for t in theirs)]


def value_conflict(claim: str, sentence: str) -> str | None:
    """Where the sentence gives another value of a kind the claim states ("2023, not 2021")."""
    theirs = values(sentence)
    for v in unheld(claim, sentence):
        other = [t.shown for t in theirs if t.kind == v.kind]
        if other:
            return f"the closest source gives {' or '.join(dict.fromkeys(other))}, not {v.shown}"
    return None


@dataclass(frozen=True)
class _Reading:
    sentence: Sentence
    similarity: float  # to the claim; a sentence opening "It …" read with the one before
    share: float  # of the claim's content words it (or its passage's title) holds

    @property
    def text(self) -> str:
        return self.sentence.text


class ClaimChecker:
    """Checks messages against what an Answerer can find."""

    def __init__(self, answerer: Answerer, thresholds: Thresholds | None = None):
        self.answerer = answerer
        self.thresholds = thresholds or Thresholds()

    def check(self, message: str) -> ClaimCheck:
        """Each claim of `message`, checked (QuestionError when it is empty or too long)."""
        text = check_question(message, self.answerer.max_question_chars)
        citations: list[Citation] = []
        checked = [self._check_one(claim, citations) for claim in claims_in(text)]
        return ClaimCheck(text, tuple(checked), tuple(citations))

    def readings(self, claim: str) -> list[_Reading]:
        """The best-ranked sentences for a claim, each with its share of the claim's terms."""
        found = self.answerer.retrieve_for(self.answerer.read(claim), 2 * self.answerer.top_k)
        weights = self.answerer.terms(_without_values(claim)).idf
        terms = self.answerer.index.terms
        ranked = found.ranked[:CANDIDATES]
        leaning = [i for i, s in enumerate(ranked) if _PRONOUN.match(s.text) and _before(s)]
        similarity = [s.similarity for s in ranked]
        if leaning:
            texts = [f"{_before(ranked[i])} {ranked[i].text}" for i in leaning]
            for i, sim in zip(leaning, self.answerer.embedder.embed(texts) @ found.vector):
                similarity[i] = max(similarity[i], float(sim))
        return [_read(s, sim, weights, terms) for s, sim in zip(ranked, similarity)]

    def judge(self, claim: str, readings: list[_Reading]) -> tuple[Stance, str, Sentence | None]:
        """The stance of the sentences about the claim, why, and the sentence that shows it."""
        return self._judge(claim, [r for r in readings if self._about(r)])

    def _check_one(self, claim: str, citations: list[Citation]) -> Checked:
        readings = self.readings(claim)
        stance, reason, evidence = self.judge(claim, readings)
        if evidence is None:
            shown = [
                _renumbered(c, len(citations) + i)
                for i, c in enumerate(nearest([r.sentence for r in readings], 2))
            ]
        else:
            quote = strip_markup(evidence.text, evidence.hit.meta("url"))
            shown = [Citation.from_hit(len(citations) + 1, evidence.hit, quote, evidence.score)]
        citations.extend(shown)
        return Checked(claim, stance, reason, tuple(c.n for c in shown))

    def _about(self, r: _Reading) -> bool:
        t = self.thresholds
        return r.similarity >= t.about_similarity and r.share >= t.about_share

    def _judge(self, claim: str, about: list[_Reading]) -> tuple[Stance, str, Sentence | None]:
        """The closest sentence that settles the claim decides (a sentence quoting "Principle
        7" further down must not outvote "eight principles"). A sentence giving another value
        can't contradict a value that a sentence about the claim states: sources give several
        (a contract's maximum and its first years' figure)."""
        attested = any(_holds_values(claim, r.text) for r in about)
        for r in sorted(about, key=lambda r: r.similarity, reverse=True):
            lacking = disclaimed(r.text)
            if lacking:
                return "not covered", f"the sources say they don't give {lacking}", r.sentence
            if self._supports(claim, r):
                return "supports", "a source says this", r.sentence
            reason = self._contradiction(claim, r, attested)
            if reason:
                return "contradicts", reason, r.sentence
        if about:
            return "not covered", "no source sentence settles it; the closest are below", None
        return "not covered", "my sources don't cover this", None

    def _supports(self, claim: str, r: _Reading) -> bool:
        t = self.thresholds
        close = r.similarity >= t.support_similarity and r.share >= t.support_share
        if not close or negated(claim) != negated(r.text):
            return False
        evidence = _evidence(r)
        return not unheld(claim, evidence) and _names_held(claim, evidence)

    def _contradiction(self, claim: str, r: _Reading, attested: bool) -> str | None:
        """Another value of the same kind, or "not" on one side only, in a sentence that holds
        the rest of the claim: its names, and most of its terms."""
        t = self.thresholds
        if r.similarity < t.contradict_similarity or r.share < t.contradict_share:
            return None
        if not _names_held(claim, _evidence(r)):
            return None
        conflict = None if attested else value_conflict(claim, r.text)
        if conflict:
            return conflict
        if negated(claim) != negated(r.text) and r.share >= t.opposite_share:
            says = "says it is not so" if negated(r.text) else "says it is so"
            return f"the closest source {says}"
        return None


def _names_held(claim: str, evidence: str) -> bool:
    """Whether the evidence names what the claim names, its first word included (a claim that
    opens with "Accenture supplies …" names Accenture)."""
    words = f"Claim: {_spelled_out_removed(_without_values(claim), evidence)}"
    return lexical_problem(words, evidence) is None


def _holds_values(claim: str, sentence: str) -> bool:
    """Whether the sentence states every value the claim does."""
    return bool(values(claim)) and not unheld(claim, sentence)


def _read(
    s: Sentence, similarity: float, weights: dict[str, float], terms: Callable[[str], list[str]]
) -> _Reading:
    """The sentence with the share of the claim's terms, weighted by rarity, that it holds,
    counting its passage's title and heading and the sentence before it ("It is worth …"
    says what "it" is there): "Oracle" in a claim weighs more than "said"."""
    total = sum(weights.values())
    known = s.terms | set(terms(_before(s)))
    held = sum(w for term, w in weights.items() if term in known)
    return _Reading(s, similarity, held / total if total else 0.0)


_PRONOUN = re.compile(r"(it|its|they|their|this|that|these|those|he|she|his|her)\b", re.I)


def _before(s: Sentence) -> str:
    """The sentence before `s` in its passage ("" for the first)."""
    head = s.hit.text[: s.start].rstrip()
    parts = re.split(r"(?<=[.!?])\s+|\n+", head)
    return parts[-1] if parts else ""


def _evidence(r: _Reading) -> str:
    """What a sentence can be held to say: with its passage's title and the sentence before."""
    return f"{r.sentence.hit.meta('title')}. {_before(r.sentence)} {r.text}"


def _without_values(text: str) -> str:
    """The claim's words apart from its values: a contradicting sentence gives other values."""
    return _SPELLED.sub(" ", _VALUE.sub(" ", _MONTH.sub(" ", text)))


_RUN = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:of\s+|and\s+|for\s+|the\s+)?[A-Z][a-z]+)+")


def _spelled_out_removed(claim: str, evidence: str) -> str:
    """The claim without names it spells out that the evidence gives as initials ("National
    Data Integration Tenant" where the evidence says "NDIT")."""

    def initials_known(m: re.Match[str]) -> str:
        initials = "".join(w[0] for w in m[0].split() if w[0].isupper())
        return "" if re.search(rf"\b{initials}\b", evidence) else m[0]

    return _RUN.sub(initials_known, claim)


def _renumbered(c: Citation, before: int) -> Citation:
    return replace(c, n=before + 1)
