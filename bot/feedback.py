"""👍/👎 feedback on answers, in SQLite in the data dir, keyed by answer id — never the question.

What is stored per answer: its id, when it was given, whether it was a refusal, and the ids of
the passages it cited (so "Show passages" works after a restart). Per vote: the answer id, a
one-way hash of (user, answer) so each member has one vote per answer, the vote and its time.
Rows older than `retention_days` are deleted when the store opens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    answer_id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    refused INTEGER NOT NULL,
    chunk_ids TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS votes (
    answer_id TEXT NOT NULL,
    voter TEXT NOT NULL,
    vote INTEGER NOT NULL,
    created TEXT NOT NULL,
    PRIMARY KEY (answer_id, voter)
);
"""


@dataclass(frozen=True)
class Tally:
    """Votes on one answer."""

    up: int
    down: int


def new_answer_id() -> str:
    """A short random id shown in the answer's footer and used in its buttons."""
    return secrets.token_hex(6)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class FeedbackStore:
    """A small SQLite file; safe to call from the event loop (each call is a few microseconds)."""

    def __init__(self, path: Path, *, retention_days: int = 365) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.retention_days = retention_days
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.executescript(SCHEMA)
        self.prune()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def record_answer(self, answer_id: str, chunk_ids: Sequence[str], *, refused: bool) -> None:
        """Remember which passages an answer cited (not its question or text)."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)",
                (answer_id, _now(), int(refused), json.dumps(list(chunk_ids))),
            )

    def chunk_ids(self, answer_id: str) -> list[str] | None:
        """The passages an answer cited; None for an unknown (or expired) answer."""
        with self._lock:
            row = self._db.execute(
                "SELECT chunk_ids FROM answers WHERE answer_id = ?", (answer_id,)
            ).fetchone()
        return None if row is None else list(json.loads(row[0]))

    def vote(self, answer_id: str, user_id: int, up: bool) -> Tally:
        """Record (or change) one member's vote on an answer; returns the new tally."""
        voter = hashlib.sha256(f"{user_id}:{answer_id}".encode()).hexdigest()[:24]
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO votes VALUES (?, ?, ?, ?)",
                (answer_id, voter, 1 if up else -1, _now()),
            )
        return self.tally(answer_id)

    def tally(self, answer_id: str) -> Tally:
        with self._lock:
            up, down = self._db.execute(
                "SELECT COALESCE(SUM(vote = 1), 0), COALESCE(SUM(vote = -1), 0) "
                "FROM votes WHERE answer_id = ?",
                (answer_id,),
            ).fetchone()
        return Tally(int(up), int(down))

    def prune(self) -> int:
        """Delete answers and votes older than the retention period; returns rows deleted."""
        cutoff = (dt.datetime.now(dt.UTC) - dt.timedelta(days=self.retention_days)).isoformat()
        with self._lock, self._db:
            a = self._db.execute("DELETE FROM answers WHERE created < ?", (cutoff,)).rowcount
            v = self._db.execute("DELETE FROM votes WHERE created < ?", (cutoff,)).rowcount
        if a or v:
            log.info("feedback: pruned %d answers and %d votes past retention", a, v)
        return a + v
