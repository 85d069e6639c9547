"""PIN profiles: one per real lock family, citing sources, with unambiguous lengths and polarity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.smartlock_tuya.tuya.codecs import CODECS
from custom_components.smartlock_tuya.tuya.errors import ProfileError
from custom_components.smartlock_tuya.tuya.profiles import (
    BUILTIN_PROFILES,
    LEGACY_PROFILES,
    load_profiles,
    parse_profile,
    read_profiles,
)

PROFILES = load_profiles()
BASE: dict[str, Any] = {"codec": "lock_pro_temp_password", "dps": {"create": 51, "delete": 52}}


def test_one_profile_per_real_family() -> None:
    """The shipped families, each labelled with its family and DPs and citing sources."""
    assert set(PROFILES) == {
        "zigbee_gateway_21",
        "zigbee_gateway_27",
        "lock_pro_dp51",
        "mk_access_control",
    }
    for profile in PROFILES.values():
        assert profile.sources, profile.id
        assert profile.models, profile.id
        assert "DP" in profile.label
        assert profile.name == profile.label
        assert profile.codec in CODECS
        assert profile.pin_lengths <= CODECS[profile.codec].pin_lengths
    assert json.loads(BUILTIN_PROFILES.read_text())  # the file users copy from is valid JSON


def test_zigbee_gateway_profiles() -> None:
    """IFR 7000 family: DP 24/25/26, state DP 8 (true = unlocked), battery 10, unlock DP 3."""
    for profile_id, codec in (
        ("zigbee_gateway_21", "zigbee_temp_password_21"),
        ("zigbee_gateway_27", "zigbee_temp_password_27"),
    ):
        profile = PROFILES[profile_id]
        dps = profile.dps
        assert (dps.create, dps.delete, dps.modify) == (24, 25, 26)
        assert (dps.state, dps.battery, dps.unlock_temporary) == (8, 10, 3)
        assert profile.codec == codec
        assert profile.subdevice
        assert profile.verified
        assert profile.pin_lengths == frozenset({6})
        assert profile.is_unlocked(True) is True
        assert profile.is_unlocked(False) is False
        assert profile.check_pin("123456") is None
        assert profile.check_pin("1234567") == "this lock takes PINs of 6 digits"
        assert profile.can_modify
        assert not profile.can_control


def test_lock_pro_profile() -> None:
    """Lock Pro: DP 51/52/53, state DP 47 (true = unlocked), battery 8, unlock DP 55."""
    profile = PROFILES["lock_pro_dp51"]
    dps = profile.dps
    assert (dps.create, dps.delete, dps.modify) == (51, 52, 53)
    assert (dps.state, dps.battery, dps.unlock_temporary) == (47, 8, 55)
    assert profile.is_unlocked(True) is True
    assert profile.is_unlocked("true") is None
    assert not profile.subdevice
    assert profile.verified
    assert (profile.pin_min, profile.pin_max) == (6, 10)
    assert profile.check_pin("12345") == "this lock takes PINs of 6 to 10 digits"
    assert profile.check_pin("12a456") == "a PIN is digits only"


def test_access_control_profile_is_unverified() -> None:
    """Only the create layout is public; the profile says so and reports no lock state."""
    profile = PROFILES["mk_access_control"]
    assert not profile.verified
    assert profile.ours
    assert "unverified" in profile.label
    assert profile.unlocked_value is None
    assert profile.is_unlocked(True) is None


def test_legacy_profiles_map_to_verified_profiles_or_none() -> None:
    """Old ids are not profiles any more; each maps to a verified profile, or to none."""
    assert set(LEGACY_PROFILES) == {"zigbee_dp24", "unlock_method"}
    for old, new in LEGACY_PROFILES.items():
        assert old not in PROFILES
        assert new is None or PROFILES[new].verified


@pytest.mark.parametrize(
    ("lengths", "expected"),
    [
        (7, {7}),  # issue 9 case 15: a bare number is exactly that length, not 4-10
        ([6, 8], {6, 8}),
        ({"min": 6, "max": 8}, {6, 7, 8}),
    ],
)
def test_pin_length_forms(lengths: object, expected: set[int]) -> None:
    """A bare number, a list and a range each mean what they say."""
    for key in ("pin_lengths", "pin_length"):
        profile = parse_profile("mine", {**BASE, key: lengths})
        assert profile.pin_lengths == frozenset(expected)
    bare = parse_profile("mine", {**BASE, "pin_length": 7})
    assert bare.check_pin("123456") == "this lock takes PINs of 7 digits"
    assert bare.check_pin("1234567") is None


def test_user_profile_file(tmp_path: Path) -> None:
    """A profile added in a file of the same shape needs no code; it can replace a shipped one."""
    extra = tmp_path / "mine.json"
    extra.write_text(
        json.dumps(
            {
                "my_gate": {**BASE, "pin_lengths": [8], "label": "My gate — DP 51/52"},
                "lock_pro_dp51": {**BASE, "pin_lengths": 6, "unlocked_value": False},
            }
        )
    )
    profiles = load_profiles(extra)
    assert profiles["my_gate"].name == "My gate — DP 51/52"
    assert not profiles["my_gate"].verified
    assert profiles["lock_pro_dp51"].is_unlocked(False) is True
    assert "zigbee_gateway_27" in profiles
    bare = parse_profile("bare", {**BASE, "pin_lengths": 6})
    assert bare.name == "bare"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "not an object"),
        ({"codec": "enigma", "dps": {}}, "unknown codec"),
        ({"codec": "lock_pro_temp_password", "pin_lengths": 6}, "has no dps"),
        ({**BASE, "pin_lengths": 6, "dps": {"create": 1, "teleport": 9}}, "unknown DP roles"),
        ({**BASE, "pin_lengths": 6, "dps": {"create": 1, "delete": 300}}, "1-255"),
        ({**BASE, "pin_lengths": 6, "dps": {"create": 1, "delete": True}}, "1-255"),
        ({**BASE, "pin_lengths": 6, "dps": {"create": 1}}, "needs create and delete"),
        (BASE, "needs pin_lengths"),
        ({**BASE, "pin_lengths": 6, "pin_length": 6}, "not both"),
        ({**BASE, "pin_lengths": {"min": 8, "max": 6}}, "min <= max"),
        ({**BASE, "pin_lengths": {"min": 6}}, "min <= max"),
        ({**BASE, "pin_lengths": {"min": "6", "max": 8}}, "whole number"),
        ({**BASE, "pin_lengths": []}, "list whole numbers"),
        ({**BASE, "pin_lengths": [6, True]}, "list whole numbers"),
        ({**BASE, "pin_lengths": "6"}, "bad pin_lengths"),
        ({**BASE, "pin_lengths": True}, "bad pin_lengths"),
        ({**BASE, "pin_lengths": [0]}, "1 to 16"),
        ({**BASE, "pin_lengths": [4]}, "6 to 10 digits only"),
        ({**BASE, "pin_lengths": 6, "capacity": 0}, "capacity"),
        ({**BASE, "pin_lengths": 6, "locked_value": True}, "ambiguous"),
        ({**BASE, "pin_lengths": 6, "unlocked_value": "yes"}, "unlocked_value"),
        ({**BASE, "pin_lengths": 6, "verified": "yes"}, "verified"),
        ({**BASE, "pin_lengths": 6, "subdevice": 1}, "subdevice"),
        ({**BASE, "pin_lengths": 6, "sources": "a page"}, "sources"),
        ({**BASE, "pin_lengths": 6, "models": [1]}, "models"),
    ],
)
def test_bad_profiles(data: object, message: str) -> None:
    """Each mistake in a profile is named."""
    with pytest.raises(ProfileError, match=message):
        parse_profile("broken", data)


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"])
def test_bad_profile_files(tmp_path: Path, content: str) -> None:
    """An unreadable file is one clear error, not a crash."""
    path = tmp_path / "profiles.json"
    path.write_text(content)
    with pytest.raises(ProfileError, match="profiles"):
        read_profiles(path)
    with pytest.raises(ProfileError):
        read_profiles(tmp_path / "missing.json")


def test_huge_length_range_is_refused_before_it_is_built() -> None:
    """A user file asking for lengths up to 2**40 is an error, not gigabytes of memory."""
    profile = {
        "codec": "lock_pro_temp_password",
        "dps": {"create": 51, "delete": 52},
        "pin_lengths": {"min": 1, "max": 2**40},
    }
    with pytest.raises(ProfileError, match="PIN lengths are 1 to"):
        parse_profile("huge", profile)
