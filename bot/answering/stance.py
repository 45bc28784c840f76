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

import functools
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from bot.answering.answer import Answer, Citation
from bot.answering.extractive import nearest
from bot.answering.generation.claims import content_words, lexical_problem, negated
from bot.answering.passages import strip_markup
from bot.answering.pipeline import Answerer, Retrieved
from bot.answering.question import check_question
from bot.answering.reading import disclaimed, unknown
from bot.answering.scoring import Sentence
from ingest.sentences import sentence_spans

Stance = Literal["supports", "contradicts", "not covered"]

MAX_CLAIMS = 3  # a message's first claims; a long post is checked a few claims at a time
CANDIDATES = 20  # the best-ranked sentences read for each claim


@dataclass(frozen=True)
class Thresholds:
    """When a sentence is about a claim, and when it is close enough to support or contradict
    it (chosen on eval/claims.jsonl with `bench/claims_bench.py --sweep`, for the most right
    verdicts less twice the wrong "supported"/"contradicted" ones: a wrong verdict with a
    quote misleads more than "not settled")."""

    about_similarity: float = 0.4  # MiniLM cosine, claim to sentence
    about_share: float = 0.3  # of the claim's terms, weighted by rarity, in the sentence or title
    support_similarity: float = 0.7
    support_share: float = 0.4
    support_own_share: float = 0.4  # of them in the sentence (and the one before) itself
    contradict_similarity: float = 0.7
    contradict_share: float = 0.6  # of the claim's terms in the contradicting sentence itself
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
        return overall(c.stance for c in self.claims)

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


def overall(stances: Iterable[Stance]) -> Stance:
    """A message's verdict from its claims': contradicted if any is, supported if all are."""
    found = set(stances)
    if "contradicts" in found:
        return "contradicts"
    return "supports" if found == {"supports"} else "not covered"


_LABEL = {"supports": "Supported", "contradicts": "Contradicted", "not covered": "Not settled"}


def _line(c: Checked) -> str:
    marks = "".join(f" [{n}]" for n in c.cited)
    return f"{_LABEL[c.stance]}: “{c.claim}” — {c.reason}{marks}"


# --- finding the claims in a message ------------------------------------------------------------
_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+|\s+[—–]\s+|\s+-\s+")
_OPENER = re.compile(
    r"^\W*(?:(?:so|ok|okay|lol|lmao|wow|hmm+|fyi|psa|btw|apparently|honestly|basically|"
    r"guys|folks|right|well|also|and|but|plus)\b[\s,:!.]*"
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
# "may" is a month only next to a date ("May 2018", "25 May", "in May"), else the verb.
_MONTH = re.compile(
    rf"\b({'|'.join(m for m in _MONTHS if m != 'may')})\b"
    r"|(?<=\d\s)(may)\b|(?:(?<=\bin\s)|(?<=\bof\s)|(?<=\bsince\s)|(?<=\buntil\s))(may)\b"
    r"|\b(may)(?=\s+\d)",
    re.I,
)
_LABEL_BEFORE = re.compile(
    r"(?:\b(?:principles?|sections?|recommendations?|items?|chapters?|pages?|parts?|clauses?|"
    r"articles?|paragraphs?|regulations?|schedules?|rules?|no\.|number|HL|type|tier)\s*)$",
    re.I,
)
_DAY = re.compile(rf"\s+(?:{'|'.join(_MONTHS)})\b", re.I)
_MULTIPLIER = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9}
_WORDS = "one two three four five six seven eight nine ten eleven twelve".split()


@dataclass(frozen=True)
class Value:
    """A value a text states: its kind, amount, the unit of its last written digit (a claim
    of "1.2 million" holds for 1,275,153) and how it was written."""

    kind: str  # year | month | day | money | percent | count
    amount: float
    unit: float
    shown: str
    at: int = field(default=0, compare=False)  # where it starts in its text

    def same(self, other: Value) -> bool:
        if {self.kind, other.kind} <= {"money", "count"} or self.kind == other.kind:
            if {self.kind, other.kind} & {"year", "month", "day"}:
                return self.kind == other.kind and self.amount == other.amount
            return abs(self.amount - other.amount) < max(self.unit, other.unit)
        return False


