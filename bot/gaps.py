"""Knowledge gaps: the questions the sources could not answer, and those whose answer got a 👎,
kept redacted so curators can see what to ingest next. Off unless NHSBOT_KEEP_GAPS=true.

`Gaps` is what the front ends use, the one place that decides what becomes a gap: Discord,
the terminal chat and `nhsbot ask` hand it each question with its answer (`record`), the 👎
button hands it votes (`voted`), and `/gaps` and `nhsbot gaps` ask it for the `report`.
Nothing is redacted or written anywhere else.

A 👎 comes later, from a button that knows only the answer id. So, with gaps on, the redacted
question of each answered question waits in memory (never on disk), keyed by answer id, for at
most a day and at most PENDING answers; a 👎 then keeps it as a gap, and taking the 👎 back
forgets it again. After a restart a 👎 on an older answer still counts as a vote (feedback),
but its question is no longer known.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from bot.answering.answer import Answer
from bot.answering.question import Question
from bot.gap_report import GapReport, build_report
from bot.gap_store import GapStore, Reason
from bot.redaction import redact
from vectorstore.embeddings import Embedder
from vectorstore.hybrid import HybridIndex

log = logging.getLogger(__name__)

FILE_NAME = "gaps.sqlite3"
PENDING = 2000  # answered questions held in memory for a 👎
PENDING_SECONDS = 24 * 3600


@dataclass
class _Pending:
    question: str  # redacted
    guild_id: int | None
    since: float
    row_id: int | None = None  # set while a 👎 keeps it


class Gaps:
    """Records gaps (when a store is given) and reports them grouped by meaning, with the
    embedder and the index (needed only when gaps are kept)."""

    def __init__(
        self,
        store: GapStore | None,
        embedder: Embedder | None = None,
        index: HybridIndex | None = None,
        *,
        retention_days: int = 30,
    ) -> None:
        if store is not None and (embedder is None or index is None):
            raise ValueError("kept gaps are grouped with an embedder and shown with an index")
        self.store = store  # None: gaps are off, nothing is kept
        self.embedder = embedder
        self.index = index
        self.retention_days = store.retention_days if store is not None else retention_days
        self._pending: OrderedDict[str, _Pending] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.store is not None

    def record(
        self,
        question: Question,
        answer: Answer,
        *,
        guild_id: int | None = None,
        answer_id: str | None = None,
    ) -> None:
        """A refused question is kept; an answered one waits in memory for a 👎 (when it has an
        answer id: only Discord's answers have vote buttons)."""
        if self.store is None:
            return
        text = redact(question.query)  # a follow-up with the question it follows
        if answer.refused:
            self._keep(text, "refused", guild_id)
        elif answer_id is not None:
            with self._lock:
                self._expire()
                self._pending[answer_id] = _Pending(text, guild_id, time.monotonic())

    def voted(self, answer_id: str, *, down: bool) -> None:
        """After a vote on an answer: `down` when it has at least one 👎 now. The first 👎 keeps
        its question as a gap; when every 👎 is taken back, it is forgotten."""
        if self.store is None:
            return
        with self._lock:
            self._expire()
            pending = self._pending.get(answer_id)
            if pending is None:
                return
            if down and pending.row_id is None:
                pending.row_id = self._keep(pending.question, "downvoted", pending.guild_id)
            elif not down and pending.row_id is not None:
                try:
                    self.store.remove(pending.row_id)
                    pending.row_id = None
                except sqlite3.Error as exc:
                    log.warning("knowledge gaps: could not forget a question: %s", exc)

    def report(self, days: int | None = None, *, guild_id: int | None = None) -> GapReport:
        """The gaps of the last `days` days (default: all kept), grouped by meaning, most asked
        first; with `guild_id`, only that guild's."""
        kept = self.retention_days
        days = min(days or kept, kept)
        if self.store is None:
            return GapReport(False, days, kept, 0, ())
        assert self.embedder is not None and self.index is not None  # checked when made
        gaps = self.store.since(days, guild_id=guild_id)
        return build_report(gaps, self.embedder, self.index, days=days, retention_days=kept)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

    def _keep(self, text: str, reason: Reason, guild_id: int | None) -> int | None:
        """Write one gap; a failing write is logged (never the text) and costs no answer."""
        assert self.store is not None
        try:
            return self.store.add(text, reason=reason, guild_id=guild_id)
        except sqlite3.Error as exc:
            log.warning("knowledge gaps: could not keep a question: %s", exc)
            return None

    def _expire(self) -> None:
        cutoff = time.monotonic() - PENDING_SECONDS
        while self._pending:
            oldest = next(iter(self._pending.values()))
            if len(self._pending) <= PENDING and oldest.since >= cutoff:
                break
            self._pending.popitem(last=False)


def open_gaps(
    data_dir: Path, *, keep: bool, days: int, embedder: Embedder, index: HybridIndex
) -> Gaps:
    """Gaps kept in `data_dir` when `keep`. When not, nothing is kept, and a database left from
    when they were on is deleted: off means nothing is kept."""
    path = data_dir / FILE_NAME
    if keep:
        return Gaps(GapStore(path, retention_days=days), embedder, index)
    for leftover in (path, path.with_name(FILE_NAME + "-journal")):
        if leftover.exists():
            leftover.unlink()
            log.warning("knowledge gaps are off: deleted %s", leftover)
    return Gaps(None, embedder, index, retention_days=days)
