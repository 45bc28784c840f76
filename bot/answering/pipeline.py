"""The answering pipeline as small named steps: read → retrieve → score → decide → compose →
generate. It only reads the store; writing is the library's job (bot/library.py)."""

from __future__ import annotations

import copy
import dataclasses
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.answering.answer import Answer
from bot.answering.calibration import Calibration
from bot.answering.coverage import QuestionTerms, coverage_features
from bot.answering.decision import Refusal, answerable, says_it_lacks
from bot.answering.extractive import compose, nearest, select
from bot.answering.generation.assemble import Draft, generated_answer
from bot.answering.generation.backends import Generator
from bot.answering.generation.verify import Verifier
from bot.answering.question import Question
from bot.answering.scoring import Sentence, SentenceScorer
from bot.answering.sentence_vectors import SentenceVectors
from vectorstore.embeddings import Embedder
from vectorstore.hybrid import HybridIndex
from vectorstore.records import Hit

log = logging.getLogger(__name__)

WARM_UP_QUESTION = "who can see my GP record?"


@dataclass(frozen=True)
class Retrieved:
    """What one question found: its passages and their sentences, best first."""

    question: Question
    vector: np.ndarray
    hits: list[Hit]
    ranked: list[Sentence]
    terms: QuestionTerms


class Answerer:
    """Answers questions from a search index, quoting (and, with a generator, writing) answers."""

    def __init__(
        self,
        index: HybridIndex,
        embedder: Embedder,
        sentence_vectors: SentenceVectors,
        calibration: Calibration,
        *,
        top_k: int = 5,
        max_question_chars: int = 1000,
        generator: Generator | None = None,
        verifier: Verifier | None = None,
    ):
        self.index = index
        self.embedder = embedder
        self.sentence_vectors = sentence_vectors
        self.calibration = calibration
        self.top_k = top_k
        self.max_question_chars = max_question_chars
        self.generator = generator  # None: extractive answers only
        self.verifier = verifier or Verifier(embedder.embed)
        self.scorer = SentenceScorer(
            sentence_vectors.vectors,
            index.terms,
            index.idf,
            calibration.weights,
            is_acronym=index.is_acronym,
        )

    def with_generator(self, generator: Generator | None) -> Answerer:
        """The same answerer writing its answers with `generator` (`nhsbot eval --llm`)."""
        other = copy.copy(self)
        other.generator = generator
        return other

    def warm(self) -> None:
        """Do now what the first question would otherwise wait for: load the embedding model
        and run it, open the store's vector index, read sentence vectors and score them, by
        answering one question with quotes (no answer model is asked: warm that on its own)."""
        self.embedder.embed([WARM_UP_QUESTION])
        self.with_generator(None).ask(WARM_UP_QUESTION)

    # --- the steps -------------------------------------------------------------------------
    def read(self, text: str, history: Sequence[tuple[str, str]] = ()) -> Question:
        """The question, checked once (QuestionError when empty or too long); `history` holds
        the earlier (question, answer) turns a follow-up may lean on."""
        return Question.read(text, self.max_question_chars, history)

    def ask(
        self, question: Question | str, *, k: int | None = None, on_draft: Draft | None = None
    ) -> Answer:
        """Answer one question (text is read first, without history).

        With a generator, the extractive answer is composed first: it is the fallback, and its
        coverage decision says whether the model is asked at all. `on_draft` then receives the
        verified part of the generated answer as it is written."""
        started = time.perf_counter()
        if isinstance(question, str):
            question = self.read(question)
        found = self.retrieve_for(question, k or self.top_k)
        retrieved = time.perf_counter()
        answer = self.compose(found, self.decide(found))
        done = time.perf_counter()
        timings = {
            "retrieve": (retrieved - started) * 1000,
            "answer": (done - retrieved) * 1000,
            "total": (done - started) * 1000,
        }
        answer = dataclasses.replace(answer, timings_ms=timings)
        # Not covered: no model is asked. A small model given near-miss passages states their
        # nearby facts (verified, yet not what was asked) instead of refusing.
        if self.generator is None or answer.refused:
            return answer
        return self.generate(found, answer, started, on_draft)

    def retrieve_for(self, question: Question, k: int) -> Retrieved:
        """Search passages for the question and rank their sentences."""
        query = question.query
        vector = self.embedder.embed([query])[0]
        hits = self.index.search(query, k, query_vector=vector)
        sentences = self.scorer.candidates(hits)
        ranked = self.scorer.score(query, vector, question.kind, sentences)
        return Retrieved(question, vector, hits, ranked, self.terms(query))

    def decide(self, found: Retrieved) -> list[Sentence] | Refusal:
        """The sentences to quote, or a Refusal when the sources don't answer the question:
        no sentence may answer it (bot/answering/decision.py), or the coverage model says the
        best of those that may are not about it, or that the best sentences before those
        checks are not (a check only refuses: it never makes an answer surer). A chatty
        message is weighed on its asking part too: its asides' words are in no passage."""
        candidates = answerable(found.question, found.ranked)
        if isinstance(candidates, Refusal):
            log.debug("refused: no sentence holds what is asked")
            return candidates
        chosen = select(candidates, **self.calibration.selection)
        lacking = says_it_lacks(found.question, chosen, found.terms.coverage)
        if lacking:
            return lacking
        unchecked = select(found.ranked, **self.calibration.selection)
        signals = self.store_signals(found)
        covered = bool(found.hits) and self.covered(found, chosen, unchecked, signals)
        question = found.question
        if not covered and found.hits and not question.earlier and question.clause != question.text:
            # the same passages: only the question's words, and how many the store knows, change
            asking = dataclasses.replace(found, terms=self.terms(question.clause))
            in_clause = (self.index.known_share(question.clause), signals[1])
            covered = self.covered(asking, chosen, unchecked, in_clause)
        return chosen if covered else Refusal(question.clause.rstrip(" ?"))

    def covered(
        self,
        found: Retrieved,
        chosen: list[Sentence],
        unchecked: list[Sentence],
        signals: tuple[float, set[str]],
    ) -> bool:
        """Whether the coverage model says `chosen` answers the question (`signals` from
        `store_signals`); and `unchecked`, what would be quoted without the checks, too: a
        check may only refuse, never make the model surer (the sentences it keeps can share
        more of the question)."""
        coverage = self.calibration.coverage
        features = self.features(found, chosen, signals)
        log.debug("coverage p=%.2f", coverage.probability(features))
        return coverage.covered(features) and (
            unchecked == chosen or coverage.covered(self.features(found, unchecked, signals))
        )

    def compose(self, found: Retrieved, chosen: list[Sentence] | Refusal) -> Answer:
        """The extractive answer: quoted sentences, or a refusal with the nearest passages."""
        text = found.question.text
        if isinstance(chosen, Refusal):
            nearest_ones = tuple(nearest(found.ranked))
            refusal = chosen.text(nearest=bool(nearest_ones))
            return Answer(text, refusal, True, nearest_ones, missing=chosen.missing)
        answer_text, citations = compose(chosen)
        return Answer(text, answer_text, False, tuple(citations))

    def generate(
        self, found: Retrieved, extractive: Answer, started: float, on_draft: Draft | None = None
    ) -> Answer:
        """The generated answer, verified against the passages found, or `extractive` as the
        fallback."""
        assert self.generator is not None
        answer = generated_answer(
            found.question.for_model,
            found.hits,
            extractive,
            self.generator,
            self.verifier,
            on_draft=on_draft,
            terms=found.terms,
        )
        total = (time.perf_counter() - started) * 1000
        return dataclasses.replace(answer, timings_ms={**answer.timings_ms, "total": total})

    # --- what the steps measure --------------------------------------------------------------
    def features(
        self,
        found: Retrieved,
        chosen: Sequence[Sentence],
        signals: tuple[float, set[str]] | None = None,
    ) -> dict[str, float]:
        """The coverage model's signals for one question (bot/answering/coverage.py), with
        `chosen` as the sentences quoted; `signals` from `store_signals` when already read."""
        idf = found.terms.idf
        known, passage_terms = signals or self.store_signals(found)
        return coverage_features(
            list(idf), idf, known, passage_terms, found.hits, found.ranked, chosen
        )

    def store_signals(self, found: Retrieved) -> tuple[float, set[str]]:
        """What the coverage signals read from the store, whichever sentences are quoted: the
        share of the question's words it knows, and the question terms in the top passages."""
        known = self.index.known_share(found.question.query)
        passage_terms: set[str] = set()
        for hit in found.hits[:3]:
            passage_terms.update(self.index.terms(f"{hit.meta('title')} {hit.text}"))
        return known, passage_terms

    def terms(self, query: str) -> QuestionTerms:
        """The query's terms (in order, each once) and how rare each is in the store."""
        return QuestionTerms({t: self.index.idf(t) for t in self.index.query_terms(query)})

    def retrieve(self, text: str, k: int) -> list[Hit]:
        """The k best passages for a text (`nhsbot eval`'s retrieval figures)."""
        return self.index.search(text, k)
