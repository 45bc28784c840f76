"""The Chroma store: chunks with our own embeddings, plus a manifest of documents.

The manifest (one record per document, in a second collection) names each document's active
version. Chunks of a new version are written first, then the manifest switches, then the old
chunks go: readers filter hits by the manifest, so a query during a re-ingest sees the old or the
new version, never a mix. Chunks whose version the manifest does not name are orphans that the
next `sweep_orphans()` removes (after a crash, say).

Sentence vectors live in a third collection, `name-spans`, one record per chunk under the chunk's
id, as float16 in its metadata: they are looked up by id, never searched, so they need no vector
index (nor the record's text, which Chroma indexes for full-text search: 5x slower writes).
They are written after their chunks and deleted before them, so a span record never outlives
its chunk.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np

from vectorstore.records import ChunkRecord, DocRecord, Hit, Metadata, SpanVectors
from vectorstore.server import (
    StoreUnavailableError,
    chroma_settings,
    server_client,
    server_of,
    unavailable_as_error,
)

__all__ = ["BATCH", "ChromaStore", "StoreUnavailableError", "embedded_client", "server_client"]

log = logging.getLogger(__name__)

BATCH = 2000  # below Chroma's max batch size, large enough to amortise the per-call cost
# On a server, another process's write in progress looks like orphans (its chunks are stored,
# its manifest not yet switched): only orphans older than this are swept there. One document's
# write takes minutes at most (ingest.limits).
SERVER_ORPHAN_AGE_S = 3600
# HNSW's candidate list when searching. At Chroma's default (100) two fresh builds of the
# bundled corpus disagreed on the top 5 passages for about 1 question in 120 (a true neighbour
# missed, differently on each build); at 200, four builds found the same ones.
EF_SEARCH = 200
# HNSW built on one thread. Chroma rebuilds the part of the index written since its last sync
# each time a process opens the store, and hnswlib's build on several threads links the graph
# differently each time: the same question, on the same store, now and then got a slightly
# different list of nearest passages, and one eval question flipped between refused and
# answered from run to run (chroma-core/chroma#2675).
BUILD_THREADS = 1
P = ParamSpec("P")
R = TypeVar("R")


def embedded_client(path: Path) -> Any:
    """An embedded Chroma client on `path` (one process only: see `vectorstore.lock`)."""
    import chromadb

    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings())


def _search_wide(collection: Any) -> None:
    """A store made before EF_SEARCH or BUILD_THREADS keeps its old settings until told."""
    hnsw = (collection.configuration or {}).get("hnsw") or {}
    if hnsw.get("ef_search", EF_SEARCH) < EF_SEARCH or build_threads(collection) != BUILD_THREADS:
        collection.modify(
            configuration={"hnsw": {"ef_search": EF_SEARCH, "num_threads": BUILD_THREADS}}
        )


def build_threads(collection: Any) -> int | None:
    """The threads the collection's HNSW index is built with (Chroma keeps this in the
    collection's schema, not in its `configuration`); None when the schema doesn't say."""
    try:
        keys = collection.schema.serialize_to_json()["keys"]
        return keys["#embedding"]["float_list"]["vector_index"]["config"]["hnsw"]["num_threads"]
    except (AttributeError, KeyError, TypeError):
        return None


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Run a ChromaStore method under `unavailable_as_error` for its server."""

    @functools.wraps(method)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        store = args[0]
        assert isinstance(store, ChromaStore)
        with store.guard():
            return method(*args, **kwargs)

    return run


