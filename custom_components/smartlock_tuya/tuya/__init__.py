"""Tuya lock backends (LAN and Cloud) behind one interface, free of Home Assistant."""

from .backend import (
    Capabilities,
    CreatedPin,
    LockBackend,
    LockEvent,
    LockInfo,
    LockPin,
    LockStatus,
    PinRequest,
    PinUnlockEvent,
    PinWindow,
    StatusEvent,
)
from .cloud import CloudBackend
from .errors import (
    CodecError,
    InvalidPinError,
    LockAuthError,
    LockError,
    LockFullError,
    LockOfflineError,
    LockRejectedError,
    LockTimeoutError,
    ProfileError,
    UnsupportedOperationError,
)
from .lan import AUTO, DEFAULT_PORT, VERSIONS, ConnectionPool, LanBackend
from .profiles import PinProfile, load_profiles, read_profiles

__all__ = [
    "AUTO",
    "DEFAULT_PORT",
    "VERSIONS",
    "Capabilities",
    "CloudBackend",
    "CodecError",
    "ConnectionPool",
    "CreatedPin",
    "InvalidPinError",
    "LanBackend",
    "LockAuthError",
    "LockBackend",
    "LockError",
    "LockEvent",
    "LockFullError",
    "LockInfo",
    "LockOfflineError",
    "LockPin",
    "LockRejectedError",
    "LockStatus",
    "LockTimeoutError",
    "PinProfile",
    "PinRequest",
    "PinUnlockEvent",
    "PinWindow",
    "ProfileError",
    "StatusEvent",
    "UnsupportedOperationError",
    "load_profiles",
    "read_profiles",
]
