"""Citation markers in a model's answer: "[1]", "[1, 2]", "[Passage 3]", "[2]: …" lines.

Small models put markers before or after the full stop, list them, or open a line with them;
everything here turns those forms into "[n]" before the sentence's final stop, and tells which
given passages each sentence cites.
"""

from __future__ import annotations

import re

MARKER = re.compile(r"\[(\d{1,2})\]")
_LIST = re.compile(
    r"\[\s*(?:(?:passage|source)s?\s*)?(\d{1,2}(?:\s*(?:,|and|&)\s*\d{1,2})*)\s*\]", re.I
)
# "[1]: text" lines (a list of quotes), or markers opening the whole answer: they belong to it.
_LEADING = re.compile(
    r"^[ \t]*((?:\[\d{1,2}\][ \t]*)+)[:\-–][ \t]*(.+?)([.!?]?)[ \t]*$"
    r"|\A\s*((?:\[\d{1,2}\]\s*)+)(.+?)([.!?](?=\s|$)|$)",
    re.M,
)
_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d{1,2}\])+)(?=\s*(\S?))")


def normalise_markers(text: str) -> str:
    """ "[1, 2]", "[Passage 1]" → "[1][2]". A marker after a full stop may close that sentence
    or open the next (models do both, even in one answer), so both sentences get it; the
    support check then shows only the passage that really supports each sentence."""
    text = _LIST.sub(lambda m: "".join(f"[{n}]" for n in re.findall(r"\d+", m[1])), text)

    def lead(m: re.Match[str]) -> str:
        markers, body, stop = (m[1], m[2], m[3]) if m[1] else (m[4], m[5], m[6])
        return f"{body} {''.join(markers.split())}{stop}"

    text = _LEADING.sub(lead, text)

    def move(m: re.Match[str]) -> str:
        markers = "".join(m[2].split())
        return f"{markers}{m[1]} {markers}" if m[3] else f"{markers}{m[1]}"

    return _AFTER_STOP.sub(move, text)


def cited(sentence: str, given: int) -> tuple[int, ...]:
    found = [int(n) for n in MARKER.findall(sentence)]
    return tuple(dict.fromkeys(n for n in found if 1 <= n <= given))


def inherit(cited: list[tuple[int, ...]], marked: list[bool]) -> list[tuple[int, ...]]:
    """A sentence with no marker takes the next sentence's ("A. B [1]." cites 1 for both).

    One whose only markers pointed at passages not given inherits nothing: it is dropped.
    """
    out = list(cited)
    for i in range(len(out) - 2, -1, -1):
        if not marked[i]:
            out[i] = out[i + 1]
    return out


def strip_end(text: str) -> str:
    return text.rstrip(".!?").rstrip()


def with_markers(bare: str, cited: tuple[int, ...]) -> str:
    """The sentence with its markers before the final stop: "A [1][2]." """
    body = strip_end(bare)
    return f"{body} {''.join(f'[{n}]' for n in cited)}{bare[len(body) :]}".strip()


def without_markers(text: str) -> str:
    return MARKER.sub("", text)
