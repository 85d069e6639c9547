"""PIN data-point profiles: which DPs and layout a lock family uses for PINs, read from JSON.

Tuya lock families differ in DP numbers and payload layouts, so they are data: one profile per
real family in `profiles.json`, each naming its public sources and whether they verify it, plus
any a user adds in a JSON file of the same shape. Loading reads files: call it from an executor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import json
from pathlib import Path
from typing import Any, Final

from .codecs import CODECS, describe_lengths
from .errors import ProfileError

BUILTIN_PROFILES = Path(__file__).with_name("profiles.json")
_DP_ROLES = ("create", "delete", "modify", "state", "battery", "unlock_temporary", "control")
MAX_PIN_LENGTH: Final = 16

LEGACY_PROFILES: Final[dict[str, str | None]] = {
    # The old layout was Tuya's 21-byte reference with the id in the server serial.
    "zigbee_dp24": "zigbee_gateway_21",
    # 2-byte ids and a uuid on Lock Pro DPs: no real family matches; the user must choose.
    "unlock_method": None,
}
"""Profile ids of earlier versions -> the closest verified profile, or None where none fits."""


@dataclass(frozen=True, kw_only=True)
class ProfileDps:
    """DP numbers by role; `None` where the family has no such DP."""

    create: int
    delete: int
    modify: int | None = None
    state: int | None = None
    battery: int | None = None
    unlock_temporary: int | None = None
    control: int | None = None


@dataclass(frozen=True, kw_only=True)
class PinProfile:
    """How one family of locks stores temporary PINs, and how sure we are of it."""

    id: str
    label: str
    codec: str
    dps: ProfileDps
    unlocked_value: bool | None = None
    """The state DP's value that means UNLOCKED; `None` where the family reports no state."""
    pin_lengths: frozenset[int]
    capacity: int = 10
    family: str = ""
    subdevice: bool = False
    """A Zigbee sub-device: reached through its gateway, addressed by its node id (cid)."""
    verified: bool = False
    sources: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    ours: tuple[str, ...] = ()
    """What the profile infers rather than reads in a source."""

    @property
    def name(self) -> str:
        """What people see: the label names the family and its DPs."""
        return self.label

    @property
    def pin_min(self) -> int:
        """The shortest PIN length (a bound only: check a PIN with `check_pin`)."""
        return min(self.pin_lengths)

    @property
    def pin_max(self) -> int:
        """The longest PIN length (a bound only: check a PIN with `check_pin`)."""
        return max(self.pin_lengths)

    @property
    def can_modify(self) -> bool:
        """Whether a PIN's window can change in place (else delete and create again)."""
        return self.dps.modify is not None and CODECS[self.codec].can_modify

    @property
    def ref_range(self) -> range:
        """The ids the codec can carry for a PIN; empty where the lock chooses them."""
        return CODECS[self.codec].ref_range

    @property
    def can_control(self) -> bool:
        """Whether the lock can be locked and unlocked remotely."""
        return self.dps.control is not None

    def is_unlocked(self, value: object) -> bool | None:
        """What a state DP value says, or `None` when it says nothing we understand."""
        if self.unlocked_value is None or not isinstance(value, bool):
            return None
        return value == self.unlocked_value

    def check_pin(self, pin: str) -> str | None:
        """Why the PIN does not fit this lock, or `None` when it does."""
        if not pin.isascii() or not pin.isdigit():
            return "a PIN is digits only"
        if len(pin) not in self.pin_lengths:
            return f"this lock takes PINs of {describe_lengths(self.pin_lengths)} digits"
        return None


def parse_profile(profile_id: str, data: Any) -> PinProfile:
    """Build a profile from its JSON; raise `ProfileError` naming what is wrong."""
    if not isinstance(data, Mapping):
        raise ProfileError(f"profile {profile_id!r} is not an object")
    codec = data.get("codec")
    if not isinstance(codec, str) or codec not in CODECS:
        raise ProfileError(f"profile {profile_id!r} names unknown codec {codec!r}")
    lengths = _pin_lengths(profile_id, data)
    if not lengths <= CODECS[codec].pin_lengths:
        raise ProfileError(
            f"profile {profile_id!r}: codec {codec} carries PINs of "
            f"{describe_lengths(CODECS[codec].pin_lengths)} digits only"
        )
    capacity = _int(data, "capacity", 10)
    if capacity < 1:
        raise ProfileError(f"profile {profile_id!r}: capacity must be positive")
    if "locked_value" in data:
        raise ProfileError(
            f"profile {profile_id!r}: locked_value is ambiguous; "
            "name the state value that means unlocked in unlocked_value"
        )
    unlocked_value = data.get("unlocked_value")
    if unlocked_value is not None and not isinstance(unlocked_value, bool):
        raise ProfileError(f"profile {profile_id!r}: unlocked_value must be true or false")
    flags = {key: data.get(key, False) for key in ("verified", "subdevice")}
    for key, value in flags.items():
        if not isinstance(value, bool):
            raise ProfileError(f"profile {profile_id!r}: {key} must be true or false")
    return PinProfile(
        id=profile_id,
        label=str(data.get("label") or data.get("name") or profile_id),
        codec=codec,
        dps=_dps(profile_id, data.get("dps")),
        unlocked_value=unlocked_value,
        pin_lengths=lengths,
        capacity=capacity,
        family=str(data.get("family", "")),
        verified=flags["verified"],
        subdevice=flags["subdevice"],
        sources=_texts(profile_id, data, "sources"),
        models=_texts(profile_id, data, "models"),
        ours=_texts(profile_id, data, "ours"),
    )


def _dps(profile_id: str, raw_dps: Any) -> ProfileDps:
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
    return ProfileDps(**dps)


def _pin_lengths(profile_id: str, data: Mapping[str, Any]) -> frozenset[int]:
    """A bare number is exactly that length; a list is those lengths; min/max is a range."""
    if "pin_lengths" in data and "pin_length" in data:
        raise ProfileError(f"profile {profile_id!r}: give pin_lengths or pin_length, not both")
    raw = data.get("pin_lengths", data.get("pin_length"))
    if raw is None:
        raise ProfileError(f"profile {profile_id!r} needs pin_lengths")
    if isinstance(raw, Mapping):
        low, high = _int(raw, "min", -1), _int(raw, "max", -1)
        if set(raw) != {"min", "max"} or not 1 <= low <= high:
            raise ProfileError(f"profile {profile_id!r}: pin_lengths needs min <= max")
        if high > MAX_PIN_LENGTH:  # checked before the range is built: it could be huge
            raise ProfileError(f"profile {profile_id!r}: PIN lengths are 1 to {MAX_PIN_LENGTH}")
        lengths = frozenset(range(low, high + 1))
    elif isinstance(raw, list):
        if not raw or not all(isinstance(n, int) and not isinstance(n, bool) for n in raw):
            raise ProfileError(f"profile {profile_id!r}: pin_lengths must list whole numbers")
        lengths = frozenset(raw)
    elif isinstance(raw, int) and not isinstance(raw, bool):
        lengths = frozenset({raw})
    else:
        raise ProfileError(f"profile {profile_id!r}: bad pin_lengths {raw!r}")
    if not all(1 <= n <= MAX_PIN_LENGTH for n in lengths):
        raise ProfileError(f"profile {profile_id!r}: PIN lengths are 1 to {MAX_PIN_LENGTH}")
    return lengths


def _texts(profile_id: str, data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ProfileError(f"profile {profile_id!r}: {key} must be a list of text")
    return tuple(value)


def _int(data: Mapping[str, Any], key: str, default: int) -> int:
    value = data.get(key, default)
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
