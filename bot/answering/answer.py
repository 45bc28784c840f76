"""What an answer is: the data every front end renders (CLI JSON, terminal, Discord)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from vectorstore.records import Hit


@dataclass(frozen=True)
class Citation:
    """One numbered source behind an answer: a real stored passage and the exact quote used."""

    n: int
    title: str
    publisher: str
    published: str
    source: str
    url: str
    quote: str
    chunk_id: str
    score: float
    passage: str = ""  # the whole stored chunk the quote comes from ("Show passages", /source)

    @classmethod
    def from_hit(cls, n: int, hit: Hit, quote: str, score: float) -> Citation:
        """Citation `n` quoting `quote` from a stored passage: its details come from the store."""
        return cls(
            n=n,
            title=hit.meta("title"),
            publisher=hit.meta("publisher"),
            published=hit.meta("published"),
            source=hit.meta("source"),
            url=hit.meta("url"),
            quote=quote,
            chunk_id=hit.chunk_id,
            score=round(float(score), 4),
            passage=hit.text,
        )


@dataclass(frozen=True)
class Answer:
    """The answer to one question. `citations` are numbered 1..n in the order [n] appears."""

    question: str
    answer: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    generator: str = "extractive"
    # (kept, checked): a model's sentences that passed verification, of those it wrote;
    # None when no model wrote anything (extractive answers).
    verified_sentences: tuple[int, int] | None = None
    missing: str = ""  # a refusal: what the sources don't give, in a few words

    def to_json(self) -> dict[str, Any]:
        """The stable JSON contract documented in the README (`nhsbot ask --json`)."""
        out: dict[str, Any] = {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [
                {k: v for k, v in asdict(c).items() if k != "passage"} for c in self.citations
            ],
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "generator": self.generator,
        }
        if self.verified_sentences is not None:
            kept, checked = self.verified_sentences
            out["verified_sentences"] = {"kept": kept, "checked": checked}
        if self.refused and self.missing:
            out["missing"] = self.missing
        return out
