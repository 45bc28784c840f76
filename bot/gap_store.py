"""Knowledge gaps on disk: SQLite in the data dir, one row per redacted question.

What is stored per question: its text after redaction (bot/redaction.py: the caller redacts),
the day (UTC, no time), the guild id (none for the terminal and the CLI) and why it is a gap
("refused": the sources did not cover it; "downvoted": its answer got a 👎). No user id, no
answer id, no time of day. Rows older than `retention_days` are deleted when the store opens
and before each listing; deleted rows are overwritten (SQLite's secure_delete).
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

Reason = Literal["refused", "downvoted"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS gaps (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,
    guild_id INTEGER,
    reason TEXT NOT NULL CHECK (reason IN ('refused', 'downvoted')),
    question TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS gaps_day ON gaps (day);
"""


@dataclass(frozen=True)
class Gap:
    """One kept question (already redacted)."""

    question: str
    day: str  # YYYY-MM-DD, UTC
    guild_id: int | None
    reason: Reason


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class GapStore:
    """A small SQLite file; each call is a few microseconds, safe from the event loop."""

    def __init__(self, path: Path, *, retention_days: int = 30) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.retention_days = retention_days
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("PRAGMA secure_delete = ON")  # deleted questions don't linger on disk
        self._db.executescript(SCHEMA)
        self.prune()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, question: str, *, reason: Reason, guild_id: int | None = None) -> int:
        """Keep one redacted question; returns its row id."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO gaps (day, guild_id, reason, question) VALUES (?, ?, ?, ?)",
                (today().isoformat(), guild_id, reason, question),
            )
        return int(cursor.lastrowid or 0)

    def remove(self, row_id: int) -> None:
        """Forget one question (its 👎 was taken back)."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM gaps WHERE id = ?", (row_id,))

    def since(self, days: int, *, guild_id: int | None = None) -> list[Gap]:
        """Questions kept in the last `days` days (today included), oldest first; with
        `guild_id`, only that guild's."""
        self.prune()
        first = (today() - dt.timedelta(days=max(days, 1) - 1)).isoformat()
        query = "SELECT question, day, guild_id, reason FROM gaps WHERE day >= ?"
        args: tuple[object, ...] = (first,)
        if guild_id is not None:
            query += " AND guild_id = ?"
            args += (guild_id,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        return [Gap(q, d, g, r) for q, d, g, r in rows]

    def prune(self) -> int:
        """Delete questions kept longer than the retention period; returns how many."""
        cutoff = (today() - dt.timedelta(days=self.retention_days)).isoformat()
        with self._lock, self._db:
            deleted = self._db.execute("DELETE FROM gaps WHERE day <= ?", (cutoff,)).rowcount
        if deleted:
            log.info("gaps: deleted %d questions past retention", deleted)
        return deleted
