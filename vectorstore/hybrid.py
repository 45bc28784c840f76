"""Hybrid retrieval: dense (Chroma) and BM25 (bm25s) candidates fused by reciprocal rank.

The BM25 index lives in memory, built from the store's chunks; call `refresh()` after writes.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from vectorstore.acronyms import spelled_out
from vectorstore.embeddings import Embedder
from vectorstore.records import Hit, Metadata
from vectorstore.store import ChromaStore

log = logging.getLogger(__name__)

RRF_K = 60  # the usual constant from Cormack et al.; dampens the weight of top ranks
_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # bm25s's default token pattern
# The words that make a question a question ("how much can they…"), on top of bm25s's short
# list: they say what kind of answer is wanted, not what it is about, so a passage is not more
# relevant for containing them, nor less for lacking them.
QUESTION_WORDS = frozenset(
    "how what which who whom whose when where why much many do does did done can could would "
    "should shall may might must has have had i me my mine we us our you your he she him her "
    "his its them am been being so just any some anyone anything about also very really "
    "please tell know thing things get got".split()
)


_local = threading.local()


@functools.cache
def stopwords() -> frozenset[str]:
    """bm25s's English stop words (imported on first use: bm25s is not light)."""
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def stems(text: str) -> list[str]:
    """Stemmed content words, as bm25s's tokenizer makes them (without its per-call cost);
    stop words and question words left out."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:  # one per thread: a Stemmer keeps state between calls
        import Stemmer

        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    words = [
        w for w in _TOKEN.findall(text.lower()) if w not in stopwords() and w not in QUESTION_WORDS
    ]
    return stemmer.stemWords(words)


def _tokenizer() -> Any:
    import Stemmer
    from bm25s.tokenization import Tokenizer

    return Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en", lower=True)


def shingles(text: str, size: int = 3) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower())
    return {tuple(words[i : i + size]) for i in range(max(1, len(words) - size + 1))}


def near_duplicate(a: str, b: str, threshold: float = 0.8) -> bool:
    """Whether two passages say the same thing in (almost) the same words (shingle Jaccard)."""
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return False
    return len(sa & sb) / len(sa | sb) >= threshold


@dataclass(frozen=True)
class _Snapshot:
    """Everything a search reads, swapped in by one assignment so readers never see a mix."""

    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    meta: list[Metadata] = field(default_factory=list)
    pos: dict[str, int] = field(default_factory=dict)
    bm25: Any = None
    tok: Any = None
    df: Counter[str] = field(default_factory=Counter)
    active: dict[str, str] = field(default_factory=dict)
    acronyms: dict[str, str] = field(default_factory=dict)  # that the passages spell out


class HybridIndex:
    """Search over a ChromaStore with dense + BM25 fusion, version filtering and de-duplication."""

    def __init__(
        self,
        store: ChromaStore,
        embedder: Embedder,
        *,
        dense_weight: float = 1.0,
        lexical_weight: float = 1.0,
    ):
        self.store = store
        self.embedder = embedder
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        self._snap = _Snapshot()
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the BM25 index and the active-version map from the store."""
        import bm25s

        active = {d.doc_id: d.content_hash for d in self.store.documents().values()}
        ids, texts, metas = [], [], []
        for cid, text, meta in self.store.all_chunks():
            if active.get(str(meta.get("doc_id"))) != meta.get("content_hash"):
                continue  # a superseded or half-written version: not searchable, not counted
            ids.append(cid)
            texts.append(text)
            metas.append(meta)
        tok = _tokenizer()
        bm25 = None
        df: Counter[str] = Counter()
        if ids:
            lexical = [
                f"{m.get('title', '')}. {m.get('heading', '')}. {t}" for t, m in zip(texts, metas)
            ]
            tokens = tok.tokenize(lexical, return_as="tuple", show_progress=False)
            bm25 = bm25s.BM25()
            bm25.index(tokens, show_progress=False)
            inverse = {v: k for k, v in tokens.vocab.items()}
            for doc in tokens.ids:
                df.update(inverse[i] for i in set(doc))
        pos = {cid: i for i, cid in enumerate(ids)}
        self._snap = _Snapshot(ids, texts, metas, pos, bm25, tok, df, active, spelled_out(texts))
        log.debug("hybrid index: %d chunks, %d documents", len(ids), len(active))

    def stale(self) -> bool:
        """Whether the store's documents (ids and active versions) differ from those this index
        was built from: another process wrote to a shared store since the last refresh."""
        current = {d.doc_id: d.content_hash for d in self.store.documents().values()}
        return current != self._snap.active

    @property
    def size(self) -> int:
        return len(self._snap.ids)

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed term over the chunks (high = rare)."""
        snap = self._snap
        n, df = max(1, len(snap.ids)), snap.df.get(term, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def is_acronym(self, term: str) -> bool:
        """Whether a term is an acronym that some passage spells out ("fdp")."""
        return term in self._snap.acronyms

    def query_terms(self, text: str) -> list[str]:
        """A question's stemmed content words; each word the passages never use becomes a
        placeholder ("?0", "?1", …) with the highest idf, so it counts as rare and uncovered."""
        found = stems(text)
        unknown = iter(range(len(found)))
        df = self._snap.df
        return list(dict.fromkeys(s if s in df else f"?{next(unknown)}" for s in found))

    def known_share(self, text: str) -> float:
        """Share of the text's content words (stop words aside) that occur in the passages."""
        terms = self.query_terms(text)
        return sum(1 for t in terms if not t.startswith("?")) / len(terms) if terms else 0.0

    def terms(self, text: str) -> list[str]:
        """Text as the stemmed, stop-word-free terms BM25 uses."""
        df = self._snap.df
        return [s for s in stems(text) if s in df]

    def search(self, query: str, k: int, *, query_vector: np.ndarray | None = None) -> list[Hit]:
        """The k best passages for `query`, fused, filtered to active versions, de-duplicated."""
        snap = self._snap  # one consistent view for the whole search
        if not snap.ids or k <= 0:
            return []
        vector = query_vector if query_vector is not None else self.embedder.embed([query])[0]
        pool = max(4 * k, 24)
        dense = self.store.query(vector, min(pool, len(snap.ids)))
        lexical = self._lexical(snap, query, pool)
        fused: dict[str, float] = {}
        for weight, ranked in ((self.dense_weight, dense), (self.lexical_weight, lexical)):
            for rank, (cid, _) in enumerate(ranked):
                fused[cid] = fused.get(cid, 0.0) + weight / (RRF_K + rank + 1)
        dense_sim, lex_score = dict(dense), dict(lexical)
        hits = []
        for cid in sorted(fused, key=fused.__getitem__, reverse=True):
            hit = self._hit(snap, cid, fused[cid], dense_sim.get(cid), lex_score.get(cid, 0.0))
            if hit is None or any(near_duplicate(hit.text, h.text) for h in hits):
                continue
            hits.append(hit)
            if len(hits) == k:
                break
        return self._fill_dense(hits, vector)

    def _lexical(self, snap: _Snapshot, query: str, pool: int) -> list[tuple[str, float]]:
        bm25, tok, ids = snap.bm25, snap.tok, snap.ids
        q = tok.tokenize([query], update_vocab=False, return_as="ids", show_progress=False)
        q = [[t for t in q[0] if t != 0]]  # 0 is the empty token bm25s gives unknown words
        if not q[0]:
            return []
        docs, scores = bm25.retrieve(q, k=min(pool, len(ids)), show_progress=False)
        return [(ids[d], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

    def _hit(
        self, snap: _Snapshot, cid: str, score: float, dense: float | None, lexical: float
    ) -> Hit | None:
        pos = snap.pos.get(cid)
        if pos is None:
            return None  # written after the last refresh: not visible yet
        meta = snap.meta[pos]
        doc_id = str(meta.get("doc_id", ""))
        if snap.active.get(doc_id) != meta.get("content_hash"):
            return None  # an old or half-written version
        extra = {"has_dense": dense is not None}
        return Hit(cid, doc_id, snap.texts[pos], meta, score, dense or 0.0, lexical, extra)

    def _fill_dense(self, hits: list[Hit], vector: np.ndarray) -> list[Hit]:
        """Give BM25-only hits their cosine similarity too (the coverage check needs it)."""
        missing = [h for h in hits if not h.extra.get("has_dense")]
        if not missing:
            return hits
        stored = self.store.embeddings([h.chunk_id for h in missing])
        gone = [h for h in missing if h.chunk_id not in stored]
        if gone:  # superseded while this search ran (a re-ingest): embed the text it holds
            stored.update(
                zip([h.chunk_id for h in gone], self.embedder.embed([h.text for h in gone]))
            )
        filled = {h.chunk_id: replace(h, dense=float(stored[h.chunk_id] @ vector)) for h in missing}
        return [filled.get(h.chunk_id, h) for h in hits]

    def chunk(self, chunk_id: str) -> Hit | None:
        """One active stored chunk by id."""
        return self._hit(self._snap, chunk_id, 0.0, None, 0.0)
