"""Compose an extractive answer: the best sentences, in reading order, each with its [n]."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answering.answer import Citation
from bot.answering.passages import looks_like_instruction, strip_markup
from bot.answering.scoring import Sentence
from ingest.sentences import sentence_spans

# A sentence opening like this leans on the one before it for its subject.
_LEANS_BACK = re.compile(
    r"^(it|its|this|these|that|those|they|their|he|she"
    r"|the (body|scheme|programme|contract|company|platform|review|service))\b",
    re.I,
)

REFUSAL = (
    "My sources don't cover that, so I can't answer it reliably. "
    "The nearest passages I have are listed below in case they help."
)


def select(
    ranked: Sequence[Sentence], *, max_sentences: float = 3, margin: float = 0.12
) -> list[Sentence]:
    """The best sentence, plus close runners-up that add something, plus context they lean on."""
    if not ranked:
        return []
    best = ranked[0]
    chosen = [best]
    for s in ranked[1:]:
        if len(chosen) >= max_sentences or s.score < best.score - margin:
            break
        if s.overlap > 0 and not any(_same_text(s, c) for c in chosen):
            chosen.append(s)
    return _with_context(chosen, ranked)


def _same_text(a: Sentence, b: Sentence) -> bool:
    return a.text.strip().lower() == b.text.strip().lower()


def _with_context(chosen: list[Sentence], ranked: Sequence[Sentence]) -> list[Sentence]:
    """Add the sentence before one that starts with "It"/"This"/… (from the same passage), and
    the sentence after the best one when it continues it that way ("… a test. It asks …")."""
    out = list(chosen)
    for s in chosen:
        if _LEANS_BACK.match(s.text):
            before = [c for c in _passage_sentences(s) if c.end <= s.start]
            if before:
                _add(out, before[-1])
    best = chosen[0]
    after = [c for c in _passage_sentences(best) if c.start >= best.end]
    if after and _LEANS_BACK.match(after[0].text):
        _add(out, after[0])
    return out


def _add(out: list[Sentence], s: Sentence) -> None:
    if looks_like_instruction(s.text):  # an injection attempt is never quoted, even as context
        return
    if not any(o.hit is s.hit and o.start == s.start for o in out):
        out.append(s)


def _passage_sentences(s: Sentence) -> list[Sentence]:
    return [Sentence(s.hit_rank, s.hit, a, b) for a, b in sentence_spans(s.hit.text)]


def compose(chosen: Sequence[Sentence]) -> tuple[str, list[Citation]]:
    """Answer text and its citations. Adjacent sentences of one passage share one citation."""
    ordered = sorted(chosen, key=lambda s: (s.hit_rank, s.start))
    groups: list[list[Sentence]] = []
    for s in ordered:
        last = groups[-1][-1] if groups else None
        if last and last.hit is s.hit and _adjacent(last, s):
            groups[-1].append(s)
        else:
            groups.append([s])
    parts, citations = [], []
    for n, group in enumerate(groups, start=1):
        hit = group[0].hit
        # Link targets and images are never shown: a poisoned source could point anywhere.
        quote = strip_markup(hit.text[group[0].start : group[-1].end], hit.meta("url"))
        parts.append(f"{' '.join(' '.join(quote.split()).splitlines())} [{n}]")
        citations.append(Citation.from_hit(n, group[0].hit, quote, max(g.score for g in group)))
    return " ".join(parts), citations


def _adjacent(a: Sentence, b: Sentence) -> bool:
    gap = a.hit.text[a.end : b.start]
    return b.start >= a.end and not gap.strip()


def nearest(ranked: Sequence[Sentence], limit: int = 3) -> list[Citation]:
    """For a refusal: the best sentence of each of the nearest passages, one per passage."""
    out: list[Citation] = []
    seen: set[str] = set()
    for s in ranked:
        if s.hit.chunk_id in seen:
            continue
        seen.add(s.hit.chunk_id)
        quote = strip_markup(s.text, s.hit.meta("url"))
        out.append(Citation.from_hit(len(out) + 1, s.hit, quote, s.score))
        if len(out) == limit:
            break
    return out
