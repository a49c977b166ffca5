"""How many questions a process computes at once, first come, first served.

An extractive answer is all computing, mostly in Python, so a process answers one at a time
whatever its thread pool holds. With every waiting question in a thread of its own they all took
slices of the GIL: under twenty clients the median barely moved but the slowest answers took two
to three times longer than with this gate. Two at once, not one: one computes while the other
waits on Chroma (a server, in shared deployments) or the conversation database.

A question that waits on something slow and shared (its question's vector, embedded with
others': service/query_batcher.py) gives its slot to the next question meanwhile, and takes
the next free slot before any newer question when it is back.
"""

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")
_held = threading.local()


class ComputeGate:
    def __init__(self, slots: int) -> None:
        self._lock = threading.Lock()
        self._free = slots
        self._waiting: deque[threading.Event] = deque()

    def acquire(self, first: bool = False) -> None:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            turn = threading.Event()
            if first:
                self._waiting.appendleft(turn)
            else:
                self._waiting.append(turn)
        turn.wait()  # a slot is handed over by the release that sets it

    def release(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free += 1

    def run(self, compute: Callable[..., T], *args: object) -> T:
        """`compute(*args)` in a slot, in this thread."""
        self.acquire()
        _held.gate = self
        try:
            return compute(*args)
        finally:
            _held.gate = None
            self.release()


@contextmanager
def waiting() -> Iterator[None]:
    """While this thread waits, its slot (if it holds one) serves the next question."""
    gate: ComputeGate | None = getattr(_held, "gate", None)
    if gate is None:
        yield
        return
    gate.release()
    try:
        yield
    finally:
        gate.acquire(first=True)
