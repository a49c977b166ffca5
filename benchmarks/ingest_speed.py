"""Ingest speed: the embedding model alone, and citeline's ingest of a whole corpus.

Their ratio (`ingest_ratio` in latest.json: ours over the model's units per second) shows what
citeline's ingest adds around the model.
"""

import random
import shutil
import time
from pathlib import Path

from ingest.corpus import UnreadableSource, list_sources, read_bytes
from ingest.documents import read_documents
from ingest.embedder import MiniLMEmbedding
from ingest.job import GROUP_UNITS, run_ingest
from ingest.settings import Settings
from ingest.store import UnitStore

RAW_SAMPLE = 4 * GROUP_UNITS


def raw_throughput(corpus: Path, embedder: MiniLMEmbedding) -> dict[str, float]:
    """The model alone on a fixed sample of the corpus's units: units and tokens per second."""
    units = []
    for file in list_sources(corpus):
        try:
            documents, _ = read_documents(read_bytes(file.path, file.source), file.source)
            units.extend(unit for document in documents for unit in document.units())
        except UnreadableSource:
            continue
    texts = [u.retrieval_text() for u in random.Random(1).sample(units, min(RAW_SAMPLE, len(units)))]
    tokens = sum(len(embedder.tokenize(t)) for t in texts)
    started = time.perf_counter()
    # The model alone, fed as the ingest feeds it (groups of GROUP_UNITS): the ratio then
    # measures what ingest adds around the model, not a difference in batching.
    for begin in range(0, len(texts), GROUP_UNITS):
        embedder.embed(texts[begin : begin + GROUP_UNITS])
    seconds = time.perf_counter() - started
    return {
        "units_per_s": len(texts) / seconds,
        "tokens_per_s": tokens / seconds,
        "tokens_per_unit": tokens / len(texts),
    }


def timed_ingest(settings: Settings, embedder: MiniLMEmbedding) -> dict[str, float | int | bool]:
    """citeline's ingest of settings.store.corpus_dir from scratch, then again with nothing changed."""
    shutil.rmtree(settings.store.data_dir, ignore_errors=True)
    started = time.perf_counter()
    report = run_ingest(settings, UnitStore(settings), lambda: embedder, progress=True)
    seconds = time.perf_counter() - started
    noop_started = time.perf_counter()
    noop = run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    return {
        "seconds": seconds,
        "units": report.units_written,
        "articles": len(report.added),
        "skipped": len(report.skipped),
        "noop_s": time.perf_counter() - noop_started,
        "noop_changed": noop.changed,
    }
