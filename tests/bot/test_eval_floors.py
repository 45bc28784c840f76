"""The bundled corpus and eval set: quality must not fall below what we reach today.

Floors sit just under the figures in the README (`nhsbot eval eval/questions.jsonl`), so a
change to chunking, retrieval, scoring or calibration that makes answers worse fails CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import ROOT, make_settings

from bot.app import open_app
from bot.evaluate import evaluate, read_items
from vectorstore.embeddings import SentenceTransformerEmbedder

FLOORS = {
    "hit@5": 0.97,
    "mrr": 0.90,
    "answer_hit": 0.80,
    "refusal_accuracy": 0.82,
    "near_misses_refused": 0.58,
}
CEILINGS = {"false_refusals": 0.06}


@pytest.fixture(scope="module")
def metrics(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> dict:
    settings = make_settings(tmp_path_factory.mktemp("eval-data"))
    with open_app(settings, embedder) as app:
        report = app.library.ingest([ROOT / "corpus"])
        assert not report.failed and len(report.added) >= 30
        items = read_items(ROOT / "eval" / "questions.jsonl")
        return evaluate(items, app.answerer, k=5).metrics()


def test_eval_set_shape() -> None:
    items = read_items(ROOT / "eval" / "questions.jsonl")
    assert len(items) >= 100 and sum(not i.answerable for i in items) >= 25
    corpus = {p.name: p.read_text().lower() for p in Path(ROOT / "corpus").glob("*.md")}
    for item in items:
        for doc in item.gold_docs:
            assert doc in corpus, f"{item.id}: no such document {doc}"
        if item.answerable:
            texts = [corpus[d] for d in item.gold_docs]
            assert any(m.lower() in t for m in item.must_contain_any for t in texts), item.id


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_floor(metrics: dict, name: str) -> None:
    assert metrics[name] >= FLOORS[name], metrics


@pytest.mark.parametrize("name", sorted(CEILINGS))
def test_ceiling(metrics: dict, name: str) -> None:
    assert metrics[name] <= CEILINGS[name], metrics
