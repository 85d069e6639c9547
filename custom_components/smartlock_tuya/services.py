"""Actions: the credential lifecycle at hand, for the owner's dashboards and automations.

Every action is registered once, in `async_setup`. Those that hand out, change, send or
remove a door code (`pin_services`) are for administrators; syncing and listing masked
credentials are for any user, and revealing PINs again for administrators only.
"""

from __future__ import annotations

from typing import Final

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_register_admin_service
import voluptuous as vol

from .const import DOMAIN
from .pin_services import (
    ATTR_CREDENTIAL_ID,
    ATTR_ENDS,
    ATTR_LOCK,
    ATTR_NAME,
    ATTR_PIN,
    ATTR_RESERVATION_ID,
    ATTR_STARTS,
    async_create_pin,
    async_regenerate_pin,
    async_revoke_pin,
    async_send_pin,
)
from .service_targets import ATTR_CONFIG_ENTRY_ID, describe, managers_for, require_admin

SERVICE_SYNC: Final = "sync"
SERVICE_CREATE_PIN: Final = "create_pin"
SERVICE_REVOKE_PIN: Final = "revoke_pin"
SERVICE_REGENERATE_PIN: Final = "regenerate_pin"
SERVICE_SEND_PIN: Final = "send_pin"
SERVICE_LIST_CREDENTIALS: Final = "list_credentials"
SERVICE_RETRY_FAILED: Final = "retry_failed"

ATTR_REVEAL: Final = "reveal"

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


async def _async_sync(call: ServiceCall) -> None:
    """Read Stays now, then bring the locks in line; a failed read keeps the last good view."""
    unreachable = []
    for manager in managers_for(call.hass, call):
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


async def _async_list_credentials(call: ServiceCall) -> ServiceResponse:
    """Every stored credential (or a reservation's), PINs masked unless revealed."""
    managers = managers_for(call.hass, call)
    reveal: bool = call.data[ATTR_REVEAL]
    if reveal:
        await require_admin(call.hass, call)
    reservation_id: str | None = call.data.get(ATTR_RESERVATION_ID) or None
    return {
        "credentials": [
            describe(manager, credential, reveal=reveal)
            for manager in managers
            for credential in sorted(manager.credentials.values(), key=lambda c: (c.starts, c.key))
            if reservation_id is None or credential.key.reservation_id == reservation_id
        ]
    }


async def _async_retry_failed(call: ServiceCall) -> ServiceResponse:
    """Retry failed creations, revocations and messages now, not at their next slow attempt."""
    await require_admin(call.hass, call)
    retried = 0
    for manager in managers_for(call.hass, call):
        retried += await manager.requests.async_retry_failed()
    return {"retried": retried} if call.return_response else None


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, whatever the number of accounts).

    `create_pin` and `retry_failed` answer with data, which `async_register_admin_service`
    cannot pass on: they check the caller themselves, the same way.
    """
    hass.services.async_register(DOMAIN, SERVICE_SYNC, _async_sync, schema=_ENTRY_SCHEMA)
    hass.services.async_register(
        DOMAIN,
        SERVICE_CREATE_PIN,
        async_create_pin,
        schema=_CREATE_PIN_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_REVOKE_PIN, async_revoke_pin, schema=_REVOKE_PIN_SCHEMA
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_REGENERATE_PIN, async_regenerate_pin, schema=_RESERVATION_SCHEMA
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_SEND_PIN, async_send_pin, schema=_RESERVATION_SCHEMA
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
