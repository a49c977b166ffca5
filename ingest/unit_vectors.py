"""Each unit's vector in index order (row i is BM25 document i), written by ingest beside the
corpus tables.

Retrieval needs the similarity to the question of the units only BM25 found. Asking Chroma for
their vectors cost 0.6 ms a question whatever their number (a `get` by id, half its nearest-
neighbour query), on a 12 ms question; a row here is a read from the page cache. Half
precision: the similarities move by less than 1e-3, and at two million units the file is 1.5 GB,
not 3.
"""

import os
from collections.abc import Sequence
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


class VectorRows:
    """A service's reader of a generation's table: rows read with `pread`, not mapped. A mapped
    page counts as a process's own memory (USS) while no other process maps it, and the kernel
    maps sixteen pages around each one touched: mapped, a thousand questions grew one process by
    40 MB at 3,000 articles, and on with the archive."""

    def __init__(self, folder: Path) -> None:
        # Kept open: a later ingest may remove the folder, and an open file stays readable.
        self._file = (folder / FILE).open("rb")
        major, _ = np.lib.format.read_magic(self._file)
        header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
        (_, width), _, self._dtype = header(self._file)
        self._start = self._file.tell()
        self._row_bytes = width * self._dtype.itemsize

    def rows(self, positions: Sequence[int]) -> np.ndarray:
        """The vectors at these positions, as float32."""
        fd, size, start = self._file.fileno(), self._row_bytes, self._start
        data = b"".join(os.pread(fd, size, start + p * size) for p in positions)
        return np.frombuffer(data, dtype=self._dtype).reshape(len(positions), -1).astype(np.float32)
