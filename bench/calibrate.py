"""Calibrate sentence selection and the coverage decision on the eval set.

    python bench/calibrate.py [--questions eval/questions.jsonl] [--corpus corpus] [--write]

Each question goes through the pipeline's own steps once (retrieval, sentence signals, and the
checks that refuse before any weighing: bot/answering/decision.py); then a small grid picks
the sentence weights and a logistic regression fits the coverage model on the questions the
checks leave to it. Held-out figures come from leave-one-out twice over: by question part
(A-F, written by different people) and by document group (the first gold document's topic,
"fdp", "ndit", "opt", …), so a group left out stands in for documents the fit never saw.
The blind set (eval/blind/) is never read here.
With --write, the fit on all questions goes to bot/answering/calibration.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.calibration import CALIBRATION_FILE  # noqa: E402
from bot.answering.coverage import FEATURES, CoverageModel  # noqa: E402
from bot.answering.decision import Refusal, answerable, says_it_lacks  # noqa: E402
from bot.answering.extractive import compose, select  # noqa: E402
from bot.answering.pipeline import Answerer, Retrieved  # noqa: E402
from bot.answering.scoring import Sentence, Weights  # noqa: E402
from bot.app import App, open_app  # noqa: E402
from bot.evaluate import EvalItem, read_items  # noqa: E402
from bot.settings import Settings  # noqa: E402

# Values tried for each knob; coordinate ascent keeps the rest fixed while it tries one.
GRID: dict[str, tuple[float, ...]] = {
    "overlap": (0.0, 0.3, 0.6, 1.0),
    "kind": (0.0, 0.15, 0.3, 0.5),
    "novelty": (0.0, 0.1, 0.2),
    "rank": (0.0, 0.1, 0.2, 0.4),
    "passage": (0.0, 0.3, 0.6, 1.0),
    "context": (0.0, 0.3, 0.6, 1.0),
    "margin": (0.06, 0.12, 0.2, 0.3),
    "max_sentences": (1, 2, 3),  # more reads as a wall of quotes, not a short answer
}
MAX_FALSE_REFUSALS = 0.025  # in-sample; held out by document group it roughly doubles


@dataclass
class Case:
    item: EvalItem
    found: Retrieved  # what the pipeline found; its sentences carry weight-free signals
    candidates: list[Sentence] | Refusal  # those that may answer, or a refusal already


def collect(app: App, items: Sequence[EvalItem]) -> list[Case]:
    """Each question through the pipeline's own steps, up to the weighing."""
    answerer = app.answerer
    cases = []
    for item in items:
        found = answerer.retrieve_for(answerer.read(item.q), answerer.top_k)
        cases.append(Case(item, found, answerable(found.question, found.ranked)))
    return cases


def rescore(sentences: Sequence[Sentence], w: Weights) -> list[Sentence]:
    scored = [dataclasses.replace(s, score=w.score(s)) for s in sentences]
    return sorted(scored, key=lambda s: s.score, reverse=True)


def chosen(case: Case, w: Weights, sel: dict[str, float]) -> list[Sentence]:
    if isinstance(case.candidates, Refusal):
        return []
    return select(rescore(case.candidates, w), **sel)


def answer_hit(case: Case, w: Weights, sel: dict[str, float]) -> bool:
    text, _ = compose(chosen(case, w, sel))
    return any(m.lower() in text.lower() for m in case.item.must_contain_any)


def split(params: dict[str, float]) -> tuple[Weights, dict[str, float]]:
    sel = {k: params[k] for k in ("margin", "max_sentences")}
    return Weights(**{k: v for k, v in params.items() if k not in sel}), sel


def fit_selection(cases: list[Case], rounds: int = 3) -> tuple[Weights, dict[str, float], float]:
    """Coordinate ascent on answer hit over the answerable questions."""
    answerable_ = [c for c in cases if c.item.answerable]
    params = {**dataclasses.asdict(Weights()), "margin": 0.12, "max_sentences": 3}
    score = lambda p: float(np.mean([answer_hit(c, *split(p)) for c in answerable_]))  # noqa: E731
    best = score(params)
    for _ in range(rounds):
        improved = False
        for knob, values in GRID.items():
            for value in values:
                trial = {**params, knob: value}
                result = score(trial)
                if result > best + 1e-9:
                    params, best, improved = trial, result, True
        if not improved:
            break
    w, sel = split(params)
    return w, sel, best


def features(answerer: Answerer, case: Case, w: Weights, sel: dict[str, float]) -> dict[str, float]:
    found = dataclasses.replace(case.found, ranked=rescore(case.found.ranked, w))
    return answerer.features(found, chosen(case, w, sel))


def fit_coverage(
    answerer: Answerer, cases: list[Case], w: Weights, sel: dict[str, float]
) -> CoverageModel:
    """The coverage model, on the questions the checks before it don't already refuse."""
    from sklearn.linear_model import LogisticRegression

    weighed = [c for c in cases if not isinstance(c.candidates, Refusal)]
    x = np.array([[features(answerer, c, w, sel)[f] for f in FEATURES] for c in weighed])
    y = np.array([c.item.answerable for c in weighed], dtype=int)
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(x, y)
    probs = model.predict_proba(x)[:, 1]
    threshold = pick_threshold(probs, y)
    weights = {f: round(float(v), 4) for f, v in zip(FEATURES, model.coef_[0])}
    return CoverageModel(weights, round(float(model.intercept_[0]), 4), threshold)


