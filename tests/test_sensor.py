"""The account's sensors: last sync (readable during an outage) and reservations in view."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from syrupy.assertion import SnapshotAssertion

from simulators.stays_server import FaultKind, StaysSimulator

from .conftest import Clock
from .helpers import snapshot_platform

LAST_SYNC = "sensor.stays_127_0_0_1_last_sync"
RESERVATIONS = "sensor.stays_127_0_0_1_reservations_in_view"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize("init_integration", [Platform.SENSOR], indirect=True)
async def test_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    release_snapshot: SnapshotAssertion,
) -> None:
    """The account device carries its diagnostic sensors."""
    await snapshot_platform(
        hass, entity_registry, snapshot, release_snapshot, init_integration.entry_id
    )


async def test_count_disabled_by_default(
    hass: HomeAssistant, init_integration: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """The reservation count is for troubleshooting: off until a user turns it on."""
    entry = entity_registry.async_get(RESERVATIONS)
    assert entry is not None
    assert entry.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get(RESERVATIONS) is None


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_last_sync_survives_outage(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    account: StaysSimulator,
    clock: Clock,
) -> None:
    """During an outage the last sync keeps its time, so users see since when Stays is down."""
    first = hass.states.get(LAST_SYNC).state
    assert first.startswith("2026-03-10T15:00")
    assert hass.states.get(RESERVATIONS).state == "3"

    account.inject_fault(FaultKind.SERVER_ERROR, count=1000)
    clock.tick(timedelta(minutes=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(LAST_SYNC).state == first
    assert hass.states.get(RESERVATIONS).state == STATE_UNAVAILABLE

    account.clear_faults()
    clock.tick(timedelta(minutes=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(LAST_SYNC).state.startswith("2026-03-10T15:20")
    assert hass.states.get(RESERVATIONS).state == "3"
