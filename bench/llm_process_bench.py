"""The local model in its own process against the same model in ours: same questions, same
passages, same settings (Qwen2.5-Coder-1.5B Q4_K_M by default; greedy decoding).

    python bench/llm_process_bench.py [--sample 40] [--model FILE.gguf] [--out FILE.md]

Each question of a spread sample of the eval set is answered extractively first; each one the
sources cover (the only ones a model is asked) then goes to both: the bot's own path (a child
process running llama.cpp's server, asked through ChatOpenAI) and the in-process path nhsbot used
before (LangChain's ChatLlamaCpp in this process). Prints whether the two wrote the same text,
answer hit and time per answer for each, p50 and p95.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from llm_bench import llamacpp_model, spread  # noqa: E402
from qwen_model import assemble_qwen  # noqa: E402

from bot.answering.generation.assemble import generated_answer  # noqa: E402
from bot.answering.generation.backends import ChatGenerator, build_generator  # noqa: E402
from bot.app import open_app  # noqa: E402
from bot.evaluate import percentile, read_items  # noqa: E402
from bot.settings import Settings  # noqa: E402

CONTEXT, MAX_TOKENS, TIMEOUT_S = 4096, 256, 600.0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    p.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    p.add_argument("--sample", type=int, default=40)
    p.add_argument("--model", type=Path, default=None)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    model = args.model or assemble_qwen()
    items = spread(read_items(args.questions), args.sample)
    os.chdir(ROOT)
    child = build_generator(
        "llamacpp", model=str(model), context=CONTEXT, max_tokens=MAX_TOKENS, timeout_s=TIMEOUT_S
    )
    in_process = ChatGenerator(
        "in-process",
        lambda: llamacpp_model(model, threads=2, context=CONTEXT, max_tokens=MAX_TOKENS),
        timeout_s=TIMEOUT_S, context_tokens=CONTEXT, max_tokens=MAX_TOKENS, serial=True,
    )  # fmt: skip
    assert child is not None
    rows: dict[str, list[tuple[float, bool, str]]] = {"child process": [], "in process": []}
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_app(Settings(_env_file=None, data_dir=Path(tmp))) as app,  # type: ignore[call-arg]
    ):
        app.library.ingest([args.corpus.resolve()])
        child.warm()
        in_process.warm()
        try:
            for item in items:
                question = app.answerer.read(item.q)
                found = app.answerer.retrieve_for(question, app.answerer.top_k)
                extractive = app.answerer.compose(found, app.answerer.decide(found))
                if extractive.refused:
                    continue
                for name, gen in (("child process", child), ("in process", in_process)):
                    t = time.perf_counter()
                    answer = generated_answer(
                        question.for_model, found.hits, extractive, gen, app.answerer.verifier,
                        terms=found.terms,
                    )  # fmt: skip
                    seconds = time.perf_counter() - t
                    text = answer.answer.lower()
                    hit = any(m.lower() in text for m in item.must_contain_any)
                    rows[name].append((seconds, hit and item.answerable, answer.answer))
                print(f"{item.id}: {rows['child process'][-1][0]:.1f} s / "
                      f"{rows['in process'][-1][0]:.1f} s", file=sys.stderr)  # fmt: skip
        finally:
            child.close()
    report = render(rows, model, args, time.monotonic() - started)
    print(report)
    if args.out:
        args.out.write_text(report)
    return 0


def render(rows: dict, model: Path, args: argparse.Namespace, seconds: float) -> str:
    same = sum(a[2] == b[2] for a, b in zip(rows["child process"], rows["in process"]))
    n = len(rows["child process"])
    lines = [
        "# The local model in a child process vs in the bot's process",
        "",
        f"- command: `python bench/llm_process_bench.py --sample {args.sample}` "
        f"({seconds / 60:.0f} min)",
        f"- model: {model.name}; {n} covered questions of {args.sample} sampled, each asked of "
        "both paths with the same passages (greedy decoding)",
        f"- machine: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}; "
        f"load average at the end {os.getloadavg()[0]:.2f}",
        f"- the same answer text from both: {same} of {n}",
        "",
        "| path | answer hit | p50 s | p95 s |",
        "|---|---:|---:|---:|",
    ]
    for name, got in rows.items():
        times = [s for s, _, _ in got]
        hits = sum(h for _, h, _ in got)
        lines.append(
            f"| {name} | {hits}/{n} | {percentile(times, 50):.1f} | {percentile(times, 95):.1f} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
