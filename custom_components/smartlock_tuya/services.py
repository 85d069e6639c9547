"""Actions: the PIN lifecycle at hand, for the owner's dashboards and automations.

Every action is registered once, in `async_setup`, and finds its account at call time: by
`config_entry_id` where the caller names one, by lock entity for a staff PIN, else among every
loaded account (reservation ids and credential ids are looked up in all of them). PINs leave
only through `create_pin`'s response (the caller asked for that PIN) and `list_credentials`
with `reveal`; they are never logged.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, Final, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers import config_validation as cv, entity_registry as er
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import DOMAIN
from .entity import lock_unique_id
from .pins import mask
from .scheduler import Credential, CredentialKey, CredentialState

if TYPE_CHECKING:
    from .coordinator import SmartLockConfigEntry
    from .lifecycle import PinManager

SERVICE_SYNC: Final = "sync"
SERVICE_CREATE_PIN: Final = "create_pin"
SERVICE_REVOKE_PIN: Final = "revoke_pin"
SERVICE_REGENERATE_PIN: Final = "regenerate_pin"
SERVICE_SEND_PIN: Final = "send_pin"
SERVICE_LIST_CREDENTIALS: Final = "list_credentials"
SERVICE_RETRY_FAILED: Final = "retry_failed"

ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_LOCK: Final = "lock"
ATTR_NAME: Final = "name"
ATTR_STARTS: Final = "starts"
ATTR_ENDS: Final = "ends"
ATTR_PIN: Final = "pin"
ATTR_CREDENTIAL_ID: Final = "credential_id"
ATTR_RESERVATION_ID: Final = "reservation_id"
ATTR_REVEAL: Final = "reveal"

#: `async_create_adhoc` rejects a PIN with these ValueError messages, which are translation keys.
_PIN_REJECTIONS: Final = frozenset({"pin_in_use", "pin_does_not_fit"})

_ENTRY_SCHEMA = vol.Schema({vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string})
_CREATE_PIN_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_LOCK): cv.entity_id,
        vol.Required(ATTR_NAME): vol.All(cv.string, vol.Strip, vol.Length(min=1, max=64)),
        vol.Required(ATTR_STARTS): cv.datetime,
        vol.Required(ATTR_ENDS): cv.datetime,
        vol.Optional(ATTR_PIN): vol.All(cv.string, vol.Strip),
    }
)
_REVOKE_PIN_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_CREDENTIAL_ID): vol.All(cv.string, vol.Strip),
        vol.Optional(ATTR_RESERVATION_ID): vol.All(cv.string, vol.Strip),
    }
)
_RESERVATION_SCHEMA = vol.Schema(
    {vol.Required(ATTR_RESERVATION_ID): vol.All(cv.string, vol.Strip, vol.Length(min=1))}
)
_LIST_CREDENTIALS_SCHEMA = _ENTRY_SCHEMA.extend(
    {
        vol.Optional(ATTR_RESERVATION_ID): vol.All(cv.string, vol.Strip),
        vol.Optional(ATTR_REVEAL, default=False): cv.boolean,
    }
)


# -- finding the account, the lock, the credentials --------------------------------------------


def _manager_of(entry: SmartLockConfigEntry) -> PinManager | None:
    """The entry's lifecycle, when the entry is loaded and its lifecycle exists."""
    if entry.state is not ConfigEntryState.LOADED:
        return None
    return entry.runtime_data.manager


def _loaded_managers(hass: HomeAssistant) -> list[PinManager]:
    """The lifecycle of every loaded account."""
    entries = cast("list[SmartLockConfigEntry]", hass.config_entries.async_loaded_entries(DOMAIN))
    return [manager for entry in entries if (manager := _manager_of(entry)) is not None]


def _managers(hass: HomeAssistant, call: ServiceCall) -> list[PinManager]:
    """The named account's lifecycle, or every loaded account's when none is named."""
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    if entry_id is None:
        return _loaded_managers(hass)
    entry = hass.config_entries.async_get_entry(entry_id)
    manager = (
        _manager_of(cast("SmartLockConfigEntry", entry))
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


def _lock_target(hass: HomeAssistant, entity_id: str) -> tuple[PinManager, str]:
    """The lifecycle and lock subentry id behind one of our lock entities."""
    registered = er.async_get(hass).async_get(entity_id)
    if (
        registered is not None
        and registered.platform == DOMAIN
        and registered.domain == Platform.LOCK
    ):
        # The unique id names the account and the lock, so two accounts may share a lock.
        for manager in _loaded_managers(hass):
            for subentry_id, lock in manager.entry.runtime_data.locks.items():
                if lock_unique_id(lock) == registered.unique_id:
                    return manager, subentry_id
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_lock",
        translation_placeholders={"entity_id": entity_id},
    )


