"""SmartLock Tuya: guest PINs on Tuya locks from Stays reservations."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .const import CONF_BASE_URL, POLL_ATTEMPTS, POLL_REQUEST_TIMEOUT, RETRY_BACKOFF
from .coordinator import SmartLockConfigEntry, SmartLockRuntimeData, StaysCoordinator
from .entity import account_device_id, listing_device_id
from .stays import StaysClient

PLATFORMS: list[Platform] = [Platform.CALENDAR, Platform.SENSOR]


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

    # Listings' devices hang off the account's device, so it must exist first.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={account_device_id(coordinator.host)},
        name=f"Stays {coordinator.host}",
        manufacturer="Stays",
        model="External API account",
        entry_type=dr.DeviceEntryType.SERVICE,
    )

    @callback
    def remove_stale_listings() -> None:
        """Drop the devices of listings Stays no longer has, once a complete read says so.

        Runs after every entity has handled the update: an entity removed while the
        coordinator is still notifying would otherwise re-arm its timers after removal.
        """
        if coordinator.last_update_success and coordinator.data.complete:
            hass.loop.call_soon(_remove_stale_devices_if_loaded, hass, entry)

    _remove_stale_devices(hass, entry)
    entry.async_on_unload(coordinator.async_add_listener(remove_stale_listings))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


def _current_device_ids(coordinator: StaysCoordinator) -> set[tuple[str, str]]:
    return {account_device_id(coordinator.host)} | {
        listing_device_id(coordinator.host, listing_id) for listing_id in coordinator.data.listings
    }


@callback
def _remove_stale_devices_if_loaded(hass: HomeAssistant, entry: SmartLockConfigEntry) -> None:
    if entry.state is ConfigEntryState.LOADED:
        _remove_stale_devices(hass, entry)


@callback
def _remove_stale_devices(hass: HomeAssistant, entry: SmartLockConfigEntry) -> None:
    current = _current_device_ids(entry.runtime_data.coordinator)
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if device.identifiers.isdisjoint(current):
            registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: SmartLockConfigEntry) -> bool:
    """Unload the platforms; the coordinator stops polling with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: SmartLockConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a listing's device only once Stays no longer has the listing."""
    return device.identifiers.isdisjoint(_current_device_ids(entry.runtime_data.coordinator))
