"""Logbook lines for the lifecycle's bus events: what happened to which reservation's PIN."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
)
from homeassistant.core import Event, HomeAssistant, callback

from .const import (
    DOMAIN,
    EVENT_GUEST_UNLOCKED,
    EVENT_PIN_CREATED,
    EVENT_PIN_FAILED,
    EVENT_PIN_REVOKED,
)

_MESSAGES = {
    EVENT_PIN_CREATED: "put the PIN of reservation {reservation_id} on the lock",
    EVENT_PIN_REVOKED: "removed the PIN of reservation {reservation_id} from the lock",
    EVENT_PIN_FAILED: "could not {operation} the PIN of reservation {reservation_id}; retrying",
    EVENT_GUEST_UNLOCKED: "the guest of reservation {reservation_id} opened the door",
}


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe each of the integration's events for the logbook."""

    @callback
    def describe(event: Event) -> dict[str, Any]:
        data = event.data
        message = _MESSAGES[str(event.event_type)].format(
            reservation_id=data.get("reservation_id", "?"),
            operation=data.get("operation", "handle"),
        )
        return {
            LOGBOOK_ENTRY_NAME: "SmartLock Tuya",
            LOGBOOK_ENTRY_MESSAGE: message,
            LOGBOOK_ENTRY_ENTITY_ID: data.get("lock_entity_id"),
        }

    for event_type in _MESSAGES:
        async_describe_event(DOMAIN, event_type, describe)
