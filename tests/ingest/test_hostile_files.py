"""Hostile files in a folder: each bad one is reported by name with its reason, the rest of the
run is stored, nothing outside the folder is read, and the limits hold (real files, real PDFs,
real links and FIFOs, a real store and model)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from pdfs import ALIAS_BOMB, deflate_bomb_pdf, encrypted_pdf

from ingest.documents import LoadError
from ingest.files import Candidate, read_candidate
from ingest.limits import MAX_FILE_BYTES, MAX_TITLE_CHARS, Limits
from ingest.sync import Ingestor, SyncReport
from vectorstore.store import ChromaStore

GOOD = {
    "audit.txt": "Audit logs\n\nEvery query on the platform is written to an audit log that "
    "the Caldicott guardian reviews each month.",
    "opt-out.md": "---\ntitle: Opt-out rules\n---\nThe national data opt-out applies across "
    "every health and care organisation in England.",
}


def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in GOOD.items():
        (folder / name).write_text(text)
    return folder


def failures(report: SyncReport) -> dict[str, str]:
    return {Path(name).name: reason for name, reason in report.failed}


def stored_text(store: ChromaStore) -> str:
    return "\n".join(text for _, text, _ in store.all_chunks())


def assert_good_stored(report: SyncReport, store: ChromaStore) -> None:
    assert sorted(Path(n).name for n in report.added) == sorted(GOOD)
    assert "Caldicott guardian reviews each month" in stored_text(store)


def test_alias_bomb_in_a_folder_is_reported_and_the_rest_stored(
    tmp_path: Path, ingestor: Ingestor, store: ChromaStore
) -> None:
    folder = corpus(tmp_path)
    (folder / "bomb.md").write_text(ALIAS_BOMB)
    report = ingestor.sync_paths([folder])
    assert "anchors or aliases" in failures(report)["bomb.md"]
    assert_good_stored(report, store)


def test_encrypted_pdfs_with_an_empty_password_are_read_others_reported(
    tmp_path: Path, ingestor: Ingestor, store: ChromaStore
) -> None:
    folder = corpus(tmp_path)
    (folder / "aes.pdf").write_bytes(encrypted_pdf(["The AES report names the data processor."]))
    (folder / "rc4.pdf").write_bytes(
        encrypted_pdf(["The older report uses RC4 encryption."], algorithm="RC4-128")
    )
    (folder / "locked.pdf").write_bytes(encrypted_pdf(["Secret."], password="letmein"))
    report = ingestor.sync_paths([folder])
    assert set(failures(report)) == {"locked.pdf"}
    assert "encrypted with a password" in failures(report)["locked.pdf"]
    assert {"aes.pdf", "rc4.pdf"} <= {Path(n).name for n in report.added}
    text = stored_text(store)
    assert "The AES report names the data processor." in text and "RC4 encryption" in text
    assert "Secret" not in text


def test_pdf_deflate_bomb_is_stopped_at_the_stream_limit(
    tmp_path: Path, ingestor: Ingestor, store: ChromaStore
) -> None:
    folder = corpus(tmp_path)
    bomb = deflate_bomb_pdf(60_000_000)  # under pypdf's own 75 MB: our 20 MB limit stops it
    assert len(bomb) < 100_000
    (folder / "bomb.pdf").write_bytes(bomb)
    report = ingestor.sync_paths([folder])
    assert "20,000,000 bytes a stream" in failures(report)["bomb.pdf"]
    assert_good_stored(report, store)


def test_file_names_that_are_not_utf8_or_have_control_characters_are_reported(
    tmp_path: Path, ingestor: Ingestor, store: ChromaStore
) -> None:
    folder = corpus(tmp_path)
    fd = os.open(os.fsencode(folder) + b"/caf\xe9.txt", os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(fd, b"A file whose name is Latin-1, not UTF-8.")
    os.close(fd)
    (folder / "forged\nWARNING all fine.txt").write_text("A name that forges a log line.")
    report = ingestor.sync_paths([folder])
    reason = failures(report)["caf\\xe9.txt"]
    assert "not valid UTF-8; rename" in reason and "caf\\xe9.txt" in reason
    forged = failures(report)["forged\\nWARNING all fine.txt"]
    assert "control characters; rename" in forged and "\n" not in forged
    assert_good_stored(report, store)
    "\n".join(n + r for n, r in report.failed).encode("utf-8")  # printable as it is


def test_links_never_lead_out_of_the_folder(
    tmp_path: Path, ingestor: Ingestor, store: ChromaStore
) -> None:
    folder = corpus(tmp_path)
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.md").write_text("The secret outside the corpus is swordfish.")
    (folder / "sub").mkdir()
    (folder / "sub" / "real.txt").write_text("Real notes\n\nA file reached by a link inside.")
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "secret.md").symlink_to(outside / "secret.md")
    (folder / "relative.md").symlink_to(Path("..") / "private" / "secret.md")
    (folder / "inside.txt").symlink_to(folder / "sub" / "real.txt")
    (folder / "etc").symlink_to("/etc")
    (folder / "broken.md").symlink_to(folder / "nowhere.md")
    report = ingestor.sync_paths([folder])
    failed = failures(report)
    for name in ("passwd.txt", "secret.md", "relative.md"):
        assert "skipped: a link to a file outside the folder" in failed[name]
    assert "a link to a folder" in failed["etc"] and "broken link" in failed["broken.md"]
    assert [Path(n).name for n in report.added].count("real.txt") == 1  # once, not twice
    text = stored_text(store)
    assert "root:" not in text and "swordfish" not in text
    assert "A file reached by a link inside." in text
    assert_good_stored(SyncReport(added=[n for n in report.added if Path(n).name in GOOD]), store)


def test_fifos_and_devices_are_skipped_never_opened(
    tmp_path: Path, ingestor: Ingestor, store: ChromaStore
) -> None:
    folder = corpus(tmp_path)
    os.mkfifo(folder / "pipe.txt")
    os.mkfifo(tmp_path / "given.md")
    (tmp_path / "null.txt").symlink_to("/dev/null")  # an explicit path may be a link
    result: list[SyncReport] = []
    paths = [folder, tmp_path / "given.md", tmp_path / "null.txt"]
    worker = threading.Thread(target=lambda: result.append(ingestor.sync_paths(paths)))
    worker.daemon = True
    worker.start()
    worker.join(timeout=120)
    assert result, "ingestion hung on a FIFO"
    failed = failures(result[0])
    assert "a FIFO (named pipe), not a regular file" in failed["pipe.txt"]
    assert "a FIFO (named pipe), not a regular file" in failed["given.md"]
    # an explicit link is named by where it leads (as the store names it): /dev/null
    assert "null.txt: skipped: a character device, not a regular file" in failed["null"]
    assert_good_stored(result[0], store)


def test_oversized_file_is_refused_before_it_is_read(
    tmp_path: Path, ingestor: Ingestor, store: ChromaStore
) -> None:
    folder = corpus(tmp_path)
    big = folder / "big.txt"
    with open(big, "wb") as handle:
        handle.truncate(50_000_000)  # a sparse 50 MB file
    io_before = _bytes_read()
    with pytest.raises(LoadError, match=f"over the {MAX_FILE_BYTES:,}-byte limit"):
        read_candidate(Candidate(big, folder.resolve()), MAX_FILE_BYTES)
    assert _bytes_read() - io_before < 1_000_000  # fstat said no: nothing was read
    report = ingestor.sync_paths([folder])
    assert "50,000,000 bytes, over the" in failures(report)["big.txt"]
    assert_good_stored(report, store)


def _bytes_read() -> int:
    fields = dict(line.split(": ") for line in Path("/proc/self/io").read_text().splitlines())
    return int(fields["rchar"])


def test_text_over_the_length_limit_is_refused_whole(
    tmp_path: Path, ingestor: Ingestor, store: ChromaStore
) -> None:
    folder = corpus(tmp_path)
    sentence = "The audit log records every query made on the platform. "
    (folder / "long.txt").write_text("Long notes\n\n" + sentence * 40_000)  # 2.3 M characters
    report = ingestor.sync_paths([folder])
    assert "characters of text, over the 2,000,000 limit" in failures(report)["long.txt"]
    assert_good_stored(report, store)
    small = Ingestor(store, ingestor.embedder, limits=Limits(file_bytes=50))
    again = small.sync_paths([folder / "audit.txt"])
    assert "over the 50-byte limit" in failures(again)["audit.txt"]


def test_long_titles_are_cut(tmp_path: Path, ingestor: Ingestor, store: ChromaStore) -> None:
    doc = tmp_path / "titled.md"
    doc.write_text(f"---\ntitle: {'Very long title ' * 500}\n---\nThe body says something.")
    report = ingestor.sync_paths([doc])
    assert len(report.added) == 1
    (record,) = store.documents().values()
    assert len(str(record.metadata["title"])) <= MAX_TITLE_CHARS
