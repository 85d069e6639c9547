"""The world's network: one Wi-Fi Lock Pro and one gateway with two Zigbee locks behind it.

Each example picks the protocol each device speaks (`VERSIONS`): the door 3.4 or 3.5, the
gateway 3.3 or 3.5, so the examples cover every version the integration supports, on both
families and on a shared connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulators.tuya_lock import LockEndpoint, SimulatedGateway, SimulatedLock, TuyaDevice

LOCAL_KEY = "0123456789abcdef"
GATEWAY = "gateway"
GATEWAY_ID = "invariant-gateway"
#: The protocols each device may speak in an example (the first: what a found case runs on).
VERSIONS: dict[str, tuple[str, ...]] = {"door": ("3.4", "3.5"), GATEWAY: ("3.3", "3.5")}


@dataclass(frozen=True)
class LockSpec:
    """One simulated lock: its profile, the device it is reached through, what it serves.

    `layout` is None for the Wi-Fi Lock Pro, else the Zigbee lock's DP 24 layout (21 or 27
    bytes) behind the gateway, where `cid` is its node id.
    """

    name: str
    subentry_id: str
    profile: str
    listings: tuple[str, ...]
    layout: int | None = None
    cid: str = ""

    @property
    def device(self) -> str:
        """The network device this lock is reached through."""
        return self.name if self.layout is None else GATEWAY


#: A Lock Pro door on the beach house, a Zigbee gate serving both listings and a Zigbee loft
#: lock, both behind one gateway: every listing has two locks, two of them share a connection.
LOCKS: tuple[LockSpec, ...] = (
    LockSpec("door", "01JINVARIANTLOCKSUBDOOR001", "lock_pro_dp51", ("L-beach",)),
    LockSpec(
        "gate",
        "01JINVARIANTLOCKSUBGATE001",
        "zigbee_gateway_27",
        ("L-beach", "L-loft"),
        layout=27,
        cid="a4c1380000000001",
    ),
    LockSpec(
        "loft",
        "01JINVARIANTLOCKSUBLOFT001",
        "zigbee_gateway_21",
        ("L-loft",),
        layout=21,
        cid="a4c1380000000002",
    ),
)


def build_devices(
    clock: Callable[[], float],
) -> tuple[dict[str, TuyaDevice], dict[str, LockEndpoint]]:
    """The devices on the network (door, gateway) and each lock's endpoint, not yet started.

    The devices' idle timers run on the loop's clock, which every clock jump moves on, so
    they never drop an idle client here (the integration's heartbeats are what is tested).
    """
    door = SimulatedLock(
        device_id="invariant-door",
        local_key=LOCAL_KEY,
        version=VERSIONS["door"][0],
        clock=clock,
        idle_timeout=1e9,
    )
    gateway = SimulatedGateway(
        device_id=GATEWAY_ID,
        local_key=LOCAL_KEY,
        version=VERSIONS[GATEWAY][0],
        clock=clock,
        idle_timeout=1e9,
    )
    endpoints: dict[str, LockEndpoint] = {"door": door}
    for spec in LOCKS:
        if spec.layout is not None:
            endpoints[spec.name] = gateway.add_lock(spec.cid, layout=spec.layout)
    return {"door": door, GATEWAY: gateway}, endpoints