def values(text: str) -> list[Value]:
    """The years, months, amounts, percentages and counts a text states."""
    out = [
        Value("month", float(_MONTHS.index(m[0].lower())), 1, m[0].capitalize(), m.start())
        for m in _MONTH.finditer(text)
    ]
    for m in _VALUE.finditer(text):
        num = m["num"].rstrip(",.").replace(",", "")
        if not num or _is_label(text, m.start("num"), m.end("num")):
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
            if kind == "count" and _DAY.match(text, m.end("num")) and amount <= 31:
                kind = "day"  # "25 May 2018": a date, compared as one
        out.append(Value(kind, amount, unit, m[0].strip().rstrip(",.;:"), m.start("num")))
    out += [
        Value("count", float(_WORDS.index(m[1].lower()) + 1), 1, m[1], m.start())
        for m in _SPELLED.finditer(text)
    ]
    return out


def _is_label(text: str, start: int, end: int) -> bool:
    """ "Principle 7", "section 251", "Type 1", a list's "4.": a name, not a quantity."""
    if _LABEL_BEFORE.search(text[:start]):
        return True
    return not text[:start].strip() and re.match(r"[.)]\s", text[end:]) is not None


def unheld(claim: str, evidence: str) -> list[Value]:
    """The claim's values that the evidence does not state."""
    theirs = values(evidence)
    return [v for v in values(claim) if not any(v.same(t) for t in theirs)]


def value_conflict(claim: str, sentence: str) -> str | None:
    """Where the sentence gives another value of a kind the claim states, said of the same
    thing: a word next to the claim's value is next to the sentence's ("awarded in 2021" and
    "awarded on 22 November 2023"; not "a £480m contract" and "£244.5 million had been spent")."""
    found = _other_values(claim, sentence)
    if found is None:
        return None
    claimed, other = found
    return f"the closest source gives {' or '.join(other)}, not {claimed.shown}"


def _other_values(claim: str, sentence: str) -> tuple[Value, list[str]] | None:
    theirs = values(sentence)
    for v in unheld(claim, sentence):
        near = _near(claim, v)
        other = [t.shown for t in theirs if t.kind == v.kind and near & _near(sentence, t)]
        if other:
            return v, list(dict.fromkeys(other))
    return None


NEAR_WORDS = 5


def _near(text: str, v: Value) -> set[str]:
    """The content words within a few words of a value."""
    before = text[: v.at].split()[-NEAR_WORDS:]
    after = text[v.at :].split()[1 : NEAR_WORDS + 1]
    return content_words(" ".join(before + after))


@dataclass(frozen=True)
class _Reading:
    sentence: Sentence
    similarity: float  # to the claim; a sentence opening "It …" read with the one before
    share: float  # of the claim's terms, weighted by rarity, it or its passage's title holds
    own_share: float  # the same, in the sentence (and the one before) alone

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
        """The best-ranked sentences for a claim, each with its share of the claim's terms.
        The claim is also searched without its values: a wrong figure steers a search to
        passages with that figure, away from the one that gives the right one."""
        index = self.answerer.index  # words the sources never use (slang, typos) are not weighed
        weights = {t: index.idf(t) for t in dict.fromkeys(index.terms(_without_values(claim)))}
        bare = " ".join(_without_values(claim).split())
        best: dict[tuple[str, int], tuple[Sentence, float]] = {}
        for query in dict.fromkeys(q for q in (claim, bare) if q):
            found = self.answerer.retrieve_for(self.answerer.read(query), 2 * self.answerer.top_k)
            for s, sim in zip(found.ranked[:CANDIDATES], self._similarities(found)):
                key = (s.hit.chunk_id, s.start)
                if key not in best or sim > best[key][1]:
                    best[key] = (s, sim)
        return [_read(s, sim, weights, index.terms) for s, sim in best.values()]

    def _similarities(self, found: Retrieved) -> list[float]:
        """Each ranked sentence's similarity to the query; one opening with "It …" is also
        read with the sentence before it."""
        ranked = found.ranked[:CANDIDATES]
        similarity = [s.similarity for s in ranked]
        leaning = [i for i, s in enumerate(ranked) if _PRONOUN.match(s.text) and _before(s)]
        if leaning:
            texts = [f"{_before(ranked[i])} {ranked[i].text}" for i in leaning]
            for i, sim in zip(leaning, self.answerer.embedder.embed(texts) @ found.vector):
                similarity[i] = max(similarity[i], float(sim))
        return similarity

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
        """Read closest first: a sentence that supports the claim, or says the opposite,
        decides. Another value contradicts only when no sentence about the claim gives the
        claim's value, and the sentences that give another value agree on it: sources that
        give several (the tender's £480m, the award's £330m, other contracts' sums) don't
        settle a figure by whichever ranks first."""
        attested = any(_holds_values(claim, r.text) for r in about)
        closest = sorted(about, key=lambda r: r.similarity, reverse=True)
        others: list[tuple[_Reading, Value, list[str]]] = []
        for r in closest:
            if self._supports(claim, r):
                return "supports", "a source says this", r.sentence
            if not self._may_contradict(claim, r):
                continue
            if says_not(claim) != says_not(r.text) and r.share >= self.thresholds.opposite_share:
                says = "says it is not so" if says_not(r.text) else "says it is so"
                return "contradicts", f"the closest source {says}", r.sentence
            found = None if attested else _other_values(claim, r.text)
            if found:
                others.append((r, *found))
        given = {v for _, _, other in others for v in other}
        if len(given) == 1:
            r, claimed, other = others[0]
            reason = f"the sources give {other[0]}, not {claimed.shown}"
            return "contradicts", reason, r.sentence
        for r in closest:
            lacking = disclaimed(r.text)
            if lacking:
                return "not covered", f"the sources say {unknown(lacking)}", r.sentence
        if about:
            return "not covered", "no source sentence settles it; the closest are below", None
        return "not covered", "my sources don't cover this", None

    def _supports(self, claim: str, r: _Reading) -> bool:
        t = self.thresholds
        close = (
            r.similarity >= t.support_similarity
            and r.share >= t.support_share
            and r.own_share >= t.support_own_share
        )
        if not close or says_not(claim) != says_not(r.text):
            return False
        evidence = _evidence(r)
        return not unheld(claim, evidence) and _names_held(claim, evidence)

    def _may_contradict(self, claim: str, r: _Reading) -> bool:
        """Whether the sentence holds the rest of the claim: its names, most of its terms."""
        t = self.thresholds
        if r.similarity < t.contradict_similarity or r.own_share < t.contradict_share:
            return False
        return _names_held(claim, _evidence(r))


