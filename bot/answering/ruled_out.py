"""What the asker rules out: "when did the app launch across england, not the trial?", "how
much did they spend, not the lost income bit, the actual IT spend". A sentence about the thing
ruled out (one holding all of its words) is the answer they already have, not the one asked
for."""

from __future__ import annotations

import re

from bot.answering.counted import plural

# "not" opening a clause of its own (after a comma, a dash, a question), up to four words to
# the next break: "…, not the trial", "? not appointments, like number of people".
_NOT_THIS = re.compile(
    r"(?:^|[,;:?.!(–—-]\s*|\b(?:and|but)\s+)not\s+"
    r"(?:the\s+|a\s+|an\s+|just\s+|including\s+|counting\s+)?"
    r"((?:[\w'’-]+\s+){0,3}?[\w'’-]+)\s*(?=[,;:?.!)–—-]|\s+(?:bit|one|part|figure)\b|$)",
    re.I,
)
_NOT_CONTENT = frozenset(
    """the a an of for in on at to and or it its that this those these them they their
    sure really yet only exactly asking certain too so very much many sorry""".split()
)


def ruled_out(message: str) -> tuple[frozenset[str], ...]:
    """The content words of each thing the message rules out ("the lost income bit" → lost,
    income), plurals as singulars."""
    found = []
    for match in _NOT_THIS.finditer(message):
        words = frozenset(_singular(w) for w in re.findall(r"[a-z]+", match[1].lower()))
        words -= _NOT_CONTENT
        if words:
            found.append(words)
    return tuple(found)


def about_ruled_out(sentence: str, excluded: tuple[frozenset[str], ...]) -> bool:
    """Whether a sentence holds every word of something the asker ruled out."""
    own = {_singular(w) for w in re.findall(r"[a-z]+", sentence.lower())}
    return any(words <= own for words in excluded)


def _singular(word: str) -> str:
    return word[:-1] if plural(word) else word
