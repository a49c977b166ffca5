"""The BM25 leg's index: built by ingest over every unit's retrieval text, opened memory-mapped.

bm25s does the work, tokenising as LlamaIndex's `BM25Retriever` does (bm25s's English stop words
and the Snowball stemmer). That retriever is not used:
persisted, it stores every node as JSON and turns each hit back into a node, and at our depth
(40 hits per question) that was a quarter of the cost of answering. Here a hit is a document
position, which the corpus index maps to its unit (ingest/corpus_index.py keeps units in the
same order). The sparse score matrix is loaded with `mmap=True`: it stays on disk and in the
page cache that every service process on the host shares.
"""

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

FOLDER = "bm25"
TOKEN_PATTERN = r"(?u)\b\w\w+\b"
# bm25s.tokenize drops these from documents and queries alike (its default, "english").
STOPWORDS = frozenset(STOPWORDS_EN)
# bm25s logs every index build at DEBUG through its own handler; keep the console for us.
logging.getLogger("bm25s").setLevel(logging.WARNING)


def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def write(texts: Sequence[str], folder: Path) -> None:
    """Persist the BM25 index of `texts` (document i is unit i) under `folder`; nothing when
    there is nothing to index (`LexicalIndex.open` then finds no folder)."""
    if not texts:
        return
    tokens = bm25s.tokenize(
        list(texts), stopwords=list(STOPWORDS), stemmer=_stemmer(), token_pattern=TOKEN_PATTERN, show_progress=False
    )
    index = bm25s.BM25()
    index.index(tokens, show_progress=False)
    index.save(str(folder / FOLDER))


class LexicalIndex:
    def __init__(self, folder: Path) -> None:
        self._bm25 = bm25s.BM25.load(str(folder / FOLDER), mmap=True, load_corpus=False, show_progress=False)
        self._stemmer = _stemmer()
        self._vocab: dict[str, int] = self._bm25.vocab_dict
        self._words = re.compile(TOKEN_PATTERN).findall
        self.size = int(self._bm25.scores["num_docs"])

    @classmethod
    def open(cls, folder: Path) -> "LexicalIndex | None":
        """A generation's BM25 index, None when it indexed nothing."""
        return cls(folder) if (folder / FOLDER).is_dir() else None

    def top(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[int]:
        """Positions of the `k` best documents for `query`, best first (ties in index order);
        only those in `allowed` (sorted positions) when it is given.

        bm25s's own retrieve scores every document (a dense array of the corpus's size, then a
        partial sort of it): 2 ms at 44,000 units and growing with the corpus. Only documents
        holding a query term can score, so these are summed from the term's postings alone."""
        stems = self._stemmer.stemWords([w for w in self._words(query.lower()) if w not in STOPWORDS])
        terms = np.array([self._vocab[s] for s in stems if s in self._vocab], dtype=np.int64)
        if not terms.size:
            return []
        scores = self._bm25.scores
        starts, ends = scores["indptr"][terms], scores["indptr"][terms + 1]
        docs = np.concatenate([scores["indices"][a:b] for a, b in zip(starts, ends, strict=True)])
        weights = np.concatenate([scores["data"][a:b] for a, b in zip(starts, ends, strict=True)])
        if allowed is not None:
            keep = np.isin(docs, allowed, assume_unique=False)
            docs, weights = docs[keep], weights[keep]
            if not docs.size:
                return []
        found, where = np.unique(docs, return_inverse=True)
        summed = np.bincount(where, weights=weights)
        best = np.argpartition(-summed, k - 1)[:k] if len(found) > k else np.arange(len(found))
        order = best[np.lexsort((found[best], -summed[best]))]
        return [int(found[i]) for i in order]
