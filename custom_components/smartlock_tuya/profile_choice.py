"""Which PIN profile and which PIN lengths a lock subentry stands for.

Pure functions of a subentry's data, the loaded profiles and what the lock showed on first
contact, so the lock flow, the migration and the lifecycle decide alike and tests need no lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .backends import uses_cloud
from .const import (
    CONF_GATEWAY_ID,
    CONF_NODE_ID,
    CONF_PIN_LENGTHS,
    CONF_PROFILE,
    MAX_PIN_LENGTH,
    MIN_PIN_LENGTH,
    PROFILE_AUTO,
)
from .lock_coordinator import LockRuntime
from .tuya import CloudBackend, PinProfile
from .tuya.cloud_rules import SUB_DEVICE_PIN_LENGTH, WIFI_PIN_LENGTH
from .tuya.detect import Detection, detect_profile

#: What a Cloud lock takes before Tuya said which kind it is (Zigbee/BLE 6, Wi-Fi 7).
CLOUD_LENGTHS = frozenset({SUB_DEVICE_PIN_LENGTH, WIFI_PIN_LENGTH})
#: What the PIN generator can make, whatever the PIN source.
GENERATED_LENGTHS = frozenset(range(MIN_PIN_LENGTH, MAX_PIN_LENGTH + 1))


def is_subdevice(lock: Mapping[str, Any]) -> bool:
    """Whether the subentry reaches the lock through a gateway, by its node id."""
    return bool(lock.get(CONF_NODE_ID))


def allowed_lengths(
    lock: LockRuntime | Mapping[str, Any], profiles: Mapping[str, PinProfile] | None = None
) -> frozenset[int]:
    """The PIN lengths this lock takes; the account's `pin_length` is only a preference.

    A running lock answers from Tuya's word where its Cloud backend has it, else from its
    subentry. The lock flow stores what it learnt (the profile's lengths on LAN, the device
    kind's on Cloud); older subentries fall back to their profile, or to both Cloud lengths.
    """
    if isinstance(lock, LockRuntime):
        backend = lock.backend
        if isinstance(backend, CloudBackend) and backend.device is not None:
            return frozenset(backend.pin_lengths)
        return lock.pin_lengths
    if CONF_PIN_LENGTHS in lock:
        return frozenset(int(length) for length in lock[CONF_PIN_LENGTHS])
    profile = (profiles or {}).get(str(lock.get(CONF_PROFILE)))
    if uses_cloud(lock):
        if profile is None:
            return CLOUD_LENGTHS
        return CLOUD_LENGTHS & profile.pin_lengths
    return profile.pin_lengths if profile is not None else frozenset()


def length_for(lengths: Iterable[int], preferred: int) -> int | None:
    """The preferred length where the lock takes it, else the nearest (the longer on a tie)."""
    usable = sorted(frozenset(lengths) & GENERATED_LENGTHS)
    if not usable:
        return None
    return min(usable, key=lambda length: (abs(length - preferred), -length))


def store_lengths(
    lock: dict[str, Any], profiles: Mapping[str, PinProfile], preferred: int
) -> dict[str, str]:
    """Store the lock's PIN lengths in its data; a form error if it takes none we can make."""
    lengths = allowed_lengths(lock, profiles)
    if length_for(lengths, preferred) is None:
        return {"base": "no_pin_length"}
    lock[CONF_PIN_LENGTHS] = sorted(lengths)
    return {}


def contradicts(profile: PinProfile, dps: Mapping[str, Any]) -> bool:
    """Whether the lock's own report contradicts the profile (its state DP absent or odd)."""
    if not dps or profile.dps.state is None:
        return False
    return not isinstance(dps.get(str(profile.dps.state)), bool)


def shape_problem(lock: Mapping[str, Any], profile: PinProfile | None) -> dict[str, str]:
    """Form errors where the gateway/node details and the profile contradict each other."""
    if bool(lock.get(CONF_GATEWAY_ID)) != bool(lock.get(CONF_NODE_ID)):
        return {"base": "gateway_details_incomplete"}
    if profile is None or uses_cloud(lock):
        return {}
    if profile.subdevice and not is_subdevice(lock):
        return {CONF_NODE_ID: "subdevice_needs_gateway"}
    if not profile.subdevice and is_subdevice(lock):
        return {CONF_NODE_ID: "not_a_subdevice"}
    return {}


def probe_profile(lock: Mapping[str, Any], profiles: Mapping[str, PinProfile]) -> PinProfile:
    """A profile to connect with before the real one is known (only the state is read).

    The shipped profiles always load, so there is always one to take.
    """
    if (chosen := profiles.get(str(lock.get(CONF_PROFILE)))) is not None:
        return chosen
    shaped = [p for p in profiles.values() if p.subdevice == is_subdevice(lock)]
    return (shaped or list(profiles.values()))[0]


def detect(
    lock: Mapping[str, Any],
    profiles: Mapping[str, PinProfile],
    *,
    dps: Mapping[str, Any] | None,
    category: str | None,
    codes: Iterable[str] = (),
) -> Detection:
    """The family the lock's first report (LAN), its cid shape and Tuya's description point to.

    Tuya's category and specification codes, where the account's Cloud project has them,
    outrank the reported DPs (`detect_profile`).
    """
    return detect_profile(
        dps=dps if not uses_cloud(lock) else None,
        subdevice=is_subdevice(lock),
        category=category,
        codes=codes,
        known=profiles,
    )


def profile_label(profile: PinProfile) -> str:
    """The selector's text: the family label, marked where no public source verifies it."""
    if profile.verified or "unverified" in profile.label.lower():
        return profile.label
    return f"{profile.label}, unverified"


def wanted_profile(lock: Mapping[str, Any]) -> str:
    """The profile id the subentry asks for; `auto` when it leaves the choice to detection."""
    return str(lock.get(CONF_PROFILE) or PROFILE_AUTO)
