"""Questions answered a few at a time per process, in the order they came (service/compute_gate.py).

Answers that wait on an LLM are mostly waiting: they are not gated, as many at once as anyio's
thread pool allows.
"""

from collections.abc import Callable
from typing import TypeVar

from anyio import to_thread

from service.compute_gate import ComputeGate

COMPUTING_AT_ONCE = 2
T = TypeVar("T")


class AnswerQueue:
    def __init__(self, calls_llm: bool) -> None:
        self.gate = None if calls_llm else ComputeGate(COMPUTING_AT_ONCE)

    async def answer(self, compute: Callable[..., T], *args: object) -> T:
        if self.gate is None:
            return await to_thread.run_sync(compute, *args)
        return await to_thread.run_sync(self.gate.run, compute, *args)
