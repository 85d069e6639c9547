"""Retries and alerts: back off after a failure, tell the owner once, and clear it when over.

A failure is retried quickly a few times before anyone is bothered; then a repair issue, a
persistent notification and a `pin_failed` event say so once, and retries go on slowly. The
alert is withdrawn as soon as the problem no longer stands: the operation succeeded, the
dates changed (a new attempt begins), or the window ended.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util

from .const import DOMAIN, EVENT_PIN_FAILED, LOGGER
from .entity import lock_unique_id
from .scheduler import (
    QUICK_BACKOFF,
    Credential,
    CredentialKey,
    CredentialState,
    refused_delay,
    retry_delay,
)
from .tuya import LockRejectedError

if TYPE_CHECKING:
    from .lifecycle import CredentialManager


def issue_id(key: CredentialKey) -> str:
    """One repair (and one notification) per credential."""
    return f"pin_{key}".replace("|", "_")


class Alerts:
    """Backoff, repairs, notifications and bus events for one account's credentials."""

    def __init__(self, manager: CredentialManager) -> None:
        """Alert on behalf of this account's lifecycle."""
        self._manager = manager
        self._hass: HomeAssistant = manager.hass

    def lock_name(self, lock_id: str) -> str:
        """The lock's name, for people."""
        lock = self._manager.locks.get(lock_id)
        return lock.name if lock else lock_id

    def lock_entity_id(self, lock_id: str) -> str | None:
        """The lock entity of a lock subentry, for events and responses."""
        lock = self._manager.locks.get(lock_id)
        if lock is None:
            return None
        return er.async_get(self._hass).async_get_entity_id("lock", DOMAIN, lock_unique_id(lock))

    def fire(self, event: str, credential: Credential, extra: dict[str, Any] | None = None) -> None:
        """Bus events carry ids, never the PIN."""
        self._hass.bus.async_fire(
            event,
            {
                "reservation_id": credential.key.reservation_id,
                "lock_entity_id": self.lock_entity_id(credential.key.lock_id),
                "credential_id": str(credential.key),
                "listing_id": credential.listing_id,
                **(extra or {}),
            },
        )

    def clear(self, credential: Credential) -> None:
        """Withdraw the credential's alert, if any: what it said no longer stands."""
        ir.async_delete_issue(self._hass, DOMAIN, issue_id(credential.key))
        persistent_notification.async_dismiss(self._hass, issue_id(credential.key))

    def succeeded(self, credential: Credential) -> None:
        """A lock confirmed: the count starts again and any alert goes."""
        if credential.attempts:
            self.clear(credential)
        credential.attempts, credential.next_attempt, credential.last_error = 0, None, None

    def failed(self, credential: Credential, operation: str, error: Exception) -> None:
        """Back off; after the quick attempts, alert the owner once and keep retrying.

        A revoke the lock itself refuses is asked again ever more rarely (`refused_delay`)
        and has its own repair, raised once the quick attempts are over: the PIN may still
        open the door, and only the owner can act on a lock that says no.
        The caller saves: the new state goes to the store with the rest of its outcome.
        """
        refused = operation == "revoke" and isinstance(error, LockRejectedError)
        before = credential.last_error
        credential.attempts += 1
        delay = (refused_delay if refused else retry_delay)(credential.attempts)
        credential.next_attempt = dt_util.utcnow() + delay
        credential.last_error = f"{operation}: {type(error).__name__}"
        self._manager.store.audit("failed", credential.key, credential.last_error)
        if credential.attempts == len(QUICK_BACKOFF):
            if operation == "revoke":
                credential.state = CredentialState.ORPHANED
            elif credential.state is CredentialState.SCHEDULED:
                credential.state = CredentialState.FAILED
            if not refused:
                self.alert(credential, operation, type(error).__name__)
        news = credential.attempts == len(QUICK_BACKOFF) or before != credential.last_error
        if refused and credential.attempts >= len(QUICK_BACKOFF) and news:
            self.alert(credential, "revoke", type(error).__name__, key="pin_revoke_refused")
        LOGGER.warning(
            "Could not %s the credential of reservation %s on lock %s (attempt %s): %s",
            operation,
            credential.key.reservation_id,
            self.lock_name(credential.key.lock_id),
            credential.attempts,
            type(error).__name__,
        )

    def still_valid(self, credential: Credential, until: datetime, clear_code: str | None) -> None:
        """Tell the owner an offline PIN opens the door until `until`, and whether it can go sooner.

        The clear code itself is never shown: repairs and notifications are stored on disk
        and a clear code is a door secret; the text only says that Tuya issued one.
        """
        when = dt_util.as_local(until).strftime("%Y-%m-%d %H:%M")
        placeholders = {
            "lock": self.lock_name(credential.key.lock_id),
            "reservation": credential.key.reservation_id,
            "guest": credential.guest_name or "-",
            "until": when,
        }
        key = "offline_pin_clear_code" if clear_code else "offline_pin_still_valid"
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id(credential.key),
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=key,
            translation_placeholders=placeholders,
        )
        persistent_notification.async_create(
            self._hass,
            f"The offline PIN of reservation {placeholders['reservation']} "
            f"({placeholders['guest']}) keeps opening {placeholders['lock']} until {when}; "
            "it is removed at that time."
            + (" Tuya issued a clear code that removes it sooner." if clear_code else ""),
            title="SmartLock Tuya",
            notification_id=issue_id(credential.key),
        )
        LOGGER.warning(
            "The offline PIN of reservation %s keeps working on lock %s until %s",
            credential.key.reservation_id,
            placeholders["lock"],
            when,
        )

    def alert(
        self, credential: Credential, operation: str, error: str, *, key: str | None = None
    ) -> None:
        """A repair issue, a notification and a `pin_failed` event, once per failure.

        `key` names the repair's text when it is not the operation's own.
        """
        placeholders = {
            "lock": self.lock_name(credential.key.lock_id),
            "reservation": credential.key.reservation_id,
            "guest": credential.guest_name or "-",
            "operation": operation,
            "error": error,
        }
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue_id(credential.key),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=key or f"pin_{operation}_failed",
            translation_placeholders=placeholders,
        )
        persistent_notification.async_create(
            self._hass,
            f"Could not {operation} the PIN of reservation {placeholders['reservation']} "
            f"({placeholders['guest']}) on {placeholders['lock']}: {error}. Retrying.",
            title="SmartLock Tuya",
            notification_id=issue_id(credential.key),
        )
        self.fire(EVENT_PIN_FAILED, credential, {"operation": operation})

    def maybe_on_lock(self, credential: Credential, until: datetime) -> None:
        """Tell the owner once that a PIN may open the door until `until`, and why.

        Names the door and the holder, never the PIN.
        """
        issue = issue_id(credential.key)
        placeholders = {
            "lock": self.lock_name(credential.key.lock_id),
            "reservation": credential.key.reservation_id,
            "guest": credential.guest_name or "-",
            "until": dt_util.as_local(until).strftime("%Y-%m-%d %H:%M"),
        }
        ir.async_create_issue(
            self._hass,
            DOMAIN,
            issue,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="pin_maybe_on_lock",
            translation_placeholders=placeholders,
        )
        persistent_notification.async_create(
            self._hass,
            f"The PIN of reservation {placeholders['reservation']} ({placeholders['guest']}) "
            f"may be on {placeholders['lock']}, which never confirmed it. It cannot be found "
            f"there again, so it is not sent twice; the lock stops it at {placeholders['until']}.",
            title="SmartLock Tuya",
            notification_id=issue,
        )
