"""SmartLock Tuya: guest PINs on Tuya locks from Stays reservations."""

from __future__ import annotations

from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import CONF_BASE_URL, POLL_ATTEMPTS, POLL_REQUEST_TIMEOUT, RETRY_BACKOFF
from .coordinator import SmartLockConfigEntry, SmartLockRuntimeData, StaysCoordinator
from .stays import StaysClient

PLATFORMS: list[Platform] = [Platform.CALENDAR]


async def async_setup_entry(hass: HomeAssistant, entry: SmartLockConfigEntry) -> bool:
    """Connect to the Stays account; the first poll decides whether setup can go on."""
    client = StaysClient(
        async_get_clientsession(hass),
        entry.data[CONF_BASE_URL],
        entry.data[CONF_CLIENT_ID],
        entry.data[CONF_CLIENT_SECRET],
        request_timeout=POLL_REQUEST_TIMEOUT,
        attempts=POLL_ATTEMPTS,
        backoff=RETRY_BACKOFF,
    )
    coordinator = StaysCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = SmartLockRuntimeData(client=client, coordinator=coordinator)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SmartLockConfigEntry) -> bool:
    """Unload the platforms; the coordinator stops polling with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
