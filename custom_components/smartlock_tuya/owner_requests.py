"""What the owner asks of the lifecycle through the actions: staff credentials, revoke, regenerate.

Every request that chooses a PIN does so under the sync lock, so two requests at once never
pick the same one, and a staff credential waits (bounded) for its lock's answer, so that whoever
hands the code to a cleaner knows whether it is on the door.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
import contextlib
from datetime import datetime
import secrets
from typing import TYPE_CHECKING, Final

from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .pins import generate
from .scheduler import Credential, CredentialKey, CredentialState, window_fits

if TYPE_CHECKING:
    from .lifecycle import CredentialManager

#: How long `create_pin` waits for the lock's answer before saying the PIN is pending.
CREATE_WAIT: Final = 30.0
#: The lock refused a staff credential's digits because it holds them already.
DUPLICATE: Final = "create: DuplicatePinError"
#: A staff credential's create failed for one of these reasons: no retry will put it on the lock.
REFUSALS: Final = (
    "create: LockRejectedError",
    "create: LockFullError",
    "create: InvalidPinError",
    "create: pin_length",
)


class RequestError(ValueError):
    """A request the lifecycle will not carry out; `str()` is the translation key."""


class OwnerRequests:
    """The owner's requests for one account."""

    def __init__(self, manager: CredentialManager) -> None:
        """Serve requests on behalf of this account's lifecycle."""
        self._manager = manager

    async def async_create_staff_credential(
        self, lock_id: str, name: str, starts: datetime, ends: datetime, pin: str | None
    ) -> Credential:
        """A staff credential (cleaner, maintenance) with its own window, outside any reservation.

        Returns once the lock confirmed it, or once `CREATE_WAIT` passed (then it is still
        pending and retried); raises `RequestError("pin_refused")` when the lock refused it.
        """
        manager = self._manager
        starts, ends = dt_util.as_utc(starts), dt_util.as_utc(ends)
        if not window_fits(starts, ends):
            raise RequestError("window_too_late")
        profile = manager.locks[lock_id].profile
        async with manager.sync_lock:
            taken = manager.operations.taken_pins({lock_id}, starts, ends)
            chosen = pin is None
            if pin is None:
                pin = generate(manager.operations.pin_length(lock_id), taken=taken).pin
            elif pin in taken:
                raise RequestError("pin_in_use")
            elif profile and profile.check_pin(pin) is not None:
                raise RequestError("pin_does_not_fit")
            stamp = dt_util.utcnow().strftime("%Y%m%d%H%M%S")
            key = CredentialKey(f"adhoc-{stamp}-{secrets.token_hex(3)}", lock_id)
            manager.credentials[key] = Credential(
                key=key,
                listing_id="",
                ref=manager.operations.ref_for(lock_id),
                pin=pin,
                starts=starts,
                ends=ends,
                guest_name=name,
                staff=True,
            )
            if chosen:  # other digits may be tried while the caller waits, not after
                manager.operations.rechoosable.add(key)
            manager.store.audit("staff_pin_scheduled", key, name)
            await manager.store.async_save()
        # A slow lock is no error: the caller learns that the PIN is pending.
        sync = manager.entry.async_create_background_task(
            manager.hass, manager.async_sync(), f"{DOMAIN} staff PIN"
        )  # an entry's task: it goes on after the wait, and stops with the entry
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(sync), CREATE_WAIT)
        finally:
            manager.operations.rechoosable.discard(key)
        credential = manager.credentials[key]
        if credential.last_error == DUPLICATE and not credential.on_lock:
            await self.async_revoke([key])
            raise RequestError("pin_in_use")  # the lock holds these digits for someone else
        if credential.state is not CredentialState.ACTIVE and (
            credential.last_error in REFUSALS and not credential.on_lock
        ):
            await self.async_revoke([key])
            raise RequestError("pin_refused")
        return credential

    async def async_revoke(
        self, keys: Iterable[CredentialKey], *, reservation_id: str | None = None
    ) -> None:
        """Take PINs off their locks now, and keep them off (a user's decision).

        With `reservation_id`, the reservation's PINs already off their locks (a cancelled
        stay) are kept off too: the stay coming back must not bring them back.
        """
        manager = self._manager
        async with manager.sync_lock:
            keys = list(keys)
            for credential in manager.credentials.values():
                if credential.key.reservation_id == reservation_id and not credential.live:
                    credential.revoked_by_user = True
            for key in keys:
                credential = manager.credentials[key]
                credential.revoked_by_user = True
                credential.next_attempt = None
            # Saved before any lock is asked: a crash after a lock's write must not undo the
            # user's decision (the PIN would be pushed again after the restart).
            await manager.store.async_save()
            for key in keys:
                credential = manager.credentials[key]
                if credential.on_lock:
                    await manager.operations.revoke(credential)
                else:
                    await manager.operations.forget(credential, "revoked_by_user")
        await manager.async_sync()

    async def async_regenerate(self, reservation_id: str) -> None:
        """A new PIN for a reservation on every lock that lets go of the old one.

        A lock that cannot be reached keeps the old PIN (it still works there); the guest
        is then told each door with the PIN that opens it.
        """
        manager = self._manager
        credentials = manager.for_reservation(reservation_id)
        if not credentials:
            raise KeyError(reservation_id)
        async with manager.sync_lock:
            first = credentials[0]
            lock_ids = {c.key.lock_id for c in credentials}
            lock_ids.update(manager.locks_by_listing().get(first.listing_id, ()))
            taken = manager.operations.taken_pins(lock_ids, first.starts, first.ends)
            pins: dict[int, str] = {}  # one new PIN per length the locks take
            for credential in credentials:
                length = manager.operations.pin_length(credential.key.lock_id, first.listing_id)
                if length not in pins:  # the old PINs are taken
                    pins[length] = generate(length, taken=taken).pin
                if credential.on_lock:
                    before, old_pin = credential.state, credential.pin
                    stray = manager.operations.stray(credential)
                    if not stray:
                        # Saved before the lock is asked: a restart after its delete finds a
                        # revoke under way (then the new PIN is pushed), never an old PIN
                        # counted as on the lock that is not there any more.
                        credential.state, credential.pin = CredentialState.ORPHANED, pins[length]
                        await manager.store.async_save()
                    await manager.operations.revoke(credential)
                    if credential.state is not CredentialState.REVOKED:
                        if not stray and not manager.operations.still_on_lock(credential):
                            # The delete may have gone through (its answer was lost): the
                            # revoke goes on until confirmed, then the new PIN follows.
                            await manager.store.async_save()
                            continue
                        # Still on the lock with the old PIN, which keeps working there.
                        credential.state, credential.pin = before, old_pin
                        credential.attempts, credential.next_attempt = 0, None
                        manager.alerts.clear(credential)
                        continue
                credential.pin = pins[length]
                credential.ref = manager.operations.ref_for(credential.key.lock_id)
                credential.state = CredentialState.SCHEDULED
                credential.lock_pin_id = None
                credential.unconfirmed = False
                credential.attempts, credential.next_attempt = 0, None
                manager.store.audit("pin_regenerated", credential.key)
            for credential in credentials:
                credential.notified = False  # the guest is told every door again
            await manager.store.async_save()
        await manager.async_sync()

    async def async_retry_failed(self) -> int:
        """Retry every failed or orphaned credential and failed message now; returns how many."""
        manager = self._manager
        count = 0
        for credential in manager.credentials.values():
            if credential.state in (CredentialState.FAILED, CredentialState.ORPHANED):
                credential.next_attempt = None
                count += 1
            if credential.message_retry is not None:
                credential.message_retry = None
        await manager.async_sync()
        return count
