"""`citeline serve --workers 2`, run as deployed: one port, two processes that answer, count and
remember conversations together, and a worker that dies is replaced."""

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil

from ingest.settings import Settings
from service.worker_balance import WorkerLoads
from tests.conftest import citeline, citeline_serve, cli_env

QUESTION = "What did Stoltenberg say about Ukraine's membership?"


def workers_of(pid: int) -> set[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {int(child) for child in children}


def wait_for(condition, timeout: float = 60) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_two_workers_answer_on_one_port_and_a_dead_one_is_replaced(ingested: Settings, tmp_path: Path) -> None:
    env = cli_env(ingested, CITELINE_WORKERS="2", CITELINE_CONVERSATIONS_DB=str(tmp_path / "c.db"))
    with citeline_serve(env) as (url, pid), httpx.Client(base_url=url, timeout=120) as http:
        wait_for(lambda: len(workers_of(pid)) == 2)
        ask = lambda _: http.post("/api/ask", json={"question": QUESTION}).json()  # noqa: E731
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(ask, range(16)))
        assert all(a["answered"] and a["citations"][0]["line_start"] == 6 for a in answers)
        # One conversation, its turns answered by whichever worker: each sees the others' turns.
        conversation = answers[0]["conversation_id"]
        for question in ("What did he say about sanctions?", "What did he say about Russia's demands?"):
            reply = http.post("/api/ask", json={"question": question, "conversation_id": conversation}).json()
            assert "Stoltenberg" in reply["rewritten_question"]
        assert len(http.get(f"/api/conversations/{conversation}").json()["turns"]) == 3
        # /metrics adds up what every worker counted, whichever worker serves it.
        metrics = http.get("/metrics").text
        assert 'citeline_answers_total{outcome="answered"} 18.0' in metrics

        killed = min(workers_of(pid))
        os.kill(killed, signal.SIGKILL)
        wait_for(lambda: killed not in workers_of(pid) and len(workers_of(pid)) == 2)
        assert ask(0)["answered"]
        # A reload (SIGHUP, as `systemctl reload` sends) starts new workers beside the old ones.
        before = workers_of(pid)
        os.kill(pid, signal.SIGHUP)
        wait_for(lambda: not workers_of(pid) & before and len(workers_of(pid)) == 2)
        assert ask(0)["answered"]
        running = workers_of(pid)
    # Stopping the service (SIGTERM to the arbiter, as systemd would) stops its workers too.
    wait_for(lambda: not any(Path(f"/proc/{worker}").exists() for worker in running), timeout=30)


def test_workers_need_an_index_and_a_sane_count(ingested: Settings, tmp_path: Path) -> None:
    empty = cli_env(ingested, CITELINE_INDEX_DIR=str(tmp_path / "nowhere"))
    result = citeline(empty, "serve", "--workers", "2", "--port", "1")
    assert result.returncode == 1 and "run `citeline ingest`" in result.stderr and "Traceback" not in result.stderr
    result = citeline(cli_env(ingested), "serve", "--workers", "0")
    assert result.returncode == 2 and "whole number from 1 to 64" in result.stderr


def connections_per_worker(pid: int, port: int) -> dict[int, int]:
    held = lambda worker: psutil.Process(worker).net_connections("tcp")  # noqa: E731
    return {
        worker: sum(1 for c in held(worker) if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port)
        for worker in workers_of(pid)
    }


def test_keep_alive_clients_are_spread_over_the_workers(ingested: Settings, tmp_path: Path) -> None:
    env = cli_env(ingested, CITELINE_WORKERS="2", CITELINE_CONVERSATIONS_DB=str(tmp_path / "c.db"))
    clients = [httpx.Client(timeout=120) for _ in range(12)]
    with citeline_serve(env) as (url, pid):
        wait_for(lambda: len(workers_of(pid)) == 2)
        port = int(url.rsplit(":", 1)[1])
        # One worker stopped: the twelve clients all connect to the other, as an unlucky start would.
        stopped = min(workers_of(pid))
        os.kill(stopped, signal.SIGSTOP)
        try:
            with ThreadPoolExecutor(12) as pool:
                list(pool.map(lambda c: c.get(f"{url}/healthz"), clients))
        finally:
            os.kill(stopped, signal.SIGCONT)
        assert connections_per_worker(pid, port)[stopped] == 0
        # Under load the busier worker closes keep-alive connections until the counts are even.
        done = 0

        def ask_many(client: httpx.Client) -> None:
            nonlocal done
            for _ in range(25):
                assert client.post(f"{url}/api/ask", json={"question": QUESTION}).status_code == 200
                done += 1

        with ThreadPoolExecutor(12) as pool:
            running = [pool.submit(ask_many, client) for client in clients]
            wait_for(lambda: done >= 150)
            held = connections_per_worker(pid, port)
            for future in running:
                future.result()
    for client in clients:
        client.close()
    assert min(held.values()) >= 3, held


def test_the_busier_worker_is_the_one_with_two_requests_more() -> None:
    loads = WorkerLoads()
    loads.slot = 0
    loads.serving[:3] = [True, True, True]
    for counts, busier in (([1, 0, 0], False), ([2, 1, 0], True), ([2, 1, 1], False), ([5, 9, 3], True)):
        loads.in_progress[:3] = counts
        assert loads.busier_than_another() is busier, counts
    loads.serving[2] = False  # its worker has exited: its count no longer counts
    loads.in_progress[:3] = [3, 2, 0]
    assert not loads.busier_than_another()
    loads.serving[1] = False  # alone
    assert not loads.busier_than_another()
