"""Questions answered a few at a time per process, in the order they came.

An extractive answer is all computing, mostly in Python, so a process answers one at a time
whatever its thread pool holds. With every waiting question in a thread of its own they all took
slices of the GIL: under twenty clients the median barely moved but the slowest answers took two
to three times longer than with this queue (anyio's limiter serves its waiters first come, first
served). Two at once, not one: one computes while the other waits on Chroma (a server, in shared
deployments) or the conversation database. Answers that wait on an LLM are mostly waiting: they
take anyio's default limiter, as many at once as its thread pool allows.
"""

from collections.abc import Callable
from typing import TypeVar

from anyio import CapacityLimiter, to_thread

COMPUTING_AT_ONCE = 2
T = TypeVar("T")


class AnswerQueue:
    def __init__(self, calls_llm: bool) -> None:
        # Made per app, not per module: a limiter belongs to the event loop that first uses it.
        self.limiter = None if calls_llm else CapacityLimiter(COMPUTING_AT_ONCE)

    async def answer(self, compute: Callable[..., T], *args: object) -> T:
        return await to_thread.run_sync(compute, *args, limiter=self.limiter)
