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
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil

from benchmarks.bench import pct, questions, running_service

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
CLIENTS = int(os.environ.get("LOADTEST_CLIENTS", "30"))
DURATION_S = float(os.environ.get("LOADTEST_SECONDS", "60"))
MAX_REQUESTS = 100_000
PORT = 8799


def main() -> None:
    data = Path(os.environ.get("CITELINE_BENCH_DIR", "/tmp/citeline-bench")) / "loadtest"
    env = {**os.environ, "CITELINE_DATA_DIR": str(data), "CITELINE_LOG_FORMAT": "text"}
    subprocess.run([sys.executable, "-m", "citeline", "ingest", "--quiet"], env=env, cwd=REPO, check=True)
    with running_service(env, PORT) as (url, server, _):
        process = psutil.Process(server.pid)
        rss_before = process.memory_info().rss / 2**20
        asked = questions()
        times: dict[str, list[float]] = {"ask": [], "stream": []}
        errors: list[str] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + DURATION_S
        count = [0]

        def client(k: int) -> None:
            kind = "ask" if k % 2 == 0 else "stream"
            with httpx.Client(base_url=url, timeout=60) as http:
                i = k
                while time.monotonic() < stop_at and count[0] < MAX_REQUESTS:
                    body = {"question": asked[i % len(asked)]}
                    started = time.perf_counter()
                    try:
                        if kind == "ask":
                            ok = http.post("/api/ask", json=body).status_code == 200
                        else:
                            with http.stream("POST", "/api/ask/stream", json=body) as r:
                                ok = r.status_code == 200 and any(line == "event: done" for line in r.iter_lines())
                    except httpx.HTTPError as exc:
                        ok = False
                        errors.append(type(exc).__name__)
                    with lock:
                        times[kind].append((time.perf_counter() - started) * 1000)
                        count[0] += 1
                        if not ok:
                            errors.append(kind)
                    i += CLIENTS

        threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        result = {
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "clients": CLIENTS,
            "seconds": round(wall, 1),
            "requests": count[0],
            "errors": len(errors),
            "throughput_rps": round(count[0] / wall, 1),
            "ask_p50_ms": pct(times["ask"], 50),
            "ask_p99_ms": pct(times["ask"], 99),
            "stream_p50_ms": pct(times["stream"], 50),
            "stream_p99_ms": pct(times["stream"], 99),
            "rss_before_mb": round(rss_before, 1),
            "rss_after_mb": round(process.memory_info().rss / 2**20, 1),
        }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "loadtest.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for key, value in result.items():
        print(f"{key:>16}  {value}")
    if result["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
