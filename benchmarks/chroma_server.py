"""A `chroma run` server on 127.0.0.1 for a benchmark, over a folder of Chroma data."""

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CHROMA = Path(sys.executable).parent / "chroma"


@contextmanager
def chroma_server(path: Path, port: int, timeout_s: float = 120) -> Iterator[str]:
    """Serve `path` (an embedded store's folder works as it is) and yield the server's URL."""
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--port", str(port), "--host", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"chroma run did not start on {url}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)
