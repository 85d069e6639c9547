"""How many heartbeats one event-loop iteration may send: the rest wait for the next ones.

Every connection's ping falls on one shared grid so that a few locks share loop wake-ups
(`heartbeat.py` `Heartbeat.due`). With hundreds of connections that puts about a quarter of them on
one instant, and asyncio runs every timer that is due in the same iteration: measured with
500 locks in Home Assistant (`scale_ha`, benchmarks/README.md), each such instant stalled the
loop 20-80 ms framing, encrypting and writing ~125 pings. A per-loop budget lets the first
`PINGS_PER_ITERATION` go and hands the others to `call_soon`, which runs them in the next
iterations (no sleep, no extra timer), so the wake-up is still shared and no iteration does
more than a few milliseconds of pings.
"""

from __future__ import annotations

import asyncio
from typing import Final
from weakref import WeakKeyDictionary

#: Pings one loop iteration may send. A ping costs ~0.02 ms of framing and AES alone
#: (3.3-3.5, measured on this machine) and up to ~0.4 ms with its write under Home
#: Assistant on a busy machine (`scale_ha`: 50 ms for ~125): 10 keeps an iteration near 4 ms.
PINGS_PER_ITERATION: Final = 10


class PingBudget:
    """Counts the pings sent in the current loop iteration; refills at the next one."""

    def __init__(self, loop: asyncio.AbstractEventLoop, per_iteration: int) -> None:
        """Start full; `per_iteration` pings may go before the next loop iteration."""
        self._loop = loop
        self.per_iteration = per_iteration
        self._used = 0
        #: Iterations in which the budget ran out (for tests and benchmarks).
        self.exhausted = 0

    def take(self) -> bool:
        """Whether one more ping may go in this iteration (False: call again in the next)."""
        if self._used >= self.per_iteration:
            if self._used == self.per_iteration:
                self.exhausted += 1
                self._used += 1  # count the exhaustion once per iteration
            return False
        if self._used == 0:
            # Scheduled before any ping deferred in this iteration, so it runs ahead of them.
            self._loop.call_soon(self._refill)
        self._used += 1
        return True

    def _refill(self) -> None:
        self._used = 0


_BUDGETS: WeakKeyDictionary[asyncio.AbstractEventLoop, PingBudget] = WeakKeyDictionary()


def ping_budget() -> PingBudget:
    """The running event loop's budget, shared by all of its connections (call from the loop)."""
    loop = asyncio.get_running_loop()
    if (budget := _BUDGETS.get(loop)) is None:
        budget = _BUDGETS[loop] = PingBudget(loop, PINGS_PER_ITERATION)
    return budget
