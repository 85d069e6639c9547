"""Keeping an idle session alive, and noticing one the device no longer answers.

Devices close a client that sends nothing for about 30 s ("Devices will close the connection
if they do not receive data every 30 seconds", tinytuya `examples/nowait_send_receive.py`,
which pings every 9 s; tinytuya's `Monitor` and `examples/monitor.py` use 12 s; the
simulator's figure is openHAB's "typically ~30 seconds"). We ping only after 18-24 s
(`interval`, on a grid) without sending anything, which leaves 6 s - far more than a LAN round
trip - before the device gives up on us. On the simulator a ping at 2/3 of its idle timeout
keeps one session indefinitely and one at 7/6 of it is dropped (benchmark and tests). Whether
a ping was answered is checked when the next one is due, on the wake-up that ping needs
anyway, not by a deadline timer of its own (that cost a lone connection one more loop wake-up
per ping, `idle_ha`); a ping unanswered by then (one interval: less than the device's own
idle timeout) drops the session, and the connection reconnects. A per-loop budget
(`pacing.py`) caps the pings sent in one loop iteration, so hundreds of connections on one
grid instant never stall the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
import math
from typing import Any

from custom_components.smartlock_tuya.tuya.errors import LockOfflineError

from .link import Link
from .pacing import ping_budget

_LOGGER = logging.getLogger(__name__)


class Heartbeat:
    """One session's keep-alive: a single timer, due about `interval` after the last frame sent."""

    def __init__(self, *, interval: float, device_id: str, ping: Callable[[], Any]) -> None:
        """`ping` builds the heartbeat message (a tinytuya `MessagePayload`) for the session."""
        self.interval = interval
        self._device_id = device_id
        self._ping_message = ping
        self._link: Link | None = None
        self._timer: asyncio.Handle | None = None
        #: The last ping's (`heard_at`, `sent_at`) as it went out, until it is judged.
        self.pending: tuple[float, float] | None = None
        #: Frames sent to keep the session alive (for tests and benchmarks).
        self.count = 0

    def start(self, link: Link) -> None:
        """Watch a session just opened: nothing is pending on it yet."""
        self._link = link
        self.pending = None
        self._arm(link)

    def stop(self) -> None:
        """Forget the session (dropped or closed): no timer is left behind."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None
        self.pending = None
        self._link = None

    def due(self, sent_at: float) -> float:
        """When to ping after a frame sent at `sent_at`: on a shared grid of the loop's clock.

        Rounding down to a quarter of the interval makes every connection's ping fall on the
        same few instants, so the loop wakes once for many of them (measured: a finer grid of
        an eighth shares less, 3.6 against 2.1 wake-ups a minute per connection for 20); a ping
        is then due between 3/4 and all of the interval after the last frame.
        """
        grid = self.interval / 4
        return math.floor((sent_at + self.interval) / grid) * grid

    def _arm(self, link: Link) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_at(self.due(link.sent_at), self._beat)

    def _beat(self) -> None:
        self._timer = None
        link = self._link
        if link is None or not link.connected:
            return
        if self.pending is not None:
            heard_before, sent = self.pending
            self.pending = None
            # Nothing heard since the ping and nothing sent after it (a command in flight has
            # its own timeout): the device, or the path to it, is gone.
            if link.heard_at == heard_before and link.sent_at == sent:
                _LOGGER.debug("Lock %s missed a heartbeat: reconnecting", self._device_id)
                link.abort(LockOfflineError("the lock stopped answering"))
                return
        loop = asyncio.get_running_loop()
        if loop.time() < self.due(link.sent_at):
            self._arm(link)  # a command spoke meanwhile: that kept the session alive
            return
        if not ping_budget().take():
            self._timer = loop.call_soon(self._beat)  # this iteration sent its share
            return
        message = self._ping_message()
        link.write(link.wire.encode(message.cmd, bytes(message.payload)))
        self.count += 1
        self.pending = (link.heard_at, link.sent_at)
        self._arm(link)
