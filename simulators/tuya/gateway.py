"""A Tuya gateway hosting Zigbee sub-devices addressed by `cid`, as tinytuya reaches them.

tinytuya talks to a sub-device through its parent's single connection and puts the child's
``cid`` in every command's JSON: at the top level on 3.3 (``{"t", "cid", "dps"}``) and also
under ``data`` on 3.4/3.5 CONTROL_NEW (tinytuya/core/XenonDevice.py, ``payload_dict`` "zigbee"
entries and ``generate_payload``). The gateway routes each command to the sub-device it names,
answers a query with that sub-device's DPs, and tags every report with the sub-device's cid,
which tinytuya uses to hand the report to the right child (``_process_message``). A query
without a cid gets "json obj data unvalid" (tinytuya's ``_register_child`` comment).

On 3.4 and 3.5 a gateway also answers ``subdev_online_stat_query`` on command 64 with the
online and offline cids; 3.3 gateways ignore it (jasonacox/tinytuya pull request #308).

Ours, where no source speaks: a command for an unknown or offline cid is acked and nothing
else follows; a query for an unknown cid gets the same answer as a query without one.
"""

from collections.abc import Callable, Mapping
import time
from typing import Any

from .device import IDLE_TIMEOUT, TuyaDevice
from .endpoint import LockEndpoint
from .family import LockFamily
from .zigbee_lock import ZigbeeLock

SUBDEV_QUERY = "subdev_online_stat_query"
SUBDEV_REPORT = "subdev_online_stat_report"


class SubDevice(LockEndpoint):
    """A lock behind a gateway: it reaches the client only through the gateway's connection."""

    def __init__(
        self,
        gateway: "SimulatedGateway",
        cid: str,
        family: LockFamily,
        clock: Callable[[], float],
    ) -> None:
        """Attach `family` to `gateway` under `cid`."""
        super().__init__(family, clock)
        self.cid = cid
        self.online = True  # False: out of Zigbee range, commands never arrive
        self.report_delay = 0.0  # seconds between the gateway's ack and the lock's report
        self._gateway = gateway

    async def push(self, dps: Mapping[str, Any]) -> bool:
        """Report DPs through the gateway, tagged with this lock's cid."""
        if not self.online:
            return False
        return await self._gateway.push(self.cid, dps)


class SimulatedGateway(TuyaDevice):
    """A Zigbee gateway on loopback with any number of sub-device locks."""

    def __init__(
        self,
        *,
        device_id: str,
        local_key: str,
        version: str = "3.4",
        clock: Callable[[], float] = time.time,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        """A gateway with no sub-devices yet (see `add_lock`)."""
        super().__init__(
            device_id=device_id,
            local_key=local_key,
            version=version,
            handler=self,
            clock=clock,
            idle_timeout=idle_timeout,
        )
        self.subdevices: dict[str, SubDevice] = {}

    def add(self, cid: str, family: LockFamily) -> SubDevice:
        """Pair a sub-device of any family under `cid`."""
        if cid in self.subdevices:
            raise ValueError(f"cid {cid!r} is already paired")
        sub = SubDevice(self, cid, family, self._clock)
        self.subdevices[cid] = sub
        return sub

    def add_lock(
        self,
        cid: str,
        *,
        layout: int = 27,
        battery: int = 90,
        locked: bool = True,
        capacity: int = 10,
        local_offset: int = 0,
    ) -> SubDevice:
        """Pair a Zigbee lock taking the 21- or 27-byte DP 24 layout (see `ZigbeeLock`)."""
        family = ZigbeeLock(
            layout=layout,
            battery=battery,
            locked=locked,
            capacity=capacity,
            local_offset=local_offset,
        )
        return self.add(cid, family)

    def remove(self, cid: str) -> None:
        """Unpair a sub-device."""
        del self.subdevices[cid]

    async def push(self, cid: str, dps: Mapping[str, Any]) -> bool:
        """Report a sub-device's DPs to the connected client now; False when there is none."""
        return await self._server.push(dps, cid)

    def query(self, cid: str | None) -> dict[str, Any] | None:
        """The addressed sub-device's DPs (server callback)."""
        sub = self.subdevices.get(cid) if cid is not None else None
        return None if sub is None else dict(sub.dps)

    def control(self, dps: dict[str, Any], cid: str | None) -> dict[str, Any] | None:
        """Route a CONTROL to the sub-device it names (server callback)."""
        sub = self.subdevices.get(cid) if cid is not None else None
        if sub is None or not sub.online:
            return {}
        return sub.handle_control(dps)

    def report_delay(self, cid: str | None) -> float:
        """The Zigbee hop of the addressed sub-device (server callback)."""
        sub = self.subdevices.get(cid) if cid is not None else None
        return 0.0 if sub is None else sub.report_delay

    def extension(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """Answer ``subdev_online_stat_query`` on 3.4/3.5 (server callback)."""
        if self.version == "3.3" or message.get("reqType") != SUBDEV_QUERY:
            return None
        online = [cid for cid, sub in self.subdevices.items() if sub.online]
        offline = [cid for cid, sub in self.subdevices.items() if not sub.online]
        return {
            "reqType": SUBDEV_REPORT,
            "data": {"online": online, "offline": offline, "nearby": online},
        }
