"""Sentence boundaries with character offsets (quotes must be exact slices of stored text)."""

from __future__ import annotations

import re

# A boundary: end punctuation (maybe closed by a quote or bracket), space, then something that
# starts a sentence. Abbreviations that end in a full stop are checked separately.
_BOUNDARY = re.compile(
    r"(?<=[.!?])([\"'”’)\]]*)\s+(?=[\"'“‘(\[]?[A-Z0-9£$€#])|\n\s*\n|\n(?=\s*[-*•#]\s)"
    r"|\n(?=\s*\d{1,3}[.)]\s)"  # a numbered list item starts a sentence, with its number
)
# The number that opens a numbered list item ("3. "), which must stay with its item.
_ITEM_NUMBER = re.compile(r"\s*\d{1,3}[.)]")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "Dr.", "Mr.", "Mrs.", "Ms.", "St.", "No.", "vs.", "Prof.")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in `text`, trimmed of surrounding white space."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.start() + len(match.group(1) or "")  # a closing quote belongs to the sentence
        if text[start:end].rstrip().endswith(_ABBREVIATIONS) or _ITEM_NUMBER.fullmatch(
            text[start:end]
        ):
            continue
        spans.append((start, end))
        start = match.end()
    spans.append((start, len(text)))
    return [trimmed for s, e in _split_headings(text, spans) if (trimmed := _trim(text, s, e))]


def _split_headings(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """A Markdown heading line is a span of its own, not the start of the next sentence."""
    out = []
    for start, end in spans:
        while text.startswith("#", start) and (nl := text.find("\n", start, end)) != -1:
            out.append((start, nl))
            start = nl + 1
        out.append((start, end))
    return out


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]
