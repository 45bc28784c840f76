"""How similar two questions must be to count as one knowledge gap (bot/gap_report.py).

Reads hand-written groups of questions that mean the same (eval/gaps/groups.jsonl: wordings
typed the way people write in Discord, with neighbouring groups on the same topic that ask
something else, such as an FDP contract's value and its length), embeds them with the bundled
MiniLM, and for each threshold runs the real greedy grouping over the questions in several
shuffled orders. It prints, per threshold: pairwise precision (two questions put together
really mean the same), recall (two that mean the same were put together), F1, and how many
groups came out (the right number is the number of hand-written groups).

    HF_HUB_OFFLINE=1 python bench/gap_threshold.py [--seeds 20]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.gap_report import GROUP_THRESHOLD, group_by_meaning  # noqa: E402
from vectorstore.embeddings import SentenceTransformerEmbedder  # noqa: E402

GROUPS = ROOT / "eval" / "gaps" / "groups.jsonl"
THRESHOLDS = [0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80]


def load(path: Path = GROUPS) -> tuple[list[str], list[int]]:
    """Every question, and the index of the hand-written group it belongs to."""
    questions: list[str] = []
    labels: list[int] = []
    for n, line in enumerate(path.read_text().splitlines()):
        for q in json.loads(line)["questions"]:
            questions.append(q)
            labels.append(n)
    return questions, labels


def pair_scores(groups: list[list[int]], labels: list[int]) -> tuple[float, float]:
    """(precision, recall) over pairs of questions."""
    together = {frozenset(p) for g in groups for p in itertools.combinations(g, 2)}
    same = {
        frozenset((i, j))
        for i, j in itertools.combinations(range(len(labels)), 2)
        if labels[i] == labels[j]
    }
    hit = len(together & same)
    return hit / max(len(together), 1), hit / max(len(same), 1)


def sweep(vectors: np.ndarray, labels: list[int], seeds: int) -> list[dict[str, float]]:
    rows = []
    for threshold in THRESHOLDS:
        p_sum = r_sum = n_sum = 0.0
        for seed in range(seeds):
            order = list(range(len(labels)))
            random.Random(seed).shuffle(order)
            found = group_by_meaning(vectors[order], threshold)
            groups = [[order[i] for i in g] for g in found]
            p, r = pair_scores(groups, labels)
            p_sum, r_sum, n_sum = p_sum + p, r_sum + r, n_sum + len(groups)
        p, r = p_sum / seeds, r_sum / seeds
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        rows.append({"threshold": threshold, "precision": p, "recall": r, "f1": f1,
                     "groups": n_sum / seeds})  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="shuffled orders per threshold")
    args = parser.parse_args()
    questions, labels = load()
    vectors = SentenceTransformerEmbedder().embed(questions)
    sims = vectors @ vectors.T
    pairs = list(itertools.combinations(range(len(labels)), 2))
    same = [sims[i, j] for i, j in pairs if labels[i] == labels[j]]
    other = [sims[i, j] for i, j in pairs if labels[i] != labels[j]]
    print(f"{len(questions)} questions in {len(set(labels))} groups")
    print(f"cosine, same meaning:  min {min(same):.2f}  p10 {np.percentile(same, 10):.2f}  "
          f"median {np.median(same):.2f}")  # fmt: skip
    print(f"cosine, other meaning: max {max(other):.2f}  p99 {np.percentile(other, 99):.2f}  "
          f"median {np.median(other):.2f}")  # fmt: skip
    print(f"\nthreshold  precision  recall  F1     groups (true: {len(set(labels))})")
    for row in sweep(vectors, labels, args.seeds):
        mark = "  <- GROUP_THRESHOLD" if abs(row["threshold"] - GROUP_THRESHOLD) < 1e-9 else ""
        print(f"{row['threshold']:.2f}       {row['precision']:.3f}      {row['recall']:.3f}   "
              f"{row['f1']:.3f}  {row['groups']:.1f}{mark}")  # fmt: skip


if __name__ == "__main__":
    main()
