"""SmartLock Tuya: guest PINs on Tuya locks from Stays reservations."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError, ConfigEntryNotReady
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.typing import ConfigType

from . import stays_webhook
from .backends import async_load_profiles, build_backend
from .const import (
    CONF_BASE_URL,
    CONF_DEVICE_ID,
    CONF_LISTING_IDS,
    CONF_PROFILE,
    CONF_WEBHOOK_ID,
    DOMAIN,
    LOGGER,
    POLL_ATTEMPTS,
    POLL_REQUEST_TIMEOUT,
    RETRY_BACKOFF,
    SUBENTRY_LOCK,
)
from .coordinator import (
    SmartLockConfigEntry,
    SmartLockRuntimeData,
    StaysCoordinator,
    async_stay_clock,
    empty_stays_data,
)
from .entity import account_device_id, listing_device_id, lock_device_id
from .lifecycle import MAX_PARALLEL_LOCKS, CredentialManager
from .lock_coordinator import LockCoordinator, LockRuntime
from .migration import async_migrate_locks, needs_profile
from .profile_choice import allowed_lengths
from .removal import async_follow_lock_removals, async_revoke_locks, lock_subentries
from .services import async_setup_services
from .stays import StaysClient
from .storage import CredentialStore, StoreTooNewError
from .tuya import LockError, PinProfile

PLATFORMS: list[Platform] = [Platform.CALENDAR, Platform.EVENT, Platform.LOCK, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions once, whatever the number of accounts, and watch lock removals."""
    async_setup_services(hass)
    async_follow_lock_removals(hass)
    return True


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
    # The store is loaded before anything (a webhook, an action, the lifecycle) can touch it.
    store = CredentialStore(hass, entry.entry_id)
    try:
        await store.async_load()
    except StoreTooNewError as err:
        ir.async_create_issue(
            hass,
            DOMAIN,
            f"store_too_new_{entry.entry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="store_too_new",
            translation_placeholders={"version": str(err)},
        )
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="store_too_new",
            translation_placeholders={"version": str(err)},
        ) from err
    ir.async_delete_issue(hass, DOMAIN, f"store_too_new_{entry.entry_id}")
    coordinator = StaysCoordinator(hass, entry, client, await async_stay_clock(hass, entry))
    try:
        await coordinator.async_config_entry_first_refresh()
    except ConfigEntryNotReady:
        if not store.data.credentials and not store.data.stays:
            raise
        # Stays is down, but guests arrive anyway: go on with the stored snapshot, which
        # may push PINs but revokes nothing until Stays has been read in full again.
        LOGGER.warning("Stays is unreachable; starting from the last stored reservations")
        coordinator.data = empty_stays_data()
    runtime = SmartLockRuntimeData(client=client, coordinator=coordinator)
    entry.runtime_data = runtime

    # Listings' devices hang off the account's device, so it must exist first.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={account_device_id(coordinator.host)},
        name=f"Stays {coordinator.host}",
        manufacturer="Stays",
        model="External API account",
        entry_type=dr.DeviceEntryType.SERVICE,
    )

    profiles = await async_load_profiles(hass)
    async_migrate_locks(hass, entry, profiles)
    for subentry in entry.subentries.values():
        if subentry.subentry_type == SUBENTRY_LOCK:
            lock = _set_up_lock(hass, entry, subentry.subentry_id, profiles)
            if lock is not None:
                runtime.locks[subentry.subentry_id] = lock

    @callback
    def remove_stale_listings() -> None:
        """Drop the devices of listings Stays no longer has, once a complete read says so.

        Runs after every entity has handled the update: an entity removed while the
        coordinator is still notifying would otherwise re-arm its timers after removal.
        """
        if coordinator.last_update_success and coordinator.data.complete:
            hass.loop.call_soon(_remove_stale_devices_if_loaded, hass, entry)

    if coordinator.last_update_success:
        _remove_stale_devices(hass, entry)
    _migrate_lock_unique_ids(hass, entry)
    entry.async_on_unload(coordinator.async_add_listener(remove_stale_listings))
    entry.async_on_unload(_reload_on_change(hass, entry))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)

    # Locks are reached in the background, a few at a time: an offline lock (or hundreds of
    # locks) must not hold up start-up; until then their entities show unknown.
    connecting = asyncio.Semaphore(MAX_PARALLEL_LOCKS)

    async def connect(lock: LockRuntime) -> None:
        async with connecting:
            await lock.coordinator.async_refresh()

    for lock in runtime.locks.values():
        entry.async_create_background_task(hass, connect(lock), f"{DOMAIN} connect {lock.name}")

    # The lifecycle starts once the entities exist: overdue revocations, then creations.
    manager = runtime.manager = CredentialManager(hass, entry, store)
    entry.async_on_unload(manager.async_stop)
    entry.async_create_background_task(hass, manager.async_start(), f"{DOMAIN} lifecycle start")

    if CONF_WEBHOOK_ID not in entry.data:
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_WEBHOOK_ID: webhook.async_generate_id()}
        )
    stays_webhook.async_register(hass, entry)
    return True


