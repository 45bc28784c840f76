"""Data that crosses the store boundary: what is written (ChunkRecord) and what comes back (Hit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

Metadata = dict[str, str | int | float | bool]


@dataclass(frozen=True)
class ChunkRecord:
    """One stored passage: its text and metadata (title, heading, publisher, dates, link)."""

    chunk_id: str
    doc_id: str
    text: str
    metadata: Metadata


@dataclass(frozen=True)
class SpanVectors:
    """Vectors of (start, end) character spans of one chunk's text: its sentences."""

    spans: tuple[tuple[int, int], ...]
    vectors: np.ndarray  # one unit-length row per span

    def vector(self, start: int, end: int) -> np.ndarray | None:
        try:
            return self.vectors[self.spans.index((start, end))]
        except ValueError:
            return None


@dataclass(frozen=True)
class DocRecord:
    """One stored document: its manifest entry (hash of the active version and details)."""

    doc_id: str
    content_hash: str
    metadata: Metadata = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    """A retrieved passage with its fused score and the parts it was fused from."""

    chunk_id: str
    doc_id: str
    text: str
    metadata: Metadata
    score: float
    dense: float = 0.0  # cosine similarity to the query, 0 when only BM25 found it
    lexical: float = 0.0  # BM25 score, 0 when only the dense search found it
    extra: dict[str, Any] = field(default_factory=dict)

    def meta(self, key: str, default: str = "") -> str:
        value = self.metadata.get(key, default)
        return str(value) if value is not None else default
