"""Acronyms and the names they stand for: "FDP" is the "Federated Data Platform".

A question says "fdp" where a passage spells the name out (or the other way round), so word
overlap alone misses that they speak of the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_CONNECTORS = frozenset({"of", "and", "for", "the", "in"})
# A run of capitalised words, connectors allowed inside: "Data Security and Protection Toolkit".
_RUN = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:(?:of|and|for|the|in)\s+)?[A-Z][a-z]+)+")
# A name spelled out, then its acronym in brackets: "Federated Data Platform (FDP)".
_DEFINED = re.compile(rf"({_RUN.pattern})\s+\(([A-Z]{{2,8}})\)")


def _letters(words: list[str]) -> str:
    return "".join(w[0] for w in words if w not in _CONNECTORS).lower()


def initials(text: str) -> set[str]:
    """The acronyms a text's capitalised names would have, from each word of a name on: "The
    Federated Data Platform" gives "tfdp", "fdp" and "dp" (a sentence's first word is
    capitalised whether or not it is part of the name)."""
    out: set[str] = set()
    for run in _RUN.findall(text):
        words = run.split()
        for i in range(len(words) - 1):
            if words[i] not in _CONNECTORS:
                out.add(_letters(words[i:]))
    return out


def spelled_out(texts: Iterable[str]) -> dict[str, str]:
    """Acronyms (lower case) that the texts define, with the names they stand for: from
    "… the Federated Data Platform (FDP) …", {"fdp": "Federated Data Platform"}."""
    out: dict[str, str] = {}
    for text in texts:
        for m in _DEFINED.finditer(text):
            words, acronym = m[1].split(), m[2]
            for i, word in enumerate(words):  # "the NHS Federated Data …": the name's end
                if word not in _CONNECTORS and _letters(words[i:]) == acronym.lower():
                    out.setdefault(acronym.lower(), " ".join(words[i:]))
                    break
    return out
