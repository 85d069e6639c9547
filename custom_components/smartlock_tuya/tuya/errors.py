"""Errors raised by the lock backends, one per way a lock operation can fail."""

from __future__ import annotations


class LockError(Exception):
    """Base of every error a lock backend raises."""


class LockOfflineError(LockError):
    """The lock (or the cloud's view of it) cannot be reached."""


class LockAuthError(LockError):
    """The lock or the cloud refused our credentials.

    On the LAN a wrong local key, a wrong protocol version and a lock busy with another client
    look the same; the message says so rather than guess.
    """


class LockTimeoutError(LockError):
    """The lock did not answer, or did not confirm an operation, in time."""


class LockRejectedError(LockError):
    """The lock answered, and said no."""


class LockFullError(LockRejectedError):
    """The lock has no free place for another PIN."""


class DeleteRefusedError(LockRejectedError):
    """The lock refused to delete a PIN and nothing proves it gone: it may still open the door."""


class DuplicatePinError(LockRejectedError):
    """The lock already holds this PIN and refused it: choose another PIN.

    Both backends raise it (Tuya Cloud's delivery status 4, a Zigbee lock's create status 2),
    so the lifecycle can retry with other digits whichever way the lock is reached.
    """


class UnsupportedOperationError(LockError):
    """The lock, profile or backend cannot do what was asked (e.g. lock remotely)."""


class ProfileError(LockError):
    """A PIN data-point profile is unknown, malformed or names an unknown codec."""


class CodecError(LockError):
    """A payload could not be encoded, or a lock's report could not be decoded."""


class InvalidPinError(LockError):
    """The PIN does not fit the lock: wrong length, not digits."""
