"""A long /reingest shows its progress by editing its reply at most once per interval, then
the report replaces it. Real bot, a real app of its own, fake Discord."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from discord_driver import slash
from discord_helpers import followups, is_ephemeral, reported
from support import make_settings

from bot.app import open_app
from bot.discordbot.progress import ProgressEdits
from ingest.progress import Progress

pytestmark = pytest.mark.anyio
FIXTURES = Path(__file__).parents[1] / "fixtures" / "corpus"
PROGRESS = "Re-reading the corpus folder: "
INTERVAL_S = 0.25


async def test_a_long_reingest_edits_its_reply_with_progress_then_the_report(
    harness_factory: Any, tmp_path: Path, embedder: Any
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES, corpus)
    for i in range(24):  # enough documents to take several intervals
        (corpus / f"brief-{i:02d}.md").write_text(
            f"---\ntitle: Test brief {i}\n---\nTrust {i} shares discharge records with the "
            f"regional dashboard every night, and its patients can object by writing to it. {i}\n"
        )
    with open_app(make_settings(tmp_path / "app-data", corpus_dir=corpus), embedder) as app:
        h = await harness_factory(app, corpus_dir=corpus)
        h.services.progress_interval_s = INTERVAL_S
        token = await slash(h.fake, "reingest", user="bob")
        report = await reported(h.fake, token)

    edits = [r for r in h.fake.recorded(token) if r.method == "PATCH"]
    progress, final = edits[:-1], edits[-1]
    assert final is report and not followups(h.fake, token)
    assert report.body["content"].splitlines() == [
        "28 added, 0 changed, 0 skipped, 0 pruned, 0 failed",
        "Added: " + ", ".join(sorted(p.name for p in corpus.iterdir())),
    ]
    assert progress, "no progress was shown"
    assert all(r.body["content"].startswith(PROGRESS) for r in progress)
    assert " of 28 documents done, " in progress[-1].body["content"]
    callback = next(r for r in h.fake.recorded(token) if "/callback" in r.path)
    assert is_ephemeral(callback.body["data"])  # the reply, and so its edits, stay private
    times = [callback.at] + [r.at for r in progress]
    assert all(b - a >= INTERVAL_S * 0.9 for a, b in zip(times, times[1:]))  # at most one each


async def test_progress_edits_show_the_latest_step_once_per_interval() -> None:
    shown: list[tuple[float, str]] = []
    loop = asyncio.get_running_loop()

    async def edit(text: str) -> None:
        shown.append((loop.time(), text))

    edits = ProgressEdits(edit, lambda p: f"{p.done}/{p.total} {p.current}", 0.1)
    async with edits:
        for done in range(5):
            edits(Progress(done, 5, f"doc-{done}.md"))  # faster than the interval
            await asyncio.sleep(0.03)
        await asyncio.sleep(0.25)  # nothing new: no edit
    texts = [text for _, text in shown]
    assert texts and texts[-1] == "4/5 doc-4.md" and len(texts) == len(set(texts)) <= 3
    assert all(b - a >= 0.09 for (a, _), (b, _) in zip(shown, shown[1:]))
