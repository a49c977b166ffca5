"""`make bench`'s HTTP figures: a fixed number of questions from concurrent clients to a real
server, citeline's and the naive peer's, with the same closed-loop client."""

import os
import sys

from benchmarks.chroma_server import chroma_server
from benchmarks.load_harness import RunningService, closed_loop, running_service
from benchmarks.workload import questions
from eval.metrics import percentile
from ingest.settings import Settings

CLIENTS = 20
# Each worker answers about this many questions before its memory is read.
QUESTIONS_PER_WORKER = 1000


def http_run(
    settings: Settings, port: int, workers: int = 1, chroma_server_mode: bool = False
) -> dict[str, float | None]:
    """`citeline serve --workers N` on the index of `settings` (through a `chroma run` server
    over the same data with `chroma_server_mode`), QUESTIONS_PER_WORKER questions per worker
    on /api/ask from CLIENTS clients: cold start, memory, p50/p99 in ms, throughput, errors."""
    env = {
        **os.environ,
        "CITELINE_CORPUS_DIR": str(settings.store.corpus_dir),
        "CITELINE_DATA_DIR": str(settings.store.data_dir),
        "CITELINE_INDEX_DIR": str(settings.store.index_path),
        "CITELINE_CONVERSATIONS_DB": str(settings.conversations_path),
    }
    if not chroma_server_mode:
        with running_service(env, port, workers) as service:
            return _load(service, workers)
    with chroma_server(settings.store.chroma_path) as server:
        with running_service({**env, "CITELINE_CHROMA_URL": server.url}, port, workers) as service:
            return _load(service, workers)


def peer_http_run(corpus: str, port: int) -> dict[str, float | None]:
    """The naive LlamaIndex peer served over HTTP (benchmarks/peer_server.py), the same load."""
    command = [sys.executable, "-m", "benchmarks.peer_server", "--corpus", corpus]
    # It embeds the whole corpus as it starts (eval/peer.py): minutes at BBC scale.
    with running_service(dict(os.environ), port, command=command, timeout_s=1800) as service:
        return _load(service, 1)


def _load(service: RunningService, workers: int) -> dict[str, float | None]:
    cpu_before = service.cpu_s()
    run = closed_loop(service.url, questions(), CLIENTS, QUESTIONS_PER_WORKER * workers)
    cpu_ms = (service.cpu_s() - cpu_before) * 1000
    uss = service.worker_uss_mb()
    return {
        "cold_start_s": service.cold_start_s,
        "rss_after_mb": service.rss_mb(),
        "worker_uss_mb": max(uss),
        "p50_ms": percentile(run.times_ms["ask"], 50),
        "p99_ms": percentile(run.times_ms["ask"], 99),
        "rps": run.requests / run.wall_s,
        # On cores the two services share with the client, throughput follows from this.
        "cpu_ms_per_request": cpu_ms / max(run.requests, 1),
        "errors": len(run.errors),
    }
