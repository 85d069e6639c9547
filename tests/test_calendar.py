"""The listing calendars: entities, events in the listing's time zone, and what they hide."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from homeassistant.components.calendar import DOMAIN as CALENDAR_DOMAIN
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion

from custom_components.smartlock_tuya.const import CONF_DEFAULT_CHECK_IN, CONF_TIME_ZONE
from simulators.stays_server import FaultKind, StaysSimulator

from .conftest import Clock
from .helpers import snapshot_platform

BEACH = "calendar.casa_da_praia"
LOFT = "calendar.loft_centro"


async def _events(hass: HomeAssistant, entity_id: str, start: str, end: str) -> list[Any]:
    response = await hass.services.async_call(
        CALENDAR_DOMAIN,
        "get_events",
        {"entity_id": entity_id, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    return list(response[entity_id]["events"])


@pytest.mark.parametrize("init_integration", [Platform.CALENDAR], indirect=True)
async def test_entities(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    release_snapshot: SnapshotAssertion,
) -> None:
    """One calendar per listing, its state showing the current or next stay."""
    await snapshot_platform(
        hass, entity_registry, snapshot, release_snapshot, init_integration.entry_id
    )


async def test_devices(
    hass: HomeAssistant, init_integration: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """Each listing is a service device of the account's entry."""
    devices = dr.async_entries_for_config_entry(device_registry, init_integration.entry_id)
    by_name = {device.name: device for device in devices}
    assert sorted(by_name) == ["Casa da Praia", "Loft Centro", "Stays 127.0.0.1"]
    account = by_name["Stays 127.0.0.1"]
    assert by_name["Casa da Praia"].via_device_id == account.id
    assert {device.manufacturer for device in devices} == {"Stays"}
    assert {device.entry_type for device in devices} == {dr.DeviceEntryType.SERVICE}


async def test_events(
    hass: HomeAssistant, init_integration: MockConfigEntry, snapshot: SnapshotAssertion
) -> None:
    """Events carry first names, channel and nights, at the listing's wall-clock times."""
    beach = await _events(hass, BEACH, "2026-03-01T00:00:00-03:00", "2026-04-01T00:00:00-03:00")
    loft = await _events(hass, LOFT, "2026-03-01T00:00:00-03:00", "2026-04-01T00:00:00-03:00")
    assert beach == snapshot(name="beach")
    assert loft == snapshot(name="loft")


async def test_events_hide_contact_data(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """No surname, phone or e-mail reaches a calendar anyone in the house may read."""
    events = await _events(hass, BEACH, "2026-03-01T00:00:00-03:00", "2026-04-01T00:00:00-03:00")
    text = repr(events) + repr(hass.states.get(BEACH))
    assert "Maria" in text
    for secret in ("Silva", "+5511999998888", "maria@example.com"):
        assert secret not in text


async def test_times_fall_back(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """Without its own times a stay uses the listing's settings: the loft's 16:00 and 10:00."""
    [ana] = await _events(hass, LOFT, "2026-03-11T00:00:00-03:00", "2026-03-12T00:00:00-03:00")
    assert ana["start"] == "2026-03-11T16:00:00-03:00"
    assert ana["end"] == "2026-03-13T10:00:00-03:00"


async def test_default_times_and_zone_from_options(
    hass: HomeAssistant, account: StaysSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """With no time anywhere in Stays, the options' default time and time zone apply.

    The listing's settings cannot be read: that is logged and the defaults apply.
    """
    account.add_listing(name="Sem Horario", listing_id="L-none")
    account.inject_fault(FaultKind.NOT_FOUND, count=3, path_prefix="/settings/listing")
    await account.add_reservation(
        listing_id="L-none",
        check_in=date(2026, 3, 12),
        check_out=date(2026, 3, 13),
        reservation_id="R-none",
    )
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={CONF_TIME_ZONE: "Europe/Lisbon", CONF_DEFAULT_CHECK_IN: "13:30"},
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    [event] = await _events(
        hass, "calendar.sem_horario", "2026-03-12T00:00:00Z", "2026-03-14T00:00:00Z"
    )
    assert event["start"] == "2026-03-12T13:30:00+00:00"
    assert event["end"] == "2026-03-13T11:00:00+00:00"


async def test_state_follows_the_clock(
    hass: HomeAssistant, init_integration: MockConfigEntry, clock: Clock
) -> None:
    """The calendar is on during a stay and off between stays."""
    assert hass.states.get(BEACH).state == "on"  # Maria is in the house
    assert hass.states.get(BEACH).attributes["message"] == "Maria · airbnb"
    clock.tick(timedelta(days=2, hours=1))  # 12 March, 13:00 in São Paulo: Maria has left
    await init_integration.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(BEACH)
    assert state.state == "off"
    assert state.attributes["message"] == "João · booking.com"


@pytest.mark.parametrize("span", [("2026-05-01T00:00:00Z", "2026-05-02T00:00:00Z")])
async def test_no_events_outside_stays(
    hass: HomeAssistant, init_integration: MockConfigEntry, span: tuple[str, str]
) -> None:
    """A span with no stay has no events."""
    assert await _events(hass, BEACH, *span) == []


async def test_cancelled_and_blocked_not_shown(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Cancelled reservations are not fetched, so never shown."""
    events = await _events(hass, LOFT, "2026-03-19T00:00:00Z", "2026-03-23T00:00:00Z")
    assert events == []
