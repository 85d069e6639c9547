"""Fuzzing PIN profile files: a profile is built or refused with `ProfileError`."""

from __future__ import annotations

import json
from pathlib import Path
import tempfile
from typing import Any

from hypothesis import given, strategies as st

from custom_components.smartlock_tuya.tuya import ProfileError, read_profiles
from custom_components.smartlock_tuya.tuya.codecs import CODECS
from custom_components.smartlock_tuya.tuya.profiles import parse_profile

from .profile import UNSHRUNK, anything_or, json_values

_ROLES = ["create", "delete", "modify", "state", "battery", "unlock_temporary", "control"]
_dp_numbers = anything_or(st.integers(-5, 300))
profiles = st.fixed_dictionaries(
    {},
    optional={
        "name": json_values,
        "codec": anything_or(st.sampled_from(sorted(CODECS))),
        "dps": anything_or(
            st.dictionaries(st.sampled_from([*_ROLES, "other"]), _dp_numbers, max_size=7)
        ),
        "pin_length": anything_or(
            st.fixed_dictionaries({}, optional={"min": _dp_numbers, "max": _dp_numbers})
        ),
        "capacity": anything_or(st.integers(-2, 500)),
        "locked_value": json_values,
    },
)


@UNSHRUNK
@given(st.text(max_size=20), anything_or(profiles))
def test_profile(profile_id: str, data: Any) -> None:
    """A profile is either usable as it stands or refused with `ProfileError`."""
    try:
        profile = parse_profile(profile_id, data)
    except ProfileError:
        return
    assert profile.codec in CODECS
    assert 1 <= profile.pin_min <= profile.pin_max
    assert profile.capacity >= 1
    assert profile.check_pin("1" * profile.pin_min) is None
    assert isinstance(profile.can_modify, bool)


@UNSHRUNK
@given(
    st.one_of(
        st.dictionaries(st.text(max_size=10), anything_or(profiles), max_size=3).map(json.dumps),
        json_values.map(json.dumps),
        st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")),
    )
)
def test_profile_file(text: str) -> None:
    """A user's profile file is read whole or refused with `ProfileError`, never a crash."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "smartlock_tuya_profiles.json"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            read = read_profiles(path)
        except ProfileError:
            return
    assert all(isinstance(key, str) for key in read)
