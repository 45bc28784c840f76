"""Plain-text rendering of answers and documents for the terminal."""

from __future__ import annotations

import textwrap

from bot.answer import Answer, Citation


def citation_line(c: Citation) -> str:
    details = ", ".join(part for part in (c.publisher, c.published) if part)
    where = c.url or c.source
    head = f"[{c.n}] {c.title}" + (f" — {details}" if details else "")
    return f"{head}\n    {where}\n    “{' '.join(c.quote.split())}”  (passage {c.chunk_id})"


def answer_text(answer: Answer, width: int = 100) -> str:
    """The answer wrapped to `width`, then its sources (or the nearest ones, for a refusal)."""
    lines = textwrap.wrap(answer.answer, width) or [""]
    if answer.citations:
        lines.append("")
        lines.append("Nearest sources:" if answer.refused else "Sources:")
        lines.extend(citation_line(c) for c in answer.citations)
    return "\n".join(lines)
