"""Fuzzing the Store file's parser: a bad record is dropped alone, good ones all survive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, strategies as st

from custom_components.smartlock_tuya.scheduler import CredentialState
from custom_components.smartlock_tuya.storage import parse_data

from .profile import UNSHRUNK, anything_or, json_values

_moments = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


#: Built (and its regex module imported) at collection time: the import reads files, which
#: the event-loop guard of a running test would refuse.
_pins = st.from_regex(r"\A[0-9]{4,10}\Z")
_pins.validate()


@st.composite
def good_credentials(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """A credential as the Store writes it."""
    starts = draw(_moments)
    return {
        "key": f"R-{index}|lock-{draw(st.integers(1, 3))}",
        "listing_id": "L-1",
        "ref": draw(st.integers(1, 0xFFFF)),
        "pin": draw(_pins),
        "starts": starts.isoformat(),
        "ends": (starts + timedelta(hours=draw(st.integers(1, 2000)))).isoformat(),
        "state": draw(st.sampled_from([str(state) for state in CredentialState])),
        "lock_pin_id": draw(st.none() | st.text(min_size=1, max_size=5)),
        "attempts": draw(st.integers(0, 10)),
        "next_attempt": None,
        "last_error": None,
        "notified": draw(st.booleans()),
        "checked_in": False,
        "guest_name": draw(st.none() | st.text(max_size=10)),
        "adhoc": False,
        "revoked_by_user": False,
    }


@st.composite
def good_stays(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """A stay as the Store writes it."""
    check_in = draw(_moments)
    return {
        "reservation_id": f"R-{index}",
        "listing_id": "L-1",
        "check_in": check_in.isoformat(),
        "check_out": (check_in + timedelta(days=draw(st.integers(0, 60)))).isoformat(),
        "guest_name": None,
        "phone": None,
    }


def _spoiled(record: dict[str, Any]) -> st.SearchStrategy[Any]:
    """The record with one field replaced by any JSON, or any JSON at all."""
    return json_values | st.builds(
        lambda key, value: {**record, key: value}, st.sampled_from(sorted(record)), json_values
    )


@st.composite
def store_files(draw: st.DrawFn) -> tuple[dict[str, Any], set[str], set[str]]:
    """A saved file mixing good records and bad ones; returns the good ids too."""
    count = draw(st.integers(0, 6))
    credentials = [draw(good_credentials(index)) for index in range(count)]
    stays = [draw(good_stays(index)) for index in range(count)]
    bad_credentials = [draw(_spoiled(c)) for c in credentials[: draw(st.integers(0, count))]]
    bad_stays = [draw(_spoiled(s)) for s in stays[: draw(st.integers(0, count))]]
    # A spoiled copy comes first: the good record after it must still win.
    raw = {
        "credentials": draw(st.permutations(bad_credentials)) + credentials,
        "stays": draw(st.permutations(bad_stays)) + stays,
        "stays_complete": draw(json_values),
    }
    return (
        raw,
        {c["key"] for c in credentials},
        {s["reservation_id"] for s in stays},
    )


@UNSHRUNK
@given(store_files())
def test_good_records_survive_bad_ones(case: tuple[dict[str, Any], set[str], set[str]]) -> None:
    """Every good credential and stay is read back, whatever bad records sit beside it."""
    raw, credential_keys, stay_ids = case
    data = parse_data(raw)
    assert {str(key) for key in data.credentials} >= credential_keys
    assert set(data.stays) >= stay_ids


@UNSHRUNK
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "credentials": anything_or(st.lists(json_values, max_size=4)),
            "stays": anything_or(st.lists(json_values, max_size=4)),
            "stays_complete": json_values,
            "audit": anything_or(st.lists(json_values, max_size=4)),
            "webhooks": anything_or(st.lists(json_values, max_size=4)),
        },
    )
)
def test_any_store_file_loads(raw: dict[str, Any]) -> None:
    """No Store content stops the load (and with it the whole lifecycle)."""
    parse_data(raw)
