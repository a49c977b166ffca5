"""`make bench`'s HTTP figures: a fixed number of questions from concurrent clients to a real
server, citeline's and the naive peer's, with the same closed-loop client."""

import os
import statistics
import sys
from contextlib import ExitStack

from benchmarks.chroma_server import chroma_server
from benchmarks.load_harness import RunningService, closed_loop, running_service
from benchmarks.workload import questions
from eval.metrics import percentile
from ingest.settings import Settings

CLIENTS = 20
# Each worker answers about this many questions before its memory is read.
QUESTIONS_PER_WORKER = 1000
# citeline and the peer are loaded in turn this many times, both running throughout. This
# machine's speed drifts over minutes (other tenants): measured minutes apart, the same code's
# ratio came out 0.99, 0.97 and 0.69 in three runs, the drift as much as the services.
ROUNDS = 3


def http_run(
    settings: Settings, port: int, workers: int = 1, chroma_server_mode: bool = False
) -> dict[str, float | None]:
    """`citeline serve --workers N` on the index of `settings` (through a `chroma run` server
    over the same data with `chroma_server_mode`), QUESTIONS_PER_WORKER questions per worker
    on /api/ask from CLIENTS clients: cold start, memory, p50/p99 in ms, throughput, errors."""
    env = _env(settings)
    if not chroma_server_mode:
        with running_service(env, port, workers) as service:
            return _load(service, workers)
    with chroma_server(settings.store.chroma_path) as server:
        with running_service({**env, "CITELINE_CHROMA_URL": server.url}, port, workers) as service:
            return _load(service, workers)


def side_by_side(settings: Settings, port: int, workers: int, peer_port: int) -> tuple[dict, dict]:
    """`citeline serve --workers N` (started first, on a quiet machine: its cold start counts)
    and the naive LlamaIndex peer (benchmarks/peer_server.py, one process) over the same corpus,
    loaded in turn ROUNDS times with the same load. Each figure is its median over the rounds;
    memory is read after the first; `rounds` keeps every round's throughput."""
    peer = [sys.executable, "-m", "benchmarks.peer_server", "--corpus", str(settings.store.corpus_dir)]
    with ExitStack() as running:
        ours_service = running.enter_context(running_service(_env(settings), port, workers))
        # It embeds the whole corpus as it starts (eval/peer.py): minutes at BBC scale.
        peer_service = running.enter_context(running_service(dict(os.environ), peer_port, command=peer, timeout_s=1800))
        ours, theirs = [], []
        for _ in range(ROUNDS):
            ours.append(_load(ours_service, workers))
            theirs.append(_load(peer_service, 1))
    return _medians(ours), _medians(theirs)


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "CITELINE_CORPUS_DIR": str(settings.store.corpus_dir),
        "CITELINE_DATA_DIR": str(settings.store.data_dir),
        "CITELINE_INDEX_DIR": str(settings.store.index_path),
        "CITELINE_CONVERSATIONS_DB": str(settings.conversations_path),
    }


def _medians(rounds: list[dict[str, float | None]]) -> dict:
    first = rounds[0]
    varying = ("p50_ms", "p99_ms", "rps", "cpu_ms_per_request")
    return {
        **first,
        **{key: statistics.median(r[key] for r in rounds) for key in varying},  # type: ignore[type-var]
        "errors": sum(r["errors"] or 0 for r in rounds),
        "rounds": [round(r["rps"] or 0, 1) for r in rounds],
    }


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
