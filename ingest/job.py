"""The ingest job: bring the Chroma store in line with the corpus folder, incrementally.

Per source file: unchanged (same size and mtime, or same sha256) is skipped without embedding;
new or changed is split, embedded and replaced; deleted is removed; unreadable (or larger than
CITELINE_MAX_FILE_BYTES) is reported and skipped, keeping whatever was stored for it before.

Crash safety: a batch of files is first marked incomplete in the manifest, then its old units
are deleted and the new ones upserted under stable ids, then it is marked complete. A run
killed anywhere leaves files marked incomplete (or unmarked), which the next run redoes;
nothing is duplicated and nothing is orphaned.
"""

import hashlib
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from pydantic import BaseModel
from tqdm import tqdm

from ingest.corpus import SourceFile, UnreadableSource, parse_article, read_bytes, scan_corpus
from ingest.embedder import MiniLMEmbedding
from ingest.settings import Settings
from ingest.store import FileRecord, UnitStore
from ingest.units import SCHEMA_VERSION, Unit, split_article

# Files are written in groups of about this many units: big enough for efficient embedding
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
    units_total: int = 0
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)


class CorpusMissing(Exception):
    pass


class _Pending(BaseModel):
    file: SourceFile
    sha256: str
    units: list[Unit]
    is_new: bool


def run_ingest(
    settings: Settings,
    store: UnitStore,
    embedder: Callable[[], MiniLMEmbedding],
    progress: bool = True,
) -> IngestReport:
    """Ingest `settings.corpus_dir` into `store`; `embedder` is called only if needed."""
    started = time.perf_counter()
    root = Path(settings.corpus_dir)
    if not root.is_dir():
        raise CorpusMissing(f"corpus folder not found: {root}")
    report = IngestReport()
    records = store.file_records()
    listing = scan_corpus(root)
    files = listing.files
    report.skipped = [Skipped(source=source, reason=reason) for source, reason in listing.broken.items()]
    # What was stored for a file that cannot be listed now is kept, as for any unreadable file.
    listed = {f.source for f in files} | set(listing.broken)

    gone = sorted(s for s in records if s not in listed)
    if gone:
        store.delete_sources(gone)
        store.drop_file_records(gone)
        report.deleted = gone

    pending: list[_Pending] = []
    for file in files:
        record = records.get(file.source)
        fresh = record is not None and store.compatible(record)
        if fresh and record.size == file.size and record.mtime_ns == file.mtime_ns:
            report.unchanged += 1
            continue
        try:
            data = read_bytes(file.path, file.source, settings.max_file_bytes)
            sha = hashlib.sha256(data).hexdigest()
            if fresh and record.sha256 == sha:
                # Touched but not changed: remember the new mtime, embed nothing.
                store.put_file_records([_record(file, sha, record.units, complete=True)])
                report.unchanged += 1
                continue
            article = parse_article(data, file.source)
            longest = max((line.end - line.start for line in article.lines), default=0)
            if longest > settings.max_line_chars:
                raise UnreadableSource(
                    f"{file.source}: a line of {longest:,} characters "
                    f"(over {settings.max_line_chars:,}) is not an article"
                )
        except UnreadableSource as exc:
            report.skipped.append(Skipped(source=file.source, reason=str(exc)))
            continue
        units = split_article(article)
        if not units:
            report.skipped.append(Skipped(source=file.source, reason=f"{file.source}: no sentences found"))
            continue
        pending.append(_Pending(file=file, sha256=sha, units=units, is_new=record is None))

    if pending:
        model = embedder()
        total = sum(len(p.units) for p in pending)
        # Chroma writes a group while the model embeds the next: one write in flight, in order.
        with (
            tqdm(total=total, unit="unit", desc="embedding", disable=not progress) as bar,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="chroma-write") as writer,
        ):
            writing: Future[None] | None = None
            for group in _groups(pending):
                embeddings = _embed_group(model, group, bar)
                if writing is not None:
                    writing.result()
                writing = writer.submit(_write_group, store, group, embeddings)
            if writing is not None:
                writing.result()
        report.units_written = total
        for p in pending:
            (report.added if p.is_new else report.updated).append(p.file.source)
    if report.changed:
        store.bump_generation()
    report.units_total = store.count()
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _record(file: SourceFile, sha: str, units: int, complete: bool) -> FileRecord:
    return FileRecord(
        source=file.source,
        sha256=sha,
        size=file.size,
        mtime_ns=file.mtime_ns,
        units=units,
        complete=complete,
        schema=SCHEMA_VERSION,
    )


def _groups(pending: list[_Pending]) -> list[list[_Pending]]:
    groups: list[list[_Pending]] = [[]]
    size = 0
    for p in pending:
        if size >= GROUP_UNITS:
            groups.append([])
            size = 0
        groups[-1].append(p)
        size += len(p.units)
    return groups


def _embed_group(model: MiniLMEmbedding, group: list[_Pending], bar: tqdm) -> np.ndarray:
    # One call for the whole group: the embedder sorts its texts by length, so the more it
    # sees at once, the less padding each batch carries. The bar moves as each batch finishes.
    return model.embed([u.retrieval_text() for p in group for u in p.units], on_batch=bar.update)


def _write_group(store: UnitStore, group: list[_Pending], embeddings: np.ndarray) -> None:
    store.put_file_records([_record(p.file, p.sha256, len(p.units), complete=False) for p in group])
    # New files have nothing stored to replace (a crashed run's leftovers are marked incomplete,
    # so they are not new).
    store.delete_sources([p.file.source for p in group if not p.is_new])
    store.upsert([u for p in group for u in p.units], embeddings)
    store.put_file_records([_record(p.file, p.sha256, len(p.units), complete=True) for p in group])
