"""A benchmark instrument, not an embedding model: hashed word counts as 384-d unit vectors.

The scale curve (benchmarks/scale_curve.py) ingests millions of units; the real model embeds
about 100 a second here, so a corpus of 100,000 articles would take days to embed. This stand-in
takes microseconds a unit and has the shape the pipeline and ingest expect (the same `embed`,
`tokenize`, `embed_batch_size` and llama-index `BaseEmbedding` surface as
`ingest.embedder.MiniLMEmbedding`), so Chroma, the index build and a service are measured with
the same number and size of vectors as with the model.

What its vectors carry is word overlap and nothing else: each lower-cased word token is hashed
(BLAKE2b, so the same on every run and machine) to one of 384 dimensions and a sign, the counts
are summed and the vector is scaled to unit length. Answers found with it say nothing about
quality; only their cost is measured. It lives in benchmarks/, which ingest/ and service/ never
import (tests/test_layers.py), so no product setting can select it.
"""

import hashlib
import re
from collections.abc import Callable, Sequence

import numpy as np
from pydantic import PrivateAttr

from ingest.embedder import ArrayEmbedding
from ingest.minilm import DIMENSIONS

MODEL_ID = "stand-in-word-hashing-384 (benchmark instrument, not a model)"
WORD = re.compile(r"\w+")


class StandInEmbedder(ArrayEmbedding):
    """Deterministic word-hashing vectors for benchmarks only; see the module docstring."""

    _slots: dict[str, int] = PrivateAttr(default_factory=dict)

    def __init__(self, embed_batch_size: int = 1024) -> None:
        super().__init__(model_name=MODEL_ID, embed_batch_size=embed_batch_size)

    @classmethod
    def class_name(cls) -> str:
        return "StandInEmbedder"

    def _slot(self, word: str) -> int:
        """The word's dimension (0..383) times two, plus one when its sign is negative."""
        slot = self._slots.get(word)
        if slot is None:
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            slot = int.from_bytes(digest, "little") % (2 * DIMENSIONS)
            self._slots[word] = slot
        return slot

    def tokenize(self, text: str) -> list[int]:
        """The text's word tokens as slot numbers (for callers that count tokens)."""
        return [self._slot(w) for w in WORD.findall(text.lower())]

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the order given; `on_batch` hears
        how many texts each batch of `embed_batch_size` embedded, as MiniLMEmbedding's does."""
        result = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for begin in range(0, len(texts), self.embed_batch_size):
            batch = texts[begin : begin + self.embed_batch_size]
            result[begin : begin + len(batch)] = self._embed_batch(batch)
            if on_batch is not None:
                on_batch(len(batch))
        return result

    def _embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        rows: list[int] = []
        slots: list[int] = []
        for row, text in enumerate(texts):
            found = self.tokenize(text)
            slots.extend(found)
            rows.extend([row] * len(found))
        slot = np.asarray(slots, dtype=np.int64)
        sign = np.where(slot % 2 == 1, -1.0, 1.0)
        flat = np.asarray(rows, dtype=np.int64) * DIMENSIONS + slot // 2
        counts = np.bincount(flat, weights=sign, minlength=len(texts) * DIMENSIONS)
        vectors = counts.reshape(len(texts), DIMENSIONS).astype(np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        # A text without words (or whose counts cancel) still gets a unit vector: Chroma's
        # cosine distance is undefined for a zero one.
        empty = norms[:, 0] == 0
        vectors[empty, 0] = 1.0
        norms[empty] = 1.0
        return vectors / norms
