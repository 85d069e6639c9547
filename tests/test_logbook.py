"""Logbook lines for the lifecycle's events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import Event, HomeAssistant

from custom_components.smartlock_tuya.const import (
    DOMAIN,
    EVENT_GUEST_UNLOCKED,
    EVENT_PIN_CREATED,
    EVENT_PIN_FAILED,
    EVENT_PIN_REVOKED,
)
from custom_components.smartlock_tuya.logbook import async_describe_events


async def test_describe_events(hass: HomeAssistant) -> None:
    """Each event reads as a sentence about the reservation, on the lock's entity."""
    described: dict[str, Callable[[Event], dict[str, Any]]] = {}

    def register(domain: str, event_type: str, describe: Callable[[Event], dict[str, Any]]) -> None:
        assert domain == DOMAIN
        described[event_type] = describe

    async_describe_events(hass, register)
    base = {"reservation_id": "R-1", "lock_entity_id": "lock.front_door", "credential_id": "x"}
    lines = [
        described[EVENT_PIN_CREATED](Event(EVENT_PIN_CREATED, base)),
        described[EVENT_PIN_REVOKED](Event(EVENT_PIN_REVOKED, base)),
        described[EVENT_PIN_FAILED](Event(EVENT_PIN_FAILED, {**base, "operation": "revoke"})),
        described[EVENT_GUEST_UNLOCKED](Event(EVENT_GUEST_UNLOCKED, base)),
    ]
    assert [line["message"] for line in lines] == [
        "put the PIN of reservation R-1 on the lock",
        "removed the PIN of reservation R-1 from the lock",
        "could not revoke the PIN of reservation R-1; retrying",
        "the guest of reservation R-1 opened the door",
    ]
    assert {line["entity_id"] for line in lines} == {"lock.front_door"}
    assert {line["name"] for line in lines} == {"SmartLock Tuya"}
