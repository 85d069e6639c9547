"""One event entity per lock: fired each time a temporary PIN opens the door."""

from __future__ import annotations

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SmartLockConfigEntry
from .entity import SmartLockEntity, add_lock_entities, lock_device, lock_unique_id
from .lock_coordinator import LockCoordinator, LockRuntime

PARALLEL_UPDATES = 0
EVENT_PIN_UNLOCK = "pin_unlock"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add each lock's PIN-unlock event entity."""
    await add_lock_entities(
        entry, async_add_entities, lambda lock: [CredentialUnlockEventEntity(lock)]
    )


class CredentialUnlockEventEntity(SmartLockEntity[LockCoordinator], EventEntity):
    """Unlocks by a credential's PIN: the attributes name its `lock_pin_id`, never the PIN.

    The "slot" attribute carries the same id under the name earlier releases gave it, for the
    automations that read it; new ones read `lock_pin_id`, the name used everywhere else.
    """

    _attr_translation_key = "pin_unlock"
    _attr_event_types = [EVENT_PIN_UNLOCK]  # noqa: RUF012 - Home Assistant reads it as is

    def __init__(self, lock: LockRuntime) -> None:
        """Attach to the lock's device."""
        super().__init__(lock.coordinator, lock_unique_id(lock, "pin_unlock"), lock_device(lock))

    async def async_added_to_hass(self) -> None:
        """Listen for the lock's reports of PIN unlocks."""
        await super().async_added_to_hass()
        self.async_on_remove(self.coordinator.async_add_unlock_listener(self._unlocked))

    @callback
    def _unlocked(self, lock_pin_id: str) -> None:
        self._trigger_event(EVENT_PIN_UNLOCK, {"lock_pin_id": lock_pin_id, "slot": lock_pin_id})
        self.async_write_ha_state()
