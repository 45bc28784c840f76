"""A learned "does this sentence answer the question?" judge: a cross-encoder fine-tuned from
the bundled MiniLM weights on the tuned set, judged held out by document group.

    python bench/cross_encoder_trial.py [--top 10] [--layers 2] [--epochs 3]

Each tuned question goes through the pipeline up to the sentence ranking; its top sentences are
labelled "answers" when the question is answerable and the sentence holds an expected string,
else "does not" (every sentence of a near miss or off-topic question). Questions are split
into three folds by document group; a model trained on two folds scores the third. Printed:
how well the judge's best score separates answerable questions from near misses (ROC AUC,
0.5 = chance) next to the coverage model's probability, and how often the judge's top sentence
holds the answer. Only the top `--layers` transformer layers (and the new head) are trained:
what would ship is a small file on top of the bundled model. The blind set is never read.
Takes about ten minutes on two cores.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from transformers import AutoModelForSequenceClassification, AutoTokenizer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from calibrate import collect, group_of  # noqa: E402

from bot.answering.decision import Refusal  # noqa: E402
from bot.answering.extractive import select  # noqa: E402
from bot.app import open_app  # noqa: E402
from bot.evaluate import read_items  # noqa: E402
from bot.settings import Settings  # noqa: E402
from vectorstore.embeddings import bundled_model_path  # noqa: E402

Pair = tuple[str, str, float]


def rows(questions: Path, corpus: Path, top: int) -> list[dict]:
    """Each question's text, labels and top sentences, from the pipeline's own steps."""
    out = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_app(Settings(_env_file=None, data_dir=Path(tmp))) as app,
    ):
        app.library.ingest([corpus])
        answerer = app.answerer
        for case in collect(app, read_items(questions)):
            refused = isinstance(case.candidates, Refusal)
            chosen = [] if refused else select(case.candidates, **answerer.calibration.selection)
            prob = 0.0
            if chosen:
                features = answerer.features(case.found, chosen)
                prob = answerer.calibration.coverage.probability(features)
            item = case.item
            sentences = [f"{s.hit.meta('title')}: {s.text}" for s in case.found.ranked[:top]]
            out.append(
                {
                    "query": case.found.question.query,
                    "answerable": item.answerable,
                    "near_miss": item.category == "near_miss",
                    "group": group_of(item),
                    "prob": prob,
                    "sentences": sentences,
                    "labels": [
                        float(
                            item.answerable
                            and any(m.lower() in s.lower() for m in item.must_contain_any)
                        )
                        for s in sentences
                    ],
                }
            )
    return out


def pairs(row: dict) -> list[Pair]:
    if row["answerable"] and not any(row["labels"]):
        return []  # its answer is phrased otherwise: no reliable negatives
    return [(row["query"], s, y) for s, y in zip(row["sentences"], row["labels"])]


def new_model(layers: int) -> torch.nn.Module:
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(bundled_model_path(), num_labels=1)
    n = model.config.num_hidden_layers
    trained = tuple(f"layer.{i}." for i in range(n - layers, n)) + ("pooler", "classifier")
    for name, p in model.named_parameters():
        p.requires_grad = any(t in name for t in trained)
    return model


def train(model: torch.nn.Module, tok: AutoTokenizer, data: list[Pair], epochs: int) -> None:
    rng = random.Random(0)
    head = [p for n, p in model.named_parameters() if p.requires_grad and "layer." not in n]
    body = [p for n, p in model.named_parameters() if p.requires_grad and "layer." in n]
    opt = torch.optim.AdamW([{"params": head, "lr": 2e-4}, {"params": body, "lr": 5e-5}])
    positives = sum(y for *_, y in data)
    weight = torch.tensor((len(data) - positives) / max(positives, 1))
    model.train()
    for _ in range(epochs):
        rng.shuffle(data)
        for i in range(0, len(data), 16):
            batch = data[i : i + 16]
            enc = tok([q for q, _, _ in batch], [s for _, s, _ in batch], truncation=True,
                      max_length=160, padding=True, return_tensors="pt")  # fmt: skip
            logits = model(**enc).logits.squeeze(-1)
            target = torch.tensor([y for *_, y in batch])
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                logits, target, pos_weight=weight
            )
            loss.backward()
            opt.step()
            opt.zero_grad()
    model.eval()


@torch.inference_mode()
def judge(model: torch.nn.Module, tok: AutoTokenizer, row: dict) -> list[float]:
    if not row["sentences"]:
        return []
    enc = tok([row["query"]] * len(row["sentences"]), row["sentences"], truncation=True,
              max_length=160, padding=True, return_tensors="pt")  # fmt: skip
    return torch.sigmoid(model(**enc).logits.squeeze(-1)).tolist()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    parser.add_argument("--top", type=int, default=10, help="sentences judged per question")
    parser.add_argument("--layers", type=int, default=2, help="top layers fine-tuned")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    data = rows(args.questions, args.corpus, args.top)
    tok = AutoTokenizer.from_pretrained(bundled_model_path())
    groups = Counter(r["group"] for r in data)
    fold = {g: i % 3 for i, (g, _) in enumerate(groups.most_common())}
    scores: list[list[float]] = [[] for _ in data]
    for f in range(3):
        model = new_model(args.layers)
        train(model, tok, [p for r in data if fold[r["group"]] != f for p in pairs(r)], args.epochs)
        for i, r in enumerate(data):
            if fold[r["group"]] == f:
                scores[i] = judge(model, tok, r)
    kept = [i for i, r in enumerate(data) if r["answerable"] or r["near_miss"]]
    y = np.array([data[i]["answerable"] for i in kept])
    best = np.array([max(scores[i], default=0.0) for i in kept])
    coverage = np.array([data[i]["prob"] for i in kept])
    print(f"{len(data)} questions, answerable vs near miss, held out by document group:")
    print(f"  ROC AUC, judge's best sentence score: {roc_auc_score(y, best):.3f}")
    print(f"  ROC AUC, coverage model probability:  {roc_auc_score(y, coverage):.3f}")
    answerable = [i for i, r in enumerate(data) if r["answerable"] and scores[i]]
    top_holds = np.mean([data[i]["labels"][int(np.argmax(scores[i]))] for i in answerable])
    first_holds = np.mean([data[i]["labels"][0] for i in answerable])
    print(
        f"  answer in the judge's top sentence: {top_holds:.3f}"
        f" (in the ranker's: {first_holds:.3f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
