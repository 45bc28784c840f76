"""The sync job on a real store: idempotent, replace-on-change, prune, bad files reported."""

import shutil
from pathlib import Path

from pdfs import scanned_pdf

from bot.app import App


def _copy_corpus(fixture_corpus: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    shutil.copytree(fixture_corpus, folder)
    return folder


def test_idempotent_change_and_prune(fresh_app: App, fixture_corpus: Path, tmp_path: Path) -> None:
    folder = _copy_corpus(fixture_corpus, tmp_path)
    first = fresh_app.library.ingest([folder])
    assert len(first.added) == 5 and not first.failed
    chunks = fresh_app.library.stats().chunks

    again = fresh_app.library.ingest([folder])
    assert (len(again.added), len(again.changed), len(again.skipped)) == (0, 0, 5)
    assert fresh_app.library.stats().chunks == chunks

    wales = folder / "wales.txt"
    wales.write_text(
        wales.read_text().replace("Swansea University", "a university in Swansea called Zephyrton")
    )
    changed = fresh_app.library.ingest([folder])
    assert [Path(n).name for n in changed.changed] == ["wales.txt"]
    hits = fresh_app.answerer.retrieve("Zephyrton university", 3)
    assert "Zephyrton" in hits[0].text
    stored = [h.text for h in fresh_app.answerer.retrieve("SAIL Databank Swansea University", 10)]
    assert not any("at Swansea University holds" in t for t in stored)  # old version gone
    assert fresh_app.library.stats().chunks == chunks

    (folder / "opt-out.md").unlink()
    kept = fresh_app.library.ingest([folder])  # without --prune nothing is removed
    assert kept.pruned == [] and fresh_app.library.stats().documents == 5
    pruned = fresh_app.library.ingest([folder], prune=True)
    assert [Path(p).name for p in pruned.pruned] == ["opt-out.md"]
    assert fresh_app.library.stats().documents == 4
    assert all(
        "opt-out.md" not in h.meta("source")
        for h in fresh_app.answerer.retrieve("national data opt-out", 5)
    )


def test_bad_files_reported_rest_ingested(
    fresh_app: App, fixture_corpus: Path, tmp_path: Path
) -> None:
    folder = _copy_corpus(fixture_corpus, tmp_path)
    (folder / "empty.md").write_text("")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (folder / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (folder / "scan.pdf").write_bytes(scanned_pdf())
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04 not supported")
    report = fresh_app.library.ingest([folder, tmp_path / "missing.md", tmp_path / "notes.docx"])
    failed = {Path(name).name: reason for name, reason in report.failed}
    assert set(failed) == {
        "empty.md",
        "binary.txt",
        "latin1.txt",
        "scan.pdf",
        "missing.md",
        "notes.docx",
    }
    assert "empty" in failed["empty.md"] and "binary" in failed["binary.txt"]
    assert "UTF-8" in failed["latin1.txt"] and "OCR" in failed["scan.pdf"]
    assert "unsupported" in failed["notes.docx"] and "No such file" in failed["missing.md"]
    assert len(report.added) == 5
    assert "1 failed" not in report.summary() and "6 failed" in report.summary()


def test_interrupted_write_is_invisible_then_swept(fresh_app: App, fixture_corpus: Path) -> None:
    """Chunks written without a manifest switch (a crash mid-write) are never returned."""
    from vectorstore.records import ChunkRecord

    fresh_app.library.ingest([fixture_corpus / "wales.txt"])
    store = fresh_app.store
    doc_id = next(iter(store.documents()))
    ghost = ChunkRecord(
        f"{doc_id}-ghost-0",
        doc_id,
        "Zebra crossings in Wales.",
        {"doc_id": doc_id, "content_hash": "ghost"},
    )
    store._chunks.upsert(
        ids=[ghost.chunk_id],
        embeddings=fresh_app.embedder.embed([ghost.text]),
        documents=[ghost.text],
        metadatas=[ghost.metadata],
    )
    fresh_app.answerer.index.refresh()
    assert all("Zebra" not in h.text for h in fresh_app.answerer.retrieve("zebra crossings", 5))
    assert store.sweep_orphans() == 1
