"""The one base entity, and the devices entities belong to: account, listing or lock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any, Final

from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity, DataUpdateCoordinator

from .const import DOMAIN
from .coordinator import SmartLockConfigEntry, StaysCoordinator
from .ha_compat import via_device
from .lock_coordinator import LockRuntime
from .stays import Listing

#: Locks whose entities a platform adds before it lets the event loop run something else.
LOCKS_PER_BATCH: Final = 25


async def add_lock_entities(
    entry: SmartLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    make: Callable[[LockRuntime], Iterable[Entity]],
) -> None:
    """Add each lock subentry's entities, yielding to the loop after every `LOCKS_PER_BATCH`.

    Home Assistant starts each `async_add_entities` eagerly (`entity_platform.py`
    `_async_schedule_add_entities_for_entry`), so a loop over 500 locks registered all their
    entities in one loop iteration: the 0.5-1.1 s start-up stalls of `scale_ha`.
    """
    for number, (subentry_id, lock) in enumerate(entry.runtime_data.locks.items(), 1):
        async_add_entities(make(lock), config_subentry_id=subentry_id)
        if number % LOCKS_PER_BATCH == 0:
            await asyncio.sleep(0)


def account_device_id(host: str) -> tuple[str, str]:
    """Device identifier of the account itself."""
    return (DOMAIN, host)


def listing_device_id(host: str, listing_id: str) -> tuple[str, str]:
    """Device identifier of a listing: account host and listing id are unique together."""
    return (DOMAIN, f"{host}_{listing_id}")


def lock_device_id(device_id: str) -> tuple[str, str]:
    """Device identifier of a lock: its Tuya device id."""
    return (DOMAIN, f"lock_{device_id}")


def lock_unique_id(lock: LockRuntime, key: str | None = None) -> str:
    """Unique id of a lock's entity: the account comes first, so two accounts can share a lock."""
    entry = lock.coordinator.config_entry
    account = entry.unique_id or entry.entry_id
    return f"{account}_lock_{lock.device_id}" + (f"_{key}" if key else "")


def account_device(host: str) -> DeviceInfo:
    """The Stays account as a service device."""
    return DeviceInfo(
        identifiers={account_device_id(host)},
        name=f"Stays {host}",
        manufacturer="Stays",
        model="External API account",
        configuration_url=f"https://{host}",
        entry_type=DeviceEntryType.SERVICE,
    )


def listing_device(host: str, listing: Listing, parent: DeviceInfo) -> DeviceInfo:
    """A listing as a service device under the account (`parent` from `ha_compat.via_device`)."""
    device = DeviceInfo(
        identifiers={listing_device_id(host, listing.id)},
        name=listing.name,
        manufacturer="Stays",
        model="Listing",
        entry_type=DeviceEntryType.SERVICE,
    )
    device.update(parent)
    return device


def lock_device(lock: LockRuntime) -> DeviceInfo:
    """A Tuya lock, with model and firmware where the lock or the cloud says them."""
    info = lock.coordinator.info
    model = (info.model if info else None) or (lock.profile.name if lock.profile else None)
    return DeviceInfo(
        identifiers={lock_device_id(lock.device_id)},
        name=lock.name,
        manufacturer="Tuya",
        model=model,
        sw_version=info.firmware if info else None,
        hw_version=f"protocol {info.protocol_version}" if info and info.protocol_version else None,
    )


class SmartLockEntity[CoordinatorT: DataUpdateCoordinator[Any]](CoordinatorEntity[CoordinatorT]):
    """Every entity of the integration: named by its device, identified by a stable key."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: CoordinatorT, unique_id: str, device: DeviceInfo) -> None:
        """Attach the entity to its device."""
        super().__init__(coordinator)
        self._attr_unique_id = unique_id
        self._attr_device_info = device


class StaysEntity(SmartLockEntity[StaysCoordinator]):
    """An entity of the account's device, or of a listing's device when given a listing."""

    def __init__(
        self, coordinator: StaysCoordinator, key: str, listing: Listing | None = None
    ) -> None:
        """Identify the entity by account host, listing id and what it shows."""
        host = coordinator.host
        self.listing_id = listing.id if listing else None
        if listing is None:
            super().__init__(coordinator, f"{host}_{key}", account_device(host))
        else:
            parent = via_device(
                dr.async_get(coordinator.hass),
                account_device_id(host),
                coordinator.config_entry.entry_id,
            )
            super().__init__(
                coordinator, f"{host}_{listing.id}_{key}", listing_device(host, listing, parent)
            )

    @property
    def available(self) -> bool:
        """Unavailable while Stays cannot be read, or once the listing is gone."""
        if self.listing_id is not None and self.listing_id not in self.coordinator.data.listings:
            return False
        return super().available
