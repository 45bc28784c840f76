"""Check a generated answer against the passages it cites, sentence by sentence.

Small models invent facts and cite the wrong passage. A sentence is kept only when
  1. its markers don't all point at passages that were not given (other markers are removed),
  2. every number in it and every capitalised name appears in the passage it is shown citing
     (bot/claims.py), and
  3. it is close in meaning to some sentence (or pair of adjacent sentences) of that passage:
     cosine similarity of sentence embeddings, with a lower bar when most of its content words
     also appear there (a faithful paraphrase) — thresholds swept by bench/llm_bench.py — and
     says "not" where the passage does.
A sentence the model cited wrongly, or not at all, is shown citing the given passage that
supports it, when one does on meaning alone. A passage's title copied as a sentence (or glued
to the front of one), and a sentence that loops on itself, are not claims and are dropped.
Links, images and URLs that the passages don't contain are removed first. Passages are checked
in their cleaned form (bot/prompts.py), so text we hid from the model can't support a claim.
A verified answer can still be true and beside the point; `fallback_reason` then prefers the
extractive quotes, when they are much closer to the question in meaning or contain much more
of its rare terms.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.answering.coverage import QuestionTerms
from bot.answering.generation import markers
from bot.answering.generation.claims import (
    content_words,
    is_refusal,
    lexical_problem,
    negated,
    statement,
    strip_urls,
)
from bot.answering.lru import LruCache
from bot.answering.passages import clean_passage, evidence
from ingest.sentences import sentence_spans
from vectorstore.records import Hit

Embed = Callable[[Sequence[str]], np.ndarray]
REPEAT = "repeats an earlier sentence"
TITLE = "copies a passage title"
LOOP = "repeats itself"
NOT_CLAIMS = ("refusal", REPEAT, TITLE, LOOP)  # dropped, and not counted as claims


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
        return [s for s in self.sentences if s.reason not in NOT_CLAIMS]

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
    # Falls back when the answer's most on-point sentence is this much further from the
    # question (cosine) than the extractive answer's: verified, but not what was asked.
    max_relevance_gap: float | None = 0.3
    # Falls back when the extractive quotes contain this much more of the question's terms
    # (weighted by rarity) than the answer: the answer left out what the question is about.
    max_coverage_gap: float | None = 0.35


class Verifier:
    """Verifies generated answers with an embedding function (unit vectors, like MiniLM's)."""

    def __init__(self, embed: Embed, thresholds: Thresholds | None = None, cache_size: int = 4096):
        self.embed = embed
        self.thresholds = thresholds or Thresholds()
        self._cache: LruCache[str, np.ndarray] = LruCache(cache_size)

    def verify(self, text: str, passages: Sequence[Hit]) -> Verified:
        """Split, check and rebuild `text`; the markers in the result point at `passages`."""
        units = [_units(hit) for hit in passages]
        allowed = " ".join(clean_passage(hit) for hit in passages)
        raw = [s for s in _split(strip_urls(markers.normalise_markers(text), allowed)) if s]
        marked = [bool(markers.MARKER.search(s)) for s in raw]
        cites = markers.inherit([markers.cited(s, len(passages)) for s in raw], marked)
        checked = [self._check(*args) for args in zip(raw, cites, [units] * len(raw), marked)]
        titles = [_key(hit.meta("title")) for hit in passages if hit.meta("title")]
        checked = _without_repeats([_not_a_claim(c, titles) for c in checked])
        kept = [c.text for c in checked if c.kept]
        refused = not kept and any(c.reason == "refusal" for c in checked)
        return Verified(" ".join(kept), tuple(checked), refused)

    def fallback_reason(
        self,
        verified: Verified,
        *,
        retrieval_strong: bool,
        question: str = "",
        quotes: Sequence[str] = (),
        terms: QuestionTerms | None = None,
    ) -> str | None:
        """Why the extractive answer should be shown instead, or None to show this one.
        `quotes` are the extractive answer's sentences, for `question`; `terms` are the
        question's terms with their rarity, to measure how much of it a text takes up."""
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
        if quotes and (
            (question and self._less_on_point(question, verified, quotes))
            or (terms and self._covers_less(terms, verified, quotes))
        ):
            return "the quoted passages answer the question more closely"
        return None

    def _covers_less(self, terms: QuestionTerms, verified: Verified, quotes: Sequence[str]) -> bool:
        """Whether the extractive quotes take up much more of the question's terms than the
        kept sentences: asked about care.data's opt-outs in 2016, a small model may state the
        national opt-out's count in 2023, close in meaning but without "care.data"."""
        gap = self.thresholds.max_coverage_gap
        if gap is None:
            return False
        answer = markers.without_markers(verified.text)
        return terms.coverage(" ".join(quotes)) - terms.coverage(answer) > gap

    def _less_on_point(self, question: str, verified: Verified, quotes: Sequence[str]) -> bool:
        """Whether every kept sentence is further from the question than the extractive
        answer's closest quote, by more than the threshold (a small model often states a
        nearby, supported fact instead of the one asked for)."""
        gap = self.thresholds.max_relevance_gap
        if gap is None:
            return False
        kept = [markers.without_markers(c.text) for c in verified.kept]
        vectors = self._vectors([question, *kept, *quotes])
        sims = vectors[1:] @ vectors[0]
        return float(sims[: len(kept)].max()) < float(sims[len(kept) :].max()) - gap

    def _check(
        self, sentence: str, cited: tuple[int, ...], units: list[list[_Unit]], marked: bool
    ) -> Checked:
        """Keep a sentence supported by the passage it cites, or else by another given passage
        (small models often cite the neighbouring passage, or none): it is then shown with the
        passage that supports it, if it is that close in meaning on its own (a paraphrase bar
        tried against every passage finds false support). One whose every marker points at a
        passage that was not given is dropped: the model made up a source."""
        bare = re.sub(r"\s+([.!?,;:])", r"\1", " ".join(markers.without_markers(sentence).split()))
        bare = bare.lstrip(":;-–— ")  # left over from a "[2]: …" list
        if is_refusal(bare):
            return Checked(bare, (), False, "refusal")
        if marked and not cited:
            return Checked(bare, (), False, "cites only passages that were not given")
        if not content_words(statement(bare)):
            return Checked(markers.with_markers(bare, cited), cited, False, "no statement to check")
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
        body = markers.strip_end(bare)
        marked = markers.with_markers(bare, cited)
        pool = [(n, u) for n in cited for u in units[n - 1]]
        if not pool:
            return Checked(marked, cited, False, "cited passage has no usable text")
        problem = lexical_problem(bare, " ".join(u.text for _, u in pool))
        if problem:
            return Checked(marked, cited, False, problem)
        # "Yes, …"/"No, …" answers the question; the claim to check is what follows.
        claim = statement(bare)
        vectors = self._vectors([claim] + [u.text for _, u in pool])
        sims = vectors[1:] @ vectors[0]
        best = int(np.argmax(sims))
        n, unit = pool[best]
        sim = round(float(sims[best]), 4)
        words = content_words(claim)
        overlap = len(words & content_words(unit.text)) / len(words) if words else 0.0
        if negated(bare) != negated(unit.text):
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
        known = self._cache.get_many(texts)
        todo = list(dict.fromkeys(t for t in texts if t not in known))
        if todo:
            vectors = zip(todo, self.embed(todo), strict=True)
            new = {t: np.asarray(v, dtype=np.float32) for t, v in vectors}
            self._cache.put_many(new)
            known.update(new)
        return np.stack([known[t] for t in texts])


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'’]+", markers.without_markers(text))


def _key(text: str) -> str:
    """Lower case, markers and punctuation gone, single spaces: for comparing sentences."""
    return " ".join(_words(text.lower()))


def _not_a_claim(c: Checked, titles: Sequence[str]) -> Checked:
    """A kept sentence that only copies a passage title (the prompt shows them), has one glued
    to its front, or repeats its own words over and over, is dropped: none of it is a claim."""
    if not c.kept:
        return c
    key = _key(c.text)
    if any(key == t or _glued(c.text, key, t) for t in titles):
        return dataclasses.replace(c, kept=False, reason=TITLE)
    words = key.split()
    shingles = [" ".join(words[i : i + 6]) for i in range(len(words) - 5)]
    if len(shingles) != len(set(shingles)):
        return dataclasses.replace(c, kept=False, reason=LOOP)
    return c


def _glued(text: str, key: str, title: str) -> bool:
    """The sentence starts with a long title run straight into another sentence ("DARS: how
    organisations apply for NHS data Integrated care boards…"); a short title ("The eight
    Caldicott Principles") can start a real sentence, so it doesn't count."""
    if len(title.split()) < 5 or not key.startswith(title + " "):
        return False
    rest = _words(text)[len(title.split()) :]
    return bool(rest) and rest[0][:1].isupper()


def _without_repeats(checked: list[Checked]) -> list[Checked]:
    """A sentence the answer already has (small models repeat one per passage, citing each)
    is shown once, and its other copies are not counted as claims."""
    supported = {_key(c.text) for c in checked if c.kept}
    shown: set[str] = set()
    out = []
    for c in checked:
        key = _key(c.text)
        if key in supported and (key in shown or not c.kept):
            c = dataclasses.replace(c, kept=False, reason=REPEAT)
        elif c.kept:
            shown.add(key)
        out.append(c)
    return out


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    text: str


def _units(hit: Hit) -> list[_Unit]:
    """Usable sentences of a passage, and adjacent pairs (one answer sentence often joins two)."""
    ev = evidence(hit)
    singles = [_Unit(e.start, e.end, e.text) for e in ev]
    pairs = [
        _Unit(a.start, b.end, f"{a.text} {b.text}")
        for a, b in zip(ev, ev[1:], strict=False)
        if not hit.text[a.end : b.start].strip()  # truly adjacent: nothing we left out between
    ]
    return singles + pairs


def _split(text: str) -> list[str]:
    return [text[a:b].strip() for a, b in sentence_spans(text)]
