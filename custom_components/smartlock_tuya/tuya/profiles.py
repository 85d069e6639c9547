"""PIN data-point profiles: which DPs a lock model uses for PINs, read from JSON.

Tuya lock models differ in DP numbers and payload layouts, so they are data: the profiles
shipped in `profiles.json`, plus any a user adds in a JSON file of the same shape, without a
code change. Loading reads files: call it from an executor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import json
from pathlib import Path
from typing import Any

from .codecs import CODECS
from .errors import ProfileError

BUILTIN_PROFILES = Path(__file__).with_name("profiles.json")
_DP_ROLES = ("create", "delete", "modify", "state", "battery", "unlock_temporary", "control")


@dataclass(frozen=True, kw_only=True)
class ProfileDps:
    """DP numbers by role; `None` where the model has no such DP."""

    create: int
    delete: int
    modify: int | None = None
    state: int | None = None
    battery: int | None = None
    unlock_temporary: int | None = None
    control: int | None = None


@dataclass(frozen=True, kw_only=True)
class PinProfile:
    """How one family of locks stores temporary PINs."""

    id: str
    name: str
    codec: str
    dps: ProfileDps
    locked_value: bool = True
    pin_min: int = 4
    pin_max: int = 10
    capacity: int = 10

    @property
    def can_modify(self) -> bool:
        """Whether a PIN's window can change in place (else delete and create again)."""
        return self.dps.modify is not None and CODECS[self.codec].can_modify

    @property
    def can_control(self) -> bool:
        """Whether the lock can be locked and unlocked remotely."""
        return self.dps.control is not None

    def check_pin(self, pin: str) -> str | None:
        """Why the PIN does not fit this lock, or `None` when it does."""
        if not pin.isascii() or not pin.isdigit():
            return "a PIN is digits only"
        if not self.pin_min <= len(pin) <= self.pin_max:
            return f"this lock takes PINs of {self.pin_min} to {self.pin_max} digits"
        return None


def parse_profile(profile_id: str, data: Any) -> PinProfile:
    """Build a profile from its JSON; raise `ProfileError` naming what is wrong."""
    if not isinstance(data, Mapping):
        raise ProfileError(f"profile {profile_id!r} is not an object")
    codec = data.get("codec")
    if codec not in CODECS:
        raise ProfileError(f"profile {profile_id!r} names unknown codec {codec!r}")
    raw_dps = data.get("dps")
    if not isinstance(raw_dps, Mapping):
        raise ProfileError(f"profile {profile_id!r} has no dps")
    unknown = set(raw_dps) - set(_DP_ROLES)
    if unknown:
        raise ProfileError(f"profile {profile_id!r} has unknown DP roles {sorted(unknown)}")
    dps: dict[str, int] = {}
    for role, number in raw_dps.items():
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= 255:
            raise ProfileError(f"profile {profile_id!r}: DP {role} must be a number 1-255")
        dps[role] = number
    if "create" not in dps or "delete" not in dps:
        raise ProfileError(f"profile {profile_id!r} needs create and delete DPs")
    length = data.get("pin_length", {})
    pin_min, pin_max = _int(length, "min", 4), _int(length, "max", 10)
    if not 1 <= pin_min <= pin_max <= 16:
        raise ProfileError(f"profile {profile_id!r}: bad pin_length")
    capacity = _int(data, "capacity", 10)
    if capacity < 1:
        raise ProfileError(f"profile {profile_id!r}: capacity must be positive")
    locked_value = data.get("locked_value", True)
    if not isinstance(locked_value, bool):
        raise ProfileError(f"profile {profile_id!r}: locked_value must be true or false")
    return PinProfile(
        id=profile_id,
        name=str(data.get("name") or profile_id),
        codec=codec,
        dps=ProfileDps(**dps),
        locked_value=locked_value,
        pin_min=pin_min,
        pin_max=pin_max,
        capacity=capacity,
    )


def _int(data: Any, key: str, default: int) -> int:
    value = data.get(key, default) if isinstance(data, Mapping) else default
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProfileError(f"{key} must be a whole number")
    return value


def read_profiles(path: Path) -> dict[str, PinProfile]:
    """Every profile in one JSON file; one bad profile makes the whole file an error."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ProfileError(f"cannot read profiles from {path.name}: {err}") from err
    if not isinstance(document, Mapping):
        raise ProfileError(f"{path.name} must hold an object of profiles")
    return {profile_id: parse_profile(profile_id, data) for profile_id, data in document.items()}


def load_profiles(*extra: Path) -> dict[str, PinProfile]:
    """The shipped profiles, then each extra file's (a later id replaces an earlier one)."""
    profiles = read_profiles(BUILTIN_PROFILES)
    for path in extra:
        profiles.update(read_profiles(path))
    return profiles
