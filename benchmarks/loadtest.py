"""`make loadtest`: a bounded load run against the real server on 127.0.0.1.

Starts `citeline serve` on the shipped corpus, then CLIENTS threads ask for DURATION_S seconds,
half on /api/ask and half on /api/ask/stream (reading each stream to its `done` event). Bounded
in time and count; only loopback. Writes benchmarks/results/loadtest.json: errors, p50/p99,
throughput, and the server's memory before and after.
"""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

from benchmarks.load_harness import closed_loop, running_service
from benchmarks.paths import REPO, RESULTS, WORK
from benchmarks.workload import questions
from eval.metrics import percentile

CLIENTS = int(os.environ.get("LOADTEST_CLIENTS", "30"))
DURATION_S = float(os.environ.get("LOADTEST_SECONDS", "60"))
MAX_REQUESTS = 100_000
PORT = 8799


def main() -> None:
    env = {**os.environ, "CITELINE_DATA_DIR": str(WORK / "loadtest"), "CITELINE_LOG_FORMAT": "text"}
    subprocess.run([sys.executable, "-m", "citeline", "ingest", "--quiet"], env=env, cwd=REPO, check=True)
    with running_service(env, PORT) as service:
        rss_before = service.rss_mb()
        run = closed_loop(service.url, questions(), CLIENTS, MAX_REQUESTS, DURATION_S, endpoints=("ask", "stream"))
        result = {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "clients": CLIENTS,
            "seconds": round(run.wall_s, 1),
            "requests": run.requests,
            "errors": len(run.errors),
            "throughput_rps": round(run.requests / run.wall_s, 1),
            "ask_p50_ms": percentile(run.times_ms["ask"], 50),
            "ask_p99_ms": percentile(run.times_ms["ask"], 99),
            "stream_p50_ms": percentile(run.times_ms["stream"], 50),
            "stream_p99_ms": percentile(run.times_ms["stream"], 99),
            "rss_before_mb": round(rss_before, 1),
            "rss_after_mb": round(service.rss_mb(), 1),
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "loadtest.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for key, value in result.items():
        print(f"{key:>16}  {value}")
    if result["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
