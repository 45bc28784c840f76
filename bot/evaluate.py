"""`nhsbot eval`: retrieval and answer quality on a JSONL set of questions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from bot.answer import Answer
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
        }


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
) -> Report:
    report = Report(k)
    for item in items:
        answer = ask(item.q)
        rank = gold_rank(retrieve(item.q, k), item.gold_docs) if item.answerable else None
        report.results.append(EvalResult(item, answer, rank))
    return report
