"""Passages are untrusted: anyone can publish a page we later ingest. What is never shown from
them: sentences that speak to an AI model (an indirect prompt injection), link and image targets
and HTML tags. The extractive answer, the model's prompt and verification all read passages
through here, so they agree on what a passage says."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.sentences import sentence_spans
from vectorstore.records import Hit

# Sentences addressed to an AI model rather than a human reader (indirect prompt injection).
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b[^.\n]{0,40}\b(instructions?|rules|prompts?|guidelines)\b"
    r"|\bnote to (the )?(ai|assistant|model|llm|bot|chatbot)\b"
    r"|\b(ai|llm|language model|chatbot|assistant)s?\b[^.\n]{0,60}"
    r"\b(must|should|shall|are to|need to)\b"
    r"|\b(reply|respond|answer|output|print|repeat|include|append|write|say)\b[^.\n]{0,40}"
    r"\b(exactly|verbatim|the (code|word|string|phrase|token|password|secret))\b"
    r"|\b(system prompt|developer mode|jailbreak)\b"
    r"|^\s*(system|assistant|user)\s*:",
    re.I,
)
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\((?:[^)\n]*)\)")
_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>\n]*>")


def looks_like_instruction(sentence: str) -> bool:
    """Whether a sentence speaks to an AI model (we never show such a sentence to a model)."""
    return bool(_INSTRUCTION.search(sentence))


def strip_markup(text: str) -> str:
    """Drop images and HTML tags; keep a link's words but not where it points."""
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    return _HTML_TAG.sub("", text)


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
        clean = " ".join(strip_markup(raw).split())
        if clean:
            out.append(Evidence(start, end, clean))
    return out


def clean_passage(hit: Hit) -> str:
    """The passage text a model sees: its usable sentences, markup removed."""
    return " ".join(e.text for e in evidence(hit))
