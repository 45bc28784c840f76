"""`nhsbot eval`: retrieval and answer quality on a JSONL set of questions."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from bot.answering.answer import Answer
from vectorstore.records import Hit


@dataclass(frozen=True)
class EvalItem:
    id: str
    q: str
    gold_docs: tuple[str, ...]
    must_contain_any: tuple[str, ...]
    answerable: bool


def read_items(path: Path) -> list[EvalItem]:
    items = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            items.append(
                EvalItem(
                    str(raw["id"]),
                    str(raw["q"]),
                    tuple(raw.get("gold_docs") or ()),
                    tuple(raw.get("must_contain_any") or ()),
                    bool(raw["answerable"]),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a valid eval line ({exc})") from None
    return items


@dataclass
class EvalResult:
    item: EvalItem
    answer: Answer
    gold_rank: int | None  # 1-based rank of the first passage from a gold document
    seconds: float = 0.0  # time to answer (retrieval, extractive answer and any generation)

    @property
    def answer_hit(self) -> bool:
        text = self.answer.answer.lower()
        return not self.answer.refused and any(
            s.lower() in text for s in self.item.must_contain_any
        )


@dataclass
class Report:
    k: int
    results: list[EvalResult] = field(default_factory=list)
    generator: str = "extractive"

    def metrics(self) -> dict[str, Any]:
        answerable = [r for r in self.results if r.item.answerable]
        unanswerable = [r for r in self.results if not r.item.answerable]
        ranked = [r.gold_rank for r in answerable]
        refusal_ok = [r.answer.refused for r in unanswerable]
        refusal_ok += [not r.answer.refused for r in answerable]
        share = lambda xs: round(sum(xs) / len(xs), 3) if xs else 0.0  # noqa: E731
        return {
            "questions": len(self.results),
            "answerable": len(answerable),
            f"hit@{self.k}": share([r is not None and r <= self.k for r in ranked]),
            "mrr": share([1 / r if r else 0.0 for r in ranked]),
            "answer_hit": share([r.answer_hit for r in answerable]),
            "refusal_accuracy": share(refusal_ok),
            "false_refusals": share([r.answer.refused for r in answerable]),
            "unanswerable_refused": share([r.answer.refused for r in unanswerable]),
            "generator": self.generator,
            **self.generation_metrics(),
            "latency_p50_ms": percentile([r.seconds * 1000 for r in self.results], 50),
            "latency_p95_ms": percentile([r.seconds * 1000 for r in self.results], 95),
        }

    def generation_metrics(self) -> dict[str, Any]:
        """For a generator: how often its answer was shown, and how much of it was verified."""
        if self.generator == "extractive":
            return {}
        counts = [r.answer.verified_sentences for r in self.results]
        kept = sum(c[0] for c in counts if c)
        checked = sum(c[1] for c in counts if c)
        shown = [r.answer.generator == self.generator for r in self.results]
        fallbacks = [r.answer.generator == "extractive-fallback" for r in self.results]
        return {
            "generated_shown": round(sum(shown) / len(shown), 3) if shown else 0.0,
            "fallbacks": round(sum(fallbacks) / len(fallbacks), 3) if fallbacks else 0.0,
            # of every sentence the model wrote (refusals aside), the share that passed
            "verified_share": round(kept / checked, 3) if checked else 0.0,
        }


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile (0 for no values), rounded to 0.1."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(len(ordered) * pct / 100))
    return round(ordered[rank - 1], 1)


def gold_rank(hits: Iterable[Hit], gold_docs: tuple[str, ...]) -> int | None:
    names = {PurePath(g).name for g in gold_docs}
    for rank, hit in enumerate(hits, start=1):
        if PurePath(hit.meta("source")).name in names:
            return rank
    return None


def evaluate(
    items: Iterable[EvalItem],
    ask: Callable[[str], Answer],
    retrieve: Callable[[str, int], list[Hit]],
    k: int = 5,
    generator: str = "extractive",
) -> Report:
    report = Report(k, generator=generator)
    for item in items:
        started = time.perf_counter()
        answer = ask(item.q)
        seconds = time.perf_counter() - started
        rank = gold_rank(retrieve(item.q, k), item.gold_docs) if item.answerable else None
        report.results.append(EvalResult(item, answer, rank, seconds))
    return report
