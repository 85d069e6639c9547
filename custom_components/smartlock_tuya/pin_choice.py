"""Which digits and which reference a credential gets, on the locks it is written to.

Kept apart from carrying out the plan (`lock_operations`): the choice reads only what is
stored and what the locks' profiles take, and writes nothing to a lock. One PIN opens every
door of a stay where the locks share a length; a PIN never repeats one that may be on the same
lock in an overlapping window.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from .pins import generate
from .profile_choice import allowed_lengths, length_for
from .scheduler import Credential, Desired

if TYPE_CHECKING:
    from .lifecycle import CredentialManager


class PinChoice:
    """The PINs and references of one account's credentials."""

    def __init__(self, manager: CredentialManager) -> None:
        """Choose from what this account's lifecycle holds."""
        self._manager = manager

    def taken_pins(self, lock_ids: set[str], starts: datetime, ends: datetime) -> set[str]:
        """PINs that may be on these locks in a window overlapping [starts, ends)."""
        return {
            credential.pin
            for credential in self._manager.credentials.values()
            if (credential.live or credential.on_lock)
            and credential.key.lock_id in lock_ids
            and credential.starts < ends
            and starts < credential.ends
        }

    def _lengths(self, lock_id: str) -> frozenset[int]:
        lock = self._manager.locks.get(lock_id)
        return allowed_lengths(lock) if lock is not None else frozenset()

    def pin_length(self, lock_id: str, listing_id: str = "") -> int:
        """The PIN length for this lock: one every lock of the listing takes, if there is one.

        The account's `pin_length` is a preference: the nearest length the locks take wins,
        so that one PIN opens every door; where they share none, this lock's own nearest.
        A lock whose lengths are unknown takes the preference as it is.
        """
        preferred = self._manager.pin_length
        own = self._lengths(lock_id)
        if not own:
            return preferred
        shared = own
        for other in self._manager.locks_by_listing().get(listing_id, ()):
            shared &= self._lengths(other) or shared
        return length_for(shared, preferred) or length_for(own, preferred) or preferred

    def ref_for(self, lock_id: str) -> int:
        """A fresh reference within the ids the lock's codec carries."""
        lock = self._manager.locks.get(lock_id)
        refs = lock.profile.ref_range if lock is not None and lock.profile else None
        return self._manager.store.next_ref(lock_id, refs)

    def pin_for(self, desired: Desired) -> str:
        """The reservation's PIN: the same on every lock of the listing that takes its length."""
        length = self.pin_length(desired.key.lock_id, desired.listing_id)
        for credential in self._manager.credentials.values():
            if (
                credential.key.reservation_id == desired.key.reservation_id
                and credential.live
                and len(credential.pin) == length
            ):
                return credential.pin
        lock_ids = {
            desired.key.lock_id,
            *self._manager.locks_by_listing().get(desired.listing_id, ()),
        }
        taken = self.taken_pins(lock_ids, desired.starts, desired.ends)
        phone = desired.phone or self._manager.messages.phone(desired.key.reservation_id)
        source = self._manager.pin_source
        return generate(length, source=source, phone=phone, taken=taken).pin

    def choose_again(self, credential: Credential) -> None:
        """Other digits after a duplicate, for every lock of the stay still waiting for them.

        The refused PIN is not on this lock; locks that already hold it keep it (the guest's
        message then names each door's PIN), the others take the new one with this lock,
        and the guest is told again.
        """
        old = credential.pin
        lock_ids = {
            credential.key.lock_id,
            *self._manager.locks_by_listing().get(credential.listing_id, ()),
        }
        taken = self.taken_pins(lock_ids, credential.starts, credential.ends) | {old}
        new = generate(len(old), taken=taken).pin
        for other in self._manager.credentials.values():
            if other is credential or (
                other.key.reservation_id == credential.key.reservation_id
                and not credential.staff
                and other.live
                and other.pin == old
                and not other.on_lock
            ):
                other.pin, other.notified = new, False
        self._manager.store.audit("pin_rechosen", credential.key, "duplicate")
