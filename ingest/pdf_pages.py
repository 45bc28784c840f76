"""A PDF's pages without their running headers and footers.

A printed report repeats its title line at the top of every page and "Page 2 of 6" at the
foot. Kept, these lines come back as answer sentences ("Northfield Health Policy Unit |
Member briefing 2025/07 | …") and crowd out the sentence that answers.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

EDGE_LINES = 2  # a running header or footer is among a page's first or last lines
MOST_PAGES = 0.6  # it repeats on at least this share of the pages (and on two or more)
_DIGITS = re.compile(r"\d+")


def without_running_lines(pages: Sequence[str]) -> list[str]:
    """The pages' texts, less the lines at their top or bottom that repeat on most pages
    (digits aside, so "Page 2 of 6" repeats)."""
    texts = [p for p in pages if p.strip()]
    if len(texts) < 2:
        return list(pages)
    seen: Counter[str] = Counter()
    for page in texts:
        seen.update({_key(line) for line in _edges(page.splitlines())})
    need = max(2, math.ceil(MOST_PAGES * len(texts)))
    running = {key for key, n in seen.items() if n >= need}
    return [_drop(page, running) for page in pages]


def _edges(lines: list[str]) -> list[str]:
    return [lines[i] for i in _edge_indices(lines)]


def _edge_indices(lines: list[str]) -> list[int]:
    filled = [i for i, line in enumerate(lines) if line.strip()]
    return filled[:EDGE_LINES] + filled[-EDGE_LINES:]


def _key(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.split())).lower()


def _drop(page: str, running: set[str]) -> str:
    lines = page.splitlines()
    # Only at the edges: the body may repeat a line on purpose.
    gone = {i for i in _edge_indices(lines) if _key(lines[i]) in running}
    return "\n".join(line for i, line in enumerate(lines) if i not in gone).strip()
