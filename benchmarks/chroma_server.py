"""A `chroma run` server on 127.0.0.1 for a benchmark, over a folder of Chroma data (an embedded
store's folder works as it is).

Only the standard library is imported at the top: benchmarks/scale_curve.py times its children's
start-up, which must be the product's imports, not ours.
"""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CHROMA = Path(sys.executable).parent / "chroma"


@dataclass(frozen=True)
class ChromaServer:
    url: str
    pid: int
    start_s: float  # from launch to its first heartbeat


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def chroma_server(path: Path, timeout_s: float = 300) -> Iterator[ChromaServer]:
    """`chroma run --path path` on a free port of 127.0.0.1, stopped on exit; its log is
    appended to <path>.log."""
    import httpx

    path.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    with open(path.with_suffix(".log"), "ab") as log:
        process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(path), "--port", str(port), "--host", "127.0.0.1"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.perf_counter() - started > timeout_s:
                raise RuntimeError(f"chroma run --path {path} did not come up (see {path.with_suffix('.log')})")
            time.sleep(0.1)
        yield ChromaServer(url, process.pid, time.perf_counter() - started)
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
