"""Vectors of retrieved passages' sentences: stored beside the chunks at ingest, so answering
embeds nothing but the question. Chunks stored without them (by an older version) get theirs
computed once, the same way, and kept in memory."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.answering.lru import LruCache
from ingest.chunk_vectors import embed_chunks
from vectorstore.embeddings import Embedder
from vectorstore.records import Hit, SpanVectors
from vectorstore.store import ChromaStore


class SentenceVectors:
    """`vectors(hit, spans)`: one unit vector per (start, end) sentence span of `hit.text`."""

    def __init__(self, store: ChromaStore, embedder: Embedder, cache_size: int = 2048):
        self.store = store
        self.embedder = embedder
        self._cache: LruCache[str, SpanVectors] = LruCache(cache_size)

    def forget(self) -> None:
        """Drop the vectors kept in memory (benchmarks time reading them from the store)."""
        self._cache.clear()

    def vectors(self, wanted: Sequence[tuple[Hit, int, int]]) -> np.ndarray:
        """Vectors of (hit, start, end) sentences, in order."""
        if not wanted:
            return np.zeros((0, 0), dtype=np.float32)
        hits = {hit.chunk_id: hit for hit, _, _ in wanted}
        known = self._known(list(hits))
        stale = {
            hit.chunk_id
            for hit, start, end in wanted
            if hit.chunk_id not in known or known[hit.chunk_id].vector(start, end) is None
        }
        if stale:
            known.update(self._compute([hits[cid] for cid in stale]))
        out = []
        for hit, start, end in wanted:
            vec = known[hit.chunk_id].vector(start, end)
            if vec is None:  # not a sentence of the passage: embed it on its own
                vec = self.embedder.embed([hit.text[start:end]])[0]
            out.append(vec)
        return np.stack(out)

    def _known(self, chunk_ids: list[str]) -> dict[str, SpanVectors]:
        found = self._cache.get_many(chunk_ids)
        todo = [c for c in chunk_ids if c not in found]
        if todo:
            stored = self.store.span_vectors(todo)
            self._cache.put_many(stored)
            found.update(stored)
        return found

    def _compute(self, hits: list[Hit]) -> dict[str, SpanVectors]:
        _, computed = embed_chunks(
            self.embedder, [(h.meta("title"), h.meta("heading"), h.text) for h in hits]
        )
        out = {h.chunk_id: sv for h, sv in zip(hits, computed)}
        self._cache.put_many(out)
        return out
