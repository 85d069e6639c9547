"""Versioned storage of the lifecycle: credentials, the last good stays, and the audit trail.

Every change that follows a lock-side change is saved at once (`async_save`), never delayed:
a restart must find exactly what the locks hold. A file from a newer version of the
integration is refused, never rewritten: a downgrade must not lose what the newer one knew.
Revoked credentials are kept `RETENTION` after their window ends (for the owner's questions
about a past stay, which `list_credentials` answers), then pruned so the store stays small.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import secrets
from typing import Any, Final

from homeassistant import exceptions as ha_exceptions
from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .scheduler import Credential, CredentialKey, CredentialState, Stay

STORAGE_VERSION: Final = 1
STORAGE_MINOR_VERSION: Final = 1
AUDIT_LIMIT: Final = 1000
WEBHOOK_LIMIT: Final = 200
MAX_REF: Final = 0xFFFF
#: How long a revoked credential stays listed after its window ended, before it is pruned.
RETENTION: Final = timedelta(days=30)


class StoreTooNewError(Exception):
    """The file was written by a newer major version: refuse it rather than rewrite it."""


#: Newer Home Assistant refuses a newer major version itself, before our migration sees it
#: (the error is absent from 2025.4, where `_async_migrate_func` is asked instead).
_NEWER_FILE_ERRORS: Final[tuple[type[Exception], ...]] = tuple(
    error
    for error in (getattr(ha_exceptions, "UnsupportedStorageVersionError", None),)
    if isinstance(error, type)
)


class _VersionedStore(Store[dict[str, Any]]):
    """The store, with the path later versions will migrate through."""

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        if old_major_version > STORAGE_VERSION:
            raise StoreTooNewError(f"version {old_major_version}.{old_minor_version}")
        # Version 1.1 is the first; a minor bump only adds keys, which loading defaults.
        return old_data


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    """One line of a reservation's history, without the PIN."""

    at: str
    event: str
    reservation_id: str | None = None
    lock_id: str | None = None
    detail: str | None = None


@dataclass(kw_only=True)
class CredentialStoreData:
    """Everything the lifecycle keeps between restarts."""

    credentials: dict[CredentialKey, Credential] = field(default_factory=dict)
    stays: dict[str, Stay] = field(default_factory=dict)
    stays_complete: bool = False
    audit: deque[AuditEntry] = field(default_factory=lambda: deque(maxlen=AUDIT_LIMIT))
    webhooks: deque[AuditEntry] = field(default_factory=lambda: deque(maxlen=WEBHOOK_LIMIT))
    #: The last ref handed out per lock: refs only move forward.
    last_refs: dict[str, int] = field(default_factory=dict)
    #: The latest instant a plan was made at: a clock set back later never reopens a window
    #: that had ended by then.
    latest: datetime | None = None