class ChromaStore:
    """Chunks, the document manifest and chunks' sentence vectors in three Chroma collections:
    `name`, `name-docs` and `name-spans`."""

    def __init__(self, client: Any, name: str = "nhsbot"):
        self._client = client
        self.name = name
        self._where, self._timeout_s = server_of(client)
        with self.guard():
            self._chunks = client.get_or_create_collection(
                name,
                embedding_function=None,
                configuration={
                    "hnsw": {
                        "space": "cosine",
                        "ef_search": EF_SEARCH,
                        "num_threads": BUILD_THREADS,
                    }
                },
            )
            _search_wide(self._chunks)
            self._docs = client.get_or_create_collection(f"{name}-docs", embedding_function=None)
            self._spans = client.get_or_create_collection(f"{name}-spans", embedding_function=None)
        self._deferred: list[tuple[str, str]] | None = None

    def guard(self) -> contextlib.AbstractContextManager[None]:
        """A block in which the server's connection failures and timeouts raise
        StoreUnavailableError (every public method runs in one)."""
        return unavailable_as_error(self._where, self._timeout_s)

    # --- documents -------------------------------------------------------------------------
    @_guarded
    def documents(self) -> dict[str, DocRecord]:
        """Every document in the manifest, by id."""
        got = self._docs.get(include=["metadatas"])
        out: dict[str, DocRecord] = {}
        for doc_id, meta in zip(got["ids"], got["metadatas"] or []):
            meta = dict(meta or {})
            out[doc_id] = DocRecord(doc_id, str(meta.pop("content_hash", "")), meta)
        return out

    @_guarded
    def replace_document(
        self,
        doc: DocRecord,
        chunks: Sequence[ChunkRecord],
        embeddings: np.ndarray,
        spans: Sequence[SpanVectors] = (),
        *,
        is_new: bool = False,
    ) -> None:
        """Write a document's new version (its chunks, then their sentence vectors `spans` if
        given, one per chunk), switch the manifest to it, then drop other versions (`is_new`:
        there are none, so skip that delete, which scans the whole collection)."""
        written_at = int(time.time())  # when, for sweeping orphans on a shared server
        for start in range(0, len(chunks), BATCH):
            part = chunks[start : start + BATCH]
            self._chunks.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=embeddings[start : start + BATCH],
                documents=[c.text for c in part],
                metadatas=[{**c.metadata, "written_at": written_at} for c in part],
            )
        for start in range(0, len(spans), BATCH):
            pairs = list(zip(chunks[start : start + BATCH], spans[start : start + BATCH]))
            self._spans.upsert(
                ids=[c.chunk_id for c, _ in pairs],
                embeddings=[[0.0]] * len(pairs),
                metadatas=[
                    {"doc_id": doc.doc_id, "content_hash": doc.content_hash, **_encode_spans(sv)}
                    for _, sv in pairs
                ],
            )
        meta: Metadata = {**doc.metadata, "content_hash": doc.content_hash}
        self._docs.upsert(ids=[doc.doc_id], embeddings=[[0.0]], metadatas=[meta])
        if is_new:
            return
        if self._deferred is not None:
            self._deferred.append((doc.doc_id, doc.content_hash))
        else:
            self._drop_other_versions(doc.doc_id, doc.content_hash)

    @contextlib.contextmanager
    def deferred_cleanup(self) -> Iterator[None]:
        """Keep superseded versions' chunks until the block ends. A caller that refreshes its
        search index inside the block never leaves readers without a document's visible version
        (they filter by the manifest they loaded, and those chunks are still there)."""
        self._deferred = []
        try:
            yield
        finally:
            pending, self._deferred = self._deferred, None
            for doc_id, digest in pending:
                self._drop_other_versions(doc_id, digest)

    @_guarded
    def _drop_other_versions(self, doc_id: str, digest: str) -> None:
        where = {"$and": [{"doc_id": doc_id}, {"content_hash": {"$ne": digest}}]}
        self._spans.delete(where=where)
        self._chunks.delete(where=where)

    @_guarded
    def touch_document(self, doc_id: str, metadata: Metadata) -> None:
        """Update a document's manifest details (e.g. last checked) without touching chunks."""
        current = self.documents().get(doc_id)
        if current is None:
            return
        meta: Metadata = {**current.metadata, **metadata, "content_hash": current.content_hash}
        self._docs.upsert(ids=[doc_id], embeddings=[[0.0]], metadatas=[meta])

    @_guarded
    def delete_document(self, doc_id: str) -> None:
        """Remove a document: manifest first, so readers stop seeing it at once."""
        self._docs.delete(ids=[doc_id])
        self._spans.delete(where={"doc_id": doc_id})
        self._chunks.delete(where={"doc_id": doc_id})

    @_guarded
    def sweep_orphans(self) -> int:
        """Delete chunks no manifest entry points at (left by a crash mid-write). On a server,
        only those written over SERVER_ORPHAN_AGE_S ago: other processes may be mid-write."""
        active = {d.doc_id: d.content_hash for d in self.documents().values()}
        before = time.time() - SERVER_ORPHAN_AGE_S if self._where else float("inf")
        orphans = [
            chunk_id
            for chunk_id, meta in self._iter_chunk_meta()
            if active.get(str(meta.get("doc_id"))) != meta.get("content_hash")
            and float(str(meta.get("written_at") or 0)) < before
        ]
        for start in range(0, len(orphans), BATCH):
            self._spans.delete(ids=orphans[start : start + BATCH])
            self._chunks.delete(ids=orphans[start : start + BATCH])
        return len(orphans)

    # --- chunks ----------------------------------------------------------------------------
    @_guarded
    def count(self) -> int:
        return int(self._chunks.count())

    def all_chunks(self) -> Iterator[tuple[str, str, Metadata]]:
        """(id, text, metadata) of every stored chunk, in pages (for building the BM25 index)."""
        offset = 0
        while True:
            with self.guard():
                got = self._chunks.get(
                    include=["documents", "metadatas"], limit=BATCH * 5, offset=offset
                )
            if not got["ids"]:
                return
            yield from zip(got["ids"], got["documents"] or [], got["metadatas"] or [])
            offset += len(got["ids"])

    @_guarded
    def get(self, chunk_ids: Sequence[str]) -> list[Hit]:
        """Stored chunks by id, in the order asked (missing ids are left out)."""
        if not chunk_ids:
            return []
        got = self._chunks.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        found = {
            cid: Hit(cid, str((m or {}).get("doc_id", "")), d or "", dict(m or {}), 0.0)
            for cid, d, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [])
        }
        return [found[c] for c in chunk_ids if c in found]

    @_guarded
    def embeddings(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of some chunks, by id."""
        if not chunk_ids:
            return {}
        got = self._chunks.get(ids=list(chunk_ids), include=["embeddings"])
        return {
            cid: np.asarray(vec, dtype=np.float32)
            for cid, vec in zip(got["ids"], got["embeddings"])
        }

    @_guarded
    def span_vectors(self, chunk_ids: Sequence[str]) -> dict[str, SpanVectors]:
        """Stored sentence vectors by chunk id (chunks stored without them are left out)."""
        if not chunk_ids:
            return {}
        got = self._spans.get(ids=list(chunk_ids), include=["metadatas"])
        return {
            cid: _decode_spans(m)
            for cid, m in zip(got["ids"], got["metadatas"] or [])
            if m and "f16" in m
        }

    @_guarded
    def query(self, embedding: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The k nearest chunks as (id, cosine similarity), best first."""
        if k <= 0:
            return []
        got = self._chunks.query(query_embeddings=[embedding], n_results=k, include=["distances"])
        return [(cid, 1.0 - float(dist)) for cid, dist in zip(got["ids"][0], got["distances"][0])]

    def _iter_chunk_meta(self) -> Iterator[tuple[str, Metadata]]:
        offset = 0
        while True:
            with self.guard():
                got = self._chunks.get(include=["metadatas"], limit=BATCH * 5, offset=offset)
            if not got["ids"]:
                return
            yield from zip(got["ids"], got["metadatas"] or [])
            offset += len(got["ids"])


def _encode_spans(spans: SpanVectors) -> Metadata:
    raw = np.asarray(spans.vectors, dtype=np.float16).tobytes()
    return {
        "spans": json.dumps([list(s) for s in spans.spans]),
        "f16": base64.b64encode(raw).decode("ascii"),
    }


def _decode_spans(meta: Metadata) -> SpanVectors:
    spans = tuple((int(a), int(b)) for a, b in json.loads(str(meta["spans"])))
    flat = np.frombuffer(base64.b64decode(str(meta["f16"])), dtype=np.float16)
    return SpanVectors(spans, flat.reshape(len(spans), -1).astype(np.float32) if spans else flat)
