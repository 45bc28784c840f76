"""An LLM yes/no guard (issue 13): asked "does this passage state the answer?", does a small
model tell answers from near misses that the extractive pipeline answered?

    python bench/llm_judge_trial.py --questions Q.jsonl [Q2.jsonl] --corpus DIR [DIR2] --out F
    python bench/llm_judge_trial.py --table F [F2 ...]     # figures from saved rows only

Each question goes through the extractive pipeline as `nhsbot eval` asks it (a follow-up with
the turn it follows). For every answer it did not refuse, Qwen2.5-Coder-1.5B (in this process,
temperature 0, 2 threads) reads the question and the quoted sentences and gives one token; the
row keeps p(yes) = P(yes) / (P(yes) + P(no)) from its log-probabilities. `--table` then shows
what refusing below each threshold would do: answer hit, near misses refused, answerable
questions wrongly refused. Choose the threshold on tuned and dev rows; read blind rows once.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from qwen_model import assemble_qwen  # noqa: E402

from bot.app import App, open_app  # noqa: E402
from bot.evaluate import EvalItem, read_items  # noqa: E402
from bot.settings import Settings  # noqa: E402

SYSTEM = "You judge whether a passage answers a question. Reply with one word: yes or no."
USER = (
    "Question: {question}\n\nPassage: {passage}\n\n"
    "Does the passage state the answer to the question? Reply yes or no."
)
THRESHOLDS = (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)


def load_model(path: Path) -> Any:
    """Qwen in this process; log-probabilities need logits kept for every position."""
    from llama_cpp import Llama

    return Llama(
        model_path=str(path), n_ctx=2048, n_batch=512, n_threads=2, logits_all=True, verbose=False
    )


def p_yes(llm: Any, question: str, passage: str) -> float:
    """P(yes) against P(no) for the model's first token (0.5 when neither is in its top 20)."""
    reply = llm.create_chat_completion(
        messages=[
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": USER.format(question=question, passage=passage)},
        ],
        max_tokens=1,
        temperature=0.0,
        logprobs=True,
        top_logprobs=20,
    )
    best = {"yes": -math.inf, "no": -math.inf}
    for option in reply["choices"][0]["logprobs"]["content"][0]["top_logprobs"]:
        word = option["token"].strip().lower()
        if word in best:
            best[word] = max(best[word], option["logprob"])
    if best["yes"] == best["no"] == -math.inf:
        return 0.5
    return 1 / (1 + math.exp(best["no"] - best["yes"]))


def judged(app: App, items: Sequence[EvalItem], llm: Any, name: str) -> Iterator[dict]:
    """One row per question: the extractive outcome and, when it answered, the model's p(yes)."""
    turns: dict[str, tuple[str, str]] = {}
    for item in items:
        history = [turns[item.follows]] if item.follows in turns else []
        question = app.answerer.read(item.q, history)
        answer = app.answerer.ask(question)
        turns[item.id] = (item.q, answer.answer)
        text = answer.answer.lower()
        row: dict[str, Any] = {
            "id": item.id,
            "set": name,
            "category": item.group,
            "answerable": item.answerable,
            "refused": answer.refused,
            "hit": not answer.refused and any(s.lower() in text for s in item.must_contain_any),
        }
        if not answer.refused:
            started = time.perf_counter()
            passage = " ".join(c.quote for c in answer.citations)
            row["p_yes"] = round(p_yes(llm, question.for_model, passage), 4)
            row["seconds"] = round(time.perf_counter() - started, 2)
        yield row


def table(rows: Sequence[dict]) -> str:
    """Per threshold: answer hit, near misses refused, answerable wrongly refused."""
    answerable = [r for r in rows if r["answerable"]]
    near = [r for r in rows if r["category"] == "near_miss"]
    seconds = sorted(r["seconds"] for r in rows if "seconds" in r)
    lines = [
        f"{len(rows)} questions ({len(answerable)} answerable, {len(near)} near misses); "
        f"judge p50 {seconds[len(seconds) // 2]:.1f} s over {len(seconds)} answers",
        "",
        "| refuse when p(yes) < | answer hit | near misses refused | wrongly refused |",
        "|---|---|---|---|",
    ]
    for t in THRESHOLDS:

        def refused(r: dict, t: float = t) -> bool:
            return r["refused"] or r.get("p_yes", 1.0) < t

        hit = sum(r["hit"] and not refused(r) for r in answerable) / len(answerable)
        wrong = sum(refused(r) for r in answerable) / len(answerable)
        caught = sum(refused(r) for r in near) / max(1, len(near))
        label = "never (extractive alone)" if t == 0 else f"{t:g}"
        lines.append(f"| {label} | {hit:.3f} | {caught:.3f} | {wrong:.3f} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--questions", type=Path, nargs="+", default=[])
    p.add_argument("--corpus", type=Path, nargs="+", default=[ROOT / "corpus"])
    p.add_argument("--out", type=Path, help="rows, one JSON object a line")
    p.add_argument("--table", type=Path, nargs="+", default=[], help="saved rows to tabulate")
    p.add_argument("--model", type=Path, default=None, help="a GGUF file (default: joined Qwen)")
    args = p.parse_args(argv)
    if args.table:
        print(table([json.loads(line) for f in args.table for line in f.read_text().splitlines()]))
        return 0
    if not args.questions or not args.out:
        p.error("--questions and --out are needed to run the model")
    llm = load_model(args.model or assemble_qwen())
    folders = [c.resolve() for c in args.corpus]
    os.chdir(ROOT)  # stored chunk ids depend on paths relative to the working folder
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_app(Settings(_env_file=None, data_dir=Path(tmp))) as app,  # type: ignore[call-arg]
        args.out.open("w") as out,
    ):
        app.library.ingest(folders)
        for path in args.questions:
            for row in judged(app, read_items(path), llm, path.stem):
                out.write(json.dumps(row) + "\n")
                out.flush()
    print(table([json.loads(line) for line in args.out.read_text().splitlines()]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
