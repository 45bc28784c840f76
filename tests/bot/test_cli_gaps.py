"""Knowledge gaps through the real `nhsbot` command (subprocesses): `ask`, `ask -` and `chat`
record refused questions redacted when NHSBOT_KEEP_GAPS is on, `gaps --json` groups them, and
with gaps off nothing is written (and what was kept is deleted)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from support import nhsbot

NHS_NUMBER = "9995551217"  # valid, never issued
REFUSED = f"how many staff does palantir have in the uk? my nhs number is {NHS_NUMBER}"
SIMILAR = "how many staff does palantir employ in the uk? email me at jo@example.org"
ANSWERED = "who got the FDP contract?"
BREAD = "best recipe for banana bread, call 07700 900123"
RAW = (NHS_NUMBER.encode(), b"jo@example.org", b"07700 900123", b"900123")


@pytest.fixture(scope="module")
def gaps_env(tmp_path_factory: pytest.TempPathFactory, fixture_corpus: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("NHSBOT_") and k != "DISCORD_TOKEN"
    }
    env["NHSBOT_DATA_DIR"] = str(tmp_path_factory.mktemp("cli-gaps"))
    env["NHSBOT_CORPUS_DIR"] = str(fixture_corpus)
    env["NHSBOT_KEEP_GAPS"] = "true"
    env["NHSBOT_LOG_LEVEL"] = "DEBUG"  # even then no question text reaches the log
    done = nhsbot(["ingest"], env)
    assert done.returncode == 0, done.stderr
    return env


def test_ask_stream_and_chat_record_refusals_and_gaps_lists_them_grouped(
    gaps_env: dict[str, str],
) -> None:
    database = Path(gaps_env["NHSBOT_DATA_DIR"]) / "gaps.sqlite3"
    asked = nhsbot(["ask", "--json", REFUSED], gaps_env)
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["refused"] is True
    stream = nhsbot(["ask", "--json", "-"], gaps_env, stdin=f"{ANSWERED}\n{SIMILAR}\n")
    assert [json.loads(line)["refused"] for line in stream.stdout.splitlines()] == [False, True]
    chat = nhsbot(["chat"], gaps_env, stdin=f"{BREAD}\nquit\n")
    assert chat.returncode == 0 and "don't cover" in chat.stdout
    for run in (asked, stream, chat):
        assert NHS_NUMBER not in run.stderr and "palantir" not in run.stderr.lower()

    listed = nhsbot(["gaps", "--json"], gaps_env)
    assert listed.returncode == 0, listed.stderr
    report = json.loads(listed.stdout)
    assert report["enabled"] is True and report["questions"] == 3
    assert (report["days"], report["retention_days"]) == (30, 30)
    staff, bread = report["groups"]
    assert staff["count"] == 2 and staff["refused"] == 2 and staff["downvoted"] == 0
    assert {staff["question"], *staff["examples"]} == {
        "how many staff does palantir have in the uk? my nhs number is [NHS number]",
        "how many staff does palantir employ in the uk? email me at [email]",
    }
    assert staff["nearest_source"]["title"] == "Test brief: the Federated Data Platform contract"
    assert set(staff["nearest_source"]) == {"title", "source", "url", "chunk_id"}
    assert set(staff) == {"question", "count", "refused", "downvoted", "first_day",
                          "last_day", "examples", "nearest_source"}  # fmt: skip
    assert bread["question"] == "best recipe for banana bread, call [phone number]"
    assert "who got the fdp" not in listed.stdout.lower()  # answered, no 👎: not a gap

    stored = database.read_bytes()
    for raw in RAW:
        assert raw not in stored, raw

    text = nhsbot(["gaps", "--days", "1"], gaps_env)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Knowledge gaps in today: 3 questions in 2 groups")
    assert "2x  how many staff does palantir" in text.stdout
    assert "nearest source: Test brief: the Federated Data Platform contract" in text.stdout
    bad = nhsbot(["gaps", "--days", "0"], gaps_env)
    assert bad.returncode == 2 and "--days" in bad.stderr


def test_with_gaps_off_nothing_is_written_and_what_was_kept_is_deleted(
    gaps_env: dict[str, str], tmp_path: Path
) -> None:
    kept = Path(gaps_env["NHSBOT_DATA_DIR"]) / "gaps.sqlite3"
    assert nhsbot(["ask", BREAD], gaps_env).returncode == 0  # refused: kept
    assert kept.exists()
    off = {**gaps_env, "NHSBOT_KEEP_GAPS": "false"}
    asked = nhsbot(["ask", "--json", REFUSED], off)
    assert asked.returncode == 0 and json.loads(asked.stdout)["refused"] is True
    assert not kept.exists()  # off means nothing is kept: the earlier database is gone
    assert "gaps.sqlite3" not in "".join(os.listdir(gaps_env["NHSBOT_DATA_DIR"]))
    listed = nhsbot(["gaps", "--json"], off)
    assert json.loads(listed.stdout) == {
        "enabled": False, "days": 30, "retention_days": 30, "questions": 0, "groups": []
    }  # fmt: skip
    said = nhsbot(["gaps"], off)
    assert said.returncode == 0 and "NHSBOT_KEEP_GAPS=true" in said.stderr
