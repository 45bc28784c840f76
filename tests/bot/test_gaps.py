"""Knowledge gaps: the store (real SQLite), what is recorded and when, and the report grouped
by meaning (the real embedding model and the real index of the test corpus)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sqlite3
from pathlib import Path

import pytest

from bot.app import App
from bot.gap_report import GROUP_THRESHOLD, group_by_meaning
from bot.gap_store import GapStore, today
from bot.gaps import FILE_NAME, Gaps, open_gaps

NHS_NUMBER = "9997654323"  # valid, never issued
PERSONAL = (
    f"can the police see my gp record? my nhs number is {NHS_NUMBER}, "
    "email jo.bloggs@example.org, phone 07700 900123, I live at SW1A 1AA"
)
GROUPS = Path(__file__).parents[2] / "eval" / "gaps" / "groups.jsonl"
RAW = (NHS_NUMBER, "999 765 4323", "jo.bloggs", "example.org", "07700 900123", "900123", "SW1A")


def gaps_on(tmp_path: Path, app: App, days: int = 30) -> Gaps:
    return open_gaps(tmp_path, keep=True, days=days, embedder=app.embedder, index=app.library.index)


def rows(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT day, guild_id, reason, question FROM gaps ORDER BY id").fetchall()


def test_a_refused_question_is_kept_redacted_with_only_guild_and_day(
    tmp_path: Path, app: App
) -> None:
    gaps = gaps_on(tmp_path, app)
    question = app.answerer.read(PERSONAL)
    answer = app.answerer.ask(question)
    assert answer.refused
    gaps.record(question, answer, guild_id=42, answer_id="a1b2c3")
    gaps.close()
    ((day, guild, reason, text),) = rows(tmp_path / FILE_NAME)
    assert (day, guild, reason) == (today().isoformat(), 42, "refused")
    assert text == (
        "can the police see my gp record? my nhs number is [NHS number], "
        "email [email], phone [phone number], I live at [postcode]"
    )
    stored = (tmp_path / FILE_NAME).read_bytes()
    for raw in RAW:
        assert raw.encode() not in stored, raw
    assert b"a1b2c3" not in stored  # no answer id either


def test_answered_questions_are_kept_only_after_a_thumbs_down(tmp_path: Path, app: App) -> None:
    gaps = gaps_on(tmp_path, app)
    question = app.answerer.read(f"who won the fdp contract? ask {NHS_NUMBER}")
    answer = app.answerer.ask(question)
    assert not answer.refused
    gaps.record(question, answer, guild_id=7, answer_id="feed01")
    gaps.record(question, answer)  # the terminal: no answer id, no vote buttons
    assert rows(tmp_path / FILE_NAME) == []  # waiting in memory, not on disk

    gaps.voted("feed01", down=True)
    gaps.voted("feed01", down=True)  # a second 👎 adds nothing
    gaps.voted("unknown", down=True)
    ((_, guild, reason, text),) = rows(tmp_path / FILE_NAME)
    assert (guild, reason, text) == (7, "downvoted", "who won the fdp contract? ask [NHS number]")

    gaps.voted("feed01", down=False)  # every 👎 taken back: forgotten
    assert rows(tmp_path / FILE_NAME) == []
    gaps.close()
    assert NHS_NUMBER.encode() not in (tmp_path / FILE_NAME).read_bytes()


def test_with_gaps_off_nothing_is_written_and_a_leftover_database_is_deleted(
    tmp_path: Path, app: App
) -> None:
    leftover = GapStore(tmp_path / FILE_NAME)
    leftover.add("an old question", reason="refused")
    leftover.close()
    gaps = open_gaps(tmp_path, keep=False, days=30, embedder=app.embedder, index=app.library.index)
    assert not gaps.enabled and not (tmp_path / FILE_NAME).exists()
    question = app.answerer.read("best recipe for banana bread")
    gaps.record(question, app.answerer.ask(question), guild_id=1, answer_id="ab")
    gaps.voted("ab", down=True)
    assert list(tmp_path.iterdir()) == []
    report = gaps.report()
    assert report.to_json() == {
        "enabled": False, "days": 30, "retention_days": 30, "questions": 0, "groups": []
    }  # fmt: skip


def test_retention_on_open_and_on_listing_and_the_days_window(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    store = GapStore(path, retention_days=30)
    for _ in range(3):
        store.add("kept", reason="refused", guild_id=1)
    store.add("other guild", reason="downvoted", guild_id=2)
    with sqlite3.connect(path) as db:
        for age, text in ((30, "expired"), (29, "oldest kept"), (5, "last week")):
            day = (today() - dt.timedelta(days=age)).isoformat()
            db.execute(
                "INSERT INTO gaps (day, guild_id, reason, question) VALUES (?, 1, 'refused', ?)",
                (day, text),
            )
    assert [g.question for g in store.since(7)] == ["kept"] * 3 + ["other guild", "last week"]
    assert "expired" not in [g.question for g in store.since(30)]  # deleted when listing
    assert [g.question for g in store.since(30, guild_id=2)] == ["other guild"]
    assert [g.question for g in store.since(1, guild_id=1)] == ["kept"] * 3
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE gaps SET day = '2000-01-01' WHERE question = 'oldest kept'")
    reopened = GapStore(path, retention_days=30)  # deleted when the store opens
    assert "oldest kept" not in [question for *_, question in rows(path)]
    reopened.close()
    assert b"oldest kept" not in path.read_bytes() and b"expired" not in path.read_bytes()


def test_report_groups_by_meaning_most_asked_first_with_the_nearest_source(
    tmp_path: Path, app: App
) -> None:
    gaps = gaps_on(tmp_path, app)
    asked = [
        "best recipe for banana bread",
        "how many staff does palantir have in the uk",
        "how many staff does palantir employ in the uk?",
        "best banana bread recipe",
        "how many people does palantir have working in the uk",
        "will cops read my gp notes",
    ]
    assert gaps.store is not None
    for text in asked:
        gaps.store.add(text, reason="refused", guild_id=5)
    gaps.store.add("will the police read my gp notes", reason="downvoted", guild_id=6)
    report = gaps.report()
    out = json.loads(json.dumps(report.to_json()))
    assert out["enabled"] is True and out["days"] == out["retention_days"] == 30
    assert out["questions"] == 7
    counts = [(g["count"], g["question"]) for g in out["groups"]]
    assert [c for c, _ in counts] == [3, 2, 2]
    staff, police, bread = out["groups"]  # ties: the most recent group first
    assert "palantir" in staff["question"] and staff["refused"] == 3
    assert len(staff["examples"]) == 2 and staff["question"] not in staff["examples"]
    assert staff["nearest_source"]["title"] == "Test brief: the Federated Data Platform contract"
    assert staff["nearest_source"]["url"] == "https://example.org/fdp-contract"
    assert (police["refused"], police["downvoted"]) == (1, 1)
    assert "banana" in bread["question"]
    assert staff["first_day"] == staff["last_day"] == today().isoformat()
    only_five = gaps.report(guild_id=5)
    assert only_five.questions == 6 and [g.count for g in only_five.groups] == [3, 2, 1]
    assert gaps.report(400).days == 30  # nothing older is kept
    gaps.close()


def test_grouping_threshold_holds_its_measured_precision(app: App) -> None:
    """bench/gap_threshold.py chose GROUP_THRESHOLD on eval/gaps/groups.jsonl: in file order
    most questions put together mean the same, and near-verbatim repeats always join."""
    lines = [json.loads(line) for line in GROUPS.read_text().splitlines()]
    labelled = [(q, n) for n, line in enumerate(lines) for q in line["questions"]]
    vectors = app.embedder.embed([q for q, _ in labelled])
    together = {
        pair for group in group_by_meaning(vectors, GROUP_THRESHOLD)
        for pair in itertools.combinations(group, 2)
    }  # fmt: skip
    same = {
        (i, j) for i, j in itertools.combinations(range(len(labelled)), 2)
        if labelled[i][1] == labelled[j][1]
    }  # fmt: skip
    precision, recall = len(together & same) / len(together), len(together & same) / len(same)
    assert precision >= 0.55 and recall >= 0.2, (precision, recall)
    repeats = app.embedder.embed(
        ["can the police see my gp record", "can the police see my GP record?",
         "can police see my gp records", "how much is the fdp contract worth"]
    )  # fmt: skip
    assert group_by_meaning(repeats) == [[0, 1, 2], [3]]


@pytest.mark.parametrize("down_first", [True, False])
def test_votes_on_a_refused_answer_add_nothing_more(
    tmp_path: Path, app: App, down_first: bool
) -> None:
    gaps = gaps_on(tmp_path, app)
    question = app.answerer.read("best recipe for banana bread")
    gaps.record(question, app.answerer.ask(question), answer_id="cafe")
    gaps.voted("cafe", down=down_first)
    gaps.voted("cafe", down=not down_first)
    assert [reason for _, _, reason, _ in rows(tmp_path / FILE_NAME)] == ["refused"]
    gaps.close()


def test_a_write_that_fails_is_logged_without_the_question_and_costs_no_answer(
    tmp_path: Path, app: App, caplog: pytest.LogCaptureFixture
) -> None:
    gaps = gaps_on(tmp_path, app)
    assert gaps.store is not None
    gaps.store.close()  # every write now fails
    question = app.answerer.read(f"best recipe for banana bread {NHS_NUMBER}")
    gaps.record(question, app.answerer.ask(question), guild_id=1)
    answered = app.answerer.read("who won the fdp contract")
    gaps.record(answered, app.answerer.ask(answered), answer_id="beef")
    gaps.voted("beef", down=True)
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2 and all("could not keep a question" in w for w in warnings)
    assert not any("banana" in w or "fdp" in w or NHS_NUMBER in w for w in warnings)