def pick_threshold(probs: np.ndarray, y: np.ndarray) -> float:
    """The threshold that refuses the most unanswerable questions while refusing at most
    MAX_FALSE_REFUSALS of the answerable ones. A confident answer to a question the sources
    don't answer (a nearby fact, cited) costs members more than a refusal, so refusals are
    pushed as far as the cap allows rather than to the best overall accuracy."""
    best_t = 0.05
    for t in np.arange(0.05, 0.95, 0.01):
        if (probs < t)[y == 1].mean() <= MAX_FALSE_REFUSALS:
            best_t = float(t)
    return round(best_t, 2)


def refused(answerer: Answerer, case: Case, w: Weights, sel: dict, cov: CoverageModel) -> bool:
    if isinstance(case.candidates, Refusal):
        return True
    if says_it_lacks(case.found.question, chosen(case, w, sel)):
        return True
    return not cov.covered(features(answerer, case, w, sel))


def metrics(
    answerer: Answerer, cases: list[Case], w: Weights, sel: dict[str, float], cov: CoverageModel
) -> dict[str, float]:
    answerable_ = [c for c in cases if c.item.answerable]
    no = {id(c): refused(answerer, c, w, sel, cov) for c in cases}
    hit = [answer_hit(c, w, sel) and not no[id(c)] for c in answerable_]
    correct = [no[id(c)] != c.item.answerable for c in cases]
    mean = lambda xs: round(float(np.mean(xs)) if xs else 0.0, 3)  # noqa: E731
    return {
        "answer_hit": mean(hit),
        "refusal_accuracy": mean(correct),
        "false_refusals": mean([no[id(c)] for c in answerable_]),
        "near_misses_refused": mean([no[id(c)] for c in cases if c.item.category == "near_miss"]),
        "unanswerable_refused": mean([no[id(c)] for c in cases if not c.item.answerable]),
    }


def group_of(item: EvalItem) -> str:
    """The document group a question is about: the first gold document's topic prefix
    ("fdp-contract-award-2023.md" → "fdp"); questions with none form one group."""
    return item.gold_docs[0].split("-")[0] if item.gold_docs else "(none)"


def held_out(
    answerer: Answerer, cases: list[Case], key: Callable[[EvalItem], str]
) -> dict[str, float]:
    """Each group decided by a fit on all the other groups; the figures pooled."""
    pooled: list[tuple[Case, Weights, dict[str, float], CoverageModel]] = []
    for group in sorted({key(c.item) for c in cases}):
        train = [c for c in cases if key(c.item) != group]
        w, sel, _ = fit_selection(train)
        pooled += [(c, w, sel, fit_coverage(answerer, train, w, sel))
                   for c in cases if key(c.item) == group]  # fmt: skip
    answerable_ = [p for p in pooled if p[0].item.answerable]
    no = {id(p[0]): refused(answerer, *p) for p in pooled}
    mean = lambda xs: round(float(np.mean(xs)) if xs else 0.0, 3)  # noqa: E731
    return {
        "answer_hit": mean([answer_hit(c, w, s) and not no[id(c)] for c, w, s, _ in answerable_]),
        "false_refusals": mean([no[id(c)] for c, *_ in answerable_]),
        "near_misses_refused": mean(
            [no[id(c)] for c, *_ in pooled if c.item.category == "near_miss"]
        ),
        "unanswerable_refused": mean([no[id(c)] for c, *_ in pooled if not c.item.answerable]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--questions", type=Path, nargs="+", default=[ROOT / "eval" / "questions.jsonl"]
    )
    parser.add_argument("--corpus", type=Path, nargs="+", default=[ROOT / "corpus"])
    parser.add_argument("--write", action="store_true", help=f"write {CALIBRATION_FILE.name}")
    args = parser.parse_args()
    items = [item for path in args.questions for item in read_items(path)]
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_app(Settings(_env_file=None, data_dir=Path(tmp))) as app,
    ):
        app.library.ingest(args.corpus)
        cases = collect(app, items)
        answerer = app.answerer
        print(f"{len(cases)} questions")
        by_part = held_out(answerer, cases, lambda item: item.id.split("-")[0])
        print("held out by question part (A, B, …):", by_part)
        by_group = held_out(answerer, cases, group_of)
        print("held out by document group:", by_group)
        w, sel, _ = fit_selection(cases)
        cov = fit_coverage(answerer, cases, w, sel)
        print("all (fit on all):", metrics(answerer, cases, w, sel, cov))
    print("weights:", dataclasses.asdict(w), sel)
    print("coverage:", cov)
    if args.write:
        CALIBRATION_FILE.write_text(
            json.dumps(
                {
                    "fitted_on": f"{' + '.join(p.name for p in args.questions)}: "
                    f"{len(cases)} questions",
                    "date": dt.date.today().isoformat(),
                    "sentence_weights": dataclasses.asdict(w),
                    "select": sel,
                    "coverage": {
                        "weights": cov.weights,
                        "bias": cov.bias,
                        "threshold": cov.threshold,
                    },
                },
                indent=2,
            )
            + "\n"
        )
        print(f"wrote {CALIBRATION_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
