"""The bot's small parts on their own: feedback store, cooldown, ingest targets, texts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from discord_helpers import paths_shown
from fake_discord import FakeDiscord, Recorded

from bot.answering.question import QuestionError
from bot.discordbot.commands import resolve_ingest_target
from bot.discordbot.cooldown import Cooldown
from bot.discordbot.format import MESSAGE_CHARS
from bot.discordbot.names import FileNames
from bot.discordbot.notices import about_embed, ingest_report
from bot.feedback import FeedbackStore, new_answer_id
from ingest.sync import SyncReport


def test_feedback_keeps_votes_by_answer_id_one_per_member(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "data" / "feedback.sqlite3")
    answer_id = new_answer_id()
    store.record_answer(answer_id, ["c-1", "c-2"], refused=False)
    assert store.chunk_ids(answer_id) == ["c-1", "c-2"]
    assert store.chunk_ids("0" * 12) is None
    store.vote(answer_id, 111, up=True)
    store.vote(answer_id, 111, up=False)  # a member changing their mind replaces the vote
    tally = store.vote(answer_id, 222, up=False)
    assert (tally.up, tally.down) == (0, 2)
    store.close()
    rows = sqlite3.connect(tmp_path / "data" / "feedback.sqlite3").execute(
        "SELECT voter FROM votes"
    )
    assert all("111" not in voter and "222" not in voter for (voter,) in rows)


def test_feedback_past_retention_is_deleted_on_open(tmp_path: Path) -> None:
    path = tmp_path / "feedback.sqlite3"
    store = FeedbackStore(path)
    store.record_answer("abc", ["c"], refused=True)
    store.vote("abc", 1, up=True)
    with store._db:  # age the rows by two years
        store._db.execute("UPDATE answers SET created = '2000-01-01T00:00:00+00:00'")
        store._db.execute("UPDATE votes SET created = '2000-01-01T00:00:00+00:00'")
    store.close()
    reopened = FeedbackStore(path, retention_days=365)
    assert reopened.chunk_ids("abc") is None and reopened.tally("abc").up == 0


@pytest.mark.parametrize(
    ("seconds", "uses", "expected_waits"),
    [
        (0, [(1, 0.0), (1, 0.1)], [0, 0]),  # off
        (10, [(1, 0.0), (1, 3.0), (1, 10.5)], [0, 7.0, 0]),
        (10, [(1, 0.0), (2, 1.0), (1, 2.0)], [0, 0, 8.0]),  # per member
    ],
)
def test_cooldown(
    seconds: float, uses: list[tuple[int, float]], expected_waits: list[float]
) -> None:
    now = [0.0]
    cooldown = Cooldown(seconds, clock=lambda: now[0])
    waits = []
    for user, at in uses:
        now[0] = at
        waits.append(round(cooldown.retry_after(user), 3))
    assert waits == expected_waits
    assert "try again in 7 s" in Cooldown.message(7.0)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("doc.md", True),
        ("sub/other.md", True),
        ("missing.md", False),
        ("../secret.md", False),
        ("/etc/passwd", False),
        ("https://example.org/page", False),
    ],
)
def test_ingest_targets_stay_inside_the_corpus(tmp_path: Path, value: str, ok: bool) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    (corpus / "doc.md").write_text("# Doc\n")
    (corpus / "sub" / "other.md").write_text("# Other\n")
    (tmp_path / "secret.md").write_text("# Secret\n")
    if ok:
        assert resolve_ingest_target(value, corpus).is_relative_to(corpus.resolve())
    else:
        with pytest.raises(QuestionError):
            resolve_ingest_target(value, corpus)


def test_ingest_report_and_about_texts(tmp_path: Path) -> None:
    corpus = tmp_path / "srv" / "corpus"
    report = SyncReport(
        added=[f"{corpus}/a.md"],
        skipped=[f"{corpus}/b.md"],
        failed=[(f"{corpus}/c.pdf", f"{corpus}/c.pdf: no text")],
    )
    text = ingest_report(report, FileNames(corpus))
    assert text.splitlines() == [
        "1 added, 0 changed, 1 skipped, 0 pruned, 1 failed",
        "Added: a.md",
        "Failed: c.pdf: no text",
    ]
    embed = about_embed(12, 340, "2026-11-28T20:00:00+00:00", 365).to_dict()
    assert "12 documents, 340 passages; last ingested 2026-11-28 20:00 UTC" in str(embed)
    assert "365 days" in str(embed) and "no medical or legal advice" in embed["description"]


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("{corpus}/fdp.md", "fdp.md"),  # inside the corpus folder, stored by absolute path
        ("{corpus}/reports/fdp.pdf", "reports/fdp.pdf"),
        ("corpus/fdp.md", "fdp.md"),  # stored relative to the working folder
        ("{tmp}/elsewhere/notes.txt", "notes.txt"),  # elsewhere on the server: the name alone
        ("{corpus}2/x.md", "x.md"),  # a sibling folder is not the corpus folder
        ("docs/x.md", "docs/x.md"),  # relative, not the server's layout
        ("https://example.org/corpus/page", "https://example.org/corpus/page"),
        ("", ""),
    ],
)
def test_files_are_named_relative_to_the_corpus_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, shown: str
) -> None:
    monkeypatch.chdir(tmp_path)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    names = FileNames(Path("corpus"))  # as configured: relative to the working folder
    assert names.source(source.format(corpus=corpus, tmp=tmp_path)) == shown
    assert FileNames(corpus).source(source.format(corpus=corpus, tmp=tmp_path)) == shown


def test_reingest_report_leads_with_the_summary_and_lists_only_what_changed() -> None:
    corpus = Path("/srv/nhsbot/corpus")
    names = FileNames(corpus)
    unchanged = [f"{corpus}/brief-{i:02d}-on-the-federated-data-platform.md" for i in range(61)]
    report = SyncReport(changed=[f"{corpus}/opt-out.md"], skipped=unchanged)
    text = ingest_report(report, names)
    assert text == "0 added, 1 changed, 61 skipped, 0 pruned, 0 failed\nChanged: opt-out.md"
    assert "/srv" not in text and "brief-" not in text


def test_long_reports_fit_one_message_and_count_what_is_left_out() -> None:
    corpus = Path("/srv/nhsbot/corpus")
    added = [f"{corpus}/new/brief-{i:03d}-with-a-rather-long-file-name.md" for i in range(150)]
    failed = [
        (f"{corpus}/bad-{i}.pdf", f"{corpus}/bad-{i}.pdf: no text (scanned?)") for i in range(3)
    ]
    text = ingest_report(SyncReport(added=added, failed=failed), FileNames(corpus))
    lines = text.splitlines()
    assert len(text) <= MESSAGE_CHARS
    assert lines[0] == "150 added, 0 changed, 0 skipped, 0 pruned, 3 failed"
    assert lines[1].startswith(
        "Added: new/brief-000-with-a-rather-long-file-name.md, new/brief-001"
    )
    shown = lines[1].count(".md")
    assert lines[-1] == f"… and {150 - shown + 3} more."  # the failures come after the list
    assert "/srv" not in text


def test_the_server_path_scan_finds_a_path_in_any_request() -> None:
    fake = FakeDiscord()
    FakeDiscord.instances.remove(fake)  # only this test looks at it
    fake.requests.append(Recorded("POST", "/api/v10/webhooks/1/t", {}, {"content": "Added: a.md"}))
    assert paths_shown(fake, {"/srv/"}) == []
    embed = {"embeds": [{"fields": [{"name": "[1] x", "value": "/srv/corpus/wales.txt"}]}]}
    fake.requests.append(Recorded("PATCH", "/api/v10/webhooks/1/t/messages/@original", {}, embed))
    (found,) = paths_shown(fake, {"/srv/", "/home/"})
    assert found.startswith("PATCH /api/v10/webhooks/1/t/messages/@original: ['/srv/']")
