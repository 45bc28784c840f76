"""Calibrate sentence selection and the coverage decision on the eval set.

    python bench/calibrate.py [--questions eval/questions.jsonl] [--corpus corpus] [--write]

Signals are collected once per question (they don't depend on the weights); then a small grid
picks the sentence weights and a logistic regression fits the coverage model. Held-out figures
come from leave-one-part-out: the question ids' prefixes (A, B, C, D) are parts written by
different people about different documents, so a part left out stands in for unseen data.
With --write, the fit on all questions goes to bot/answering/calibration.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.calibration import CALIBRATION_FILE  # noqa: E402
from bot.answering.coverage import FEATURES, CoverageModel, coverage_features  # noqa: E402
from bot.answering.extractive import compose, select  # noqa: E402
from bot.answering.question import question_kind  # noqa: E402
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
MAX_FALSE_REFUSALS = 0.08


@dataclass
class Case:
    item: EvalItem
    sentences: list[Sentence]  # candidates with their weight-independent signals
    hits: list
    qterms: list[str]
    idf: dict[str, float]
    known: float
    passage_terms: set[str]


def collect(app: App, items: Sequence[EvalItem]) -> list[Case]:
    cases = []
    for item in items:
        qvec = app.embedder.embed([item.q])[0]
        hits = app.answerer.index.search(item.q, app.answerer.top_k, query_vector=qvec)
        ranked = app.answerer.scorer.score(
            item.q, qvec, question_kind(item.q), app.answerer.scorer.candidates(hits)
        )
        qterms = app.answerer.index.query_terms(item.q)
        passage_terms: set[str] = set()
        for hit in hits[:3]:
            passage_terms.update(app.answerer.index.terms(f"{hit.meta('title')} {hit.text}"))
        cases.append(
            Case(
                item,
                ranked,
                hits,
                qterms,
                {t: app.answerer.index.idf(t) for t in qterms},
                app.answerer.index.known_share(item.q),
                passage_terms,
            )
        )
    return cases


def rescore(sentences: list[Sentence], w: Weights) -> list[Sentence]:
    scored = [dataclasses.replace(s, score=w.score(s)) for s in sentences]
    return sorted(scored, key=lambda s: s.score, reverse=True)


def chosen(case: Case, w: Weights, sel: dict[str, float]) -> list[Sentence]:
    return select(rescore(case.sentences, w), **sel)


def answer_hit(case: Case, w: Weights, sel: dict[str, float]) -> bool:
    text, _ = compose(chosen(case, w, sel))
    return any(m.lower() in text.lower() for m in case.item.must_contain_any)


def split(params: dict[str, float]) -> tuple[Weights, dict[str, float]]:
    sel = {k: params[k] for k in ("margin", "max_sentences")}
    return Weights(**{k: v for k, v in params.items() if k not in sel}), sel


def fit_selection(cases: list[Case], rounds: int = 3) -> tuple[Weights, dict[str, float], float]:
    """Coordinate ascent on answer hit over the answerable questions."""
    answerable = [c for c in cases if c.item.answerable]
    params = {**dataclasses.asdict(Weights()), "margin": 0.12, "max_sentences": 3}
    score = lambda p: float(np.mean([answer_hit(c, *split(p)) for c in answerable]))  # noqa: E731
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


def features(case: Case, w: Weights, sel: dict[str, float]) -> dict[str, float]:
    ranked = rescore(case.sentences, w)
    return coverage_features(
        case.qterms,
        case.idf,
        case.known,
        case.passage_terms,
        case.hits,
        ranked,
        select(ranked, **sel),
    )


def fit_coverage(cases: list[Case], w: Weights, sel: dict[str, float]) -> CoverageModel:
    from sklearn.linear_model import LogisticRegression

    x = np.array([[features(c, w, sel)[f] for f in FEATURES] for c in cases])
    y = np.array([c.item.answerable for c in cases], dtype=int)
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(x, y)
    probs = model.predict_proba(x)[:, 1]
    threshold = pick_threshold(probs, y)
    weights = {f: round(float(v), 4) for f, v in zip(FEATURES, model.coef_[0])}
    return CoverageModel(weights, round(float(model.intercept_[0]), 4), threshold)


def pick_threshold(probs: np.ndarray, y: np.ndarray) -> float:
    """The threshold with the best refusal accuracy whose false-refusal rate stays under the cap."""
    best_t, best_acc = 0.5, -1.0
    for t in np.arange(0.05, 0.95, 0.01):
        refused = probs < t
        false_refusals = refused[y == 1].mean()
        acc = (refused == (y == 0)).mean()
        if false_refusals <= MAX_FALSE_REFUSALS and acc > best_acc:
            best_t, best_acc = float(t), float(acc)
    return round(best_t, 2)


def metrics(
    cases: list[Case], w: Weights, sel: dict[str, float], cov: CoverageModel
) -> dict[str, float]:
    answerable = [c for c in cases if c.item.answerable]
    refused = {id(c): not cov.covered(features(c, w, sel)) for c in cases}
    hit = [answer_hit(c, w, sel) and not refused[id(c)] for c in answerable]
    correct = [refused[id(c)] != c.item.answerable for c in cases]
    return {
        "answer_hit": round(float(np.mean(hit)), 3),
        "refusal_accuracy": round(float(np.mean(correct)), 3),
        "false_refusals": round(float(np.mean([refused[id(c)] for c in answerable])), 3),
        "unanswerable_refused": round(
            float(np.mean([refused[id(c)] for c in cases if not c.item.answerable] or [0])), 3
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--write", action="store_true", help=f"write {CALIBRATION_FILE.name}")
    args = parser.parse_args()
    items = read_items(args.questions)
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_app(Settings(_env_file=None, data_dir=Path(tmp))) as app,
    ):
        app.library.ingest([args.corpus])
        cases = collect(app, items)
    parts = sorted({c.item.id.split("-")[0] for c in cases})
    print(f"{len(cases)} questions, parts {parts}")
    print(
        "held out | answer_hit refusal_acc false_ref unanswerable_refused (fit on the other parts)"
    )
    for part in parts:
        train = [c for c in cases if not c.item.id.startswith(part + "-")]
        test = [c for c in cases if c.item.id.startswith(part + "-")]
        w, sel, _ = fit_selection(train)
        cov = fit_coverage(train, w, sel)
        m = metrics(test, w, sel, cov)
        print(
            f"{part:>8} | {m['answer_hit']:10} {m['refusal_accuracy']:11} "
            f"{m['false_refusals']:9} {m['unanswerable_refused']}"
        )
    w, sel, _ = fit_selection(cases)
    cov = fit_coverage(cases, w, sel)
    print("all (fit on all):", metrics(cases, w, sel, cov))
    print("weights:", dataclasses.asdict(w), sel)
    print("coverage:", cov)
    if args.write:
        CALIBRATION_FILE.write_text(
            json.dumps(
                {
                    "fitted_on": f"{args.questions.name}: {len(cases)} questions",
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
