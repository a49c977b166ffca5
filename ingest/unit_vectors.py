"""Each unit's vector in index order (row i is BM25 document i), written by ingest beside the
corpus tables and opened memory-mapped.

Retrieval needs the similarity to the question of the units only BM25 found. Asking Chroma for
their vectors cost 0.6 ms a question whatever their number (a `get` by id, half its nearest-
neighbour query), on a 12 ms question; a row here is a page-cache read. Half precision: the
similarities move by less than 1e-3, and at two million units the file is 1.5 GB, not 3.
"""

from pathlib import Path

import numpy as np

from ingest.minilm import DIMENSIONS

FILE = "vectors.npy"
DTYPE = np.float16


def empty(rows: int) -> np.ndarray:
    """A table of `rows` vectors still to be filled: every row NaN (see `missing`)."""
    return np.full((rows, DIMENSIONS), np.nan, dtype=DTYPE)


def missing(table: np.ndarray) -> np.ndarray:
    """The rows of `table` not filled yet."""
    return np.flatnonzero(np.isnan(table[:, 0]))


def write(table: np.ndarray, folder: Path) -> None:
    np.save(folder / FILE, table.astype(DTYPE, copy=False))


def open_table(folder: Path) -> np.ndarray:
    """The table of a generation's folder, memory-mapped read-only."""
    return np.load(folder / FILE, mmap_mode="r")
