"""Check a generated answer against the passages it cites, sentence by sentence.

Small models invent facts and cite the wrong passage. A sentence is kept only when
  1. it cites [n] for a passage that was actually given (other markers are removed),
  2. every number in it and every capitalised name appears in a passage it cites
     (the typical invention is a wrong year, amount or organisation, which embeddings miss:
     "worth £330m" and "worth £480m" are near-identical vectors), and
  3. it is close in meaning to some sentence (or pair of adjacent sentences) of a cited passage:
     cosine similarity of sentence embeddings, with a lower bar when most of its content words
     also appear there (a faithful paraphrase) — thresholds calibrated by bench/llm_bench.py.
Links, images and URLs that the passages don't contain are removed first. Passages are checked
in their cleaned form (bot/prompts.py), so text we hid from the model can't support a claim.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot import prompts
from ingest.sentences import sentence_spans
from vectorstore.records import Hit

Embed = Callable[[Sequence[str]], np.ndarray]
REPEAT = "repeats an earlier sentence"

_MARKER = re.compile(r"\[(\d{1,2})\]")
_MARKER_LIST = re.compile(
    r"\[\s*(?:(?:passage|source)s?\s*)?(\d{1,2}(?:\s*(?:,|and|&)\s*\d{1,2})*)\s*\]", re.I
)
# "[1]: text" lines (a list of quotes), or markers opening the whole answer: they belong to it.
_LEADING_MARKERS = re.compile(
    r"^[ \t]*((?:\[\d{1,2}\][ \t]*)+)[:\-–][ \t]*(.+?)([.!?]?)[ \t]*$"
    r"|\A\s*((?:\[\d{1,2}\]\s*)+)(.+?)([.!?](?=\s|$)|$)",
    re.M,
)
_MARKER_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d{1,2}\])+)(?=\s*(\S?))")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\[\]]+", re.I)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][A-Za-z]*(?:['’-][A-Za-z]+)*\b")
_POSSESSIVE = re.compile(r"['’]s$")
_ANSWER_WORD = re.compile(r"^(yes|no)\b[,.;:]?\s*", re.I)
_WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")
_REFUSAL = re.compile(
    r"\b(sources?|passages?|context|documents?|texts?|information)\b[^.]{0,40}"
    r"\b(do(es)? ?n[o']t|don't|doesn't|do not|does not)\b[^.]{0,20}"
    r"\b(say|mention|cover|contain|state|answer|specify)"
    r"|\b(can ?not|can't|unable to|not able to)\b[^.]{0,20}\b(answer|find|determine|say)\b"
    r"|\bno (relevant )?information\b|\bnot (mentioned|covered|stated|specified)\b"
    r"|\bI don't know\b",
    re.I,
)
_NEGATION = re.compile(r"\b(not|no|never|cannot|neither|nor|without)\b|n't\b", re.I)
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
} | {
    w: str(i)
    for i, w in enumerate(
        "zeroth first second third fourth fifth sixth seventh eighth ninth tenth".split()
    )
    if i
}
# Capitalised words that are not names (sentence openers, pronouns, months are checked).
_NOT_NAMES = set(
    "I A An The This That These Those It Its They Their There Here Yes No Not However But And Or "
    "If In On At By For From With Without Under Over Also Only Both Each Either Neither So As "
    "When While Where What Which Who Whose How Why Because Although Though Since Until After "
    "Before According Some Any All Most Many Such Other Another Then Therefore Thus Instead "
    "You Your We Our He She His Her Patients People Data Sources Source Passage Passages".split()
)
_STOP = set(
    "a an the of to in on at by for from with and or but not no is are was were be been being "
    "it its this that these those they their there as can could may might must should would will "
    "do does did has have had which who whom whose what when where how why if than then so such "
    "any all some each other into about over under also only".split()
)


@dataclass(frozen=True)
class Checked:
    """One sentence of the model's answer and what verification made of it."""

    text: str  # the sentence with its [n] markers (numbers refer to the passages given)
    cited: tuple[int, ...]  # 1-based passage numbers that were given
    kept: bool
    reason: str  # "supported" or why it was dropped
    similarity: float = 0.0
    evidence: tuple[tuple[int, int, int], ...] = ()  # (passage n, start, end) it matched


