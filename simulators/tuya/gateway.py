"""A Tuya gateway with sub-device locks addressed by `cid`, behind one local connection.

tinytuya reaches a sub-device through its gateway's connection and puts the child's `cid` in
every command (top level on 3.3, also in `data` on 3.4/3.5 CONTROL_NEW: tinytuya
core/XenonDevice.py, `payload_dict` "zigbee" entries and `generate_payload`). The gateway
routes each command to the sub-device it names and tags every reply and report with that
cid, which tinytuya uses to hand the report to the right child (`_process_message`). A query
without a known cid gets "json obj data unvalid" (tinytuya's `_register_child` comment).
Each sub-device keeps its own PINs and DPs under one profile, as `SimulatedLock` does.

Ours, where no source speaks: a command for an unknown cid is acked and nothing follows.
"""

from collections.abc import Callable, Mapping
import time
from typing import Any

from .lock import LockState, StoredPin
from .protocol import VERSIONS
from .server import LockServer

KEY_SIZE = 16


class SubDevice:
    """One lock behind the gateway: its state, its faults, and pushes from its side."""

    def __init__(
        self, gateway: "SimulatedGateway", cid: str, state: LockState, clock: Callable[[], float]
    ) -> None:
        """Attach a lock state to `gateway` under `cid`."""
        self.cid = cid
        self._gateway = gateway
        self._state = state
        self._clock = clock
        self.pins: dict[int, StoredPin] = state.pins
        self.dps: dict[str, Any] = state.dps
        self.commands: list[dict[str, Any]] = []
        self._lose = 0

    def lose_next_reply(self, count: int = 1) -> None:
        """Apply the next `count` PIN commands but send neither ack nor report."""
        self._lose += count

    def control(self, dps: dict[str, Any]) -> dict[str, Any] | None:
        """Apply a CONTROL routed here by the gateway."""
        self.commands.append(dict(dps))
        if self._state.is_pin_command(dps) and self._lose:
            self._lose -= 1
            self._state.apply(dps)
            return None
        return self._state.apply(dps)

    async def keypad(self, pin: str) -> bool:
        """Type a PIN on this lock's keypad; the unlock is pushed through the gateway."""
        report = self._state.keypad(pin, self._clock())
        if report is None:
            return False
        await self._gateway.push(self.cid, report)
        return True

    async def set_battery(self, percent: int) -> None:
        """Change the battery level and report it through the gateway."""
        await self._gateway.push(self.cid, self._state.set_battery(percent))

    async def report(self, dps: Mapping[str, Any]) -> None:
        """Report any DPs unprompted, tagged with this lock's cid."""
        await self._gateway.push(self.cid, dps)


class SimulatedGateway:
    """A gateway on loopback that the real tinytuya client talks to (3.3, 3.4, 3.5)."""

    def __init__(
        self,
        *,
        device_id: str,
        local_key: str,
        version: str = "3.4",
        clock: Callable[[], float] = time.time,
        idle_timeout: float = 30.0,
    ) -> None:
        """A gateway with no sub-devices yet (see `add_lock`)."""
        if version not in VERSIONS:
            raise ValueError(f"version must be one of {', '.join(VERSIONS)}")
        key = local_key.encode("latin1")
        if len(key) != KEY_SIZE:
            raise ValueError("the local key must be 16 characters")
        self.device_id = device_id
        self.version = version
        self._clock = clock
        self.subdevices: dict[str, SubDevice] = {}
        self._server = LockServer(
            device_id=device_id,
            local_key=key,
            version=version,
            handler=self,
            clock=clock,
            idle_timeout=idle_timeout,
        )

    def add_lock(
        self, cid: str, *, profile: Mapping[str, Any], battery: int = 90, locked: bool = True
    ) -> SubDevice:
        """Pair a lock of one profiles.json entry under `cid`."""
        state = LockState(profile, battery=battery, locked=locked)
        sub = SubDevice(self, cid, state, self._clock)
        self.subdevices[cid] = sub
        return sub

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on `host`; port 0 picks a free port (see `port`)."""
        await self._server.start(host, port)

    async def stop(self) -> None:
        """Stop listening and close every client socket."""
        await self._server.stop()

    @property
    def port(self) -> int:
        """The TCP port it listens on."""
        return self._server.address[1]

    @property
    def connections(self) -> int:
        """Client connections accepted so far."""
        return self._server.connections

    async def drop_connections(self) -> None:
        """Close the current client socket, as a gateway rebooting would."""
        await self._server.drop_connections()

    async def push(self, cid: str, dps: Mapping[str, Any]) -> None:
        """Report a sub-device's DPs to the connected client now."""
        await self._server.push(dps, cid)

    def query(self, cid: str | None = None) -> dict[str, Any] | None:
        """The addressed sub-device's DPs (server callback)."""
        sub = self.subdevices.get(cid) if cid is not None else None
        return None if sub is None else dict(sub.dps)

    def control(self, dps: dict[str, Any], cid: str | None = None) -> dict[str, Any] | None:
        """Route a CONTROL to the sub-device it names (server callback)."""
        sub = self.subdevices.get(cid) if cid is not None else None
        return {} if sub is None else sub.control(dps)
