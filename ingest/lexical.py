"""The BM25 leg's index: built by ingest over every unit's retrieval text, opened memory-mapped.

LlamaIndex's `BM25Retriever` persists through bm25s (the sparse score matrix as .npy files and
the nodes as JSON lines); loaded with `mmap=True`, the matrix and the nodes stay on disk and in
the page cache that every service process on the host shares. The nodes are bare (id and
retrieval text): a hit is looked up in the corpus index by id anyway.
"""

import logging
from collections.abc import Iterable
from pathlib import Path

from llama_index.core.schema import TextNode
from llama_index.retrievers.bm25 import BM25Retriever

from ingest.units import Unit

FOLDER = "bm25"
# bm25s logs every index build at DEBUG through its own handler, and every memory-mapped open
# and close at INFO through the root logger; keep the console for us.
logging.getLogger("bm25s").setLevel(logging.WARNING)


class _QuietBm25s(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "bm25s" not in Path(record.pathname).parts


logging.getLogger().addFilter(_QuietBm25s())


def write(units: Iterable[Unit], folder: Path) -> bool:
    """Persist the BM25 index of `units` under `folder`; False when there is nothing to index."""
    bare = [TextNode(id_=u.id, text=u.retrieval_text()) for u in units]
    if not bare:
        return False
    # bm25s also saves the node file's line offsets, so a memory-mapped load only reads.
    BM25Retriever.from_defaults(nodes=bare).persist(str(folder / FOLDER), show_progress=False)
    return True


def open_retriever(folder: Path, top_k: int) -> BM25Retriever | None:
    """The persisted BM25 retriever of a generation, None when it indexed nothing."""
    path = folder / FOLDER
    if not path.is_dir():
        return None
    retriever = BM25Retriever.from_persist_dir(str(path), mmap=True, show_progress=False, leave_progress=False)
    retriever.similarity_top_k = min(top_k, int(retriever.bm25.scores["num_docs"]))
    return retriever
