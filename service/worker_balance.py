"""Keep-alive connections spread evenly over `citeline serve --workers N`.

The kernel hands each new connection to whichever worker accepts it first, and a keep-alive
client then stays with that worker. Twenty clients on two workers were seen split 16 to 4: one
worker queued four times the other's questions, so the slowest answers took several times the
median and the other core idled. Gunicorn and uvicorn have no balancing of their own. So each
worker counts its requests in progress in memory shared with the others, and the busier worker
answers with `Connection: close`: the client reconnects and the kernel places it again, until
the counts differ by at most one. A balanced service closes nothing.
"""

import multiprocessing
from ctypes import c_bool, c_int
from typing import Any

from gunicorn.arbiter import Arbiter
from gunicorn.workers.base import Worker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CLOSE = (b"connection", b"close")
# Twice the most workers `serve` starts: a reload (SIGHUP) runs the new workers beside the old
# until these stop. A worker that finds no slot left serves without balancing.
SLOTS = 128


class WorkerLoads:
    """Requests in progress per worker slot, in memory the arbiter shares with the workers it
    forks. A worker writes only its own slot; the arbiter hands out and frees the slots."""

    def __init__(self) -> None:
        self.in_progress: Any = multiprocessing.RawArray(c_int, SLOTS)
        self.serving: Any = multiprocessing.RawArray(c_bool, SLOTS)
        self.slot = -1  # this process's; set in each worker after the fork

    def pre_fork(self, arbiter: Arbiter, worker: Worker) -> None:
        """Gunicorn's hook in the arbiter: the new worker takes a free slot."""
        slot = next((s for s in range(SLOTS) if not self.serving[s]), -1)
        worker.slot = slot  # type: ignore[attr-defined]
        if slot >= 0:
            self.in_progress[slot], self.serving[slot] = 0, True

    def post_fork(self, arbiter: Arbiter, worker: Worker) -> None:
        """Gunicorn's hook in the new worker."""
        self.slot = worker.slot  # type: ignore[attr-defined]

    def child_exit(self, arbiter: Arbiter, worker: Worker) -> None:
        """Gunicorn's hook in the arbiter when a worker has exited, however it ended."""
        if worker.slot >= 0:  # type: ignore[attr-defined]
            self.serving[worker.slot] = False  # type: ignore[attr-defined]

    def busier_than_another(self) -> bool:
        """This worker has at least two requests more in progress than the least busy other one."""
        others = [self.in_progress[s] for s in range(SLOTS) if self.serving[s] and s != self.slot]
        return bool(others) and self.in_progress[self.slot] > min(others) + 1


class BalanceConnections:
    """ASGI middleware counting this worker's requests in progress and closing a keep-alive
    connection after its response while this worker is busier than another."""

    def __init__(self, app: ASGIApp, loads: WorkerLoads) -> None:
        self.app = app
        self.loads = loads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.loads.slot < 0:
            await self.app(scope, receive, send)
            return

        async def send_closing_if_busier(message: Message) -> None:
            if message["type"] == "http.response.start" and self.loads.busier_than_another():
                message = {**message, "headers": [*message.get("headers", []), CLOSE]}
            await send(message)

        self.loads.in_progress[self.loads.slot] += 1
        try:
            await self.app(scope, receive, send_closing_if_busier)
        finally:
            self.loads.in_progress[self.loads.slot] -= 1
