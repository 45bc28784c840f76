"""The terminal front end: answers rendered as plain text, and the chat loop (follow-ups use
the previous turn)."""

from __future__ import annotations

import textwrap
from typing import TextIO

from bot.answering.answer import Answer, Citation
from bot.answering.pipeline import Answerer
from bot.answering.question import QuestionError
from bot.follow import StoreFollower
from bot.gap_report import GapReport
from bot.gaps import Gaps
from bot.library import StoreStats
from vectorstore.store import StoreUnavailableError

BANNER = (
    "nhsbot — ask about who can access NHS patient data. Answers come only from the stored "
    "sources, each with its citation.\nType a question, 'new' to start a new topic, or 'quit'."
)


def citation_line(c: Citation) -> str:
    details = ", ".join(part for part in (c.publisher, c.published) if part)
    where = c.url or c.source
    head = f"[{c.n}] {c.title}" + (f" — {details}" if details else "")
    return f"{head}\n    {where}\n    “{' '.join(c.quote.split())}”  (passage {c.chunk_id})"


def answer_text(answer: Answer, width: int = 100) -> str:
    """The answer wrapped to `width`, then its sources (or the nearest ones, for a refusal)."""
    lines = [w for part in answer.answer.split("\n") for w in textwrap.wrap(part, width) or [""]]
    if answer.citations:
        lines.append("")
        lines.append("Nearest sources:" if answer.refused else "Sources:")
        lines.extend(citation_line(c) for c in answer.citations)
    return "\n".join(lines)


def gaps_text(report: GapReport, width: int = 100) -> str:
    """`nhsbot gaps` as text: each group of questions with its count, most asked first."""
    if not report.enabled:
        return "Knowledge gaps are off: set NHSBOT_KEEP_GAPS=true to keep them."
    days = "today" if report.days == 1 else f"the last {report.days} days"
    if not report.groups:
        return f"No knowledge gaps in {days}."
    lines = [
        f"Knowledge gaps in {days}: {report.questions} questions in {len(report.groups)} "
        "groups, most asked first. Questions are kept redacted."
    ]
    for g in report.groups:
        lines.append("")
        lines.extend(textwrap.wrap(f"{g.count}x  {g.question}", width, subsequent_indent="    "))
        when = g.first_day if g.first_day == g.last_day else f"{g.first_day} to {g.last_day}"
        lines.append(f"    {g.refused} refused, {g.downvoted} thumbs down; {when}")
        if g.examples:
            also = "; ".join(f"“{e}”" for e in g.examples)
            lines.extend(textwrap.wrap(f"also: {also}", width, initial_indent="    ",
                                       subsequent_indent="      "))  # fmt: skip
        if g.nearest is not None:
            where = g.nearest.url or g.nearest.source
            lines.append(f"    nearest source: {g.nearest.title} ({where})")
    return "\n".join(lines)


def chat(
    answerer: Answerer,
    stats: StoreStats,
    inp: TextIO,
    out: TextIO,
    gaps: Gaps | None = None,
    follower: StoreFollower | None = None,
) -> int:
    """The chat loop. `gaps` records the questions the sources could not answer (when on);
    with `follower`, other processes' writes to a shared store are picked up before a question
    once its interval has passed."""
    out.write(f"{BANNER}\n({stats.documents} documents, {stats.chunks} passages)\n")
    history: list[tuple[str, str]] = []
    while True:
        out.write("\n> ")
        out.flush()
        line = inp.readline()
        if not line:
            out.write("\n")
            return 0
        text = line.strip()
        if text.lower() in ("quit", "exit", "q"):
            return 0
        if text.lower() == "new":
            history.clear()
            out.write("Starting a new topic.\n")
            continue
        if not text:
            continue
        try:
            if follower is not None:
                follower.check_if_due()
            question = answerer.read(text, history[-1:])
            answer = answerer.ask(question)
        except QuestionError as exc:
            out.write(f"{exc}\n")
            continue
        except StoreUnavailableError as exc:  # a Chroma server away: ask again once it is back
            out.write(f"{exc}\n")
            continue
        if gaps is not None:
            gaps.record(question, answer)
        out.write(answer_text(answer) + "\n")
        if not answer.refused:
            history.append((text, answer.answer))