def _with_reservation(hass: HomeAssistant, reservation_id: str) -> list[PinManager]:
    """The lifecycles holding live credentials of a reservation; none is a caller's mistake."""
    managers = [
        manager for manager in _loaded_managers(hass) if manager.for_reservation(reservation_id)
    ]
    if not managers:
        raise _unknown_reservation(reservation_id)
    return managers


def _unknown_reservation(reservation_id: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_reservation",
        translation_placeholders={"reservation_id": reservation_id},
    )


def _lock_names(manager: PinManager, keys: Iterable[CredentialKey]) -> str:
    locks = manager.entry.runtime_data.locks
    return ", ".join(
        sorted({locks[key.lock_id].name if key.lock_id in locks else key.lock_id for key in keys})
    )


def _aware(value: datetime, zone: tzinfo) -> datetime:
    """A time without a zone is on the account's wall clock, as the guests' windows are."""
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _zone(manager: PinManager) -> tzinfo:
    return manager.entry.runtime_data.coordinator.clock.time_zone


async def _check_may_reveal(hass: HomeAssistant, call: ServiceCall) -> None:
    """PINs open doors: only an administrator (or an automation) may read them back."""
    if call.context.user_id is None:
        return
    user = await hass.auth.async_get_user(call.context.user_id)
    if user is None or not user.is_admin:
        raise Unauthorized(context=call.context)


def _describe(manager: PinManager, credential: Credential, *, reveal: bool) -> dict[str, Any]:
    zone = _zone(manager)
    return {
        "credential_id": str(credential.key),
        "reservation_id": credential.key.reservation_id,
        "lock": manager.lock_entity_id(credential.key.lock_id),
        "listing_id": credential.listing_id or None,
        "guest": credential.guest_name,
        "starts": credential.starts.astimezone(zone).isoformat(),
        "ends": credential.ends.astimezone(zone).isoformat(),
        "state": credential.state.value,
        "attempts": credential.attempts,
        "last_error": credential.last_error,
        "notified": credential.notified,
        "checked_in": credential.checked_in,
        "adhoc": credential.adhoc,
        "pin": credential.pin if reveal else mask(credential.pin),
    }


# -- the actions ------------------------------------------------------------------------------


async def _async_sync(call: ServiceCall) -> None:
    """Read Stays now, then bring the locks in line; a failed read keeps the last good view."""
    unreachable = []
    for manager in _managers(call.hass, call):
        coordinator = manager.entry.runtime_data.coordinator
        await coordinator.async_refresh()
        await manager.async_sync()
        if not coordinator.last_update_success:
            unreachable.append(manager.entry.title)
    if unreachable:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="stays_unreachable",
            translation_placeholders={"entries": ", ".join(unreachable)},
        )


async def _async_create_pin(call: ServiceCall) -> ServiceResponse:
    """A staff PIN with its own window on one lock."""
    entity_id: str = call.data[ATTR_LOCK]
    manager, lock_id = _lock_target(call.hass, entity_id)
    zone = _zone(manager)
    starts = _aware(call.data[ATTR_STARTS], zone)
    ends = _aware(call.data[ATTR_ENDS], zone)
    if ends <= starts:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="ends_before_starts"
        )
    if ends <= dt_util.utcnow():
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="ends_in_past")
    pin: str | None = call.data.get(ATTR_PIN) or None
    if pin is not None and not (pin.isascii() and pin.isdigit()):
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="invalid_pin")
    try:
        credential = await manager.async_create_adhoc(
            lock_id, call.data[ATTR_NAME], starts, ends, pin
        )
    except ValueError as err:
        if str(err) not in _PIN_REJECTIONS:
            raise
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=str(err),
            translation_placeholders={"lock": manager.entry.runtime_data.locks[lock_id].name},
        ) from err
    if not call.return_response:
        return None
    return {
        "credential_id": str(credential.key),
        "lock": entity_id,
        "name": credential.guest_name,
        "starts": credential.starts.astimezone(zone).isoformat(),
        "ends": credential.ends.astimezone(zone).isoformat(),
        "state": credential.state.value,
        "pin": credential.pin,
    }


