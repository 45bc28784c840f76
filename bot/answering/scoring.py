"""Score the sentences of retrieved passages against a question.

A sentence that answers a question shares its rare terms, is close to it in meaning, contains
the kind of thing asked for (an amount, a date, a name) and says something beyond the question
itself. Picking by similarity alone favours sentences that only restate the topic.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.answering.passages import looks_like_instruction
from bot.answering.question import QuestionKind
from ingest.sentences import sentence_spans
from vectorstore.acronyms import initials
from vectorstore.records import Hit

MIN_SENTENCE_CHARS = 25


@dataclass(frozen=True)
class Weights:
    """How much each signal counts; calibrated by `bench/calibrate.py` on the eval set."""

    similarity: float = 1.0
    overlap: float = 0.6
    kind: float = 0.15
    novelty: float = 0.1
    rank: float = 0.1
    passage: float = 0.0
    context: float = 0.0
    unnamed: float = 0.2  # set by hand: on the tuned and dev sets 0.5 cost answers, 0.2 none

    def score(self, s: Sentence) -> float:
        return (
            self.similarity * s.similarity
            + self.overlap * s.overlap
            + self.kind * s.kind_match
            + self.novelty * min(1.0, s.novelty * 2)
            + self.rank / (1 + s.hit_rank)
            + self.passage * s.hit.dense
            + self.context * s.context_overlap
            - self.unnamed * s.unnamed
        )


@dataclass(frozen=True)
class Sentence:
    hit_rank: int  # rank of the passage it comes from (0 = best)
    hit: Hit
    start: int  # offsets into hit.text
    end: int
    similarity: float = 0.0
    overlap: float = 0.0  # idf-weighted share of the question's terms it contains
    kind_match: bool = False
    novelty: float = 0.0  # share of its own terms that are not in the question
    context_overlap: float = 0.0  # like overlap, counting its passage's title and heading too
    # Its passage never names a thing the question names by its initials ("fdp"): a sentence
    # about Palantir's police contract is no answer to what its FDP contract is worth.
    unnamed: bool = False
    terms: frozenset[str] = frozenset()  # its terms plus its passage's title and heading terms
    score: float = 0.0

    @property
    def text(self) -> str:
        return self.hit.text[self.start : self.end]


class SentenceScorer:
    """Candidate sentences from passages, scored by the signals above."""

    def __init__(
        self,
        vectors: Callable[[Sequence[tuple[Hit, int, int]]], np.ndarray],
        terms: Callable[[str], list[str]],
        idf: Callable[[str], float],
        weights: Weights = Weights(),
        is_acronym: Callable[[str], bool] = lambda term: False,
    ):
        self.vectors = vectors  # of (passage, start, end) sentences (sentence_vectors.py)
        self.terms = terms
        self.idf = idf
        self.weights = weights
        self.is_acronym = is_acronym  # of a name some passage spells out

    def candidates(self, hits: Sequence[Hit]) -> list[Sentence]:
        out = []
        for rank, hit in enumerate(hits):
            for start, end in sentence_spans(hit.text):
                text = hit.text[start:end]
                usable = len(text) >= MIN_SENTENCE_CHARS and not text.startswith("#")
                # A sentence that speaks to an AI model is an injection attempt: never quoted.
                if usable and not looks_like_instruction(text):
                    out.append(Sentence(rank, hit, start, end))
        return out

    def score(
        self, question: str, qvec: np.ndarray, kind: QuestionKind, sentences: list[Sentence]
    ) -> list[Sentence]:
        """Score sentences, best first."""
        qterms = set(self.terms(question))
        # fsum: exact, so the order a set is read in (it changes with each process) can't
        # reorder two sentences that score the same
        qweight = math.fsum(self.idf(t) for t in qterms) or 1.0
        share = lambda terms: math.fsum(self.idf(t) for t in qterms & terms) / qweight  # noqa: E731
        named = {t for t in qterms if self.is_acronym(t)}
        terms = lambda text: set(self.terms(text)) | (initials(text) & qterms)  # noqa: E731
        context: dict[str, set[str]] = {}
        unnamed: dict[str, bool] = {}
        lexical = []
        for s in sentences:
            if s.hit.chunk_id not in context:
                heading = f"{s.hit.meta('title')}. {s.hit.meta('heading')}"
                context[s.hit.chunk_id] = terms(heading)
                # Most questions name no acronym: then no passage needs reading in full.
                unnamed[s.hit.chunk_id] = bool(named) and bool(
                    named - terms(f"{heading}. {s.hit.text}")
                )
            sterms = terms(s.text)
            all_terms = frozenset(sterms | context[s.hit.chunk_id])
            novelty = len(sterms - qterms) / max(1, len(sterms))
            lexical.append(
                replace(
                    s,
                    overlap=share(sterms),
                    novelty=novelty,
                    context_overlap=share(all_terms),
                    unnamed=unnamed[s.hit.chunk_id],
                    terms=all_terms,
                )
            )
        sims = self._similarities(qvec, lexical)
        scored = [
            replace(s, similarity=float(sim), kind_match=kind.matches(s.text))
            for s, sim in zip(lexical, sims)
        ]
        return self.rank(scored)

    def rank(self, sentences: list[Sentence]) -> list[Sentence]:
        """Sentences with their scores under the current weights, best first."""
        scored = [replace(s, score=self.weights.score(s)) for s in sentences]
        return sorted(scored, key=lambda s: s.score, reverse=True)

    def _similarities(self, qvec: np.ndarray, sentences: list[Sentence]) -> np.ndarray:
        if not sentences:
            return np.zeros(0)
        return self.vectors([(s.hit, s.start, s.end) for s in sentences]) @ qvec
