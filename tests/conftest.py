"""Shared fixtures: a real corpus copy, a real embedded Chroma, a real HTTP server."""

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
import uvicorn

from ingest import index_dir, unit_vectors
from ingest.corpus_index import CorpusIndex
from ingest.embedder import MiniLMEmbedding
from ingest.job import run_ingest
from ingest.settings import Settings
from ingest.store import UnitStore
from ingest.units import Unit
from service.app import create_app
from service.pipeline import Pipeline

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"
MEDUZA = "000_a589e34c5cfe1d2a.txt"
CNN = "004_4083836734ac9dd7.txt"
# Questions with nothing to read: zero-width spaces and joiners, a byte-order mark, a word joiner,
# a soft hyphen, a language tag (all Unicode format characters), alone or between spaces.
INVISIBLE_ONLY = ["\u200b\u200b", "\ufeff", "\u2060", "\u200c\u200d", "\u00ad", " \u200b\n\u2060 ", "\U000e0001"]

# The turns table as citeline created it before turns had numbers and feedback (schema 1 and 2):
# the migration tests build old conversation files on it.
TURNS_BEFORE_FEEDBACK = """
        CREATE TABLE turns (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            question TEXT NOT NULL, rewritten_question TEXT NOT NULL, answer TEXT NOT NULL,
            answered INTEGER NOT NULL, citations TEXT NOT NULL, created REAL NOT NULL
        );
        CREATE INDEX turns_by_conversation ON turns(conversation_id, seq);
"""


def hand_made_unit(text: str, speakers: list[str], source: str, line: int, title: str) -> Unit:
    """A unit as ingest would store it, for rule tables that need no corpus."""
    return Unit(
        id=f"{source}:{line}:{len(text)}",
        source=source,
        line=line,
        char_start=0,
        char_end=len(text),
        text=text,
        kind="text",
        title=title,
        speakers=speakers,
    )


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedding:
    return MiniLMEmbedding()


def make_settings(tmp: Path, corpus: Path) -> Settings:
    return Settings.read(corpus_dir=corpus, data_dir=tmp / "data", collection="test_units")


@pytest.fixture(scope="session")
def ingested(tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Settings:
    """The shipped corpus, copied and ingested once for the whole session (read-only use)."""
    tmp = tmp_path_factory.mktemp("ingested")
    corpus = tmp / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = make_settings(tmp, corpus)
    run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    return settings


@pytest.fixture(scope="session")
def pipeline(ingested: Settings, embedder: MiniLMEmbedding) -> Pipeline:
    return Pipeline(ingested, UnitStore(ingested), embedder)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ask(http: httpx.Client, question: str, **extra: object) -> dict:
    """POST /api/ask, which must succeed; the response body."""
    response = http.post("/api/ask", json={"question": question, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def wait_until_up(url: str, timeout: float = 120) -> None:
    """Poll `url` until it answers 200 (a server started in another process)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up within {timeout} s")


@contextmanager
def serve(app: object) -> Iterator[str]:
    """Any ASGI app on a real socket on 127.0.0.1; yields its base URL."""
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def server(pipeline: Pipeline) -> Iterator[str]:
    """The real app on a real socket; yields its base URL."""
    with serve(create_app(pipeline)) as url:
        yield url


@pytest.fixture()
def http(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as client:
        yield client


@contextmanager
def client_for(ingested: Settings, embedder: MiniLMEmbedding, tmp: Path, **settings: object) -> Iterator[httpx.Client]:
    """A client of the real app, served on its own with these settings (its own conversations)."""
    config = ingested.updated(**{"conversations_db": tmp / "c.db", **settings})
    with serve(create_app(Pipeline(config, UnitStore(config), embedder))) as url, httpx.Client(base_url=url) as c:
        yield c


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that points a `citeline` process at these settings' corpus and store."""
    return {
        **os.environ,
        "CITELINE_CORPUS_DIR": str(settings.store.corpus_dir),
        "CITELINE_DATA_DIR": str(settings.store.data_dir),
        "CITELINE_COLLECTION": settings.store.collection,
        **extra,
    }


def citeline(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`citeline ARGS` as a user runs it, from the repository, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "citeline", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@contextmanager
def citeline_serve(env: dict[str, str], ready: str = "/healthz") -> Iterator[tuple[str, int]]:
    """`citeline serve` in its own process, as deployed, once `ready` answers; yields its base
    URL and process id."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "citeline", "serve", "--port", str(port)],
        env={**env, "CITELINE_LOG_FORMAT": "text"},
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}{ready}")
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def file_text(settings: Settings, source: str) -> str:
    return (Path(settings.store.corpus_dir) / source).read_bytes().decode("utf-8")


def assert_vectors_are_chromas(folder: Path, store: UnitStore) -> None:
    """A generation's vector rows are, in index order, what Chroma holds for its units."""
    ids = [u.id for u in CorpusIndex.open(folder).every_unit()]
    stored = store.embeddings_of(ids)
    table = np.asarray(unit_vectors.open_table(folder), dtype=np.float32)
    assert ids and table.shape == (len(ids), 384) and set(stored) == set(ids)
    assert np.abs(table - np.array([stored[i] for i in ids])).max() < 1e-3


def current_folder(settings: Settings) -> Path:
    root = settings.store.index_path
    return index_dir.folder(root, index_dir.current(root))


def assert_citation_verbatim(settings: Settings, citation: dict) -> None:
    """The product's rule, checked independently of service/verify.py."""
    text = file_text(settings, citation["source"])
    assert text[citation["char_start"] : citation["char_end"]] == citation["quote"]
    # Lines end at \r\n, \n or a lone \r (old Mac files).
    line_of = lambda offset: len(re.findall(r"\r\n|\r|\n", text[:offset])) + 1  # noqa: E731
    assert citation["line_start"] <= line_of(citation["char_start"])
    assert line_of(citation["char_end"] - 1) <= citation["line_end"]
    assert citation["quote"].strip() == citation["quote"] and citation["quote"]


@contextmanager
def small_disk(path: Path, size: str = "2m") -> Iterator[Path]:
    """A real filesystem of `size` at `path`, to fill up (mounting needs root, as CI has)."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a small tmpfs to fill (root needed): {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "--lazy", str(path)], check=True)  # the server's threads may hold the file


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while out.write(b"\0" * 65536):
                pass
        except OSError:  # ENOSPC: the disk is full
            pass
    return filler
