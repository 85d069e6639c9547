"""Shared test helpers: the sample stays' moments, moving time, and what a lock holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
import contextlib
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from syrupy.assertion import SnapshotAssertion

from custom_components.smartlock_tuya.scheduler import CredentialKey
from simulators.tuya_lock import SimulatedLock

from .conftest import LOCK_SUBENTRY, Clock

SP = dt_util.get_time_zone("America/Sao_Paulo")
MARIA = CredentialKey("R-maria", LOCK_SUBENTRY)
JOAO = CredentialKey("R-joao", LOCK_SUBENTRY)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2026, São Paulo time."""
    return datetime(2026, 3, day, hour, minute, tzinfo=SP)


async def settle(hass: HomeAssistant) -> None:
    """Let a sync (and the syncs it asks for) finish."""
    for _ in range(3):
        await hass.async_block_till_done(wait_background_tasks=True)


async def travel(
    hass: HomeAssistant, clock: Clock, moment: datetime, step: timedelta | None = None
) -> None:
    """Move the clock to `moment`, in `step`s if given, firing the timers that fall due.

    A poll of Stays is due at every jump of 10 minutes or more.
    """
    while (now := dt_util.utcnow()) < moment:
        clock.tick(min(step or moment - now, moment - now))
        async_fire_time_changed(hass)
        await settle(hass)


def pins_on(lock: SimulatedLock) -> dict[str, tuple[datetime, datetime]]:
    """The lock's PINs with their windows."""
    return {
        pin.pin: (dt_util.utc_from_timestamp(pin.start), dt_util.utc_from_timestamp(pin.end))
        for pin in lock.pins.values()
    }


def manager_of(entry: MockConfigEntry) -> Any:
    """The entry's lifecycle manager, which must be running."""
    manager = entry.runtime_data.manager
    assert manager is not None
    return manager


def credential(entry: MockConfigEntry, key: CredentialKey) -> Any:
    """A stored credential of the entry."""
    return manager_of(entry).credentials[key]


@contextlib.asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """Serve a hand-made app on loopback; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def subentries_of(device: dr.DeviceEntry, entry_id: str) -> set[str | None]:
    """The device's subentries in the entry: one field on current releases, a map on 2025.4."""
    if hasattr(device, "config_subentry_id"):
        return {device.config_subentry_id}
    return set(device.config_entries_subentries[entry_id])


async def snapshot_platform(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    release_snapshot: SnapshotAssertion,
    config_entry_id: str,
) -> None:
    """Snapshot one platform's entities: states in the shared set, registry entries per release.

    Home Assistant changes the shape of registry entries between releases (aliases, new
    fields); what our entities show is the same on every release, so it is kept once.
    Registry entries go to `tests/snapshots_by_release/ha-<major.minor>/`.
    """
    entries = er.async_entries_for_config_entry(entity_registry, config_entry_id)
    assert entries
    assert len({entry.domain for entry in entries}) == 1, "load one platform at a time"
    for entry in entries:
        assert entry == release_snapshot(name=f"{entry.entity_id}-entry")
        assert entry.disabled_by is None, "enable every entity"
        state = hass.states.get(entry.entity_id)
        assert state, f"no state for {entry.entity_id}"
        assert plain_state(state) == snapshot(name=f"{entry.entity_id}-state")


def plain_state(state: State) -> dict[str, Any]:
    """A state with plain-string attribute names: newer releases name them with StrEnums."""
    return {
        "entity_id": state.entity_id,
        "state": state.state,
        "attributes": {str(name): value for name, value in state.attributes.items()},
    }
