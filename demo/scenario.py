"""The demo's simulated locks and its short-notice reservations, all in the demo's event loop.

A Wi-Fi Lock Pro and a Zigbee gateway with two sub-device locks on loopback, and two
reservations placed relative to the moment the demo starts so that a PIN is written and another
removed while the user watches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from custom_components.smartlock_tuya.pins import mask
from simulators.stays_server import StaysSimulator
from simulators.tuya_lock import LockEndpoint, SimulatedGateway, SimulatedLock, TuyaDevice

TIME_ZONE = ZoneInfo("America/Sao_Paulo")  # Home Assistant's zone in the demo configuration
LEAD_TIME_MINUTES = 60
#: The short stay's check-out, and with `grace_minutes` 0 its PIN's removal, this long after start.
LEAVES_IN_MINUTES = 5
#: The next-day arrival's PIN is written this long after start (24 h before its window opens).
PUSHED_IN_MINUTES = 3


@dataclass(frozen=True)
class LockSpec:
    """One simulated lock and what it opens (listings by name, as in the sample account).

    A Zigbee lock names its gateway and node id (cid); it is reached through the gateway's
    address, key and protocol version, and locks behind one gateway share its connection.
    """

    name: str
    device_id: str
    local_key: str
    version: str
    profile: str
    listings: tuple[str, ...]
    gateway_id: str | None = None
    node_id: str | None = None
    layout: int = 27


GATEWAY_ID = "bfdemo00000gateway34"
GATEWAY_KEY = "gway-demo-key-34"

LOCKS: tuple[LockSpec, ...] = (
    LockSpec(
        name="Portão do prédio",
        device_id="bfdemo0000000gate33",
        local_key="gate-demo-key-33",
        version="3.3",
        profile="lock_pro_dp51",
        listings=("Apartamento Beira-Mar Jurerê", "Studio Copacabana Posto 5"),
    ),
    LockSpec(
        name="Porta Jurerê",
        device_id="bfdemo00000jurere34",
        local_key=GATEWAY_KEY,
        version="3.4",
        profile="zigbee_gateway_27",
        listings=("Apartamento Beira-Mar Jurerê",),
        gateway_id=GATEWAY_ID,
        node_id="a4c1380000jurere1",
    ),
    LockSpec(
        name="Porta Lagoa",
        device_id="bfdemo000000lagoa34",
        local_key=GATEWAY_KEY,
        version="3.4",
        profile="zigbee_gateway_21",
        listings=("Casa na Lagoa da Conceição",),
        gateway_id=GATEWAY_ID,
        node_id="a4c13800000lagoa1",
        layout=21,
    ),
)


@dataclass
class RunningLock:
    """A started simulated lock (on its own or behind a gateway) and its subentry form data."""

    spec: LockSpec
    lock: LockEndpoint
    device: TuyaDevice
    form: dict[str, Any]
    seen: dict[int, str] = field(default_factory=dict)


def listing_ids(stays: StaysSimulator) -> dict[str, str]:
    """The simulator's listings, name to Stays id."""
    # The simulator keeps its listings privately; the demo only reads names and ids.
    return {listing["internalName"]: listing_id for listing_id, listing in stays._listings.items()}  # noqa: SLF001


async def _device_for(
    spec: LockSpec, gateways: dict[str, SimulatedGateway], host: str, port: int
) -> tuple[LockEndpoint, TuyaDevice]:
    """The lock for `spec` and the device that listens for it, started on `port` if new."""
    if spec.gateway_id is None or spec.node_id is None:
        lock = SimulatedLock(
            device_id=spec.device_id, local_key=spec.local_key, version=spec.version
        )
        await lock.start(host, port)
        return lock, lock
    gateway = gateways.get(spec.gateway_id)
    if gateway is None:
        gateway = SimulatedGateway(
            device_id=spec.gateway_id, local_key=spec.local_key, version=spec.version
        )
        await gateway.start(host, port)
        gateways[spec.gateway_id] = gateway
    return gateway.add_lock(spec.node_id, layout=spec.layout), gateway