def _set_up_lock(
    hass: HomeAssistant,
    entry: SmartLockConfigEntry,
    subentry_id: str,
    profiles: dict[str, PinProfile],
) -> LockRuntime | None:
    """Build a lock's backend and coordinator; an unreachable lock is set up unavailable."""
    subentry = entry.subentries[subentry_id]
    data = subentry.data
    profile = profiles.get(str(data.get(CONF_PROFILE)))
    if needs_profile(data, profiles):
        LOGGER.error(
            "Lock %s names the unknown PIN profile %r; it is not set up",
            subentry.title,
            data.get(CONF_PROFILE),
        )
        return None
    try:
        backend = build_backend(hass, entry.data, data, profile)
    except (LockError, KeyError, ValueError) as err:
        LOGGER.error("Lock %s is not set up: %s", subentry.title, repr(err))
        return None
    coordinator = LockCoordinator(
        hass,
        entry,
        name=subentry.title,
        backend=backend,
        device=lock_device_id(data[CONF_DEVICE_ID]),
    )
    entry.async_on_unload(coordinator.async_shutdown)
    return LockRuntime(
        subentry_id=subentry_id,
        name=subentry.title,
        device_id=data[CONF_DEVICE_ID],
        listing_ids=tuple(data.get(CONF_LISTING_IDS, ())),
        profile=profile,
        backend=backend,
        coordinator=coordinator,
        pin_lengths=allowed_lengths(data, profiles),
    )


def _settings_of(entry: ConfigEntry) -> tuple[Any, ...]:
    """What needs a reload to apply: the options and the lock subentries."""
    return (
        dict(entry.options),
        {key: dict(sub.data) for key, sub in entry.subentries.items()},
    )


@callback
def _reload_on_change(hass: HomeAssistant, entry: SmartLockConfigEntry) -> Any:
    """Reload when options or locks change, without an update listener.

    Update listeners combined with reauth and reconfigure reloads are deprecated; this also
    covers subentry flows, which reload nothing by themselves.
    """
    applied = _settings_of(entry)

    @callback
    def changed(change: ConfigEntryChange, changed_entry: ConfigEntry) -> None:
        if (
            change is ConfigEntryChange.UPDATED
            and changed_entry.entry_id == entry.entry_id
            and changed_entry.state is ConfigEntryState.LOADED
            and _settings_of(changed_entry) != applied
            # A removed lock's credentials are revoked first; that removal restarts the entry.
            and set(applied[1]) <= set(lock_subentries(changed_entry))
        ):
            hass.config_entries.async_schedule_reload(entry.entry_id)

    return async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, changed)


def _current_device_ids(entry: SmartLockConfigEntry) -> set[tuple[str, str]]:
    """Devices the account still has: a lock that failed to set up keeps its device.

    Its entities then keep their names and areas until it comes back.
    """
    runtime = entry.runtime_data
    host = runtime.coordinator.host
    return (
        {account_device_id(host)}
        | {listing_device_id(host, listing_id) for listing_id in runtime.coordinator.data.listings}
        | {
            lock_device_id(subentry.data[CONF_DEVICE_ID])
            for subentry in lock_subentries(entry).values()
            if CONF_DEVICE_ID in subentry.data
        }
    )


@callback
def _migrate_lock_unique_ids(hass: HomeAssistant, entry: SmartLockConfigEntry) -> None:
    """Move lock entities from `lock_<device>` ids to ones that name the account too.

    The registry entry is kept, so entity ids, names and areas stay as the user set them.
    """
    registry = er.async_get(hass)
    account = entry.unique_id or entry.entry_id
    for registered in er.async_entries_for_config_entry(registry, entry.entry_id):
        if not registered.unique_id.startswith("lock_"):
            continue
        new_id = f"{account}_{registered.unique_id}"
        if registry.async_get_entity_id(registered.domain, DOMAIN, new_id) is None:
            registry.async_update_entity(registered.entity_id, new_unique_id=new_id)


@callback
def _remove_stale_devices_if_loaded(hass: HomeAssistant, entry: SmartLockConfigEntry) -> None:
    if entry.state is ConfigEntryState.LOADED:
        _remove_stale_devices(hass, entry)


@callback
def _remove_stale_devices(hass: HomeAssistant, entry: SmartLockConfigEntry) -> None:
    current = _current_device_ids(entry)
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if device.identifiers.isdisjoint(current):
            # The device belongs to this entry alone: remove it (present in every version).
            registry.async_remove_device(device.id)


async def async_unload_entry(hass: HomeAssistant, entry: SmartLockConfigEntry) -> bool:
    """Unload the platforms; coordinators stop and locks disconnect with the entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: SmartLockConfigEntry) -> None:
    """Take the account's PINs off its locks, say which stayed on, then forget its credentials."""
    await async_revoke_locks(hass, entry, lock_subentries(entry), keep_store=False)
    await CredentialStore(hass, entry.entry_id).async_remove()


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: SmartLockConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a device only once it is gone from Stays or from the locks."""
    return device.identifiers.isdisjoint(_current_device_ids(entry))
