"""`make bench`'s HTTP figures: a fixed number of questions from concurrent clients to a real server."""

import os

from benchmarks.load_harness import closed_loop, running_service
from benchmarks.workload import questions
from eval.metrics import percentile
from ingest.settings import Settings

CLIENTS = 20
HTTP_REQUESTS = 1000


def http_run(settings: Settings, port: int = 8765) -> dict[str, float | None]:
    """`citeline serve` on the index of `settings`, HTTP_REQUESTS questions on /api/ask from CLIENTS
    clients: cold start, memory before and after, p50/p99 in ms, throughput, errors."""
    env = {
        **os.environ,
        "CITELINE_CORPUS_DIR": str(settings.store.corpus_dir),
        "CITELINE_DATA_DIR": str(settings.store.data_dir),
        "CITELINE_CONVERSATIONS_DB": str(settings.conversations_path),
    }
    with running_service(env, port) as service:
        rss_start = service.rss_mb()
        run = closed_loop(service.url, questions(), CLIENTS, HTTP_REQUESTS)
        return {
            "cold_start_s": service.cold_start_s,
            "rss_start_mb": rss_start,
            "rss_after_mb": service.rss_mb(),
            "p50_ms": percentile(run.times_ms["ask"], 50),
            "p99_ms": percentile(run.times_ms["ask"], 99),
            "rps": run.requests / run.wall_s,
            "errors": len(run.errors),
        }
