"""Carrying out the scheduler's plan on the locks, one credential at a time.

Each verb talks to one lock and saves its outcome at once. A create that was sent but never
confirmed may be on the lock: the credential is marked `unconfirmed` before the lock is
asked, and such a PIN is always removed (its lock-side id learnt by asking for it again with the
same reference) before the credential counts as revoked or is written afresh. Where the
lock chose an id its lost answer alone named (Lock Pro), nothing can find that PIN again: it
is never sent twice, and it waits out its window on the lock while the owner is told. A
window change is stored only once the lock confirmed it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final

from homeassistant.util import dt as dt_util

from .const import EVENT_PIN_CREATED, EVENT_PIN_REVOKED, LOGGER
from .pin_choice import PinChoice
from .pins import generate
from .scheduler import Action, Credential, CredentialKey, CredentialState, Verb
from .tuya import (
    CreatedCredential,
    CredentialRequest,
    CredentialWindow,
    DeleteRefusedError,
    DuplicatePinError,
    InvalidPinError,
    LockError,
    LockOfflineError,
    LockRejectedError,
    UnsupportedOperationError,
)
from .tuya.cloud import OfflineCreatedCredential, OfflineCredentialStillValidError

if TYPE_CHECKING:
    from .lifecycle import CredentialManager
    from .lock_coordinator import LockRuntime

#: Errors that prove the lock did not apply a command: it answered no, or it was never sent.
NOT_APPLIED: Final = (LockRejectedError, InvalidPinError)
#: The operation an alert names for each verb (each has a repair's translation).
_OPERATIONS: Final = {
    Verb.ADD: "create",
    Verb.RETIME: "create",
    Verb.PUSH: "create",
    Verb.MOVE: "update",
    Verb.REVOKE: "revoke",
    Verb.FORGET: "revoke",
    Verb.EXPIRE: "revoke",
}
#: Why a PIN waits for the owner: its length does not fit the lock.
PIN_LENGTH_ERROR: Final = "create: pin_length"
#: Why a revoke waits: an offline Cloud PIN works on, whatever we do, until its end.
OFFLINE_ERROR: Final = "revoke: offline_pin_still_valid"
#: Fresh digits tried at once after a lock refused a PIN as a duplicate, before backing off.
DUPLICATE_TRIES: Final = 3
#: Why a PIN waits out its window: the lock may hold it under an id nobody can learn.
UNCONFIRMED_ERROR: Final = "create: unconfirmed"


def _with_subclasses(*errors: type[LockError]) -> set[type[LockError]]:
    found = set(errors)
    for error in errors:
        found |= _with_subclasses(*error.__subclasses__())
    return found


#: A revoke that failed so leaves the PIN where it was: refused (`DeleteRefusedError`
#: included), or never sent. Alerts record an error by its class name.
_KEPT_BY_FAILED_REVOKE: Final = frozenset(
    f"revoke: {error.__name__}" for error in _with_subclasses(*NOT_APPLIED, LockOfflineError)
)


class LockOperations(PinChoice):
    """The verbs of the plan, for one account's locks (and the PINs they write: `PinChoice`)."""

    def __init__(self, manager: CredentialManager) -> None:
        """Act on behalf of this account's lifecycle."""
        super().__init__(manager)
        #: Staff credentials whose digits may still change: chosen by us, the caller still waiting.
        self.rechoosable: set[CredentialKey] = set()

    async def run(self, action: Action) -> None:
        """Carry out one action; any error is one credential's failure, never the whole sync."""
        handler = {
            Verb.ADD: self._add,
            Verb.RETIME: self._retime,
            Verb.PUSH: self._push,
            Verb.MOVE: self._move,
            Verb.REVOKE: self._revoke,
            Verb.FORGET: self._forget,
            Verb.EXPIRE: self._expire,
        }[action.verb]
        try:
            await handler(action)
        except Exception as err:  # noqa: BLE001 - one bad credential must not stop the rest
            LOGGER.exception("Unexpected error on %s of %s", action.verb, action.key)
            credential = self._manager.credentials.get(action.key)
            if credential is not None:
                self._manager.alerts.failed(credential, _OPERATIONS[action.verb], err)
                await self._manager.store.async_save()

    # -- the verbs --------------------------------------------------------------------------

    async def _add(self, action: Action) -> None:
        desired = action.desired
        assert desired is not None  # noqa: S101 - plan() gives ADD a desired credential
        manager = self._manager
        credential = Credential(
            key=desired.key,
            listing_id=desired.listing_id,
            ref=self.ref_for(desired.key.lock_id),
            pin=self.pin_for(desired),
            starts=desired.starts,
            ends=desired.ends,
            guest_name=desired.guest_name,
        )
        manager.credentials[desired.key] = credential
        manager.store.audit("scheduled", desired.key)
        await manager.store.async_save()
        # A PIN the lock cannot take is reported when the booking comes, not a day ahead.
        await self._fits(credential, manager.locks[desired.key.lock_id])

    async def _retime(self, action: Action) -> None:
        """New dates for a credential not confirmed on the lock: a fresh start."""
        credential, desired = self._manager.credentials[action.key], action.desired
        assert desired is not None  # noqa: S101 - plan() gives RETIME a desired credential
        stray_until = credential.ends if self.stray(credential) else None
        credential.starts, credential.ends = desired.starts, desired.ends
        if credential.state in (CredentialState.REVOKED, CredentialState.FAILED):
            credential.state = CredentialState.SCHEDULED
            credential.lock_pin_id = None
            credential.notified = False
        credential.attempts, credential.next_attempt = 0, None
        self._manager.alerts.clear(credential)
        self._manager.store.audit("window_changed", action.key)
        if stray_until is not None:  # the lock's copy keeps the window it was sent with
            await self._wait_out(credential, max(stray_until, credential.ends))
            return
        await self._manager.store.async_save()

    async def _push(self, action: Action) -> None:
        manager = self._manager
        credential = manager.credentials[action.key]
        lock = manager.locks[action.key.lock_id]
        if not await self._fits(credential, lock):
            return
        if self.stray(credential):
            await self._wait_out(credential, credential.ends)
            return
        try:
            if credential.unconfirmed:
                await self._clear(credential, lock)
        except LockError as err:
            manager.alerts.failed(credential, "create", err)
            await manager.store.async_save()
            return
        created = await self._create(credential, lock)
        if created is None:
            return
        credential.state = CredentialState.ACTIVE
        credential.unconfirmed = False
        credential.lock_pin_id = created.lock_pin_id
        if created.pin is not None:
            credential.pin = created.pin  # an offline password: Tuya chose it
        if isinstance(created, OfflineCreatedCredential):
            credential.activate_by = created.activate_by
        manager.alerts.succeeded(credential)
        manager.store.audit("pushed", action.key)
        await manager.store.async_save()
        manager.alerts.fire(EVENT_PIN_CREATED, credential)

    async def _create(self, credential: Credential, lock: LockRuntime) -> CreatedCredential | None:
        """Create the credential; a duplicate is tried again at once with other digits where we may.

        A guest's digits are ours to change; a staff credential's only while its caller waits for
        them (`rechoosable`). Returns `None` once the failure is recorded.
        """
        manager = self._manager
        for attempt in range(1, DUPLICATE_TRIES + 1):
            credential.unconfirmed = True
            await manager.store.async_save()  # a crash from here on must find "maybe"
            try:
                return await lock.backend.create_credential(self._request(credential))
            except LockError as err:
                if isinstance(err, NOT_APPLIED) or self._never_sent(err, lock):
                    credential.unconfirmed = False  # the lock said no: nothing of it is there
                mine = not credential.staff or credential.key in self.rechoosable
                if isinstance(err, DuplicatePinError) and mine and attempt < DUPLICATE_TRIES:
                    self.choose_again(credential)
                    continue
                manager.alerts.failed(credential, "create", err)
                await manager.store.async_save()
                return None
        raise AssertionError("unreachable")  # pragma: no cover - the loop always returns

    async def _fits(self, credential: Credential, lock: LockRuntime) -> bool:
        """Whether the PIN fits the lock; one that never left us is chosen again if it can."""
        profile = lock.profile
        if profile is None or profile.check_pin(credential.pin) is None:
            return True
        if credential.lock_pin_id is None and not credential.unconfirmed:
            # Chosen under other options (the PIN length was changed since): choose again.
            taken = self.taken_pins({credential.key.lock_id}, credential.starts, credential.ends)
            length = self.pin_length(credential.key.lock_id, credential.listing_id)
            pin = generate(length, taken=taken).pin
            if profile.check_pin(pin) is None:
                credential.pin, credential.notified = pin, False
                return True
        # No retry can help: wait for the owner (options or profile) instead of hammering.
        credential.state = CredentialState.FAILED
        credential.attempts = max(credential.attempts, 1)
        credential.next_attempt = credential.ends
        credential.last_error = PIN_LENGTH_ERROR
        self._manager.alerts.alert(credential, "create", "pin_length")
        await self._manager.store.async_save()
        return False

    async def _clear(self, credential: Credential, lock: LockRuntime) -> None:
        """Remove what an unconfirmed create may have left, whatever its window or PIN.

        The lock-side id is learnt by asking for the same reference again (the lock answers with
        the id it holds, or makes one); deleting that id then leaves the lock clean.
        """
        manager = self._manager
        if credential.lock_pin_id is None:
            # A refusal proves nothing here (the lock may refuse a reference it holds): it
            # raises, and the credential stays "maybe on the lock" for the next attempt.
            created = await lock.backend.create_credential(self._request(credential))
            credential.lock_pin_id = created.lock_pin_id
            await manager.store.async_save()
        await self._delete(credential, lock)
        credential.lock_pin_id = None
        credential.unconfirmed = False
        await manager.store.async_save()

    @staticmethod
    def _never_sent(err: LockError, lock: LockRuntime) -> bool:
        """Whether a create that is never sent twice provably never left (lock not reached).

        Such a backend sends it once, and says "offline" only when the connection could not
        carry it; once it left, a loss is a timeout.
        """
        return isinstance(err, LockOfflineError) and not lock.backend.capabilities.resend_create

    def stray(self, credential: Credential) -> bool:
        """Whether the lock may hold this credential under an id that nothing can tell us.

        A Lock Pro chooses the id of a temporary password and names it only in the create's
        answer; no DP lists temporary passwords or finds one by its digits (Tuya's BLE lock
        demo, docs/tuya-payloads.md). Once that answer is lost, neither a delete nor a
        second create (a twin) can be aimed at the first copy.
        """
        lock = self._manager.locks.get(credential.key.lock_id)
        return (
            credential.unconfirmed
            and credential.lock_pin_id is None
            and lock is not None
            and not lock.backend.capabilities.resend_create
        )

    @staticmethod
    def _maybe_deleted(credential: Credential, lock: LockRuntime, err: LockError) -> bool:
        """Whether a refused delete may only mean that an earlier one went through.

        An earlier delete whose answer was lost, or died with the process before the save,
        leaves nothing to delete, and a lock with no "absent" answer (Zigbee DP 25) refuses
        that. Where we choose the lock-side id (`resend_create`) its lock_pin_id is asked for again:
        a lock that holds it refuses the create, one that does not makes it anew. A backend
        that already proved the id taken (`DeleteRefusedError`) leaves nothing to ask: the
        delete itself is tried again.
        """
        return (
            isinstance(err, LockRejectedError)
            and not isinstance(err, DeleteRefusedError)
            and credential.lock_pin_id is not None
            and lock.backend.capabilities.resend_create
        )

    @staticmethod
    def still_on_lock(credential: Credential) -> bool:
        """Whether the revoke that just failed left the PIN on the lock for certain.

        A refusal leaves it, and so does a lock that could not be reached (the delete never
        left); a delete whose answer was lost may have gone through.
        """
        return credential.last_error in _KEPT_BY_FAILED_REVOKE and not credential.unconfirmed

    async def _wait_out(self, credential: Credential, until: datetime) -> None:
        """Leave a stray credential to the lock, which stops it at its window's end; tell the owner.

        Nothing is sent until `until` (the latest window the lock's copy may have): then the
        credential counts as revoked, the lock having ended the credential itself.
        """
        if credential.state is not CredentialState.ORPHANED:
            credential.state = CredentialState.FAILED
        credential.attempts = max(credential.attempts, 1)
        credential.next_attempt = until
        credential.last_error = UNCONFIRMED_ERROR
        self._manager.alerts.maybe_on_lock(credential, until)
        self._manager.store.audit("maybe_on_lock", credential.key)
        await self._manager.store.async_save()

    async def _move(self, action: Action) -> None:
        """Change the window on the lock; the store keeps the old one until the lock confirms."""
        manager = self._manager
        credential, desired = manager.credentials[action.key], action.desired
        assert desired is not None  # noqa: S101 - plan() gives MOVE a desired credential
        lock = manager.locks[action.key.lock_id]
        request = self._request(credential, desired.starts, desired.ends)
        try:
            if lock.backend.capabilities.modify_window and credential.lock_pin_id:
                lock_pin_id = await lock.backend.modify_credential(credential.lock_pin_id, request)
                credential.lock_pin_id = lock_pin_id
                credential.starts, credential.ends = desired.starts, desired.ends
            else:
                if credential.lock_pin_id:
                    await lock.backend.delete_credential(credential.lock_pin_id, credential.ref)
                # Off the lock: pushed again with its new window in the same sync.
                credential.lock_pin_id = None
                credential.state = CredentialState.SCHEDULED
                credential.starts, credential.ends = desired.starts, desired.ends
        except LockError as err:
            manager.alerts.failed(credential, "update", err)
            await manager.store.async_save()
            return
        manager.alerts.succeeded(credential)
        manager.alerts.clear(credential)
        manager.store.audit("window_moved", action.key)
        await manager.store.async_save()

    async def revoke(self, credential: Credential) -> None:
        """Take the credential off its lock (also when a create was never confirmed)."""
        manager = self._manager
        lock = manager.locks[credential.key.lock_id]
        if self.stray(credential):
            until = credential.ends
            if credential.last_error == UNCONFIRMED_ERROR and credential.next_attempt:
                until = max(until, credential.next_attempt)  # a copy with a longer window
            if dt_util.utcnow() < until:
                credential.state = CredentialState.ORPHANED
                await self._wait_out(credential, until)
                return
            credential.unconfirmed = False  # its window is over: the lock stopped it itself
            manager.store.audit("expired_on_lock", credential.key)
        try:
            if credential.unconfirmed:
                await self._clear(credential, lock)
            elif credential.lock_pin_id is not None:
                await self._delete(credential, lock)
        except OfflineCredentialStillValidError as err:
            await self._still_valid(credential, err)
            return
        except LockError as err:
            if self._maybe_deleted(credential, lock, err):
                # Refused: the PIN may be gone already (a lock that has no "absent" answer
                # refuses a delete of nothing). Its lock_pin_id is asked for again with the same
                # reference, then deleted (see `_clear`).
                credential.unconfirmed, credential.lock_pin_id = True, None
            manager.alerts.failed(credential, "revoke", err)
            await manager.store.async_save()
            return
        credential.state = CredentialState.REVOKED
        credential.lock_pin_id = None
        manager.alerts.succeeded(credential)
        manager.alerts.clear(credential)
        manager.store.audit("revoked", credential.key)
        await manager.store.async_save()
        manager.alerts.fire(EVENT_PIN_REVOKED, credential)

    async def _still_valid(
        self, credential: Credential, err: OfflineCredentialStillValidError
    ) -> None:
        """An offline PIN works on until its end: say so once, and revoke again at that end."""
        manager = self._manager
        credential.next_attempt = err.until or credential.ends
        if credential.last_error != OFFLINE_ERROR:
            credential.last_error = OFFLINE_ERROR
            manager.store.audit("offline_pin_still_valid", credential.key)
            manager.alerts.still_valid(credential, credential.next_attempt, err.clear_code)
        await manager.store.async_save()

    async def _delete(self, credential: Credential, lock: LockRuntime) -> None:
        """Delete the credential; one the backend cannot delete ends with its window on the lock."""
        assert credential.lock_pin_id is not None  # noqa: S101 - callers know its lock_pin_id
        try:
            await lock.backend.delete_credential(credential.lock_pin_id, credential.ref)
        except UnsupportedOperationError:
            self._manager.store.audit("expires_on_lock", credential.key)

    async def _revoke(self, action: Action) -> None:
        await self.revoke(self._manager.credentials[action.key])

    async def forget(self, credential: Credential, event: str) -> None:
        """Mark revoked without a lock call: the credential never reached the lock."""
        credential.state = CredentialState.REVOKED
        self._manager.alerts.succeeded(credential)
        self._manager.alerts.clear(credential)
        self._manager.store.audit(event, credential.key)
        await self._manager.store.async_save()

    async def _forget(self, action: Action) -> None:
        await self.forget(self._manager.credentials[action.key], "cancelled_before_push")

    async def _expire(self, action: Action) -> None:
        credential = self._manager.credentials[action.key]
        error = credential.last_error or "window ended before the PIN reached the lock"
        await self.forget(credential, "expired_unpushed")
        credential.last_error = error

    def _request(
        self, credential: Credential, starts: datetime | None = None, ends: datetime | None = None
    ) -> CredentialRequest:
        return CredentialRequest(
            ref=credential.ref,
            pin=credential.pin,
            window=CredentialWindow(
                starts=starts or credential.starts, ends=ends or credential.ends
            ),
            name=credential.guest_name or credential.key.reservation_id,
        )
