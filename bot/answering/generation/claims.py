"""What a sentence of a generated answer claims: its numbers, names and content words, whether
it says "not", and whether it is a refusal. The typical invention of a small model is a wrong
year, amount or organisation, which embeddings miss ("worth £330m" and "worth £480m" are
near-identical vectors): these checks catch it.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from bot.answering.generation import prompt as prompts
from bot.answering.passages import strip_markup
from vectorstore.acronyms import initials

_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\[\]]+", re.I)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][A-Za-z]*(?:['’-][A-Za-z]+)*\b")
_POSSESSIVE = re.compile(r"['’]s$")
_ANSWER_WORD = re.compile(r"^(yes|no)\b[,.;:]?\s*", re.I)
_WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")
_REFUSAL = re.compile(
    r"\b(sources?|passages?|context|documents?|texts?|information)\b[^.]{0,40}"
    r"\b(do(es)? ?n[o']t|don't|doesn't|do not|does not)\b[^.]{0,20}"
    r"\b(say|mention|cover|contain|state|answer|specify)"
    r"|\b(can ?not|can't|unable to|not able to)\b[^.]{0,20}\b(answer|find|determine|say)\b"
    r"|\bno (relevant )?information\b|\bnot (mentioned|covered|stated|specified)\b"
    r"|\bI don't know\b",
    re.I,
)
_NEGATION = re.compile(r"\b(not|no|never|cannot|neither|nor|without)\b|n't\b", re.I)
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
} | {
    w: str(i)
    for i, w in enumerate(
        "zeroth first second third fourth fifth sixth seventh eighth ninth tenth".split()
    )
    if i
}
# Capitalised words that are not names (sentence openers, pronouns, months are checked).
_NOT_NAMES = set(
    "I A An The This That These Those It Its They Their There Here Yes No Not However But And Or "
    "If In On At By For From With Without Under Over Also Only Both Each Either Neither So As "
    "When While Where What Which Who Whose How Why Because Although Though Since Until After "
    "Before According Some Any All Most Many Such Other Another Then Therefore Thus Instead "
    "You Your We Our He She His Her Patients People Data Sources Source Passage Passages".split()
)
_STOP = set(
    "a an the of to in on at by for from with and or but not no is are was were be been being "
    "it its this that these those they their there as can could may might must should would will "
    "do does did has have had which who whom whose what when where how why if than then so such "
    "any all some each other into about over under also only".split()
)


def strip_urls(text: str, allowed: str) -> str:
    """Markup out (links and images: strip_markup), then any URL the passages don't contain."""
    text = strip_markup(text)
    return _URL.sub(lambda m: m[0] if m[0].rstrip(".,;:") in allowed else "", text)


def is_refusal(sentence: str) -> bool:
    return bool(_REFUSAL.search(sentence)) or prompts.REFUSAL_SENTENCE.lower() in sentence.lower()


def numbers(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    spelled = {_NUMBER_WORDS[w] for w in words if w in _NUMBER_WORDS}
    return {n.replace(",", "") for n in _NUMBER.findall(text)} | spelled


def names(text: str) -> set[str]:
    """Capitalised words that may be names. The first word is skipped unless it is an acronym
    (any sentence starts with a capital; an invented name there still has to pass similarity)."""
    found = [m for m in _NAME.finditer(text) if m[0] not in _NOT_NAMES]
    # "Project's" is the name "Project": a passage naming the project needn't use the possessive
    return {_POSSESSIVE.sub("", m[0]) for m in found if m.start() > 0 or _is_acronym(m[0])}


def content_words(text: str) -> set[str]:
    """Stemmed words that carry meaning ("stops" and "stop" count as the same word)."""
    words = [_POSSESSIVE.sub("", w) for w in _WORD.findall(text.lower())]
    return set(_stemmer().stemWords([w for w in words if w not in _STOP and len(w) > 2]))


@functools.cache
def _stemmer() -> Any:
    import Stemmer  # PyStemmer, already a dependency (BM25)

    return Stemmer.Stemmer("english")


def lexical_problem(sentence: str, evidence: str) -> str | None:
    """A number or a name in the sentence that the cited evidence doesn't contain."""
    lowered = evidence.lower()
    missing = sorted(numbers(sentence) - numbers(lowered))
    if missing:
        return f"number not in cited passage: {missing[0]}"
    known = initials(evidence)
    unnamed = sorted(
        n for n in names(sentence) if not _has_word(lowered, n.lower()) and n.lower() not in known
    )
    return f"name not in cited passage: {unnamed[0]}" if unnamed else None


def negated(text: str) -> bool:
    """Whether a sentence says "not" (a leading "Yes,"/"No," answers the question: skipped)."""
    return bool(_NEGATION.search(statement(text)))


def _is_acronym(word: str) -> bool:
    return sum(c.isupper() for c in word) >= 2


def statement(sentence: str) -> str:
    """The sentence without a leading "Yes,"/"No," (which answers the question, not a claim)."""
    return _ANSWER_WORD.sub("", sentence)


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) is not None
