"""One lock entity per Tuya lock: its state, and lock/unlock where the lock allows it."""

from __future__ import annotations

from typing import Any

from homeassistant.components.lock import LockEntity
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .coordinator import SmartLockConfigEntry
from .entity import SmartLockEntity, add_lock_entities, lock_device, lock_unique_id
from .lock_coordinator import LockCoordinator, LockRuntime, translation_key_for
from .tuya import LockError

# Commands to one lock are serialised by its backend; Home Assistant need not wait for others.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each lock subentry's lock entity, attached to its subentry."""
    await add_lock_entities(entry, async_add_entities, lambda lock: [TuyaLock(lock)])


class TuyaLock(SmartLockEntity[LockCoordinator], LockEntity):
    """The door, as the lock reports it."""

    _attr_name = None
    _attr_translation_key = "lock"

    def __init__(self, lock: LockRuntime) -> None:
        """A lock entity named after its device."""
        super().__init__(lock.coordinator, lock_unique_id(lock), lock_device(lock))
        self._lock = lock

    @property
    def is_locked(self) -> bool | None:
        """Locked unless the state DP says UNLOCKED (`PinProfile.is_unlocked`: DP 8/47 `true`).

        The backend reads the polarity from the profile (LAN) or `lock_motor_state` (Cloud);
        unknown where the lock says nothing.
        """
        return self.coordinator.data.locked if self.coordinator.data else None

    async def async_lock(self, **kwargs: Any) -> None:
        """Lock the door and wait for the lock to confirm it."""
        await self._command(locked=True)

    async def async_unlock(self, **kwargs: Any) -> None:
        """Unlock the door and wait for the lock to confirm it."""
        await self._command(locked=False)

    async def _command(self, *, locked: bool) -> None:
        if not self._lock.backend.capabilities.lock_control:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="lock_control_unsupported",
                translation_placeholders={"lock": self._lock.name},
            )
        try:
            if locked:
                await self._lock.backend.lock()
            else:
                await self._lock.backend.unlock()
        except LockError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key=translation_key_for(err),
                translation_placeholders={"lock": self._lock.name},
            ) from err
