"""Do the sources cover the question? A small logistic model over signals that separate
"covered" from "close but not covered" (similarity alone cannot), calibrated on the eval set."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.answering.scoring import Sentence
from vectorstore.hybrid import stems
from vectorstore.records import Hit

FEATURES = (
    "top_dense",
    "best_sim",
    "best_overlap",
    "passage_coverage",
    "kind_found",
    "known_terms",
    "answer_coverage",
    "rarest_missing",
)


@dataclass(frozen=True)
class CoverageModel:
    """Weights for each feature, a bias, and the decision threshold on the probability."""

    weights: dict[str, float] = field(
        default_factory=lambda: {
            "top_dense": 4.0,
            "best_sim": 3.0,
            "best_overlap": 2.0,
            "passage_coverage": 2.0,
            "kind_found": 1.0,
            "known_terms": 2.0,
        }
    )
    bias: float = -7.0
    threshold: float = 0.5

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(k, 0.0) * features.get(k, 0.0) for k in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def covered(self, features: dict[str, float]) -> bool:
        return self.probability(features) >= self.threshold


def coverage_features(
    qterms: Sequence[str],
    idf: dict[str, float],
    known_share: float,
    passage_terms: set[str],
    hits: Sequence[Hit],
    ranked: Sequence[Sentence],
    chosen: Sequence[Sentence] = (),
) -> dict[str, float]:
    """The signals for one question, each in [0, 1] (or close to it).

    `idf` maps each question term (those the store knows) to its rarity; `known_share` is the
    share of the question's words the store knows at all (low off topic); `passage_terms` are
    the question terms found in the top passages, and `chosen` the
    sentences the answer would quote: a near miss usually lacks the question's rarest term there
    (the county, the month, the person asked about).
    """
    best = ranked[0] if ranked else None
    answer_terms: set[str] = set().union(*(s.terms for s in chosen)) if chosen else set()
    missing = [idf[t] for t in set(qterms) - answer_terms]
    rarest = max(idf.values(), default=1.0) or 1.0
    return {
        "answer_coverage": term_coverage(qterms, idf, answer_terms),
        "rarest_missing": max(missing, default=0.0) / rarest,
        "top_dense": max((h.dense for h in hits[:3]), default=0.0),
        "best_sim": best.similarity if best else 0.0,
        "best_overlap": best.overlap if best else 0.0,
        "passage_coverage": term_coverage(qterms, idf, passage_terms),
        "kind_found": float(any(s.kind_match and s.overlap > 0 for s in ranked[:3])),
        "known_terms": known_share,
    }


def term_coverage(qterms: Sequence[str], idf: dict[str, float], terms: set[str]) -> float:
    """The share of the question's terms, weighted by rarity, among `terms` (a text's)."""
    # fsum: exact, so the order a set is read in (it changes with each process) changes nothing
    return math.fsum(idf[t] for t in set(qterms) & terms) / (math.fsum(idf.values()) or 1.0)


@dataclass(frozen=True)
class QuestionTerms:
    """A question's search terms (in order) and how rare each is in the store: enough to measure
    how much of the question any text takes up, without going back to the index."""

    idf: dict[str, float]

    def coverage(self, text: str) -> float:
        """The share of the question's terms, weighted by rarity, that `text` contains."""
        return term_coverage(list(self.idf), self.idf, set(stems(text)))
