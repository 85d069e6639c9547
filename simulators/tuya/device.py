"""The network face of a simulated Tuya device, and the Wi-Fi lock that speaks for itself.

`TuyaDevice` owns the TCP server (one client at a time, idle drops, faults); `SimulatedLock` is a
Wi-Fi lock of one family on it. Tests drive the lock's side (keypad, bolt, battery, network
faults) while a real tinytuya client drives the integration's side.
"""

from collections.abc import Callable, Mapping
import time
from typing import Any, Literal

from .endpoint import LockEndpoint
from .family import LockFamily
from .lock_pro import LockPro
from .protocol import VERSIONS
from .server import DeviceHandler, LockServer

KEY_SIZE = 16
# Devices drop a connection that carries nothing for "typically ~30 seconds"
# (openhab/openhab-addons pull request #18829, TuyaBindingConstants.java).
IDLE_TIMEOUT = 30.0


class TuyaDevice:
    """A device listening on loopback for the real tinytuya client (3.3, 3.4, 3.5)."""

    def __init__(
        self,
        *,
        device_id: str,
        local_key: str,
        version: str,
        handler: DeviceHandler,
        clock: Callable[[], float],
        idle_timeout: float,
    ) -> None:
        """Check the key and version; nothing listens until `start`."""
        if version not in VERSIONS:
            raise ValueError(f"version must be one of {', '.join(VERSIONS)}")
        key = local_key.encode("latin1")
        if len(key) != KEY_SIZE:
            raise ValueError("the local key must be 16 characters")
        self.device_id = device_id
        self.version = version
        self._clock = clock
        self._server = LockServer(
            device_id=device_id,
            local_key=key,
            version=version,
            handler=handler,
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
    def heartbeats(self) -> int:
        """Heartbeats (command 9) answered so far."""
        return self._server.heartbeats

    @property
    def messages(self) -> list[tuple[int, dict[str, Any]]]:
        """Every decoded client command so far, as (command number, JSON) - cid included."""
        return self._server.received

    @property
    def client_connected(self) -> bool:
        """Whether a client holds the connection now, so a push would reach it."""
        return self._server.client_connected

    async def set_offline(self, mode: Literal["refuse", "silent"] | None) -> None:
        """Fake a network fault, or end it.

        "refuse" closes the port (and the current client), "silent" accepts and never answers,
        None comes back on the same port.
        """
        await self._server.set_offline(mode)

    async def drop_connections(self) -> None:
        """Close the current client socket, as a device rebooting or roaming would."""
        await self._server.drop_connections()

    def use_version(self, version: str) -> None:
        """Speak `version` to the next client (a firmware update); the current one keeps its."""
        if version not in VERSIONS:
            raise ValueError(f"version must be one of {', '.join(VERSIONS)}")
        self.version = version
        self._server.use_version(version)


class SimulatedLock(TuyaDevice, LockEndpoint):
    """A Wi-Fi lock speaking the local protocol for itself; by default a Lock Pro."""

    def __init__(
        self,
        *,
        device_id: str,
        local_key: str,
        version: str = "3.4",
        family: LockFamily | None = None,
        clock: Callable[[], float] = time.time,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        """A lock of `family` (a fresh `LockPro` when None)."""
        LockEndpoint.__init__(self, family or LockPro(), clock)
        TuyaDevice.__init__(
            self,
            device_id=device_id,
            local_key=local_key,
            version=version,
            handler=self,
            clock=clock,
            idle_timeout=idle_timeout,
        )

    async def push(self, dps: Mapping[str, Any]) -> bool:
        """Report DPs to the connected client at once."""
        return await self._server.push(dps)

    def query(self, cid: str | None) -> dict[str, Any] | None:
        """Every DP, for DP_QUERY (server callback); a Wi-Fi lock ignores any cid."""
        return dict(self.dps)

    def control(self, dps: dict[str, Any], cid: str | None) -> dict[str, Any] | None:
        """Apply a CONTROL (server callback)."""
        return self.handle_control(dps)

    def report_delay(self, cid: str | None) -> float:
        """A Wi-Fi lock reports with its ack (server callback)."""
        return 0.0

    def extension(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """A lock has no LAN_EXT_STREAM requests to answer (server callback)."""
        return None
