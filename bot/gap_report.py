"""Knowledge gaps grouped by meaning: similar questions counted together, most asked first, each
group with a representative question and the nearest stored source.

Grouping is greedy over MiniLM vectors (average linkage): each question joins the group it is
closest to on average, if that mean cosine is at least GROUP_THRESHOLD, else it starts a group.
The threshold and the linkage were measured on hand-written groups of questions that mean the
same, beside groups on the same topic that ask something else (eval/gaps/groups.jsonl,
bench/gap_threshold.py; results in bench/results/gap_threshold.txt). MiniLM ranks wording over
meaning, so the threshold leans towards keeping different questions apart: a wrong merge
would hide a gap behind another question, a missed one only splits a count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.gap_store import Gap
from vectorstore.embeddings import Embedder
from vectorstore.hybrid import HybridIndex

# Mean cosine to a group's questions at or above which a question joins it.
GROUP_THRESHOLD = 0.7
EXAMPLES = 3  # other wordings shown per group


def group_by_meaning(vectors: np.ndarray, threshold: float = GROUP_THRESHOLD) -> list[list[int]]:
    """Indices of `vectors` (unit length, one per row) in groups, in order of first member: each
    joins the group whose members it is closest to on average, if that mean cosine is at least
    `threshold`, else starts a group."""
    groups: list[list[int]] = []
    sums: list[np.ndarray] = []  # per group, the sum of its vectors: sum @ v / n = mean cosine
    for i, vector in enumerate(vectors):
        if groups:
            means = np.stack(sums) @ vector / np.array([len(g) for g in groups])
            best = int(np.argmax(means))
            if float(means[best]) >= threshold:
                groups[best].append(i)
                sums[best] = sums[best] + vector
                continue
        groups.append([i])
        sums.append(vector.astype(np.float64))
    return groups


@dataclass(frozen=True)
class NearestSource:
    """The stored passage closest to a group's questions (what the sources say nearby)."""

    title: str
    source: str
    url: str
    chunk_id: str


@dataclass(frozen=True)
class GapGroup:
    """Questions of one meaning: the most typical wording, how often, when, and what is near."""

    question: str
    count: int
    refused: int
    downvoted: int
    first_day: str
    last_day: str
    examples: tuple[str, ...]
    nearest: NearestSource | None

    def to_json(self) -> dict[str, Any]:
        near = self.nearest
        return {
            "question": self.question,
            "count": self.count,
            "refused": self.refused,
            "downvoted": self.downvoted,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "examples": list(self.examples),
            "nearest_source": None
            if near is None
            else {"title": near.title, "source": near.source, "url": near.url,
                  "chunk_id": near.chunk_id},
        }  # fmt: skip


@dataclass(frozen=True)
class GapReport:
    """What `/gaps` and `nhsbot gaps` show (the JSON shape is documented in the README)."""

    enabled: bool
    days: int  # the window shown: the last `days` days, today included
    retention_days: int  # how long a question is kept
    questions: int
    groups: tuple[GapGroup, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "enabled": self.enabled,
            "days": self.days,
            "retention_days": self.retention_days,
            "questions": self.questions,
            "groups": [g.to_json() for g in self.groups],
        }


def build_report(
    gaps: Sequence[Gap],
    embedder: Embedder,
    index: HybridIndex,
    *,
    days: int,
    retention_days: int,
    threshold: float = GROUP_THRESHOLD,
) -> GapReport:
    """Group `gaps` (oldest first) by meaning, most asked first, each with its nearest source."""
    if not gaps:
        return GapReport(True, days, retention_days, 0, ())
    vectors = embedder.embed([g.question for g in gaps])
    found = group_by_meaning(vectors, threshold)
    # Most asked first; among equals, the one asked most recently (gaps come oldest first).
    found.sort(key=lambda members: (-len(members), -members[-1]))
    groups = [_group([gaps[i] for i in members], vectors[members], index) for members in found]
    return GapReport(True, days, retention_days, len(gaps), tuple(groups))


def _group(members: Sequence[Gap], vectors: np.ndarray, index: HybridIndex) -> GapGroup:
    centroid = vectors.mean(axis=0)
    centroid /= np.linalg.norm(centroid)
    typical = members[int(np.argmax(vectors @ centroid))].question
    wordings = dict.fromkeys(g.question for g in members)
    wordings.pop(typical)
    days = sorted(g.day for g in members)
    hits = index.search(typical, 1, query_vector=centroid)
    nearest = (
        NearestSource(
            hits[0].meta("title"), hits[0].meta("source"), hits[0].meta("url"), hits[0].chunk_id
        )
        if hits
        else None
    )
    return GapGroup(
        question=typical,
        count=len(members),
        refused=sum(g.reason == "refused" for g in members),
        downvoted=sum(g.reason == "downvoted" for g in members),
        first_day=days[0],
        last_day=days[-1],
        examples=tuple(list(wordings)[:EXAMPLES]),
        nearest=nearest,
    )
