"""`SimulatedLock`: the lock's state behind its TCP server, with faults to order.

Tests drive it from the lock's side (keypad, bolt, battery, network faults) while a real
tinytuya client drives it from the integration's side. Fault counters act on PIN commands only,
because those are what the integration must get right when a lock or its network misbehaves.
"""

from collections.abc import Callable, Mapping
import time
from typing import Any, Literal

from .lock import LockState, StoredPin
from .protocol import VERSIONS
from .server import LockServer

KEY_SIZE = 16


class SimulatedLock:
    """A Tuya lock on loopback that the real tinytuya client can talk to (3.3, 3.4, 3.5)."""

    def __init__(
        self,
        *,
        device_id: str,
        local_key: str,
        version: str = "3.4",
        profile: Mapping[str, Any],
        battery: int = 90,
        locked: bool = True,
        clock: Callable[[], float] = time.time,
        idle_timeout: float = 30.0,
    ) -> None:
        """Build a lock from one profiles.json entry; `clock` decides which PIN windows are open."""
        if version not in VERSIONS:
            raise ValueError(f"version must be one of {', '.join(VERSIONS)}")
        key = local_key.encode("latin1")
        if len(key) != KEY_SIZE:
            raise ValueError("the local key must be 16 characters")
        self.device_id = device_id
        self.version = version
        self._clock = clock
        self._state = LockState(profile, battery=battery, locked=locked)
        self.pins: dict[int, StoredPin] = self._state.pins
        self.dps: dict[str, Any] = self._state.dps
        self.commands: list[dict[str, Any]] = []
        self._reject = 0
        self._lose = 0
        self._server = LockServer(
            device_id=device_id,
            local_key=key,
            version=version,
            handler=self,
            clock=clock,
            idle_timeout=idle_timeout,
        )

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on `host`; port 0 picks a free port (see `port`)."""
        await self._server.start(host, port)

    async def stop(self) -> None:
        """Stop listening and close every client socket."""
        await self._server.stop()

    @property
    def host(self) -> str:
        """The address it listens on."""
        return self._server.address[0]

    @property
    def port(self) -> int:
        """The TCP port it listens on."""
        return self._server.address[1]

    @property
    def connections(self) -> int:
        """Client connections accepted so far, including refused and unanswered ones."""
        return self._server.connections

    @property
    def frames_in(self) -> int:
        """Client frames read so far (commands, queries, heartbeats)."""
        return self._server.frames_in

    @property
    def locked(self) -> bool:
        """Whether the bolt is thrown."""
        return self._state.locked

    @property
    def battery(self) -> int:
        """Battery percentage."""
        return self._state.battery

    async def set_offline(self, mode: Literal["refuse", "silent"] | None) -> None:
        """Fake a network fault, or end it.

        "refuse" closes the port (and the current client), "silent" accepts and never answers,
        None comes back on the same port.
        """
        await self._server.set_offline(mode)

    async def drop_connections(self) -> None:
        """Close the current client socket, as a lock rebooting or roaming would."""
        await self._server.drop_connections()

    def reject_next(self, count: int = 1) -> None:
        """Answer the next `count` PIN commands with the failure status, storing nothing."""
        self._reject += count

    def lose_next_reply(self, count: int = 1) -> None:
        """Apply the next `count` PIN commands but send neither ack nor report.

        tinytuya then times out and re-sends; the lock, already holding the PIN, answers
        "already exists".
        """
        self._lose += count

    async def keypad(self, pin: str) -> bool:
        """Type a PIN on the keypad; push the unlock if a stored PIN admits it now."""
        report = self._state.keypad(pin, self._clock())
        if report is None:
            return False
        await self._server.push(report)
        return True

    async def set_battery(self, percent: int) -> None:
        """Change the battery level and report it."""
        await self._server.push(self._state.set_battery(percent))

    async def set_locked(self, locked: bool) -> None:
        """Move the bolt by hand (key, thumb-turn) and report it."""
        await self._server.push(self._state.set_locked(locked))

    def query(self, cid: str | None = None) -> dict[str, Any] | None:
        """Every DP, for DP_QUERY (server callback); a lock of its own ignores any cid."""
        return dict(self.dps)

    def control(self, dps: dict[str, Any], cid: str | None = None) -> dict[str, Any] | None:
        """Apply a CONTROL with any pending fault (server callback)."""
        self.commands.append(dict(dps))
        if self._state.is_pin_command(dps):
            if self._lose:
                self._lose -= 1
                self._state.apply(dps)
                return None
            if self._reject:
                self._reject -= 1
                return self._state.refuse(dps)
        return self._state.apply(dps)
