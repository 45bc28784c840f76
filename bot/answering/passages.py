"""Passages are untrusted: anyone can publish a page we later ingest. What is never shown from
them: sentences that speak to an AI model (an indirect prompt injection), link and image targets
and HTML tags. The extractive answer, the model's prompt and verification all read passages
through here, so they agree on what a passage says."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from bot.answering import injection
from ingest.sentences import sentence_spans
from vectorstore.records import Hit

# Markdown images and links, their text allowed one level of brackets ("[a [b] c](url)"), and
# reference-style link definitions ("[1]: https://…").
_BRACKETED = r"(?:[^\[\]\n]|\[[^\[\]\n]*\])*"
_IMAGE = re.compile(rf"!\[{_BRACKETED}\]\([^)\n]*\)")
_LINK = re.compile(rf"\[({_BRACKETED})\]\([^)\n]*\)")
_LINK_DEFINITION = re.compile(r"^[ \t]*\[[^\]\n]+\]:[ \t]*\S+.*$", re.M)
_AUTOLINK = re.compile(r"<(?:https?|ftp|mailto):[^>\s]*>", re.I)
_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>\n]*>")
_BARE_URL = re.compile(r"\b(?:(?:https?|ftp)://|www\.)[^\s<>()\[\]\"']+", re.I)
# Where a bare web address may be shown: the source's own site, and the UK's official domains
# (an address a member asks for, such as the opt-out page, is usually on one of them).
OFFICIAL_DOMAINS = (
    "nhs.uk", "gov.uk", "gov.scot", "gov.wales", "llyw.cymru", "nhs.scot", "nhs.wales",
    "hscni.net", "nidirect.gov.uk", "parliament.uk", "ico.org.uk", "legislation.gov.uk",
)  # fmt: skip


def looks_like_instruction(sentence: str) -> bool:
    """Whether a sentence speaks to an AI model (it is never quoted or shown to a model)."""
    return _looks_like_instruction(sentence)


@functools.lru_cache(maxsize=16384)  # the same passages come back question after question
def _looks_like_instruction(sentence: str) -> bool:
    return injection.looks_like_instruction(sentence)


def strip_markup(text: str, own_site: str = "") -> str:
    """Drop images, HTML tags and link definitions; keep a link's words but not where it
    points; keep a bare web address only on `own_site` (the source's own URL) or an official
    domain. A poisoned source could point anywhere."""
    text = _IMAGE.sub("", text)
    for _ in range(3):  # nested link text loses one level of brackets per pass
        text, found = _LINK.subn(r"\1", text)
        if not found:
            break
    text = _LINK_DEFINITION.sub("", _AUTOLINK.sub("", text))
    text = _HTML_TAG.sub("", text)
    own = _host(own_site)
    return _BARE_URL.sub(lambda m: m[0] if _trusted(_host(m[0]), own) else "", text)


def _host(url: str) -> str:
    if not url:
        return ""
    bare = re.sub(r"^[a-z]+://", "", url.strip(), flags=re.I)
    host = re.split(r"[/:?#]", bare, maxsplit=1)[0].lower()
    return host.removeprefix("www.")


def _trusted(host: str, own: str) -> bool:
    if not host or "@" in host:
        return False
    return host == own or any(host == d or host.endswith(f".{d}") for d in OFFICIAL_DOMAINS)


@dataclass(frozen=True)
class Evidence:
    """One usable sentence of a passage: its exact span in the stored text, and clean text."""

    start: int
    end: int
    text: str  # strip_markup(original span), what the model sees and what we verify against


def evidence(hit: Hit) -> list[Evidence]:
    """The sentences of a passage a model may see (instruction-like sentences are left out)."""
    out = []
    for start, end in sentence_spans(hit.text):
        raw = hit.text[start:end]
        if looks_like_instruction(raw):
            continue
        clean = " ".join(strip_markup(raw, hit.meta("url")).split())
        if clean:
            out.append(Evidence(start, end, clean))
    return out


def clean_passage(hit: Hit) -> str:
    """The passage text a model sees: its usable sentences, markup removed."""
    return " ".join(e.text for e in evidence(hit))


def quote(hit: Hit, start: int, end: int) -> str:
    """The passage from `start` to `end` as it may be shown: the exact slice, markup removed;
    where a sentence inside the slice speaks to an AI model, the usable sentences of the slice
    instead (a quote spanning two chosen sentences must not carry what lies between them)."""
    inside = [(a, b) for a, b in sentence_spans(hit.text) if a >= start and b <= end]
    if not any(looks_like_instruction(hit.text[a:b]) for a, b in inside):
        return strip_markup(hit.text[start:end], hit.meta("url"))
    return " ".join(e.text for e in evidence(hit) if e.start >= start and e.end <= end)