@dataclass(frozen=True)
class Verified:
    """The answer rebuilt from the sentences that passed."""

    text: str
    sentences: tuple[Checked, ...]
    refused: bool  # the model said the passages don't answer, and nothing else survived

    @property
    def claims(self) -> list[Checked]:
        return [s for s in self.sentences if s.reason not in ("refusal", REPEAT)]

    @property
    def kept(self) -> list[Checked]:
        return [s for s in self.sentences if s.kept]

    @property
    def kept_share(self) -> float:
        """Share of the answer's claims (refusal sentences aside) that passed verification."""
        claims = self.claims
        return len(self.kept) / len(claims) if claims else 0.0


@dataclass(frozen=True)
class Thresholds:
    similarity: float = 0.7  # kept on meaning alone
    paraphrase_similarity: float = 0.45  # kept when content words also overlap this much:
    paraphrase_overlap: float = 0.6
    min_kept_share: float = 0.5  # below this the whole answer falls back to extractive


def normalise_markers(text: str) -> str:
    """ "[1, 2]", "[Passage 1]" → "[1][2]". A marker after a full stop may close that sentence
    or open the next (models do both, even in one answer), so both sentences get it; the
    support check then shows only the passage that really supports each sentence."""
    text = _MARKER_LIST.sub(lambda m: "".join(f"[{n}]" for n in re.findall(r"\d+", m[1])), text)

    def lead(m: re.Match[str]) -> str:
        markers, body, stop = (m[1], m[2], m[3]) if m[1] else (m[4], m[5], m[6])
        return f"{body} {''.join(markers.split())}{stop}"

    text = _LEADING_MARKERS.sub(lead, text)

    def move(m: re.Match[str]) -> str:
        markers = "".join(m[2].split())
        return f"{markers}{m[1]} {markers}" if m[3] else f"{markers}{m[1]}"

    return _MARKER_AFTER_STOP.sub(move, text)


def strip_urls(text: str, allowed: str) -> str:
    """Markup out (prompts.strip_markup), then any URL that the passages don't contain."""
    text = prompts.strip_markup(text)
    return _URL.sub(lambda m: m[0] if m[0].rstrip(".,;:") in allowed else "", text)


def is_refusal(sentence: str) -> bool:
    return bool(_REFUSAL.search(sentence)) or prompts.REFUSAL_SENTENCE.lower() in sentence.lower()


