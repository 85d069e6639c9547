"""Diagnostics: what the integration sees of the account, without secrets or guests' data."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET
from homeassistant.core import HomeAssistant

from .const import CONF_CLOUD_ACCESS_ID, CONF_CLOUD_ACCESS_SECRET, CONF_LOCAL_KEY, CONF_WEBHOOK_ID
from .coordinator import SmartLockConfigEntry
from .lock_coordinator import LockRuntime
from .scheduler import Credential

TO_REDACT = {
    CONF_WEBHOOK_ID,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_CLOUD_ACCESS_ID,
    CONF_CLOUD_ACCESS_SECRET,
    CONF_LOCAL_KEY,
    "guest",
    "phones",
    "email",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmartLockConfigEntry
) -> dict[str, Any]:
    """Entry settings, the state of polling and the reservations as parsed, redacted."""
    coordinator = entry.runtime_data.coordinator
    manager = entry.runtime_data.manager
    data = coordinator.data
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "coordinator": {
            "last_update_success": coordinator.last_update_success,
            "update_interval_seconds": (
                coordinator.update_interval.total_seconds() if coordinator.update_interval else None
            ),
            "complete": data.complete,
            "fetched_at": data.fetched_at.isoformat(),
        },
        "listings": {
            listing_id: {
                "code": listing.code,
                "active": listing.active,
                "booking_settings": _settings(data.booking_settings.get(listing_id)),
                "reservations": [
                    async_redact_data(_json(asdict(reservation)), TO_REDACT)
                    for reservation in data.listing_reservations(listing_id)
                ],
            }
            for listing_id, listing in data.listings.items()
        },
        "locks": {
            subentry_id: _lock(entry.subentries[subentry_id].data, lock)
            for subentry_id, lock in entry.runtime_data.locks.items()
        },
        # The URL's id is the webhook's only secret: say whether there is one, never which.
        "webhook_configured": CONF_WEBHOOK_ID in entry.data,
        "credentials": [_credential(c) for c in manager.credentials.values()] if manager else [],
        "audit": [vars(line) for line in manager.store.data.audit][-50:] if manager else [],
    }


def _credential(credential: Credential) -> dict[str, Any]:
    """A credential without its PIN or the guest's name."""
    return {
        "credential_id": str(credential.key),
        "state": str(credential.state),
        "starts": credential.starts.isoformat(),
        "ends": credential.ends.isoformat(),
        "lock_pin_id": credential.lock_pin_id,
        "attempts": credential.attempts,
        "last_error": credential.last_error,
        "notified": credential.notified,
        "checked_in": credential.checked_in,
        "adhoc": credential.staff,
    }


def _lock(settings: Any, lock: LockRuntime) -> dict[str, Any]:
    """A lock's settings and state; raw DP values are left out, as they may echo a PIN."""
    status = lock.coordinator.data
    info = lock.coordinator.info
    return {
        "settings": async_redact_data(dict(settings), TO_REDACT),
        "backend": type(lock.backend).__name__,
        "capabilities": asdict(lock.backend.capabilities),
        "protocol_version": info.protocol_version if info else None,
        "available": lock.coordinator.last_update_success,
        "locked": status.locked if status else None,
        "battery": status.battery if status else None,
        "reported_dps": sorted(status.dps) if status else [],
    }


def _settings(settings: Any) -> dict[str, Any] | None:
    return _json(asdict(settings)) if settings is not None else None


def _json(value: Any) -> Any:
    """Dates and times as ISO strings, so the download is plain JSON."""
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
