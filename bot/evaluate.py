"""`nhsbot eval`: retrieval and answer quality on a JSONL set of questions.

A line: {"id", "q", "gold_docs": [file names], "must_contain_any": [strings], "answerable": bool}
and optionally "kind" (count, amount, date, person_org, yesno, definition, howto, other),
"category" (answerable, near_miss, off_topic), "follows" (the id of the question it follows
up: it is asked with that turn as its history) and "missing" (what a near miss lacks).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, Protocol

from bot.answering.answer import Answer
from bot.answering.question import Question
from vectorstore.records import Hit

CATEGORIES = ("answerable", "near_miss", "off_topic")


@dataclass(frozen=True)
class EvalItem:
    id: str
    q: str
    gold_docs: tuple[str, ...]
    must_contain_any: tuple[str, ...]
    answerable: bool
    kind: str = ""
    category: str = ""  # answerable | near_miss | off_topic ("" when not labelled)
    follows: str | None = None
    missing: str = ""

    @property
    def group(self) -> str:
        """The category, or answerable/unanswerable for an unlabelled question."""
        return self.category or ("answerable" if self.answerable else "unanswerable")


def read_items(path: Path) -> list[EvalItem]:
    items: list[EvalItem] = []
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
                    str(raw.get("kind") or ""),
                    str(raw.get("category") or ""),
                    str(raw["follows"]) if raw.get("follows") else None,
                    str(raw.get("missing") or ""),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a valid eval line ({exc})") from None
    known = {i.id for i in items}
    for item in items:
        if item.follows and item.follows not in known:
            raise ValueError(f"{path}: {item.id} follows {item.follows}, which is not in the set")
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

    @property
    def right(self) -> bool:
        """Answered with the fact when the sources give it; refused when they don't."""
        return self.answer_hit if self.item.answerable else self.answer.refused


def share(values: Sequence[bool | float]) -> float:
    return round(sum(values) / len(values), 3) if values else 0.0


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
        out: dict[str, Any] = {
            "questions": len(self.results),
            "answerable": len(answerable),
            f"hit@{self.k}": share([r is not None and r <= self.k for r in ranked]),
            "mrr": share([1 / r if r else 0.0 for r in ranked]),
            "answer_hit": share([r.answer_hit for r in answerable]),
            "refusal_accuracy": share(refusal_ok),
            "false_refusals": share([r.answer.refused for r in answerable]),
            "unanswerable_refused": share([r.answer.refused for r in unanswerable]),
        }
        for category, name in (("near_miss", "near_misses"), ("off_topic", "off_topic")):
            group = [r for r in unanswerable if r.item.category == category]
            if group:
                out[f"{name}_refused"] = share([r.answer.refused for r in group])
        return {
            **out,
            "generator": self.generator,
            **self.generation_metrics(),
            "latency_p50_ms": percentile([r.seconds * 1000 for r in self.results], 50),
            "latency_p95_ms": percentile([r.seconds * 1000 for r in self.results], 95),
        }

    def breakdown(self, key: str) -> dict[str, dict[str, Any]]:
        """Figures per group of questions: `key` is "category" or "kind". Each group gives how
        many questions it has, the share answered right (the fact when the sources give it, a
        refusal when they don't), and answer hit and refusals for its answerable ones."""
        groups: dict[str, list[EvalResult]] = {}
        for r in self.results:
            name = (r.item.group if key == "category" else r.item.kind) or "unlabelled"
            groups.setdefault(name, []).append(r)
        out = {}
        for name in sorted(groups, key=lambda n: (CATEGORIES + (n,)).index(n)):
            rs = groups[name]
            answerable = [r for r in rs if r.item.answerable]
            row: dict[str, Any] = {"questions": len(rs), "right": share([r.right for r in rs])}
            if answerable:
                row["answer_hit"] = share([r.answer_hit for r in answerable])
                row["false_refusals"] = share([r.answer.refused for r in answerable])
            if len(answerable) < len(rs):
                row["unanswerable_refused"] = share(
                    [r.answer.refused for r in rs if not r.item.answerable]
                )
            out[name] = row
        return out

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
            "generated_shown": share(shown),
            "fallbacks": share(fallbacks),
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


class Answers(Protocol):
    """What evaluation needs of an answerer (bot.answering.pipeline.Answerer)."""

    def read(self, text: str, history: Sequence[tuple[str, str]] = ()) -> Question: ...

    def ask(self, question: Question | str, *, k: int | None = None) -> Answer: ...

    def retrieve(self, text: str, k: int) -> list[Hit]: ...


def evaluate(
    items: Iterable[EvalItem], answerer: Answers, k: int = 5, generator: str = "extractive"
) -> Report:
    """Ask every question in order; a follow-up is asked with the turn it follows as history,
    as a reply in Discord would be."""
    report = Report(k, generator=generator)
    turns: dict[str, tuple[str, str]] = {}
    for item in items:
        history = [turns[item.follows]] if item.follows in turns else []
        started = time.perf_counter()
        question = answerer.read(item.q, history)
        answer = answerer.ask(question, k=k)
        seconds = time.perf_counter() - started
        turns[item.id] = (item.q, answer.answer)
        hits = answerer.retrieve(question.query, k) if item.answerable else []
        rank = gold_rank(hits, item.gold_docs) if item.answerable else None
        report.results.append(EvalResult(item, answer, rank, seconds))
    return report
