"""`nhsbot eval FILE [FILE ...]`: each question set's figures, overall and by category and kind
of answer, for one or more answer generators side by side.

`--corpus DIR [DIR ...]` answers from a scratch store built from those folders instead of the
configured one (the blind set's own documents are not ours to keep). A set under `eval/blind/`
is reported as blind: it was written without sight of the scorer, the calibration or our own
questions, and nothing is tuned on it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bot.answering.generation.backends import BACKENDS
from bot.app import App, generator_from_settings, open_app, warm
from bot.evaluate import EvalItem, Report, evaluate, read_items

BLIND_FOLDER = "blind"


def add_eval_parser(sub: Any) -> None:
    p = sub.add_parser("eval", help="measure retrieval and answers on JSONL question sets")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("-k", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.add_argument("--details", action="store_true", help="print each question's outcome")
    p.add_argument(
        "--llm",
        default=None,
        help="answer generators to compare, comma-separated: extractive,llamacpp,openai "
        "(default: NHSBOT_LLM)",
    )
    p.add_argument(
        "--corpus",
        nargs="+",
        type=Path,
        default=None,
        metavar="DIR",
        help="answer from a scratch store of these folders (default: the configured store)",
    )


def cmd_eval(app: App, args: argparse.Namespace) -> int:
    kinds = [k.strip().lower() for k in (args.llm or app.settings.llm).split(",") if k.strip()]
    unknown = [k for k in kinds if k not in ("extractive", *BACKENDS)]
    if unknown or not kinds:
        known = ", ".join(("extractive", *BACKENDS))
        print(f"error: unknown generator {unknown}: use {known}", file=sys.stderr)
        return 2
    try:
        sets = {path: read_items(path) for path in args.files}
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with scratch_app(app, args.corpus) if args.corpus else contextlib.nullcontext(app) as used:
        results = {path: run_set(used, items, kinds, args) for path, items in sets.items()}
    if args.json:
        tables = {str(path): table for path, table in results.items()}
        print(json.dumps(next(iter(tables.values())) if len(tables) == 1 else tables))
        return 0
    for path, table in results.items():
        if len(results) > 1 or is_blind(path):
            print(f"\n== {path}" + (" (blind: never tuned on)" if is_blind(path) else ""))
        print_table(table, kinds)
    return 0


def is_blind(path: Path) -> bool:
    return BLIND_FOLDER in path.parts


@contextlib.contextmanager
def scratch_app(app: App, folders: Sequence[Path]) -> Iterator[App]:
    """An app on a temporary store holding `folders` (the same embedding model)."""
    with tempfile.TemporaryDirectory(prefix="nhsbot-eval-") as tmp:
        settings = app.settings.model_copy(
            update={"data_dir": Path(tmp), "chroma_host": "", "llm": "extractive"}
        )
        with open_app(settings, app.embedder) as scratch:
            report = scratch.library.ingest(list(folders))
            for name, reason in report.failed:
                print(f"failed: {name}: {reason}", file=sys.stderr)
            print(f"eval store: {report.summary()}", file=sys.stderr)
            yield scratch


def run_set(
    app: App, items: list[EvalItem], kinds: list[str], args: argparse.Namespace
) -> dict[str, dict[str, Any]] | dict[str, Any]:
    """Each generator's figures on one set (one generator: its figures alone)."""
    table: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        generator = generator_from_settings(app.settings, kind)
        try:
            warm(generator)
            report = evaluate(items, app.answerer.with_generator(generator), args.k, kind)
        finally:
            if generator is not None:
                generator.close()  # a local model's process: one at a time
        table[kind] = {
            **report.metrics(),
            "by_category": report.breakdown("category"),
            "by_kind": report.breakdown("kind"),
        }
        if args.details:
            print_details(report)
    return table[kinds[0]] if len(kinds) == 1 else table


def print_table(table: dict[str, Any], kinds: list[str]) -> None:
    by_kind = {kinds[0]: table} if len(kinds) == 1 else table
    names = [n for n in dict.fromkeys(n for m in by_kind.values() for n in m) if "by_" not in n]
    print(f"{'':>22}  " + "  ".join(f"{k:>20}" for k in kinds))
    for name in names:
        cells = "  ".join(f"{str(by_kind[k].get(name, '–')):>20}" for k in kinds)
        print(f"{name:>22}  {cells}")
    for kind, metrics in by_kind.items():
        for key in ("by_category", "by_kind"):
            print(f"\n{kind}, {key.replace('_', ' ')}:")
            print_breakdown(metrics[key])


def print_breakdown(rows: dict[str, dict[str, Any]]) -> None:
    columns = ("questions", "right", "answer_hit", "false_refusals", "unanswerable_refused")
    print(f"{'':>14}" + "".join(f"{c:>22}" for c in columns))
    for name, row in rows.items():
        print(f"{name:>14}" + "".join(f"{str(row.get(c, '–')):>22}" for c in columns))


def print_details(report: Report) -> None:
    for r in report.results:
        mark = "ok " if r.right else "BAD"
        print(
            f"{mark} {r.item.id} rank={r.gold_rank} refused={r.answer.refused} "
            f"generator={r.answer.generator} {r.seconds:.1f}s | {r.item.q}"
        )
        print(f"      {r.answer.answer[:300]}")
