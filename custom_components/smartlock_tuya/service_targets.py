"""Finding what an action is about: the account, the lock, the credentials; and who may ask.

An action finds its account at call time: by `config_entry_id` where the caller names one,
by lock entity for a staff credential, else among every loaded account (reservation ids and
credential ids are looked up in all of them).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, Final, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ServiceValidationError, Unauthorized, UnknownUser
from homeassistant.helpers import entity_registry as er

from .const import DOMAIN
from .entity import lock_unique_id
from .pins import mask
from .scheduler import Credential, CredentialKey

if TYPE_CHECKING:
    from .coordinator import SmartLockConfigEntry
    from .lifecycle import CredentialManager

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"


def manager_of(entry: SmartLockConfigEntry) -> CredentialManager | None:
    """The entry's lifecycle, when the entry is loaded and its lifecycle exists."""
    if entry.state is not ConfigEntryState.LOADED:
        return None
    return entry.runtime_data.manager


def loaded_managers(hass: HomeAssistant) -> list[CredentialManager]:
    """The lifecycle of every loaded account."""
    entries = cast("list[SmartLockConfigEntry]", hass.config_entries.async_loaded_entries(DOMAIN))
    return [manager for entry in entries if (manager := manager_of(entry)) is not None]


def managers_for(hass: HomeAssistant, call: ServiceCall) -> list[CredentialManager]:
    """The named account's lifecycle, or every loaded account's when none is named."""
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    if entry_id is None:
        return loaded_managers(hass)
    entry = hass.config_entries.async_get_entry(entry_id)
    manager = (
        manager_of(cast("SmartLockConfigEntry", entry))
        if entry is not None and entry.domain == DOMAIN
        else None
    )
    if manager is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"entry": entry.title if entry else entry_id},
        )
    return [manager]


def lock_target(hass: HomeAssistant, entity_id: str) -> tuple[CredentialManager, str]:
    """The lifecycle and lock subentry id behind one of our lock entities."""
    registered = er.async_get(hass).async_get(entity_id)
    if (
        registered is not None
        and registered.platform == DOMAIN
        and registered.domain == Platform.LOCK
    ):
        # The unique id names the account and the lock, so two accounts may share a lock.
        for manager in loaded_managers(hass):
            for subentry_id, lock in manager.entry.runtime_data.locks.items():
                if lock_unique_id(lock) == registered.unique_id:
                    return manager, subentry_id
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_lock",
        translation_placeholders={"entity_id": entity_id},
    )


def with_reservation(hass: HomeAssistant, reservation_id: str) -> list[CredentialManager]:
    """The lifecycles holding live credentials of a reservation; none is a caller's mistake."""
    managers = [
        manager for manager in loaded_managers(hass) if manager.for_reservation(reservation_id)
    ]
    if not managers:
        raise unknown_reservation(reservation_id)
    return managers


def unknown_reservation(reservation_id: str) -> ServiceValidationError:
    """The error for a reservation no account knows."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_reservation",
        translation_placeholders={"reservation_id": reservation_id},
    )


def lock_names(manager: CredentialManager, keys: Iterable[CredentialKey]) -> str:
    """The locks of these credentials, for an error message."""
    locks = manager.entry.runtime_data.locks
    return ", ".join(
        sorted({locks[key.lock_id].name if key.lock_id in locks else key.lock_id for key in keys})
    )


def aware(value: datetime, zone: tzinfo) -> datetime:
    """A time without a zone is on the account's wall clock, as the guests' windows are."""
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def zone_of(manager: CredentialManager) -> tzinfo:
    """The account's wall clock."""
    return manager.entry.runtime_data.coordinator.clock.time_zone


async def require_admin(hass: HomeAssistant, call: ServiceCall) -> None:
    """Door codes are for administrators (or automations) to hand out, change and read.

    The same check as `async_register_admin_service`, for the actions that answer with data
    (which that helper cannot register).
    """
    if call.context.user_id is None:
        return
    user = await hass.auth.async_get_user(call.context.user_id)
    if user is None:
        raise UnknownUser(context=call.context)
    if not user.is_admin:
        raise Unauthorized(context=call.context)


def describe(manager: CredentialManager, credential: Credential, *, reveal: bool) -> dict[str, Any]:
    """A credential as an action answers it: the PIN masked unless revealed."""
    zone = zone_of(manager)
    return {
        "credential_id": str(credential.key),
        "reservation_id": credential.key.reservation_id,
        "lock": manager.alerts.lock_entity_id(credential.key.lock_id),
        "listing_id": credential.listing_id or None,
        "guest": credential.guest_name,
        "starts": credential.starts.astimezone(zone).isoformat(),
        "ends": credential.ends.astimezone(zone).isoformat(),
        "state": credential.state.value,
        "attempts": credential.attempts,
        "last_error": credential.last_error,
        "notified": credential.notified,
        "checked_in": credential.checked_in,
        "adhoc": credential.staff,
        "pin": credential.pin if reveal else mask(credential.pin),
    }
