"""`nhsbot ingest URL`, `nhsbot sources` and `nhsbot rebuild` as subprocesses, against a real
web server on 127.0.0.1 (which only NHSBOT_ALLOW_LOOPBACK_FETCH lets them reach)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from websites import Site, serve

from vectorstore.store import ChromaStore, embedded_client

ROOT = Path(__file__).resolve().parents[2]
PARAGRAPHS = [
    "Leeds teaching hospitals will share intensive care records with the regional secure "
    "data environment from January, the trust board agreed on Tuesday.",
    "Only accredited analysts working inside the environment can query the records, and no "
    "row-level data leaves it, the trust's data protection officer said.",
]


@pytest.fixture
def news() -> Iterator[tuple[Site, object]]:
    """A news site on 127.0.0.1 with one article; the test stops the server itself."""
    site = Site()
    server = serve(site)
    site.base = f"http://127.0.0.1:{site.port}"
    site.article("/news/leeds-icu", "Leeds shares intensive care records", PARAGRAPHS)
    yield site, server
    server.shutdown()
    server.server_close()


def start(args: list[str], data_dir: Path, **env: str) -> subprocess.Popen[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("NHSBOT_")}
    base.pop("DISCORD_TOKEN", None)
    base.update({"NHSBOT_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1",
                 "PYTHONPATH": str(ROOT), **env})  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args], cwd=data_dir.parent, env=base,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def finish(proc: subprocess.Popen[str]) -> tuple[str, str]:
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err[-3000:]
    return out, err


def manifest(data_dir: Path) -> tuple[dict[str, tuple[str, str, str]], int]:
    """(content hash, title, url) by document id, and the chunk count."""
    store = ChromaStore(embedded_client(data_dir / "chroma"))
    docs = {
        doc_id: (rec.content_hash, str(rec.metadata["title"]), str(rec.metadata["url"]))
        for doc_id, rec in store.documents().items()
    }
    return docs, store.count()


def test_ingest_url_sources_and_offline_rebuild(news: tuple[Site, object], tmp_path: Path) -> None:
    site, server = news
    url = f"{site.base}/news/leeds-icu"
    allowed, refused = tmp_path / "allowed" / "data", tmp_path / "refused" / "data"
    allowed.mkdir(parents=True)
    refused.mkdir(parents=True)
    ingest = ["ingest", url, f"{url}?utm_source=newsletter&fbclid=abc"]
    stored = start(ingest, allowed, NHSBOT_ALLOW_LOOPBACK_FETCH="true")
    blocked = start(["ingest", url], refused)  # the production default: loopback refused

    out, _ = finish(stored)
    assert out.strip() == "1 added, 0 changed, 1 skipped, 0 pruned, 0 failed"  # one document
    out, err = blocked.communicate(timeout=240)
    assert blocked.returncode == 1  # nothing could be ingested
    assert out.strip() == "0 added, 0 changed, 0 skipped, 0 pruned, 1 failed"
    assert f"failed: {url}: 127.0.0.1 is a loopback address" in err
    assert len(site.hits("/news/leeds-icu")) == 2  # both spellings; the refused run never called

    out, _ = finish(start(["sources"], allowed))
    title, where = out.splitlines()[:2]
    assert title == "Leeds shares intensive care records — Health News, 2026-11-02"
    assert where.strip().startswith(f"{url}  [url] (")
    assert "last fetched " in where

    server.shutdown()  # type: ignore[attr-defined]
    server.server_close()  # type: ignore[attr-defined]  # offline from here on
    before = tmp_path / "before"
    shutil.copytree(allowed, before)
    shutil.rmtree(allowed / "chroma")
    out, err = finish(start(["rebuild"], allowed))
    assert out.strip() == "1 added, 0 changed, 0 skipped, 0 pruned, 0 failed", err[-2000:]
    rebuilt, chunks = manifest(allowed)
    assert (rebuilt, chunks) == manifest(before) and chunks > 0