def numbers(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    spelled = {_NUMBER_WORDS[w] for w in words if w in _NUMBER_WORDS}
    return {n.replace(",", "") for n in _NUMBER.findall(text)} | spelled


def names(text: str) -> set[str]:
    """Capitalised words that may be names. The first word is skipped unless it is an acronym
    (any sentence starts with a capital; an invented name there still has to pass similarity)."""
    found = [m for m in _NAME.finditer(text) if m[0] not in _NOT_NAMES]
    # "Project's" is the name "Project": a passage naming the project needn't use the possessive
    return {_POSSESSIVE.sub("", m[0]) for m in found if m.start() > 0 or _is_acronym(m[0])}


def acronyms(text: str) -> set[str]:
    """Initials of runs of capitalised words ("Federated Data Platform" gives "fdp")."""
    out: set[str] = set()
    for run in re.findall(r"(?:\b[A-Z][a-z]+(?:\s+(?:of|and|for|the)?\s*)?){2,}", text):
        initials = "".join(w[0] for w in run.split() if w[0].isupper())
        out.add(initials.lower())
    return out


def content_words(text: str) -> set[str]:
    """Stemmed words that carry meaning ("stops" and "stop" count as the same word)."""
    words = [_POSSESSIVE.sub("", w) for w in _WORD.findall(text.lower())]
    return set(_stemmer().stemWords([w for w in words if w not in _STOP and len(w) > 2]))


@functools.cache
def _stemmer() -> Any:
    import Stemmer  # PyStemmer, already a dependency (BM25)

    return Stemmer.Stemmer("english")


def _lexical_problem(sentence: str, evidence: str) -> str | None:
    """A number or a name in the sentence that the cited evidence doesn't contain."""
    lowered = evidence.lower()
    missing = sorted(numbers(sentence) - numbers(lowered))
    if missing:
        return f"number not in cited passage: {missing[0]}"
    known = acronyms(evidence)
    unnamed = sorted(
        n for n in names(sentence) if not _has_word(lowered, n.lower()) and n.lower() not in known
    )
    return f"name not in cited passage: {unnamed[0]}" if unnamed else None


def _negated(text: str) -> bool:
    """Whether a sentence says "not" (a leading "Yes,"/"No," answers the question: skipped)."""
    return bool(_NEGATION.search(_ANSWER_WORD.sub("", text)))


def _is_acronym(word: str) -> bool:
    return sum(c.isupper() for c in word) >= 2


class Verifier:
    """Verifies generated answers with an embedding function (unit vectors, like MiniLM's)."""

    def __init__(self, embed: Embed, thresholds: Thresholds | None = None, cache_size: int = 4096):
        self.embed = embed
        self.thresholds = thresholds or Thresholds()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def verify(self, text: str, passages: Sequence[Hit]) -> Verified:
        """Split, check and rebuild `text`; the markers in the result point at `passages`."""
        units = [_units(hit) for hit in passages]
        allowed = " ".join(prompts.clean_passage(hit) for hit in passages)
        raw = [s for s in _split(strip_urls(normalise_markers(text), allowed)) if s]
        marked = [bool(_MARKER.search(s)) for s in raw]
        cited = _inherit([_cited(s, len(passages)) for s in raw], marked)
        checked = _without_repeats(
            [self._check(*args) for args in zip(raw, cited, [units] * len(raw), marked)]
        )
        kept = [c.text for c in checked if c.kept]
        refused = not kept and any(c.reason == "refusal" for c in checked)
        return Verified(" ".join(kept), tuple(checked), refused)

    def fallback_reason(self, verified: Verified, *, retrieval_strong: bool) -> str | None:
        """Why the extractive answer should be shown instead, or None to show this one."""
        if verified.refused:
            return (
                "the model declined although the sources look relevant"
                if retrieval_strong
                else None
            )
        if not verified.kept:
            return "none of the generated answer could be checked against the sources"
        if verified.kept_share < self.thresholds.min_kept_share:
            return "too little of the generated answer could be checked against the sources"
        return None

    def _check(
        self, sentence: str, cited: tuple[int, ...], units: list[list[_Unit]], marked: bool
    ) -> Checked:
        """Keep a sentence supported by the passage it cites, or else by another given passage
        (small models often cite the neighbouring passage, or none): it is then shown with the
        passage that supports it, if it is that close in meaning on its own (a paraphrase bar
        tried against every passage finds false support). One whose every marker points at a
        passage that was not given is dropped: the model made up a source."""
        bare = re.sub(r"\s+([.!?,;:])", r"\1", " ".join(_MARKER.sub("", sentence).split()))
        bare = bare.lstrip(":;-–— ")  # left over from a "[2]: …" list
        if is_refusal(bare):
            return Checked(bare, (), False, "refusal")
        if marked and not cited:
            return Checked(bare, (), False, "cites only passages that were not given")
        if not content_words(_ANSWER_WORD.sub("", bare)):
            return Checked(_with_markers(bare, cited), cited, False, "no statement to check")
        first = self._support(bare, cited, units) if cited else None
        if first is not None and first.kept:
            return first
        others = [self._support(bare, (n,), units, strict=True) for n in range(1, len(units) + 1)]
        found = [c for c in others if c.kept and c.cited[0] not in cited]
        if found:
            return max(found, key=lambda c: c.similarity)
        return first or Checked(bare, (), False, "not supported by any passage")

    def _support(
        self, bare: str, cited: tuple[int, ...], units: list[list[_Unit]], strict: bool = False
    ) -> Checked:
        """Whether the passages `cited` support the sentence `bare` (markers removed); `strict`
        accepts closeness in meaning alone, not the lower paraphrase bar."""
        body = _strip_end(bare)
        marked = _with_markers(bare, cited)
        pool = [(n, u) for n in cited for u in units[n - 1]]
        if not pool:
            return Checked(marked, cited, False, "cited passage has no usable text")
        problem = _lexical_problem(bare, " ".join(u.text for _, u in pool))
        if problem:
            return Checked(marked, cited, False, problem)
        # "Yes, …"/"No, …" answers the question; the claim to check is what follows.
        claim = _ANSWER_WORD.sub("", bare)
        vectors = self._vectors([claim] + [u.text for _, u in pool])
        sims = vectors[1:] @ vectors[0]
        best = int(np.argmax(sims))
        n, unit = pool[best]
        sim = round(float(sims[best]), 4)
        words = content_words(claim)
        overlap = len(words & content_words(unit.text)) / len(words) if words else 0.0
        if _negated(bare) != _negated(unit.text):
            # Embeddings barely see "not": "applies to direct care" ≈ "does not apply to it".
            return Checked(marked, cited, False, "negation differs from cited passage", sim)
        t = self.thresholds
        ok = sim >= t.similarity or (
            not strict and sim >= t.paraphrase_similarity and overlap >= t.paraphrase_overlap
        )
        evidence = ((n, unit.start, unit.end),)
        if not ok:
            reason = f"not supported by cited passage (similarity {sim:.2f})"
            return Checked(marked, cited, False, reason, sim, evidence)
        # Shown with the one passage that supports it, whatever else the model cited.
        shown = f"{body} [{n}]{bare[len(body) :]}"
        return Checked(shown, (n,), True, "supported", sim, evidence)

    def _vectors(self, texts: list[str]) -> np.ndarray:
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            for t, v in zip(todo, self.embed(todo), strict=True):
                self._cache[t] = np.asarray(v, dtype=np.float32)
        for t in texts:
            self._cache.move_to_end(t)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return np.stack([self._cache[t] for t in texts])


def _without_repeats(checked: list[Checked]) -> list[Checked]:
    """A sentence the answer already has (small models repeat one per passage, citing each)
    is shown once, and its other copies are not counted as claims."""

    def key(c: Checked) -> str:
        return " ".join(_MARKER.sub("", c.text).lower().split())

    supported = {key(c) for c in checked if c.kept}
    shown: set[str] = set()
    out = []
    for c in checked:
        if key(c) in supported and (key(c) in shown or not c.kept):
            c = dataclasses.replace(c, kept=False, reason=REPEAT)
        elif c.kept:
            shown.add(key(c))
        out.append(c)
    return out


def _with_markers(bare: str, cited: tuple[int, ...]) -> str:
    """The sentence with its markers before the final stop: "A [1][2]." """
    body = _strip_end(bare)
    return f"{body} {''.join(f'[{n}]' for n in cited)}{bare[len(body) :]}".strip()


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    text: str


def _units(hit: Hit) -> list[_Unit]:
    """Usable sentences of a passage, and adjacent pairs (one answer sentence often joins two)."""
    ev = prompts.evidence(hit)
    singles = [_Unit(e.start, e.end, e.text) for e in ev]
    pairs = [
        _Unit(a.start, b.end, f"{a.text} {b.text}")
        for a, b in zip(ev, ev[1:], strict=False)
        if not hit.text[a.end : b.start].strip()  # truly adjacent: nothing we left out between
    ]
    return singles + pairs


def _split(text: str) -> list[str]:
    return [text[a:b].strip() for a, b in sentence_spans(text)]


def _cited(sentence: str, given: int) -> tuple[int, ...]:
    found = [int(n) for n in _MARKER.findall(sentence)]
    return tuple(dict.fromkeys(n for n in found if 1 <= n <= given))


def _inherit(cited: list[tuple[int, ...]], marked: list[bool]) -> list[tuple[int, ...]]:
    """A sentence with no marker takes the next sentence's ("A. B [1]." cites 1 for both).

    One whose only markers pointed at passages not given inherits nothing: it is dropped.
    """
    out = list(cited)
    for i in range(len(out) - 2, -1, -1):
        if not marked[i]:
            out[i] = out[i + 1]
    return out


def _strip_end(text: str) -> str:
    return text.rstrip(".!?").rstrip()


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) is not None
