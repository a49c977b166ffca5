"""The offline embedding model (ingest/minilm.py) as a llama-index embedding model, so library
components can use it directly."""

from collections.abc import Callable, Sequence

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from ingest.minilm import MODEL_ID, MiniLM
from ingest.settings import StoreSettings


class ArrayEmbedding(BaseEmbedding):
    """A llama-index embedding model whose one method is `embed`: texts in, unit vectors out."""

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        raise NotImplementedError

    def _get_query_embedding(self, query: str) -> list[float]:
        return self.embed([query])[0].tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class MiniLMEmbedding(ArrayEmbedding):
    threads: int = 2
    _model: MiniLM = PrivateAttr()

    def __init__(self, threads: int = 2, embed_batch_size: int = 32) -> None:
        super().__init__(model_name=MODEL_ID, threads=threads, embed_batch_size=embed_batch_size)
        self._model = MiniLM(threads, embed_batch_size)

    @classmethod
    def configured(cls, store: StoreSettings) -> "MiniLMEmbedding":
        """The model with the threads and batch size CITELINE_EMBED_* ask for."""
        return cls(threads=store.embed_threads, embed_batch_size=store.embed_batch_size)

    @classmethod
    def class_name(cls) -> str:
        return "MiniLMEmbedding"

    def tokenize(self, text: str) -> list[int]:
        return self._model.tokenize(text)

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        return self._model.embed(texts, on_batch)
