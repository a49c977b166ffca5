"""Questions answered a few at a time per process, in the order they came.

An answer is mostly Python, so a process answers one at a time whatever its thread pool holds.
With every waiting question in a thread of its own they all take slices of the GIL: the median
barely moved but the slowest answers took two to three times longer under twenty clients than
with this queue (anyio's limiter serves its waiters first come, first served). Two at once, not
one: one computes while the other waits on Chroma (a server, in shared deployments) or the
conversation database.
"""

from collections.abc import Callable
from typing import TypeVar

from anyio import CapacityLimiter, to_thread

AT_ONCE = 2
T = TypeVar("T")


class AnswerQueue:
    def __init__(self) -> None:
        # Made per app, not per module: a limiter belongs to the event loop that first uses it.
        self.limiter = CapacityLimiter(AT_ONCE)

    async def answer(self, compute: Callable[..., T], *args: object) -> T:
        return await to_thread.run_sync(compute, *args, limiter=self.limiter)
