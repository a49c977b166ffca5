"""The index folder: one sub-folder per index generation, and a pointer to the current one.

Ingest (the one writer) builds generation N's corpus tables, BM25 index and unit vectors in a
scratch folder, renames it to `gNNNNNNNN` and then replaces the `current` pointer file, so a
reader sees either the old generation or the new one whole. Services open the pointer's
generation and look again every CITELINE_RELOAD_INTERVAL_S. The previous generation is kept for
services that have not looked yet; older ones are removed (a process that still has one open
keeps reading it: Linux frees a removed file when its last user closes it).
"""

import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ingest import corpus_index, lexical, unit_vectors
from ingest.store import StoredArticle, StoreUnavailable, UnitStore
from ingest.units import SCHEMA_VERSION, Unit

POINTER = "current"
# Vectors read from Chroma by id per call, when an interrupted run stored some.
READ_IDS = 1000
KEEP = 2
# What a generation's folder holds: bumped when its tables change. With the units' schema, it
# is written in each folder; one written by another version is not opened (a service says to run
# ingest, which rebuilds it), so an upgrade never reads tables it does not know.
FORMAT = 3
VERSION_FILE = "version"


class IndexMissing(StoreUnavailable):
    """Chroma holds units but no index was built for them: ingest has not finished."""


def folder(root: Path, generation: int) -> Path:
    return root / f"g{generation:08d}"


def current(root: Path) -> int | None:
    """The generation the pointer names, None when there is none (or its folder is gone, or was
    written by another version of citeline)."""
    try:
        generation = int((root / POINTER).read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None
    try:
        written = (folder(root, generation) / VERSION_FILE).read_text(encoding="ascii").strip()
    except OSError:
        return None
    return generation if written == version() else None


def version() -> str:
    return f"units {SCHEMA_VERSION}, index {FORMAT}"


@dataclass(frozen=True)
class Change:
    """What one ingest changed since the generation `since` was built from the store: the corpus
    files whose units and articles are gone or replaced, and what replaces them. `vectors` has
    a row per unit, NaN for those this run did not embed (an interrupted run stored them)."""

    since: int
    files: set[str]
    units: list[Unit]
    articles: list[StoredArticle]
    vectors: np.ndarray


def build(store: UnitStore, root: Path, generation: int, change: Change | None = None) -> Path:
    """Build generation `generation` and make it current: from the previous generation and
    `change` when that generation is there, else from everything `store` holds."""
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".building-", dir=root))
    try:
        scratch.chmod(0o755)  # services may run as another user
        units, articles, vectors = _contents(store, root, change)
        _fill(store, units, vectors)
        db = sqlite3.connect(scratch / corpus_index.FILE)
        with db:
            corpus_index.write(units, db, articles)
        db.close()
        lexical.write([u.retrieval_text() for u in units], scratch)
        unit_vectors.write(vectors, scratch)
        (scratch / VERSION_FILE).write_text(f"{version()}\n", encoding="ascii")
        final = folder(root, generation)
        if final.exists():  # left by a run killed before it moved the pointer
            shutil.rmtree(final)
        scratch.rename(final)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    pointer = root / f".{POINTER}.{os.getpid()}"
    pointer.write_text(f"{generation}\n", encoding="ascii")
    os.replace(pointer, root / POINTER)
    _prune(root, generation)
    return final


def _contents(
    store: UnitStore, root: Path, change: Change | None
) -> tuple[list[Unit], list[StoredArticle], np.ndarray]:
    """The units, articles and unit vectors of the new generation. Reading them all back from
    Chroma is the slow part of an ingest at scale (paged gets, growing with the archive), so a
    small change, such as a feed's new items, starts from the previous generation's local tables
    instead."""
    if change is not None and current(root) == change.since:
        before = folder(root, change.since)
        previous = corpus_index.CorpusIndex.open(before)
        kept = [(row, u) for row, u in enumerate(previous.every_unit()) if (u.file or u.source) not in change.files]
        vectors = unit_vectors.open_table(before)[[row for row, _ in kept]]
        units = [u for _, u in kept] + change.units
        articles = [a for a in previous.every_article() if a.file not in change.files]
        return units, articles + change.articles, np.concatenate([vectors, change.vectors])
    if change is not None and (store.count(), store.article_count()) == (len(change.units), len(change.articles)):
        # The store holds exactly what this run wrote (a first ingest): nothing to read back. At
        # 100,000 articles the read-back alone is about half an hour.
        return change.units, change.articles, change.vectors
    files = list(store.file_records())  # read once for both (at 100,000 files about 10 s)
    units: list[Unit] = []
    pages = [unit_vectors.empty(0)]
    for page, vectors in store.units_and_vectors(files):
        units += page
        pages.append(vectors.astype(unit_vectors.DTYPE))
    return units, list(store.all_articles(files)), np.concatenate(pages)


def _fill(store: UnitStore, units: list[Unit], vectors: np.ndarray) -> None:
    """Read from Chroma the vectors this run did not embed: what an interrupted run stored."""
    rows = unit_vectors.missing(vectors)
    for begin in range(0, len(rows), READ_IDS):
        batch = rows[begin : begin + READ_IDS]
        found = store.embeddings_of([units[row].id for row in batch])
        for row in batch:
            vectors[row] = found[units[row].id]


def _prune(root: Path, generation: int) -> None:
    kept = sorted(
        (p for p in root.glob("g*") if p.name[1:].isdigit() and int(p.name[1:]) <= generation),
        key=lambda p: int(p.name[1:]),
    )[-KEEP:]
    for path in root.iterdir():
        if path.is_dir() and path not in kept:
            shutil.rmtree(path, ignore_errors=True)


def open_current(root: Path, store: UnitStore) -> tuple[int, corpus_index.CorpusIndex]:
    """The current generation and its corpus index; an empty one when nothing was ever stored."""
    generation = current(root)
    if generation is not None:
        return generation, corpus_index.CorpusIndex.open(folder(root, generation))
    if store.count():
        raise IndexMissing(
            f"no index in {root} for the {store.count()} units in Chroma (or one built by another version "
            "of citeline): run `citeline ingest` (it builds the index), or set CITELINE_INDEX_DIR to the "
            "folder ingest wrote"
        )
    return 0, corpus_index.CorpusIndex.in_memory([])
