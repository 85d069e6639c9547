"""One Stays account, three simulated locks and a real config entry, shared by every example.

The locks are the integration's two real families: `door`, a Wi-Fi Lock Pro speaking for
itself, and `gate` and `loft`, two Zigbee locks behind one gateway (one connection, by cid);
`devices.py` builds them, `watch.py` holds the hooks that feed the oracle.

The state machine acts on the world only through the simulators' control APIs, Home
Assistant's actions and the webhook, and through time; it reads the truth back from the
simulators (what Stays holds, what each lock holds) and from the guest messages the notify
action was asked to send. The integration's own stored state is never consulted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET
from homeassistant.core import HomeAssistant
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
from simulators.stays_server import StaysSimulator
from simulators.tuya_lock import LockEndpoint, SimulatedLock, SubDevice, TuyaDevice

from .devices import GATEWAY_ID, LOCAL_KEY, LOCKS, VERSIONS
from .oracle import StaffCredential, Truth, held, show
from .watch import NOTIFY, TEMPLATE, Watch

CLIENT_ID = "invariant-client"
CLIENT_SECRET = "invariant-secret"
WEBHOOK_ID = "invariant-webhook"
ENTRY_ID = "01JINVARIANTACCOUNTENTRY01"
SP: tzinfo = dt_util.get_time_zone("America/Sao_Paulo") or UTC
#: Listings and their check-in and check-out times (the simulator's booking settings).
LISTINGS: dict[str, tuple[str, str]] = {"L-beach": ("15:00", "11:00"), "L-loft": ("16:00", "10:00")}


@dataclass
class World(Watch):
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
    #: The protocol each device speaks in this example.
    versions: dict[str, str] = field(default_factory=dict)
    #: The latest instant the clock showed: a clock set back later does not undo what ended.
    latest: datetime = field(default_factory=dt_util.utcnow)

    # -- one example ----------------------------------------------------------------------

    async def begin(self, versions: dict[str, str] | None = None) -> None:
        """A fresh account on a fresh day: no reservations, locks empty and online.

        `versions` are the protocols the devices speak (the first of each choice if None).
        """
        now = max(dt_util.utcnow(), self.latest)
        start = (now + timedelta(days=1)).replace(hour=15, minute=0, second=0, microsecond=0)
        self.clock.move_to(start)
        self.start = self.latest = start
        self.versions = versions or {device: choices[0] for device, choices in VERSIONS.items()}
        for device, version in self.versions.items():
            self.devices[device].use_version(version)
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
                    CONF_PROTOCOL_VERSION: self.versions[spec.device],
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
        self.latest = max(self.latest, dt_util.utcnow())
        async_fire_time_changed(self.hass)
        await self.settle()

    async def jump_back(self, delta: timedelta) -> None:
        """Set the clock back by `delta` (an NTP correction).

        The test's loop clock goes back with it, where a real one (monotonic) would not: every
        timer armed on it is fired once, as it would have fired in the meantime (a poll
        of Stays, the lifecycle's timer, which re-arms itself when it finds itself early).
        """
        self.latest = max(self.latest, dt_util.utcnow())
        before = {name: held(lock) for name, lock in self.locks.items()}
        self.clock.move_to(dt_util.utcnow() - delta)
        async_fire_time_changed(self.hass, fire_all=True)
        await self.settle()
        ended = self.latest.timestamp()
        came_back = [
            f"  {name}: {show(entry, SP)} came back after the clock was set back"
            for name, lock in self.locks.items()
            for entry in sorted(held(lock) - before[name], key=str)
            if entry[2] <= ended
        ]
        if came_back:
            raise AssertionError("\n".join([*came_back, *self.steps]))

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
        if (behind := self.latest - dt_util.utcnow()) > timedelta(0):
            # After a clock set back, retries armed in wall-clock time wait for the clock to
            # catch up (a real loop's monotonic timers would too): the clock catches up first.
            await self.jump(behind)
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
        self.latest = max(self.latest, now)
        problems = self.truth.compare(
            now,
            self.latest,
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


def staff_pin(lock: str, response: dict[str, Any]) -> StaffCredential:
    """What `create_pin` told its caller: the code and its window on one lock."""
    return StaffCredential(
        credential_id=str(response["credential_id"]),
        lock=lock,
        pin=str(response["pin"]),
        starts=datetime.fromisoformat(response["starts"]),
        ends=datetime.fromisoformat(response["ends"]),
    )
