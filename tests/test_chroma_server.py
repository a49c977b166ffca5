"""Scale-out mode: ingest and answer through a real `chroma run` server, across a restart."""

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingest.embedder import MiniLMEmbedding
from ingest.job import run_ingest
from ingest.settings import Settings
from ingest.store import StoreUnavailable, UnitStore
from service.pipeline import Pipeline
from service.schemas import AskRequest
from tests.conftest import CORPUS, MEDUZA, free_port, wait_until_up

CHROMA = Path(sys.executable).parent / "chroma"


class ChromaServer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(CHROMA), "run", "--path", str(self.path), "--port", str(self.port), "--host", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_up(f"{self.url}/api/v2/heartbeat", timeout=60)

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None


def ingested_into(chroma: ChromaServer, tmp_path: Path, embedder: MiniLMEmbedding, **config: object) -> Settings:
    """A copy of the shipped corpus, ingested into the Chroma server."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = Settings.read(corpus_dir=corpus, data_dir=tmp_path / "local", chroma_url=chroma.url, **config)
    run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    return settings


@pytest.fixture()
def chroma(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-data")
    server.start()
    yield server
    server.stop()


def test_ingest_answer_restart_answer(chroma: ChromaServer, tmp_path: Path, embedder: MiniLMEmbedding) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = Settings.read(corpus_dir=corpus, data_dir=tmp_path / "local", chroma_url=chroma.url)
    report = run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    assert len(report.added) == 2 and report.units_total > 40
    again = run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    assert not again.changed and again.units_total == report.units_total
    assert not (tmp_path / "local" / "chroma").exists(), "server mode must not write an embedded store"

    pipeline = Pipeline(settings, UnitStore(settings), embedder)
    question = AskRequest(question="What did Stoltenberg say about Ukraine's membership?")
    before = pipeline.ask(question)
    assert before.answered and (MEDUZA, 6) in {(c.source, c.line_start) for c in before.citations}

    chroma.stop()
    with pytest.raises(StoreUnavailable):
        pipeline.ask(question)
    chroma.start()
    after = pipeline.ask(question)  # the same process, reconnected to the persisted data
    assert after.answer == before.answer and after.citations == before.citations
    assert UnitStore(settings).count() == report.units_total


def test_an_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings.read(data_dir=tmp_path, chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(StoreUnavailable, match="cannot open Chroma"):
        UnitStore(settings)


def test_health_is_degraded_while_chroma_is_down(
    chroma: ChromaServer, tmp_path: Path, embedder: MiniLMEmbedding
) -> None:
    from service.app import create_app
    from tests.conftest import serve

    settings = ingested_into(chroma, tmp_path, embedder)
    with (
        serve(create_app(Pipeline(settings, UnitStore(settings), embedder))) as url,
        httpx.Client(base_url=url) as http,
    ):
        assert http.get("/healthz").json()["status"] == "ok"
        chroma.stop()
        down = http.get("/healthz")
        assert down.status_code == 503 and down.json()["status"] == "degraded"
        asked = http.post("/api/ask", json={"question": "What did Grushko say about NATO expansion?"})
        assert asked.status_code == 503 and "unavailable" in asked.json()["detail"]
        chroma.start()
        assert http.get("/healthz").json()["status"] == "ok"
        assert http.post("/api/ask", json={"question": "What did Grushko say about NATO expansion?"}).json()["answered"]


def test_a_service_picks_up_another_processes_ingest(
    chroma: ChromaServer, tmp_path: Path, embedder: MiniLMEmbedding
) -> None:
    settings = ingested_into(chroma, tmp_path, embedder, reload_interval_s=0)
    corpus = Path(settings.store.corpus_dir)
    pipeline = Pipeline(settings, UnitStore(settings), embedder)
    question = AskRequest(question="When will the Harbour Bridge reopen to lorries?")
    assert not pipeline.ask(question).answered
    (corpus / "bridge.txt").write_text(
        "Harbour Bridge update\nThe Harbour Bridge will reopen to lorries on 3 March, the council said.\n",
        encoding="utf-8",
    )
    run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)  # as `citeline ingest` would
    answer = pipeline.ask(question)
    assert answer.answered and answer.citations[0].source == "bridge.txt"


def test_answers_stay_consistent_while_another_process_ingests(
    chroma: ChromaServer, tmp_path: Path, embedder: MiniLMEmbedding
) -> None:
    import threading

    settings = ingested_into(chroma, tmp_path, embedder, reload_interval_s=0)
    corpus = Path(settings.store.corpus_dir)
    pipeline = Pipeline(settings, UnitStore(settings), embedder)
    failures: list[str] = []
    done = threading.Event()

    def keep_asking() -> None:
        while not done.is_set():
            try:
                answer = pipeline.ask(AskRequest(question="What did Grushko say about NATO expansion?"))
                if not answer.answered or not answer.verification.verified:
                    failures.append(answer.answer)
            except Exception as exc:  # noqa: BLE001 - any error is a failure here
                failures.append(repr(exc))

    asker = threading.Thread(target=keep_asking)
    asker.start()
    for n in range(3):  # add, change and remove articles while the questions keep coming
        (corpus / f"extra{n}.txt").write_text(
            f"Extra {n}\\nThe mayor said the tram line {n} opens soon.\\n", encoding="utf-8"
        )
        run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    (corpus / "extra0.txt").unlink()
    run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    done.set()
    asker.join(timeout=60)
    assert not failures, failures[:3]
    pipeline.ask(AskRequest(question="What did Grushko say about NATO expansion?"))  # the next request reloads
    assert pipeline.generation == UnitStore(settings).generation()
    assert len(pipeline.index) == UnitStore(settings).count()