async def start_locks(stays: StaysSimulator, host: str, first_port: int) -> list[RunningLock]:
    """Start every lock (a gateway once for all its locks) on loopback ports from `first_port`."""
    ids = listing_ids(stays)
    running: list[RunningLock] = []
    gateways: dict[str, SimulatedGateway] = {}
    try:
        for offset, spec in enumerate(LOCKS):
            lock, device = await _device_for(spec, gateways, host, first_port + offset)
            form = {
                "name": spec.name,
                "device_id": spec.device_id,
                "backend": "lan",
                "host": f"{host}:{device.port}",
                "local_key": spec.local_key,
                "protocol_version": spec.version,
                "profile": spec.profile,
                "listing_ids": [ids[name] for name in spec.listings],
                "cloud_offline_passwords": False,
            }
            if spec.gateway_id is not None:
                form |= {"gateway_id": spec.gateway_id, "node_id": spec.node_id}
            running.append(RunningLock(spec, lock, device, form))
    except BaseException:
        await stop_locks(running)
        for gateway in gateways.values():
            await gateway.stop()
        raise
    return running


async def stop_locks(locks: list[RunningLock]) -> None:
    """Stop every simulated device (a gateway once); safe to call twice."""
    stopped: list[TuyaDevice] = []
    for running in locks:
        if all(running.device is not device for device in stopped):
            await running.device.stop()
            stopped.append(running.device)


@dataclass(frozen=True)
class ShortNotice:
    """The reservations placed relative to now, and when their PINs move."""

    leaves: datetime
    pushed: datetime
    arrives: datetime


async def add_short_notice_reservations(stays: StaysSimulator, now: datetime) -> ShortNotice:
    """A stay ending in a few minutes, and an arrival whose PIN is written in a few minutes.

    With `grace_minutes` 0 the first stay's PIN is removed at its check-out. The second stay's
    window opens at check-in - lead time, and PINs are written 24 h before that.
    """
    ids = listing_ids(stays)
    local = now.astimezone(TIME_ZONE).replace(second=0, microsecond=0) + timedelta(minutes=1)
    leaves = local + timedelta(minutes=LEAVES_IN_MINUTES)
    await stays.add_reservation(
        listing_id=ids["Casa na Lagoa da Conceição"],
        check_in=leaves.date() - timedelta(days=1),
        check_out=leaves.date(),
        check_out_time=leaves.strftime("%H:%M"),
        guest_name="Helena Martins",
        phone="+5548991230000",
    )
    arrives = local + timedelta(days=1, minutes=LEAD_TIME_MINUTES + PUSHED_IN_MINUTES)
    await stays.add_reservation(
        listing_id=ids["Studio Copacabana Posto 5"],
        check_in=arrives.date(),
        check_out=arrives.date() + timedelta(days=2),
        check_in_time=arrives.strftime("%H:%M"),
        guest_name="Tiago Ramos",
        phone="+5521990001111",
    )
    return ShortNotice(
        leaves=leaves,
        pushed=arrives - timedelta(days=1, minutes=LEAD_TIME_MINUTES),
        arrives=arrives,
    )


def masked(pin: str) -> str:
    """Every digit hidden, as everywhere else: a PIN opens a door."""
    return mask(pin)


def pin_changes(locks: list[RunningLock]) -> list[str]:
    """Lines describing PINs written to or removed from the simulated locks since last asked."""
    lines: list[str] = []
    for running in locks:
        # Keyed by the simulator's own memory place, which is no id the integration knows.
        now = {place: stored.pin for place, stored in running.lock.pins.items()}
        for place, pin in sorted(now.items()):
            if running.seen.get(place) != pin:
                lines.append(f"{running.spec.name}: PIN {masked(pin)} written")
        for place, pin in sorted(running.seen.items()):
            if place not in now:
                lines.append(f"{running.spec.name}: PIN {masked(pin)} removed")
        running.seen = now
    return lines


def total_pins(locks: list[RunningLock]) -> int:
    """PINs now stored on the simulated locks."""
    return sum(len(running.lock.pins) for running in locks)


async def watch_pins(locks: list[RunningLock], say: Callable[[str], None]) -> None:
    """Print every PIN that appears on or leaves a simulated lock, until cancelled."""
    while True:
        for line in pin_changes(locks):
            say(f"{datetime.now(TIME_ZONE):%H:%M:%S}  {line}")
        await asyncio.sleep(1)