# Negation written without its apostrophe ("didnt", "isnt"), and "not" that contrasts two
# things ("the paper form, not the website") rather than denying the statement.
_BARE_NOT = re.compile(
    r"\b(do|does|did|is|are|was|were|has|have|had|ca|wo|could|would|should|must)nt\b", re.I
)
_CONTRAST = re.compile(
    r"(?:[,;]\s*|(?<!\bis)(?<!\bare)(?<!\bwas)(?<!\bwere)(?<!\bbe)\s+)"
    r"not\s+(?:the|a|an|just|only|by|from|on|in|for|to)\b.*$",
    re.I,
)


def says_not(text: str) -> bool:
    """Whether a statement denies what it says ("X does not apply", "X didnt have …")."""
    return negated(_CONTRAST.sub("", _BARE_NOT.sub(r"\1 not", text)))


def _names_held(claim: str, evidence: str) -> bool:
    """Whether the evidence names what the claim names, its first word included (a claim that
    opens with "Accenture supplies …" names Accenture)."""
    text = _spelled_out_removed(_without_values(claim), evidence)
    first = text.split(maxsplit=1)[0] if text.split() else ""
    if not first.lower().endswith("ing"):  # "Opting out …" opens with a verb, not a name
        text = f"Claim: {text}"
    return lexical_problem(text, evidence) is None


def _holds_values(claim: str, sentence: str) -> bool:
    """Whether the sentence states every value the claim does."""
    return bool(values(claim)) and not unheld(claim, sentence)


def _read(
    s: Sentence, similarity: float, weights: dict[str, float], terms: Callable[[str], list[str]]
) -> _Reading:
    """The sentence with the share of the claim's terms, weighted by rarity, that it holds,
    counting its passage's title and heading and the sentence before it ("It is worth …"
    says what "it" is there): "Oracle" in a claim weighs more than "said"."""
    total = math.fsum(weights.values()) or 1.0
    own = set(terms(f"{_before(s)} {s.text}"))
    known = s.terms | own
    held = math.fsum(w for term, w in weights.items() if term in known) / total
    return _Reading(
        s, similarity, held, math.fsum(w for t, w in weights.items() if t in own) / total
    )


_PRONOUN = re.compile(r"(it|its|they|their|this|that|these|those|he|she|his|her)\b", re.I)


def _before(s: Sentence) -> str:
    """The sentence before `s` in its passage ("" for the first)."""
    earlier = [(a, b) for a, b in _spans(s.hit.text) if b <= s.start]
    return s.hit.text[slice(*earlier[-1])] if earlier else ""


@functools.lru_cache(maxsize=1024)  # each candidate's passage is split several times
def _spans(text: str) -> list[tuple[int, int]]:
    return sentence_spans(text)


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
