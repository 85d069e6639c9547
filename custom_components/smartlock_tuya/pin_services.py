"""The actions that hand out, change, send or remove a door code: for administrators only.

PINs leave only through `create_pin`'s response (the caller asked for that PIN) and the
guest's message; they are never logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from homeassistant.core import ServiceCall, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .owner_requests import RequestError
from .scheduler import CredentialKey, CredentialState
from .service_targets import (
    aware,
    loaded_managers,
    lock_names,
    lock_target,
    require_admin,
    unknown_reservation,
    with_reservation,
    zone_of,
)

if TYPE_CHECKING:
    from .lifecycle import CredentialManager

ATTR_LOCK: Final = "lock"
ATTR_NAME: Final = "name"
ATTR_STARTS: Final = "starts"
ATTR_ENDS: Final = "ends"
ATTR_PIN: Final = "pin"
ATTR_CREDENTIAL_ID: Final = "credential_id"
ATTR_RESERVATION_ID: Final = "reservation_id"
#: The state a staff credential is answered with while its lock has not confirmed it yet.
PENDING: Final = "pending"


async def async_create_pin(call: ServiceCall) -> ServiceResponse:
    """A staff credential with its own window on one lock, answered once the lock has answered."""
    await require_admin(call.hass, call)
    entity_id: str = call.data[ATTR_LOCK]
    manager, lock_id = lock_target(call.hass, entity_id)
    zone = zone_of(manager)
    starts = aware(call.data[ATTR_STARTS], zone)
    ends = aware(call.data[ATTR_ENDS], zone)
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
        credential = await manager.requests.async_create_staff_credential(
            lock_id, call.data[ATTR_NAME], starts, ends, pin
        )
    except RequestError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key=str(err),
            translation_placeholders={"lock": manager.locks[lock_id].name},
        ) from err
    if not call.return_response:
        return None
    return {
        "credential_id": str(credential.key),
        "lock": entity_id,
        "name": credential.guest_name,
        "starts": credential.starts.astimezone(zone).isoformat(),
        "ends": credential.ends.astimezone(zone).isoformat(),
        "state": credential.state.value if credential.state is CredentialState.ACTIVE else PENDING,
        "pin": credential.pin,
    }


async def async_revoke_pin(call: ServiceCall) -> None:
    """Take one credential, or every live one of a reservation, off the locks for good."""
    credential_id: str | None = call.data.get(ATTR_CREDENTIAL_ID) or None
    reservation_id: str | None = call.data.get(ATTR_RESERVATION_ID) or None
    if (credential_id is None) == (reservation_id is None):
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="credential_or_reservation"
        )
    targets: list[tuple[CredentialManager, list[CredentialKey]]] = []
    if credential_id is not None:
        try:
            key = CredentialKey.parse(credential_id)
        except ValueError:
            key = None
        for manager in loaded_managers(call.hass):
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
            for manager in with_reservation(call.hass, reservation_id)
        ]
    for manager, keys in targets:
        await manager.requests.async_revoke(
            (key for key in keys if key.lock_id in manager.locks), reservation_id=reservation_id
        )
    for manager, keys in targets:
        # A lock that did not answer (or is not set up) may still hold the PIN.
        kept = [
            key for key in keys if manager.credentials[key].state is not CredentialState.REVOKED
        ]
        if kept:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="not_revoked",
                translation_placeholders={"locks": lock_names(manager, kept)},
            )


async def async_regenerate_pin(call: ServiceCall) -> None:
    """A new PIN for a reservation on all its locks; the guest gets every door's PIN."""
    reservation_id: str = call.data[ATTR_RESERVATION_ID]
    for manager in with_reservation(call.hass, reservation_id):
        before = {c.key: c.pin for c in manager.for_reservation(reservation_id)}
        try:
            await manager.requests.async_regenerate(reservation_id)
        except KeyError as err:
            raise unknown_reservation(reservation_id) from err
        kept = [
            key
            for key, pin in before.items()
            if manager.credentials[key].live and manager.credentials[key].pin == pin
        ]
        if kept:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="not_regenerated",
                translation_placeholders={"locks": lock_names(manager, kept)},
            )


async def async_send_pin(call: ServiceCall) -> None:
    """Send the guest's message with the reservation's PINs again."""
    reservation_id: str = call.data[ATTR_RESERVATION_ID]
    sent = False
    for manager in with_reservation(call.hass, reservation_id):
        sent = await manager.messages.async_send(reservation_id) or sent
    if not sent:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="not_sent",
            translation_placeholders={"reservation_id": reservation_id},
        )
