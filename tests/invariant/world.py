"""One Stays account, three simulated locks and a real config entry, shared by every example.

The locks are the integration's two real families: `door`, a Wi-Fi Lock Pro speaking for
itself, and `gate` and `loft`, two Zigbee locks behind one gateway (one connection, by cid).

The state machine in `tests/test_invariant.py` acts on the world only through the simulators'
control APIs, Home Assistant's actions and the webhook, and through time; it reads the truth
back from the simulators (what Stays holds, what each lock holds) and from the guest messages
the notify action was asked to send. The integration's own stored state is never consulted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
import re
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET
from homeassistant.core import Event, HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.smartlock_tuya.const import (
    CONF_BACKEND,
    CONF_BASE_URL,
    CONF_DEVICE_ID,
    CONF_GATEWAY_ID,
    CONF_HOST,
    CONF_LISTING_IDS,
    CONF_LOCAL_KEY,
    CONF_NAME,
    CONF_NODE_ID,
    CONF_PROFILE,
    CONF_PROTOCOL_VERSION,
    CONF_WEBHOOK_ID,
    DOMAIN,
    SUBENTRY_LOCK,
)
from custom_components.smartlock_tuya.storage import LifecycleStore
from custom_components.smartlock_tuya.tuya.errors import LockOfflineError
from custom_components.smartlock_tuya.tuya.lan.connection import LanConnection
from simulators.stays_server import StaysSimulator
from simulators.tuya_lock import (
    LockEndpoint,
    LockPro,
    SimulatedGateway,
    SimulatedLock,
    SubDevice,
    TuyaDevice,
)

from .oracle import Message, StaffPin, Truth

CLIENT_ID = "invariant-client"
CLIENT_SECRET = "invariant-secret"
LOCAL_KEY = "0123456789abcdef"
WEBHOOK_ID = "invariant-webhook"
ENTRY_ID = "01JINVARIANTACCOUNTENTRY01"
NOTIFY = "guest_message"
#: The guest's message names the PIN where the oracle can read it back.
TEMPLATE = "PIN {{ pin }} for {{ guest_name }} at {{ listing }}"
_PINS_IN_MESSAGE = re.compile(r"PIN (.+?) for ")
_DOOR_PIN = re.compile(r"(\w[\w ]*): (\d+)")
SP: tzinfo = dt_util.get_time_zone("America/Sao_Paulo") or UTC
#: Listings and their check-in and check-out times (the simulator's booking settings).
LISTINGS: dict[str, tuple[str, str]] = {"L-beach": ("15:00", "11:00"), "L-loft": ("16:00", "10:00")}


GATEWAY = "gateway"
GATEWAY_ID = "invariant-gateway"
#: The protocol each device speaks: the Lock Pro on its own, the gateway for both Zigbee locks.
VERSIONS = {"door": "3.4", GATEWAY: "3.3"}


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
        version=VERSIONS["door"],
        clock=clock,
        idle_timeout=1e9,
    )
    gateway = SimulatedGateway(
        device_id=GATEWAY_ID,
        local_key=LOCAL_KEY,
        version=VERSIONS[GATEWAY],
        clock=clock,
        idle_timeout=1e9,
    )
    endpoints: dict[str, LockEndpoint] = {"door": door}
    for spec in LOCKS:
        if spec.layout is not None:
            endpoints[spec.name] = gateway.add_lock(spec.cid, layout=spec.layout)
    return {"door": door, GATEWAY: gateway}, endpoints


@dataclass
class World:
    """The simulators, the entry, and what the oracle needs to know about the run so far."""

    hass: HomeAssistant
    stays: StaysSimulator
    devices: dict[str, TuyaDevice]
    locks: dict[str, LockEndpoint]
    clock: Any
    webhook_url: str | None = None
    start: datetime = field(default_factory=dt_util.utcnow)
    entry: MockConfigEntry | None = None
    saves_lost: bool = False
    crash_armed: str | None = None
    notify_failures: int = 0
    truth: Truth = field(default_factory=Truth)
    #: Which listings each lock serves now (the user may change it in the lock's options).
    served: dict[str, tuple[str, ...]] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)

    # -- wiring, once per test ------------------------------------------------------------

    def install(self) -> list[Any]:
        """Hooks that live for the whole test: the notify action, lost saves, crash points."""
        self.hass.services.async_register("notify", NOTIFY, self._notify)
        self.hass.bus.async_listen(ir.EVENT_REPAIRS_ISSUE_REGISTRY_UPDATED, self._issue)
        real_save = LifecycleStore.async_save
        real_send = LanConnection.send
        world = self

        async def save(store: LifecycleStore) -> None:
            if not world.saves_lost:  # a crashed process writes nothing more
                await real_save(store)

        async def send(connection: LanConnection, message: Any, **kwargs: Any) -> Any:
            # Nor does it send anything more: only what was already on the wire still lands.
            if world.saves_lost:
                raise LockOfflineError("the process died")
            return await real_send(connection, message, **kwargs)

        for name, lock in self.locks.items():
            self._hook(name, lock)
        return [
            patch.object(LifecycleStore, "async_save", save),
            patch.object(LanConnection, "send", send),
        ]

    def _hook(self, name: str, lock: LockEndpoint) -> None:
        """Crash Home Assistant right after this lock's memory changed, before any save.

        A Lock Pro create whose answer is lost leaves a copy nobody can find again (the
        answer alone names the id the lock chose): the oracle learns of it here.
        """
        real = lock.handle_control

        def control(*args: Any) -> Any:
            before = {slot: repr(pin) for slot, pin in lock.pins.items()}
            lock_pro = isinstance(lock.family, LockPro)
            silent = lock._lose > 0
            answer = real(*args)
            written = {slot: repr(pin) for slot, pin in lock.pins.items()} != before
            crash = self.crash_armed == name and written
            if lock_pro and ((silent and answer is None) or crash or self.saves_lost):
                # The answer never reaches a saved record: lost, or the process died.
                self.truth.strand(name, lock.pins, before, dt_util.utcnow())
            if crash:
                self.crash_armed = None
                self.saves_lost = True
                self.steps.append(f"  (crash after a PIN was written on {name})")
            return answer

        lock.handle_control = control  # type: ignore[method-assign]

    @callback
    def _issue(self, event: Event[ir.EventIssueRegistryUpdatedData]) -> None:
        """Keep every "this PIN may be on the lock until ..." repair the owner was shown.

        An issue that already stood (a failed create's, now "maybe on the lock") is updated,
        not created: both count.
        """
        if event.data["action"] not in ("create", "update") or event.data["domain"] != DOMAIN:
            return
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, event.data["issue_id"])
        if issue is not None and issue.translation_key == "pin_maybe_on_lock":
            told = issue.translation_placeholders or {}
            lock, holder = str(told.get("lock", "")).lower(), str(told.get("reservation", ""))
            self.truth.alerts.append((lock, holder, dt_util.utcnow()))

    async def _notify(self, call: ServiceCall) -> None:
        if self.notify_failures:
            self.notify_failures -= 1
            raise HomeAssistantError("the SMS gateway is down")
        match = _PINS_IN_MESSAGE.search(str(call.data.get("message", "")))
        told = match.group(1) if match else ""
        # One PIN for every door, or (when the doors' PINs differ) "Door: 1234, Gate: 5678".
        pins = {"": told} if told.isdigit() else dict(_DOOR_PIN.findall(told))
        targets = call.data.get("target") or []
        self.truth.messages.append(
            Message(
                reservation_id=str((call.data.get("data") or {}).get("reservation_id")),
                targets=tuple(str(t) for t in targets),
                pins={door.lower(): pin for door, pin in pins.items()},
            )
        )

    # -- one example ----------------------------------------------------------------------

    async def begin(self) -> None:
        """A fresh account on a fresh day: no reservations, locks empty and online."""
        now = dt_util.utcnow()
        start = (now + timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)
        self.clock.move_to(start)
        self.start = start
        self.truth = Truth()
        self.served = {spec.name: spec.listings for spec in LOCKS}
        self.steps = []
        self.saves_lost, self.crash_armed, self.notify_failures = False, None, 0
        stays = self.stays
        stays._reservations.clear()
        stays._clients.clear()
        stays._faults.clear()
        stays.requests.clear()
        stays._short_ids = {listing["id"] for listing in stays._listings.values()}
        stays.webhook_url = None
        await self.all_online()
        # Repairs outlive an entry in Home Assistant: none of an earlier example may stand.
        issues = ir.async_get(self.hass)
        for domain, issue_id in list(issues.issues):
            if domain == DOMAIN:
                issues.async_delete(domain, issue_id)
        for lock in self.locks.values():
            lock.pins.clear()
            lock.commands.clear()
            lock._reject = lock._lose = 0
        self.entry = self._entry()
        self.entry.add_to_hass(self.hass)
        await self.hass.config_entries.async_setup(self.entry.entry_id)
        await self.settle()

    async def end(self) -> None:
        """Remove the entry (and its Store) so the next example starts from nothing."""
        self.saves_lost = False
        if self.entry is not None:
            await self.hass.config_entries.async_remove(self.entry.entry_id)
            await self.settle()
            self.entry = None

    def _entry(self) -> MockConfigEntry:
        subentries = [
            {
                "data": {
                    CONF_NAME: spec.name.title(),
                    CONF_DEVICE_ID: f"invariant-{spec.name}",
                    CONF_BACKEND: "lan",
                    CONF_HOST: f"127.0.0.1:{self.devices[spec.device].port}",
                    CONF_LOCAL_KEY: LOCAL_KEY,
                    CONF_PROTOCOL_VERSION: VERSIONS[spec.device],
                    CONF_PROFILE: spec.profile,
                    CONF_LISTING_IDS: list(spec.listings),
                    **(
                        {CONF_GATEWAY_ID: GATEWAY_ID, CONF_NODE_ID: spec.cid}
                        if spec.layout is not None
                        else {}
                    ),
                },
                "subentry_id": spec.subentry_id,
                "subentry_type": SUBENTRY_LOCK,
                "title": spec.name.title(),
                "unique_id": f"invariant-{spec.name}",
            }
            for spec in LOCKS
        ]
        return MockConfigEntry(
            domain=DOMAIN,
            entry_id=ENTRY_ID,
            title="127.0.0.1",
            unique_id="127.0.0.1",
            data={
                CONF_BASE_URL: self.stays.url,
                CONF_CLIENT_ID: CLIENT_ID,
                CONF_CLIENT_SECRET: CLIENT_SECRET,
                CONF_WEBHOOK_ID: WEBHOOK_ID,
            },
            options={
                "time_zone": "America/Sao_Paulo",
                "notify_service": f"notify.{NOTIFY}",
                "message_template": TEMPLATE,
            },
            subentries_data=subentries,
        )

    @property
    def loaded(self) -> bool:
        """Whether the entry is set up (not retrying, not unloaded)."""
        return self.entry is not None and self.entry.state is ConfigEntryState.LOADED

    # -- time and restarts ----------------------------------------------------------------

    async def settle(self) -> None:
        """Let syncs, the syncs they ask for, and background tasks finish."""
        for _ in range(3):
            await self.hass.async_block_till_done(wait_background_tasks=True)

    async def jump(self, delta: timedelta) -> None:
        """Move the clock on by `delta` at once, firing whatever fell due."""
        self.clock.tick(delta)
        async_fire_time_changed(self.hass)
        await self.settle()

    async def restart(self, during_start: Callable[[], Awaitable[None]] | None = None) -> None:
        """Stop and start the entry with the same Store, as a Home Assistant restart does.

        After a crash (`saves_lost`) nothing the old run still does reaches the Store.
        `during_start` runs while the new run is still starting (its Store loading).
        """
        assert self.entry is not None
        await self.hass.config_entries.async_unload(self.entry.entry_id)
        await self.settle()
        self.saves_lost = False
        await self.hass.config_entries.async_setup(self.entry.entry_id)
        if during_start is not None:
            await during_start()
        await self.settle()

    async def serve(self, lock: str, listings: tuple[str, ...]) -> None:
        """The user changes the listings a lock serves (its subentry); the entry reloads."""
        assert self.entry is not None
        spec = next(spec for spec in LOCKS if spec.name == lock)
        subentry = self.entry.subentries[spec.subentry_id]
        self.served[lock] = listings
        self.hass.config_entries.async_update_subentry(
            self.entry, subentry, data={**subentry.data, CONF_LISTING_IDS: list(listings)}
        )
        await self.settle()

    async def heal(self) -> None:
        """End every fault, then give the integration the time it needs to converge.

        Two slow retry periods (15 minutes) and a poll (10 minutes) fit in the 32 minutes.
        """
        self.stays.clear_faults()
        self.stays._reservations = [
            r for r in self.stays._reservations if not str(r.get("_id", "")).startswith("junk")
        ]
        self.notify_failures = 0
        self.crash_armed = None
        for lock in self.locks.values():
            lock._reject = lock._lose = 0
        await self.all_online()
        if self.saves_lost:
            await self.restart()
        for _ in range(2):
            await self.jump(timedelta(minutes=16))

    # -- the network ----------------------------------------------------------------------

    async def offline(self, lock: str) -> None:
        """A lock drops off: the Lock Pro's port closes, a Zigbee lock leaves radio range."""
        endpoint = self.locks[lock]
        if isinstance(endpoint, SubDevice):
            endpoint.online = False  # the gateway acks its commands, nothing follows
        elif isinstance(endpoint, SimulatedLock):
            await endpoint.set_offline("refuse")

    async def online(self, lock: str) -> None:
        """A lock (or, for `GATEWAY`, the gateway) is reachable again."""
        endpoint = self.locks.get(lock)
        if isinstance(endpoint, SubDevice):
            endpoint.online = True
        else:
            await self.devices[lock].set_offline(None)

    async def all_online(self) -> None:
        """Every device and every Zigbee lock is reachable."""
        for device in self.devices.values():
            await device.set_offline(None)
        for name in self.locks:
            await self.online(name)

    # -- the invariant --------------------------------------------------------------------

    def check(self) -> None:
        """Each lock holds exactly the live PINs, each the guest was told, with its window."""
        now = dt_util.utcnow()
        problems = self.truth.compare(
            now,
            self.stays._reservations,
            LISTINGS,
            self.served,
            self.locks,
            SP,
        )
        if problems:
            told = [
                f"  told {m.reservation_id} at {','.join(m.targets) or 'no target'}: {m.pins}"
                for m in self.truth.messages
            ]
            raise AssertionError(
                f"invariant broken at {now.astimezone(SP):%d/%m %H:%M} (São Paulo):\n"
                + "\n".join([*problems, *told, *self.steps])
            )


def staff_pin(lock: str, response: dict[str, Any]) -> StaffPin:
    """What `create_pin` told its caller: the code and its window on one lock."""
    return StaffPin(
        credential_id=str(response["credential_id"]),
        lock=lock,
        pin=str(response["pin"]),
        starts=datetime.fromisoformat(response["starts"]),
        ends=datetime.fromisoformat(response["ends"]),
    )
