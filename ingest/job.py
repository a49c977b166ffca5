"""The ingest job: bring the Chroma store in line with the corpus folder, incrementally.

Per source file: unchanged (same size and mtime, or same sha256) is skipped without embedding;
new or changed is split, embedded and replaced; deleted is removed; unreadable (or larger than
CITELINE_MAX_FILE_BYTES) is reported and skipped, keeping whatever was stored for it before.

Units are embedded and written in groups of GROUP_UNITS, in file order, so a long file spans
several groups. Crash safety: before a file's first group is written, the manifest marks it
incomplete with its new sha256 and nothing done, then its old units are deleted; after each
group is upserted under stable ids, the manifest records how many of each file's units are
done, the last group marking the file complete. A run killed anywhere leaves files marked
incomplete (or unmarked), which the next run finishes: from the recorded count when the content
and schema are the same (a long file is not embedded again from its start), otherwise afresh,
deleting what was stored. Nothing is duplicated and nothing is orphaned.
"""

import hashlib
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel
from tqdm import tqdm

from ingest import index_dir, unit_vectors
from ingest.corpus import Listing, SourceFile, UnreadableSource, read_bytes, scan_corpus
from ingest.documents import Document, read_documents
from ingest.embedder import MiniLMEmbedding
from ingest.settings import Settings
from ingest.store import FileRecord, StoredArticle, UnitStore
from ingest.units import SCHEMA_VERSION, Unit

# Feed items (ingest/feeds.py) are JSON articles kept under the data folder, one folder per
# feed host; they are named apart from the corpus folder's files.
FEED_PREFIX = "feed:"

# Units are embedded and written in groups of this many: big enough for efficient embedding
# batches and Chroma writes, small enough that a crash redoes little.
GROUP_UNITS = 1024


class Skipped(BaseModel):
    source: str
    reason: str


class IngestReport(BaseModel):
    added: list[str] = []
    updated: list[str] = []
    deleted: list[str] = []
    unchanged: int = 0
    skipped: list[Skipped] = []
    units_written: int = 0
    units_resumed: int = 0  # stored by an interrupted run, not embedded again
    units_total: int = 0
    index_built: bool = False  # services open what ingest built (ingest/index_dir.py)
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)


class CorpusMissing(Exception):
    pass


@dataclass(frozen=True)
class _Pending:
    file: SourceFile
    sha256: str
    documents: list[Document]
    units: list[Unit]
    is_new: bool  # nothing is stored under its name, so there is nothing to delete
    done: int  # units of this content an interrupted run already stored
    row: int  # its first unit's row in the vectors of this run's change


@dataclass(frozen=True)
class _Piece:
    """Units [begin, end) of one file, written in one group."""

    pending: _Pending
    begin: int
    end: int

    @property
    def units(self) -> list[Unit]:
        return self.pending.units[self.begin : self.end]


def run_ingest(
    settings: Settings,
    store: UnitStore,
    embedder: Callable[[], MiniLMEmbedding],
    progress: bool = True,
) -> IngestReport:
    """Ingest `settings.store.corpus_dir` into `store`; `embedder` is called only if needed."""
    started = time.perf_counter()
    root = Path(settings.store.corpus_dir)
    if not root.is_dir():
        raise CorpusMissing(f"corpus folder not found: {root}")
    report = IngestReport()
    records = store.file_records()
    since = store.generation()
    listing = _listing(root, settings.store.feeds_path)
    files = listing.files
    report.skipped = [Skipped(source=source, reason=reason) for source, reason in listing.broken.items()]
    # What was stored for a file that cannot be listed now is kept, as for any unreadable file.
    listed = {f.source for f in files} | set(listing.broken)

    gone = sorted(s for s in records if s not in listed)
    if gone:
        store.delete_files(gone)
        store.drop_file_records(gone)
        report.deleted = gone

    pending: list[_Pending] = []
    rows = 0
    for file in files:
        record = records.get(file.source)
        fresh = record is not None and store.compatible(record)
        if fresh and record.size == file.size and record.mtime_ns == file.mtime_ns:
            report.unchanged += 1
            continue
        try:
            data = read_bytes(file.path, file.source, settings.store.max_file_bytes)
            sha = hashlib.sha256(data).hexdigest()
            if fresh and record.sha256 == sha:
                # Touched but not changed: remember the new mtime, embed nothing.
                store.put_file_records([_record(file, sha, record.units, done=record.units)])
                report.unchanged += 1
                continue
            documents, problems = read_documents(data, file.source)
            longest = max((line.end - line.start for d in documents for line in d.article.lines), default=0)
            if longest > settings.store.max_line_chars:
                raise UnreadableSource(
                    f"{file.source}: a line of {longest:,} characters "
                    f"(over {settings.store.max_line_chars:,}) is not an article"
                )
        except UnreadableSource as exc:
            report.skipped.append(Skipped(source=file.source, reason=str(exc)))
            continue
        report.skipped += [Skipped(source=file.source, reason=problem) for problem in problems]
        units = [unit for document in documents for unit in document.units()]
        if not units:
            report.skipped.append(Skipped(source=file.source, reason=f"{file.source}: no sentences found"))
            continue
        done = _already_done(record, sha, len(units))
        pending.append(_Pending(file, sha, documents, units, is_new=record is None, done=done, row=rows))
        rows += len(units)

    vectors = unit_vectors.empty(rows)  # the index is built from these, not read back from Chroma
    if pending:
        model = embedder()
        total = sum(len(p.units) - p.done for p in pending)
        # Chroma writes a group while the model embeds the next: one write in flight, in order.
        with (
            tqdm(total=total, unit="unit", desc="embedding", disable=not progress) as bar,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="chroma-write") as writer,
        ):
            writing: Future[None] | None = None
            for group in _groups(pending):
                embeddings = _embed_group(model, group, bar)
                _keep(vectors, group, embeddings)
                if writing is not None:
                    writing.result()
                writing = writer.submit(_write_group, store, group, embeddings)
            if writing is not None:
                writing.result()
        report.units_written = total
        report.units_resumed = sum(p.done for p in pending)
        for p in pending:
            (report.added if p.is_new else report.updated).append(p.file.source)
    if report.changed:
        store.bump_generation()
    # Also rebuilds an index that a killed run never finished, or that was removed.
    generation = store.generation()
    if index_dir.current(settings.store.index_path) != generation:
        if progress:
            print("building the lexical index and corpus tables", file=sys.stderr)
        change = index_dir.Change(
            since=since,
            files=set(report.deleted) | {p.file.source for p in pending},
            units=[u for p in pending for u in p.units],
            articles=[_stored(d) for p in pending for d in p.documents],
            vectors=vectors,
        )
        index_dir.build(store, settings.store.index_path, generation, change)
        report.index_built = True
    report.units_total = store.count()
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _stored(document: Document) -> StoredArticle:
    return StoredArticle(
        document.source, document.file, document.meta, document.article.text if document.normalised else None
    )