class CredentialStore:
    """Loads and saves `CredentialStoreData` for one account."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """One store file per config entry."""
        self._store = _VersionedStore(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}", minor_version=STORAGE_MINOR_VERSION
        )
        self.data = CredentialStoreData()
        self.loaded = False

    async def async_load(self) -> CredentialStoreData:
        """Read what was saved; unreadable records are dropped one by one, not all at once.

        Raises `StoreTooNewError` for a newer file; nothing is saved over it afterwards.
        """
        try:
            raw = await self._store.async_load()
        except _NEWER_FILE_ERRORS as err:
            found = getattr(err, "found_version", "?")
            raise StoreTooNewError(f"version {found}") from err
        self.data = parse_data(raw or {})
        self.loaded = True
        return self.data

    async def async_save(self) -> None:
        """Write now: what the locks hold must survive a crash a second later."""
        if not self.loaded:
            # Saving before loading would replace the file with an empty store, and the
            # credentials already on the locks would be forgotten.
            raise RuntimeError("the credential store is saved before it is loaded")
        await self._store.async_save(self._dump())

    async def async_remove(self) -> None:
        """Delete the file, when the entry is removed."""
        await self._store.async_remove()

    def audit(
        self,
        event: str,
        key: CredentialKey | None = None,
        detail: str | None = None,
        *,
        reservation_id: str | None = None,
    ) -> None:
        """Append to the trail (saved with the next save)."""
        self.data.audit.append(
            AuditEntry(
                at=dt_util.utcnow().isoformat(),
                event=event,
                reservation_id=key.reservation_id if key else reservation_id,
                lock_id=key.lock_id if key else None,
                detail=detail,
            )
        )

    def record_webhook(self, action: str, reservation_id: str | None, outcome: str) -> None:
        """Keep a received webhook in the trail (saved with the next save)."""
        self.data.webhooks.append(
            AuditEntry(
                at=dt_util.utcnow().isoformat(),
                event=action,
                reservation_id=reservation_id,
                detail=outcome,
            )
        )

    def next_ref(self, lock_id: str, refs: range | None = None) -> int:
        """A ref (the lock's number for a credential) never used on this lock while stored.

        References move forward from the last one handed out, so a freed one is not reused
        while its PIN might still be on the lock; a lock first seen starts at a random one,
        so that a wiped store or a re-added account does not meet its own old PINs. `refs`
        is the range the lock's codec can carry (a Zigbee lock's ids 1-999): the count wraps
        within it, skipping every id a stored credential still holds.
        """
        span = refs if refs else range(1, MAX_REF + 1)
        used = {
            credential.ref
            for credential in self.data.credentials.values()
            if credential.key.lock_id == lock_id
        }
        last = self.data.last_refs.get(lock_id)
        offset = span.index(last) if last is not None and last in span else None
        if offset is None:
            offset = secrets.randbelow(len(span))
        for step in range(1, len(span) + 1):
            ref = span[(offset + step) % len(span)]
            if ref not in used:
                self.data.last_refs[lock_id] = ref
                return ref
        raise ValueError("every PIN reference of this lock is in use")

    def prune(self, now: datetime) -> int:
        """Drop revoked credentials and past stays older than `RETENTION`; returns how many."""
        horizon = now - RETENTION
        old = [
            key
            for key, credential in self.data.credentials.items()
            if not credential.live and not credential.on_lock and credential.ends < horizon
        ]
        for key in old:
            del self.data.credentials[key]
        for reservation_id in [
            stay.reservation_id for stay in self.data.stays.values() if stay.check_out < horizon
        ]:
            del self.data.stays[reservation_id]
        return len(old)

    def _dump(self) -> dict[str, Any]:
        return {
            "credentials": [_dump_credential(c) for c in self.data.credentials.values()],
            "stays": [_dump_stay(stay) for stay in self.data.stays.values()],
            "stays_complete": self.data.stays_complete,
            "audit": [vars(entry) for entry in self.data.audit],
            "webhooks": [vars(entry) for entry in self.data.webhooks],
            "last_refs": dict(self.data.last_refs),
            "latest": self.data.latest.isoformat() if self.data.latest else None,
        }


def parse_data(raw: Any) -> CredentialStoreData:
    """Saved data back into objects; an unreadable record is dropped alone, never the rest."""
    data = CredentialStoreData()
    if not isinstance(raw, dict):
        return data
    for credential in _records(raw.get("credentials"), _credential):
        data.credentials[credential.key] = credential
    for stay in _records(raw.get("stays"), _stay):
        data.stays[stay.reservation_id] = stay
    data.stays_complete = raw.get("stays_complete") is True
    data.audit.extend(_records(raw.get("audit"), _line))
    data.webhooks.extend(_records(raw.get("webhooks"), _line))
    refs = raw.get("last_refs")
    if isinstance(refs, dict):
        data.last_refs = {
            str(lock_id): ref
            for lock_id, ref in refs.items()
            if isinstance(ref, int) and 1 <= ref <= MAX_REF
        }
    with contextlib.suppress(ValueError):
        data.latest = _optional_time(raw.get("latest"))
    return data


def _records[T](raw: Any, parse: Callable[[dict[str, Any]], T]) -> list[T]:
    """The readable records of one section; a section that is not a list reads as empty."""
    records = []
    for item in raw if isinstance(raw, list) else ():
        try:
            if not isinstance(item, dict):
                raise TypeError("not an object")
            records.append(parse(item))
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
            continue
    return records


def _line(item: dict[str, Any]) -> AuditEntry:
    return AuditEntry(
        at=_text(item["at"]),
        event=_text(item["event"]),
        reservation_id=_optional_text(item.get("reservation_id")),
        lock_id=_optional_text(item.get("lock_id")),
        detail=_optional_text(item.get("detail")),
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"not text: {value!r}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _digits(value: Any) -> str:
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise ValueError("a PIN is digits")
    return value


def _whole(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"not a whole number: {value!r}")
    return value


def _time(value: Any) -> datetime:
    parsed = dt_util.parse_datetime(str(value))
    if parsed is None or parsed.tzinfo is None:
        raise ValueError(f"not an aware datetime: {value!r}")
    return parsed


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else _time(value)


def _credential(item: dict[str, Any]) -> Credential:
    return Credential(
        key=CredentialKey.parse(_text(item["key"])),
        listing_id=_text(item["listing_id"]),
        ref=_whole(item["ref"]),
        pin=_digits(item["pin"]),
        starts=_time(item["starts"]),
        ends=_time(item["ends"]),
        state=CredentialState(item["state"]),
        lock_pin_id=_optional_text(item.get("lock_pin_id")),
        attempts=_whole(item.get("attempts", 0)),
        next_attempt=_optional_time(item.get("next_attempt")),
        last_error=_optional_text(item.get("last_error")),
        notified=bool(item.get("notified", False)),
        checked_in=bool(item.get("checked_in", False)),
        guest_name=_optional_text(item.get("guest_name")),
        staff=bool(item.get("adhoc", False)),
        revoked_by_user=bool(item.get("revoked_by_user", False)),
        unconfirmed=bool(item.get("unconfirmed", False)),
        message_attempts=_whole(item.get("message_attempts", 0)),
        message_retry=_optional_time(item.get("message_retry")),
        activate_by=_optional_time(item.get("activate_by")),
    )


def _dump_credential(credential: Credential) -> dict[str, Any]:
    return {
        "key": str(credential.key),
        "listing_id": credential.listing_id,
        "ref": credential.ref,
        "pin": credential.pin,
        "starts": credential.starts.isoformat(),
        "ends": credential.ends.isoformat(),
        "state": str(credential.state),
        "lock_pin_id": credential.lock_pin_id,
        "attempts": credential.attempts,
        "next_attempt": credential.next_attempt.isoformat() if credential.next_attempt else None,
        "last_error": credential.last_error,
        "notified": credential.notified,
        "checked_in": credential.checked_in,
        "guest_name": credential.guest_name,
        "adhoc": credential.staff,
        "revoked_by_user": credential.revoked_by_user,
        "unconfirmed": credential.unconfirmed,
        "message_attempts": credential.message_attempts,
        "message_retry": credential.message_retry.isoformat() if credential.message_retry else None,
        "activate_by": credential.activate_by.isoformat() if credential.activate_by else None,
    }


def _stay(item: dict[str, Any]) -> Stay:
    return Stay(
        reservation_id=_text(item["reservation_id"]),
        listing_id=_text(item["listing_id"]),
        check_in=_time(item["check_in"]),
        check_out=_time(item["check_out"]),
        guest_name=_optional_text(item.get("guest_name")),
        phone=_optional_text(item.get("phone")),
    )


def _dump_stay(stay: Stay) -> dict[str, Any]:
    return {
        "reservation_id": stay.reservation_id,
        "listing_id": stay.listing_id,
        "check_in": stay.check_in.isoformat(),
        "check_out": stay.check_out.isoformat(),
        "guest_name": stay.guest_name,
        "phone": stay.phone,
    }
