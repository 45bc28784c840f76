"""What gets embedded for a chunk: its text in context, and a vector for each of its sentences."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ingest.sentences import sentence_spans
from vectorstore.embeddings import Embedder
from vectorstore.records import SpanVectors


def embedding_input(title: str, heading: str, text: str) -> tuple[str, int]:
    """The text embedded for a chunk, and where the chunk's own text starts in it. The title
    and heading give the chunk's vector, and its sentences' vectors, the context the text leaves
    implicit ("it", "the platform")."""
    prefix = f"{title}. {heading}. " if heading else f"{title}. "
    return prefix + text, len(prefix)


def embed_chunks(
    embedder: Embedder, chunks: Sequence[tuple[str, str, str]]
) -> tuple[np.ndarray, list[SpanVectors]]:
    """Vectors of chunks given as (title, heading, text), plus their sentences' vectors (spans
    are offsets into the chunk's text), from one pass of the model."""
    inputs = [embedding_input(*chunk) for chunk in chunks]
    spans = [sentence_spans(text) for _, _, text in chunks]
    vectors, pooled = embedder.embed_spans(
        [text for text, _ in inputs],
        [[(a + offset, b + offset) for a, b in s] for s, (_, offset) in zip(spans, inputs)],
    )
    return vectors, [SpanVectors(tuple(s), v) for s, v in zip(spans, pooled)]
