"""Score the sentences of retrieved passages against a question.

A sentence that answers a question shares its rare terms, is close to it in meaning, contains
the kind of thing asked for (an amount, a date, a name) and says something beyond the question
itself. Picking by similarity alone favours sentences that only restate the topic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from bot.answering.passages import looks_like_instruction
from bot.answering.question import QuestionKind
from ingest.sentences import sentence_spans
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

    def score(self, s: Sentence) -> float:
        return (
            self.similarity * s.similarity
            + self.overlap * s.overlap
            + self.kind * s.kind_match
            + self.novelty * min(1.0, s.novelty * 2)
            + self.rank / (1 + s.hit_rank)
            + self.passage * s.hit.dense
            + self.context * s.context_overlap
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
    ):
        self.vectors = vectors  # of (passage, start, end) sentences (sentence_vectors.py)
        self.terms = terms
        self.idf = idf
        self.weights = weights

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
        qweight = sum(self.idf(t) for t in qterms) or 1.0
        share = lambda terms: sum(self.idf(t) for t in qterms & terms) / qweight  # noqa: E731
        context: dict[str, set[str]] = {}
        lexical = []
        for s in sentences:
            if s.hit.chunk_id not in context:
                context[s.hit.chunk_id] = set(
                    self.terms(f"{s.hit.meta('title')}. {s.hit.meta('heading')}")
                )
            sterms = set(self.terms(s.text))
            all_terms = frozenset(sterms | context[s.hit.chunk_id])
            novelty = len(sterms - qterms) / max(1, len(sterms))
            lexical.append(
                replace(
                    s,
                    overlap=share(sterms),
                    novelty=novelty,
                    context_overlap=share(all_terms),
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
