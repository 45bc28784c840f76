"""Small real fakes for unit tests of the answering core (in the manner of simonw/llm's
EmbedDemo): they do the work for real, only cheaply, and record what they were asked."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

DIMENSIONS = 64


class WordEmbedder:
    """Unit vectors from hashed words: texts that share words are close, others orthogonal-ish.
    `calls` keeps every batch it embedded."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, int(hashlib.sha1(word.encode()).hexdigest(), 16) % DIMENSIONS] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1.0, norms)