def _listing(root: Path, feeds: Path) -> Listing:
    """The corpus folder's articles, and the feed items fetched into the data folder."""
    corpus = scan_corpus(root)
    if not feeds.is_dir():
        return corpus
    fetched = scan_corpus(feeds, FEED_PREFIX)
    # Only the items in the feeds' own folders: the folder's top holds the fetcher's state.
    items = [f for f in fetched.files if "/" in f.source.removeprefix(FEED_PREFIX)]
    return Listing(files=corpus.files + items, broken={**corpus.broken, **fetched.broken})


def _record(file: SourceFile, sha: str, units: int, done: int) -> FileRecord:
    return FileRecord(
        source=file.source,
        sha256=sha,
        size=file.size,
        mtime_ns=file.mtime_ns,
        units=units,
        complete=done == units,
        schema=SCHEMA_VERSION,
        done=done,
    )


def _already_done(record: FileRecord | None, sha: str, units: int) -> int:
    """How many units of this very content an interrupted run stored; 0 means start afresh."""
    if (
        record is None
        or record.complete
        or (record.sha256, record.schema, record.units) != (sha, SCHEMA_VERSION, units)
    ):
        return 0
    return record.done if record.done < units else 0


def _groups(pending: list[_Pending]) -> list[list[_Piece]]:
    """The units still to embed, in file order, GROUP_UNITS to a group; a long file is cut
    across groups, each cut a point a killed run resumes from."""
    groups: list[list[_Piece]] = []
    room = 0
    for p in pending:
        begin = p.done
        while begin < len(p.units):
            if not room:
                groups.append([])
                room = GROUP_UNITS
            end = min(len(p.units), begin + room)
            groups[-1].append(_Piece(p, begin, end))
            room -= end - begin
            begin = end
    return groups


def _embed_group(model: MiniLMEmbedding, group: list[_Piece], bar: tqdm) -> np.ndarray:
    # One call for the whole group: the embedder sorts its texts by length, so the more it
    # sees at once, the less padding each batch carries. The bar moves as each batch finishes.
    return model.embed([u.retrieval_text() for piece in group for u in piece.units], on_batch=bar.update)


def _keep(vectors: np.ndarray, group: list[_Piece], embeddings: np.ndarray) -> None:
    """Copy a group's embeddings to the rows of its units in `vectors`."""
    row = 0
    for piece in group:
        first, count = piece.pending.row + piece.begin, piece.end - piece.begin
        vectors[first : first + count] = embeddings[row : row + count]
        row += count


def _write_group(store: UnitStore, group: list[_Piece], embeddings: np.ndarray) -> None:
    starting = [piece.pending for piece in group if piece.begin == 0]
    store.put_file_records([_record(p.file, p.sha256, len(p.units), done=0) for p in starting])
    # New files have nothing stored to replace (a crashed run's leftovers are marked incomplete,
    # so they are not new). A resumed file's first units are this very content: kept.
    store.delete_files([p.file.source for p in starting if not p.is_new])
    store.put_articles([_stored(d) for p in starting for d in p.documents])
    store.upsert([u for piece in group for u in piece.units], embeddings)
    store.put_file_records(
        [_record(piece.pending.file, piece.pending.sha256, len(piece.pending.units), done=piece.end) for piece in group]
    )