async def _async_revoke_pin(call: ServiceCall) -> None:
    """Take one credential, or every live one of a reservation, off the locks for good."""
    credential_id: str | None = call.data.get(ATTR_CREDENTIAL_ID) or None
    reservation_id: str | None = call.data.get(ATTR_RESERVATION_ID) or None
    if (credential_id is None) == (reservation_id is None):
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="credential_or_reservation"
        )
    targets: list[tuple[PinManager, list[CredentialKey]]] = []
    if credential_id is not None:
        try:
            key = CredentialKey.parse(credential_id)
        except ValueError:
            key = None
        for manager in _loaded_managers(call.hass):
            if key is not None and key in manager.credentials:
                # Revoking twice is no error, and must not ask the lock again.
                if manager.credentials[key].live:
                    targets.append((manager, [key]))
                break
        else:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="unknown_credential",
                translation_placeholders={"credential_id": credential_id},
            )
    else:
        assert reservation_id is not None  # noqa: S101 - exactly one of the two is given
        targets = [
            (manager, [credential.key for credential in manager.for_reservation(reservation_id)])
            for manager in _with_reservation(call.hass, reservation_id)
        ]
    for manager, keys in targets:
        locks = manager.entry.runtime_data.locks
        await manager.async_revoke(key for key in keys if key.lock_id in locks)
    for manager, keys in targets:
        # A lock that did not answer (or is not set up) may still hold the PIN.
        kept = [
            key for key in keys if manager.credentials[key].state is not CredentialState.REVOKED
        ]
        if kept:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="not_revoked",
                translation_placeholders={"locks": _lock_names(manager, kept)},
            )


async def _async_regenerate_pin(call: ServiceCall) -> None:
    """A new PIN for a reservation on all its locks; the guest gets the new one."""
    reservation_id: str = call.data[ATTR_RESERVATION_ID]
    for manager in _with_reservation(call.hass, reservation_id):
        before = {c.key: c.pin for c in manager.for_reservation(reservation_id)}
        try:
            await manager.async_regenerate(reservation_id)
        except KeyError as err:
            raise _unknown_reservation(reservation_id) from err
        kept = [
            key
            for key, pin in before.items()
            if manager.credentials[key].live and manager.credentials[key].pin == pin
        ]
        if kept:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="not_regenerated",
                translation_placeholders={"locks": _lock_names(manager, kept)},
            )


async def _async_send_pin(call: ServiceCall) -> None:
    """Send the guest's message with the reservation's PIN again."""
    reservation_id: str = call.data[ATTR_RESERVATION_ID]
    sent = False
    for manager in _with_reservation(call.hass, reservation_id):
        sent = await manager.async_send_pin(reservation_id) or sent
    if not sent:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="not_sent",
            translation_placeholders={"reservation_id": reservation_id},
        )


async def _async_list_credentials(call: ServiceCall) -> ServiceResponse:
    """Every stored credential (or a reservation's), PINs masked unless revealed."""
    managers = _managers(call.hass, call)
    reveal: bool = call.data[ATTR_REVEAL]
    if reveal:
        await _check_may_reveal(call.hass, call)
    reservation_id: str | None = call.data.get(ATTR_RESERVATION_ID) or None
    return {
        "credentials": [
            _describe(manager, credential, reveal=reveal)
            for manager in managers
            for credential in sorted(manager.credentials.values(), key=lambda c: (c.starts, c.key))
            if reservation_id is None or credential.key.reservation_id == reservation_id
        ]
    }


async def _async_retry_failed(call: ServiceCall) -> ServiceResponse:
    """Retry failed creations and revocations now instead of at their next slow attempt."""
    retried = 0
    for manager in _managers(call.hass, call):
        retried += await manager.async_retry_failed()
    return {"retried": retried} if call.return_response else None


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, whatever the number of accounts)."""
    hass.services.async_register(DOMAIN, SERVICE_SYNC, _async_sync, schema=_ENTRY_SCHEMA)
    hass.services.async_register(
        DOMAIN,
        SERVICE_CREATE_PIN,
        _async_create_pin,
        schema=_CREATE_PIN_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_REVOKE_PIN, _async_revoke_pin, schema=_REVOKE_PIN_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_REGENERATE_PIN, _async_regenerate_pin, schema=_RESERVATION_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_SEND_PIN, _async_send_pin, schema=_RESERVATION_SCHEMA
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_LIST_CREDENTIALS,
        _async_list_credentials,
        schema=_LIST_CREDENTIALS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_RETRY_FAILED,
        _async_retry_failed,
        schema=_ENTRY_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
