"""One coordinator per Tuya lock: polls its state and relays what the lock pushes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import DOMAIN, LOGGER
from .ha_compat import get_device
from .tuya import (
    CredentialUnlockEvent,
    LanBackend,
    LockAuthError,
    LockBackend,
    LockError,
    LockEvent,
    LockInfo,
    LockOfflineError,
    LockStatus,
    LockTimeoutError,
    PinProfile,
)

if TYPE_CHECKING:
    from .coordinator import SmartLockConfigEntry

#: A LAN lock pushes every change the moment it happens and is re-read after a reconnect, so
#: this poll is only a safety net.
LAN_POLL = timedelta(minutes=30)
CLOUD_POLL = timedelta(minutes=15)

type UnlockListener = Callable[[str], None]


@dataclass(kw_only=True)
class LockRuntime:
    """What setup builds for one lock subentry."""

    subentry_id: str
    name: str
    device_id: str
    listing_ids: tuple[str, ...]
    profile: PinProfile | None
    backend: LockBackend
    coordinator: LockCoordinator
    pin_lengths: frozenset[int] = frozenset()
    """The PIN lengths the lock takes (`profile_choice.allowed_lengths` of its subentry)."""


def translation_key_for(error: LockError) -> str:
    """The translated message that fits a lock error."""
    if isinstance(error, LockAuthError):
        return "lock_auth"
    if isinstance(error, LockOfflineError | LockTimeoutError):
        return "lock_unreachable"
    return "lock_error"


class LockCoordinator(DataUpdateCoordinator[LockStatus]):
    """Keeps a lock's state: pushed by the LAN session as it changes, polled as a fallback."""

    config_entry: SmartLockConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmartLockConfigEntry,
        *,
        name: str,
        backend: LockBackend,
        device: tuple[str, str],
    ) -> None:
        """Poll less often where the lock pushes its changes itself."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} lock {name}",
            update_interval=LAN_POLL if isinstance(backend, LanBackend) else CLOUD_POLL,
        )
        self.backend = backend
        self._device = device
        self.info: LockInfo | None = None
        self._unlock_listeners: list[UnlockListener] = []
        self._unsubscribe = backend.add_listener(self._on_event)

    async def _async_update_data(self) -> LockStatus:
        try:
            if self.info is None:
                self.info = await self.backend.connect()
                self._describe_device(self.info)
            return await self.backend.status()
        except LockError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key=translation_key_for(err),
                translation_placeholders={"lock": self.name},
            ) from err

    @callback
    def _describe_device(self, info: LockInfo) -> None:
        """What connecting taught us of the device (its entities may be there already)."""
        registry = dr.async_get(self.hass)
        device = get_device(registry, self._device, self.config_entry.entry_id)
        if device is None:
            return
        registry.async_update_device(
            device.id,
            model=info.model or device.model,
            sw_version=info.firmware or device.sw_version,
            hw_version=f"protocol {info.protocol_version}" if info.protocol_version else None,
        )

    @callback
    def _on_event(self, event: LockEvent) -> None:
        """Take the lock's word for its state, as soon as it says something."""
        if self.backend.available:
            self.async_set_updated_data(event.status)
        elif self.last_update_success:
            self.async_set_update_error(
                UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="lock_unreachable",
                    translation_placeholders={"lock": self.name},
                )
            )
        if isinstance(event, CredentialUnlockEvent):
            for listener in list(self._unlock_listeners):
                listener(event.lock_pin_id)

    @callback
    def async_add_unlock_listener(self, listener: UnlockListener) -> CALLBACK_TYPE:
        """Be told the lock-side id of every credential that opens the lock."""
        self._unlock_listeners.append(listener)
        return lambda: self._unlock_listeners.remove(listener)

    async def async_shutdown(self) -> None:
        """Stop polling and close the lock's connection."""
        await super().async_shutdown()
        self._unsubscribe()
        await self.backend.close()
