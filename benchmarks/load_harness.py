"""The load harness of `make bench` and `make loadtest`, only on 127.0.0.1.

`running_service` starts `citeline serve` as its own process; `closed_loop` drives it with client
threads, each sending its next request when the one before it is done.
"""

import math
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import psutil

from benchmarks.paths import REPO

FIRST_QUESTION = "What did Grushko say about NATO expansion?"
START_TIMEOUT_S = 300


@dataclass(frozen=True)
class RunningService:
    url: str
    process: psutil.Process
    cold_start_s: float  # from launch to the first answer

    def rss_mb(self) -> float:
        return self.process.memory_info().rss / 2**20

    def worker_uss_mb(self) -> list[float]:
        """The private memory (USS) of each process that answers: the workers of
        `serve --workers N`, else the service itself."""
        workers = self.process.children() or [self.process]
        return [worker.memory_full_info().uss / 2**20 for worker in workers]

    def cpu_s(self) -> float:
        """CPU seconds (user and system) the service's processes have used so far."""
        processes = [self.process, *self.process.children(recursive=True)]
        return sum(sum(p.cpu_times()[:2]) for p in processes)


@contextmanager
def running_service(
    env: dict[str, str], port: int, workers: int = 1, command: Sequence[str] = (), timeout_s: float = START_TIMEOUT_S
) -> Iterator[RunningService]:
    """`citeline serve` (or `command`, a server taking `--port`) as its own process, yielded
    once it has answered a first question."""
    started = time.perf_counter()
    server = subprocess.Popen(
        [*(command or [sys.executable, "-m", "citeline", "serve", "--workers", str(workers)]), "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                first = httpx.post(f"{url}/api/ask", json={"question": FIRST_QUESTION}, timeout=5)
                if first.status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
            if time.perf_counter() - started > timeout_s:
                raise RuntimeError("service did not start")
        yield RunningService(url, psutil.Process(server.pid), time.perf_counter() - started)
    finally:
        server.terminate()
        server.wait(timeout=30)


def _ask(http: httpx.Client, body: dict[str, str]) -> bool:
    return http.post("/api/ask", json=body).status_code == 200


def _ask_stream(http: httpx.Client, body: dict[str, str]) -> bool:
    # A stream counts as answered only once read to its `done` event.
    with http.stream("POST", "/api/ask/stream", json=body) as response:
        return response.status_code == 200 and any(line == "event: done" for line in response.iter_lines())


ENDPOINTS: dict[str, Callable[[httpx.Client, dict[str, str]], bool]] = {"ask": _ask, "stream": _ask_stream}


@dataclass(frozen=True)
class LoadRun:
    times_ms: dict[str, list[float]]  # per endpoint, every request's time, failed ones included
    errors: list[str]  # one per failed request: the endpoint, and the exception if one was raised
    wall_s: float

    @property
    def requests(self) -> int:
        return sum(len(times) for times in self.times_ms.values())


def closed_loop(
    url: str,
    asked: Sequence[str],
    clients: int,
    max_requests: int,
    seconds: float | None = None,
    endpoints: Sequence[str] = ("ask",),
) -> LoadRun:
    """`clients` threads; client k asks asked[k], asked[k + clients], … on endpoints[k % len(endpoints)]
    until `max_requests` are sent in all or, when given, `seconds` have passed."""
    times: dict[str, list[float]] = {endpoint: [] for endpoint in endpoints}
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = math.inf if seconds is None else time.monotonic() + seconds

    def client(k: int) -> None:
        endpoint = endpoints[k % len(endpoints)]
        send = ENDPOINTS[endpoint]
        with httpx.Client(base_url=url, timeout=60) as http:
            for i in range(k, max_requests, clients):
                if time.monotonic() >= stop_at:
                    break
                started = time.perf_counter()
                try:
                    failure = None if send(http, {"question": asked[i % len(asked)]}) else endpoint
                except httpx.HTTPError as exc:
                    failure = f"{endpoint}: {type(exc).__name__}"
                with lock:
                    times[endpoint].append((time.perf_counter() - started) * 1000)
                    if failure:
                        errors.append(failure)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return LoadRun(times, errors, time.perf_counter() - started)
