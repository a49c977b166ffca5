"""The BM25 leg's index: built by ingest over every unit's retrieval text, opened memory-mapped.

bm25s does the work, tokenising as LlamaIndex's `BM25Retriever` does (English stop words and
Snowball stemmer for documents, the stemmer alone for queries). That retriever is not used:
persisted, it stores every node as JSON and turns each hit back into a node, and at our depth
(40 hits per question) that was a quarter of the cost of answering. Here a hit is a document
position, which the corpus index maps to its unit (ingest/corpus_index.py keeps units in the
same order). The sparse score matrix is loaded with `mmap=True`: it stays on disk and in the
page cache that every service process on the host shares.
"""

import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

FOLDER = "bm25"
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
# bm25s logs every index build at DEBUG through its own handler; keep the console for us.
logging.getLogger("bm25s").setLevel(logging.WARNING)


def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def write(texts: Sequence[str], folder: Path) -> bool:
    """Persist the BM25 index of `texts` (document i is unit i) under `folder`; False when
    there is nothing to index."""
    if not texts:
        return False
    tokens = bm25s.tokenize(
        list(texts), stopwords="en", stemmer=_stemmer(), token_pattern=TOKEN_PATTERN, show_progress=False
    )
    index = bm25s.BM25()
    index.index(tokens, show_progress=False)
    index.save(str(folder / FOLDER))
    return True


class LexicalIndex:
    def __init__(self, folder: Path) -> None:
        self._bm25 = bm25s.BM25.load(str(folder / FOLDER), mmap=True, load_corpus=False, show_progress=False)
        self._stemmer = _stemmer()
        self.size = int(self._bm25.scores["num_docs"])

    @classmethod
    def open(cls, folder: Path) -> "LexicalIndex | None":
        """A generation's BM25 index, None when it indexed nothing."""
        return cls(folder) if (folder / FOLDER).is_dir() else None

    def top(self, query: str, k: int) -> list[int]:
        """Positions of the `k` best documents for `query`, best first (ties in index order)."""
        tokens = bm25s.tokenize(query, stemmer=self._stemmer, token_pattern=TOKEN_PATTERN, show_progress=False)
        positions, scores = self._bm25.retrieve(tokens, k=min(k, self.size), show_progress=False)
        order = np.argsort(-scores[0], kind="stable")  # as LlamaIndex's fusion sorts each leg
        return [int(positions[0][i]) for i in order]
