"""Setup, unload, retry and reauth of an entry, and how polling survives Stays failing."""

from __future__ import annotations

from datetime import timedelta
import logging

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.smartlock_tuya.const import DOMAIN
from custom_components.smartlock_tuya.ha_compat import get_device
from simulators.stays_server import FaultKind, StaysSimulator

from .conftest import Clock

CALENDAR = "calendar.casa_da_praia"


async def test_setup_and_unload(hass: HomeAssistant, init_integration: MockConfigEntry) -> None:
    """The entry loads, makes a calendar per listing, and unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get(CALENDAR) is not None
    assert hass.states.get("calendar.loft_centro") is not None

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get(CALENDAR).state == STATE_UNAVAILABLE


async def test_reload_keeps_entities(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A reload brings the same entities back."""
    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.states.get(CALENDAR).state != STATE_UNAVAILABLE


@pytest.mark.parametrize(
    "fault", [FaultKind.SERVER_ERROR, FaultKind.TIMEOUT, FaultKind.MALFORMED_JSON]
)
async def test_setup_retries_when_stays_fails(
    hass: HomeAssistant,
    account: StaysSimulator,
    mock_config_entry: MockConfigEntry,
    fault: FaultKind,
) -> None:
    """Stays failing at start-up means "try again later", not a broken entry."""
    account.inject_fault(fault, count=10)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_auth_failure_starts_reauth(
    hass: HomeAssistant, account: StaysSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Refused credentials at start-up open the reauth flow."""
    account.client_secret = "rotated"
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def _poll(hass: HomeAssistant, clock: Clock) -> None:
    clock.tick(timedelta(minutes=10))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (FaultKind.SERVER_ERROR, "Could not reach Stays"),
        (FaultKind.RATE_LIMITED, "Stays is limiting requests"),
        (FaultKind.WRONG_SHAPE, "Stays answered with something unexpected"),
    ],
)
async def test_outage_keeps_last_good_data(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    account: StaysSimulator,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
    fault: FaultKind,
    message: str,
) -> None:
    """During an outage entities are unavailable, the data stays, and the log says it once."""
    coordinator = init_integration.runtime_data.coordinator
    before = coordinator.data.reservations

    account.inject_fault(fault, count=1000)
    await _poll(hass, clock)
    await _poll(hass, clock)
    assert hass.states.get(CALENDAR).state == STATE_UNAVAILABLE
    assert coordinator.data.reservations == before
    # One line at the levels a user's log shows; current releases add the traceback at debug.
    assert _shown(caplog, message) == 1

    account.clear_faults()
    await _poll(hass, clock)
    assert hass.states.get(CALENDAR).state != STATE_UNAVAILABLE
    assert _shown(caplog, "Fetching smartlock_tuya 127.0.0.1 data recovered") == 1


def _shown(caplog: pytest.LogCaptureFixture, text: str) -> int:
    """How many records at info level or above carry `text`, in message or traceback."""
    return sum(
        text in record.getMessage() or text in (record.exc_text or "")
        for record in caplog.records
        if record.levelno >= logging.INFO
    )


async def test_poll_auth_failure_starts_reauth(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    account: StaysSimulator,
    clock: Clock,
) -> None:
    """Credentials revoked while running lead to the reauth flow."""
    account.client_secret = "revoked"
    await _poll(hass, clock)
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_poll_picks_up_changes(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    account: StaysSimulator,
    clock: Clock,
) -> None:
    """New listings get a calendar and changed reservations show on the next poll."""
    coordinator = init_integration.runtime_data.coordinator
    studio = account.add_listing(name="Studio Lagoa", listing_id="L-studio")
    await account.cancel_reservation("R-joao")
    await _poll(hass, clock)
    assert hass.states.get("calendar.studio_lagoa") is not None
    assert "R-joao" not in coordinator.data.reservations
    assert studio["_id"] in coordinator.data.listings


async def test_removed_listing_loses_its_device(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    account: StaysSimulator,
    clock: Clock,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A listing gone from a complete read loses its device; an incomplete read keeps it."""
    entry_id = init_integration.entry_id
    loft = get_device(device_registry, (DOMAIN, "127.0.0.1_L-loft"), entry_id)
    assert loft is not None
    account.remove_listing("L-loft")
    account.add_raw_reservation({"checkInDate": "garbage"})  # no id: could be anyone's
    await _poll(hass, clock)
    assert get_device(device_registry, (DOMAIN, "127.0.0.1_L-loft"), entry_id)
    assert hass.states.get("calendar.loft_centro").state == STATE_UNAVAILABLE

    account.clear_faults()
    account._reservations = [r for r in account._reservations if "_id" in r]
    await _poll(hass, clock)
    assert get_device(device_registry, (DOMAIN, "127.0.0.1_L-loft"), entry_id) is None
    assert get_device(device_registry, (DOMAIN, "127.0.0.1_L-beach"), entry_id)
    assert hass.states.get("calendar.loft_centro") is None


async def test_remove_device_only_when_gone(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Users may delete a listing's device only when Stays no longer has the listing."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    beach = get_device(device_registry, (DOMAIN, "127.0.0.1_L-beach"), init_integration.entry_id)
    assert beach is not None
    ghost = device_registry.async_get_or_create(
        config_entry_id=init_integration.entry_id, identifiers={(DOMAIN, "127.0.0.1_L-sold")}
    )
    for device, allowed in ((beach, False), (ghost, True)):
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": init_integration.entry_id,
                "device_id": device.id,
            }
        )
        response = await client.receive_json()
        assert response["success"] is allowed
