"""How well "Check against sources" tells supported, contradicted and uncovered claims apart.

    python bench/claims_bench.py [--claims eval/claims.jsonl] [--sweep] [--show] [--out FILE]

Each claim (`{"claim", "stance": supports|contradicts|not_covered}`) is checked against the
bundled corpus, ingested into a scratch store. Prints accuracy per stance and the confusion
table. `--sweep` tries threshold combinations (tune on eval/claims.jsonl only: the blind set,
eval/blind/claims.jsonl, is for reporting).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answering.stance import ClaimChecker, Thresholds, claims_in, overall  # noqa: E402
from bot.app import open_app  # noqa: E402
from bot.settings import Settings  # noqa: E402

STANCES = ("supports", "contradicts", "not covered")


def read_claims(path: Path) -> list[dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    for item in items:
        item["stance"] = item["stance"].replace("_", " ")
    return items


def score(checker: ClaimChecker, items: list[dict]) -> tuple[Counter, list[tuple[dict, str]]]:
    confusion: Counter = Counter()
    got = []
    for item in items:
        stance = checker.check(item["claim"]).stance
        confusion[(item["stance"], stance)] += 1
        got.append((item, stance))
    return confusion, got


def render(name: str, confusion: Counter) -> str:
    total = sum(confusion.values())
    right = sum(confusion[(s, s)] for s in STANCES)
    lines = [f"## {name}: {right}/{total} right ({right / total:.3f})", ""]
    lines.append("| labelled \\ checked | " + " | ".join(STANCES) + " | right |")
    lines.append("|---|" + "---:|" * (len(STANCES) + 1))
    for s in STANCES:
        row = [confusion[(s, t)] for t in STANCES]
        n = sum(row)
        lines.append(f"| {s} | " + " | ".join(map(str, row)) + f" | {row[STANCES.index(s)]}/{n} |")
    wrong_contra = sum(confusion[(s, "contradicts")] for s in STANCES if s != "contradicts")
    wrong_support = sum(confusion[(s, "supports")] for s in STANCES if s != "supports")
    lines += ["", f"claims wrongly called contradicted: {wrong_contra}; wrongly called "
              f"supported: {wrong_support}", ""]  # fmt: skip
    return "\n".join(lines)


def sweep(checker: ClaimChecker, items: list[dict]) -> list[tuple[int, int, Thresholds]]:
    """Every combination: (right, wrong verdicts of supports/contradicts, thresholds). Each
    claim is searched once; only the verdicts are made again."""
    found = [[(c, checker.readings(c)) for c in claims_in(item["claim"])] for item in items]
    out = []
    names = (
        "support_similarity", "support_share", "support_own_share",
        "contradict_similarity", "contradict_share",
    )  # fmt: skip
    grid = itertools.product(
        (0.65, 0.7), (0.4, 0.5), (0.0, 0.2, 0.3, 0.4), (0.65, 0.7), (0.5, 0.6, 0.7)
    )
    for values in grid:
        checker.thresholds = Thresholds(**dict(zip(names, values)))
        confusion: Counter = Counter()
        for item, claims in zip(items, found):
            got = overall(checker.judge(c, r)[0] for c, r in claims)
            confusion[(item["stance"], got)] += 1
        right = sum(confusion[(s, s)] for s in STANCES)
        confident_wrong = sum(
            n for (want, got), n in confusion.items() if got != want and got != "not covered"
        )
        out.append((right, confident_wrong, checker.thresholds))
    return sorted(out, key=lambda r: (-(r[0] - 2 * r[1]), r[1]))  # a wrong verdict costs two


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--claims", type=Path, nargs="+", default=[ROOT / "eval" / "claims.jsonl"])
    p.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    p.add_argument("--data-dir", type=Path, default=None, help="a store already holding it")
    p.add_argument("--sweep", action="store_true")
    p.add_argument("--show", action="store_true", help="print every claim checked wrongly")
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=args.data_dir or Path(tmp))  # type: ignore[call-arg]
        with open_app(settings) as app:
            if args.data_dir is None:
                app.library.ingest([args.corpus.resolve()])
            checker = ClaimChecker(app.answerer)
            if args.sweep:
                for right, wrong, t in sweep(checker, read_claims(args.claims[0])):
                    print(right, wrong, t)
                return 0
            report = []
            for path in args.claims:
                items = read_claims(path)
                confusion, got = score(checker, items)
                report.append(render(path.resolve().relative_to(ROOT).as_posix(), confusion))
                if args.show:
                    for item, stance in got:
                        if stance != item["stance"]:
                            print(f"{item['id']} {item['stance']} -> {stance}: {item['claim']}")
    text = "\n".join(report)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
