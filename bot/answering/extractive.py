"""Compose an extractive answer: the best sentences, in reading order, each with its [n]."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answering.answer import Citation
from bot.answering.passages import looks_like_instruction, strip_markup
from bot.answering.passages import quote as passage_quote  # "quote" is a local name below
from bot.answering.scoring import Sentence
from ingest.sentences import sentence_spans
from vectorstore.hybrid import stems

# A sentence opening like this leans on the one before it for its subject.
_LEANS_BACK = re.compile(
    r"^(it|its|this|these|that|those|they|their|he|she"
    r"|the (body|scheme|programme|contract|company|platform|review|service))\b",
    re.I,
)


RESTATES = 0.7  # share of the shorter sentence's content words that the other has
MAX_QUOTE_CHARS = 600  # a quote spanning two sentences of one passage stays this short
LEAN_BACK_STEPS = 2  # how far back a quote follows "He …", "It …" to the subject's name


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
        # A runner-up from a passage that never names what the question names by its
        # initials ("fdp") is about something else: Palantir's police contract is no part of
        # an answer on its FDP contract.
        if s.unnamed and not best.unnamed:
            continue
        if s.overlap > 0 and not any(restates(s, c) for c in chosen):
            chosen.append(s)
    return _with_context(chosen, ranked)


def restates(a: Sentence, b: Sentence) -> bool:
    """Whether one sentence says what the other says: most of the shorter one's content words
    (numbers included) are the other's. Sources repeat a fact (a summary, then the detail);
    an answer states it once."""
    wa, wb = set(stems(a.text)), set(stems(b.text))
    if not wa or not wb:
        return a.text.strip().lower() == b.text.strip().lower()
    return len(wa & wb) / min(len(wa), len(wb)) >= RESTATES


def _with_context(chosen: list[Sentence], ranked: Sequence[Sentence]) -> list[Sentence]:
    """Add the sentences before one that starts with "It"/"He"/… (from the same passage), and
    the sentence after the best one when it continues it that way ("… a test. It asks …")."""
    out = list(chosen)
    for s in chosen:
        # "It turned out …" after "He registered …" after "Marcus Hutchins noticed …": follow
        # the chain back a step or two, to the sentence that names its subject.
        current = s
        for _ in range(LEAN_BACK_STEPS):
            before = [c for c in _passage_sentences(current) if c.end <= current.start]
            if not _LEANS_BACK.match(current.text) or not before:
                break
            current = before[-1]
            _add(out, current)
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
    """Answer text and its citations: one citation per passage, the passage with the best
    sentence first. Its sentences in the answer share the number, in reading order; the quote
    is the slice of the passage from the first to the last (a sentence too far from the others
    in its passage is left out, so quotes stay short)."""
    by_passage: dict[str, list[Sentence]] = {}
    for s in sorted(chosen, key=lambda s: (s.hit_rank, s.start)):
        group = by_passage.setdefault(s.hit.chunk_id, [])
        if not group or s.end - group[0].start <= MAX_QUOTE_CHARS:
            group.append(s)
    # The passage holding the best sentence leads, whatever its search rank: asked what the
    # contract is worth, the headline figure comes before a reading of its first three years.
    groups = sorted(by_passage.values(), key=lambda g: -max(s.score for s in g))
    parts, citations = [], []
    for n, group in enumerate(groups, start=1):
        hit = group[0].hit
        # Link targets, images and instructions to a model are never shown: a poisoned source
        # could say or point anywhere.
        quote = passage_quote(hit, group[0].start, group[-1].end)
        for run in _runs(group):
            said = strip_markup(hit.text[run[0].start : run[-1].end], hit.meta("url"))
            parts.append(f"{' '.join(said.split())} [{n}]")
        citations.append(Citation.from_hit(n, hit, quote, max(g.score for g in group)))
    return " ".join(parts), citations


def _runs(group: list[Sentence]) -> list[list[Sentence]]:
    """Sentences of one passage in runs of adjacent ones."""
    runs: list[list[Sentence]] = []
    for s in group:
        if runs and _adjacent(runs[-1][-1], s):
            runs[-1].append(s)
        else:
            runs.append([s])
    return runs


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
