"""A generated answer, verified against our passages, or the extractive one when it can't be.

`generated_answer` runs after the pipeline has retrieved passages and composed its extractive
answer. Citations in the result are built from our own hits (numbered in the order [n] first
appears); nothing the model writes becomes a citation. Streaming callers get drafts made only of
sentences that already passed verification, so unverified text never reaches a user.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence

from bot.answering.answer import Answer, Citation
from bot.answering.coverage import QuestionTerms
from bot.answering.generation.backends import GenerationError, GenerationTimeout, Generator
from bot.answering.generation.markers import MARKER
from bot.answering.generation.verify import Checked, Verified, Verifier
from bot.answering.passages import clean_passage, evidence, strip_markup
from ingest.sentences import sentence_spans
from vectorstore.records import Hit

log = logging.getLogger(__name__)

FALLBACK = "extractive-fallback"

Draft = Callable[[str], None]


def generated_answer(
    question: str,
    hits: Sequence[Hit],
    extractive: Answer,
    generator: Generator,
    verifier: Verifier,
    *,
    on_draft: Draft | None = None,
    terms: QuestionTerms | None = None,
) -> Answer:
    """The verified generated answer, or `extractive` marked "extractive-fallback" with a notice.

    `extractive.refused` is the pipeline's own coverage decision: when it says the sources cover
    the question, a model refusal is treated as a failure rather than an honest "don't know".
    `terms` (the question's terms and their rarity) let verification compare how much of the
    question the answer and the extractive quotes take up.
    """
    if not hits:
        return extractive
    started = time.perf_counter()
    try:
        raw = _run(question, hits, generator, verifier, on_draft)
    except GenerationError as exc:
        # Details (paths, endpoints) go to the log; the user gets one plain line.
        log.warning("%s generator failed, answering extractively: %s", generator.name, exc)
        what = "took too long" if isinstance(exc, GenerationTimeout) else "is unavailable"
        elapsed = (time.perf_counter() - started) * 1000
        return fallback(extractive, f"The answer model {what}; showing quoted passages.", elapsed)
    elapsed = (time.perf_counter() - started) * 1000
    return answer_from_text(
        question, hits, extractive, raw, verifier, generator.name, elapsed, terms=terms
    )


def answer_from_text(
    question: str,
    hits: Sequence[Hit],
    extractive: Answer,
    text: str,
    verifier: Verifier,
    name: str,
    elapsed_ms: float = 0.0,
    *,
    terms: QuestionTerms | None = None,
) -> Answer:
    """Verify a model's `text` and decide what to show: it, a refusal, or the fallback."""
    verified = verifier.verify(text, hits)
    reason = verifier.fallback_reason(
        verified,
        retrieval_strong=not extractive.refused,
        question=question,
        quotes=[c.quote for c in extractive.citations],
        terms=terms,
    )
    log.debug(
        "generated answer: %d/%d claims verified, refused=%s, fallback=%s",
        len(verified.kept),
        len(verified.claims),
        verified.refused,
        reason,
    )
    counts = (len(verified.kept), len(verified.claims))
    if reason:
        shown = fallback(extractive, f"Showing quoted passages: {reason}.", elapsed_ms)
        return dataclasses.replace(shown, verified_sentences=counts)
    if verified.refused:  # the model agrees the sources don't cover it: keep our nearest passages
        refusal = dataclasses.replace(extractive, generator=name, verified_sentences=counts)
        return _with_timing(refusal, elapsed_ms)
    answer_text, citations = renumber(verified, hits)
    timings = {**extractive.timings_ms, "generate": elapsed_ms}
    # extractive.question is the user's own words (`question` may include the conversation)
    return Answer(extractive.question, answer_text, False, tuple(citations), timings, name, counts)


def _run(
    question: str,
    hits: Sequence[Hit],
    generator: Generator,
    verifier: Verifier,
    on_draft: Draft | None,
) -> str:
    """The model's full text; with `on_draft`, verified drafts as each sentence completes."""
    if on_draft is None:
        return generator.generate(question, hits)
    raw, shown, done = "", "", 0
    for token in generator.stream(question, hits):
        raw += token
        spans = sentence_spans(raw)
        if len(spans) - 1 > done:  # a sentence is complete once the next one has started
            done = len(spans) - 1
            draft, _ = renumber(verifier.verify(raw[: spans[-1][0]], hits), hits)
            if draft and draft != shown:
                shown = draft
                on_draft(draft)
    return raw


def renumber(verified: Verified, hits: Sequence[Hit]) -> tuple[str, list[Citation]]:
    """Answer text with markers renumbered 1..n by first appearance, and their citations."""
    order: dict[int, int] = {}
    for sentence in verified.kept:
        for n in sentence.cited:
            order.setdefault(n, len(order) + 1)
    text = " ".join(
        MARKER.sub(lambda m: f"[{order[int(m[1])]}]" if int(m[1]) in order else "", s.text)
        for s in verified.kept
    )
    citations = [_citation(new, hits[old - 1], verified.kept, old) for old, new in order.items()]
    return text, citations


def _citation(n: int, hit: Hit, kept: list[Checked], passage: int) -> Citation:
    """A citation of our stored passage; the quote is one exact slice of it (the run of
    adjacent sentences that includes the best-matching evidence)."""
    matched = [(s.similarity, a, b) for s in kept for (p, a, b) in s.evidence if p == passage]
    groups: list[tuple[int, int]] = []
    for a, b in sorted({(a, b) for _, a, b in matched}):
        if groups and not hit.text[groups[-1][1] : a].strip():  # overlapping or adjacent
            groups[-1] = (groups[-1][0], max(b, groups[-1][1]))
        else:
            groups.append((a, b))
    score, best_start, _ = max(matched, default=(float(hit.score), 0, 0))
    a, b = next(((a, b) for a, b in groups if a <= best_start < b), (0, 0))
    quote = hit.text[a:b]
    if not quote or strip_markup(quote, hit.meta("url")) != quote:
        # Never quote a link or image target; use the cleaned sentences instead of the slice.
        quote = " ".join(e.text for e in evidence(hit) if a <= e.start and e.end <= b)
        quote = quote or clean_passage(hit)[:300]
    return Citation.from_hit(n, hit, quote, score)


def fallback(extractive: Answer, notice: str, elapsed_ms: float | None = None) -> Answer:
    """`extractive`, marked as a fallback, with a one-line notice after the answer."""
    text = f"{extractive.answer}\n\n_{notice}_" if notice else extractive.answer
    answer = dataclasses.replace(extractive, answer=text, generator=FALLBACK)
    return _with_timing(answer, elapsed_ms) if elapsed_ms is not None else answer


def _with_timing(answer: Answer, elapsed_ms: float) -> Answer:
    return dataclasses.replace(answer, timings_ms={**answer.timings_ms, "generate": elapsed_ms})
