"""Tuya's documented lock-password rules, checked one by one as pure functions."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, strategies as st
import pytest

from custom_components.smartlock_tuya.tuya import (
    LockAuthError,
    LockError,
    LockFullError,
    LockOfflineError,
    LockRejectedError,
)
from custom_components.smartlock_tuya.tuya.cloud_rules import (
    CloudUnsupportedError,
    DuplicatePinError,
    OfflineCredentialStillValidError,
    PasswordGoneError,
    WindowOverlapError,
    cloud_error,
    delivery_outcome,
    hour_ceil,
    hour_floor,
    password_id,
    password_state,
    plan_offline,
    read_created_id,
    read_device,
    read_offline_code,
    read_passwords,
    read_ticket,
    window_of,
)

NOW = datetime(2026, 3, 10, 15, 25, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("record", "state"),
    [
        # Wi-Fi: 0 deleted, 1 to be sent, 2 sent, 3 to be deleted.
        ({"phase": 0}, "gone"),
        ({"phase": 1}, "pending"),
        ({"phase": 2}, "on_lock"),
        ({"phase": 3}, "removing"),
        # Bluetooth adds 7, failed to be sent.
        ({"phase": 7}, "failed"),
        # Zigbee (the records that carry delivery_status): other meanings for the same numbers.
        ({"phase": 1, "delivery_status": 1}, "pending"),
        ({"phase": 2, "delivery_status": 2}, "on_lock"),
        ({"phase": 3, "delivery_status": 2}, "on_lock"),  # frozen, still on the lock
        ({"phase": 4, "delivery_status": 2}, "gone"),
        ({"phase": 5, "delivery_status": 4}, "failed"),
        ({"phase": 0, "delivery_status": 2}, None),  # no such Zigbee phase
        ({"phase": 9}, None),
        ({"phase": True}, None),
        ({}, None),
    ],
)
def test_phase_per_protocol(record: dict[str, Any], state: str | None) -> None:
    """`phase` is read in the numbering of the password's own protocol."""
    assert password_state(record) == state


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (2, None),
        (3, LockRejectedError),
        (4, DuplicatePinError),
        (5, LockFullError),
        (6, WindowOverlapError),
    ],
)
def test_delivery_outcomes(status: int, error: type[LockError] | None) -> None:
    """A final Zigbee delivery status is success or its own refusal."""
    outcome = delivery_outcome(status)
    if error is None:
        assert outcome is None
    else:
        assert type(outcome) is error


@pytest.mark.parametrize(
    ("code", "error"),
    [
        (2008, CloudUnsupportedError),  # not "already gone"
        (2009, CloudUnsupportedError),  # not an authentication error
        (2001, LockOfflineError),
        (2312, LockOfflineError),
        (1106, LockAuthError),
        (1004, LockAuthError),
        (1010, LockAuthError),
        (1000, PasswordGoneError),
        (2321, PasswordGoneError),
        (2303, LockFullError),
        (2322, DuplicatePinError),
        (1111, LockRejectedError),
        (None, LockRejectedError),
        ([2008], LockRejectedError),
        (True, LockRejectedError),
    ],
)
def test_error_codes(code: object, error: type[LockError]) -> None:
    """Each documented code maps to the error its text means, and nothing broader."""
    mapped = cloud_error({"success": False, "code": code, "msg": "m"})
    assert type(mapped) is error


def test_windows_beyond_datetime() -> None:
    """Timestamps no datetime can hold make no window rather than a crash."""
    assert window_of(0, 10**20) is None
    assert window_of(5, 5) is None


def test_device_kind() -> None:
    """A sub-device (behind a gateway) takes 6 digits; a Wi-Fi lock 7."""
    assert read_device({"category": "ms", "sub": True}).pin_length == 6
    assert read_device({"category": "jtmspro", "sub": False}).pin_length == 7
    assert read_device({}).pin_length == 7
    for odd in (None, [], {"sub": "yes"}):
        with pytest.raises(LockRejectedError):
            read_device(odd)


def test_once_only_where_the_server_window_covers() -> None:
    """`once` runs this hour to +6 h; anywhere else a `multiple` covers the stay."""
    hour = hour_floor(NOW)
    inside = plan_offline(NOW + HOUR, NOW + 4 * HOUR, once=True, now=NOW)
    assert (inside.kind, inside.starts, inside.ends) == ("once", hour, hour + 6 * HOUR)
    late = plan_offline(NOW + HOUR, NOW + 7 * HOUR, once=True, now=NOW)
    assert (late.kind, late.starts, late.ends) == ("multiple", hour + HOUR, hour + 8 * HOUR)
    tomorrow = plan_offline(NOW + 24 * HOUR, NOW + 26 * HOUR, once=True, now=NOW)
    assert tomorrow.kind == "multiple"
    assert plan_offline(NOW, NOW + HOUR, once=False, now=NOW).kind == "multiple"


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.just(UTC),
    )
)
def test_hour_rounding(moment: datetime) -> None:
    """Rounding never cuts a window short: floor at or before, ceil at or after, by the hour."""
    assert hour_floor(moment) <= moment <= hour_ceil(moment)
    assert hour_ceil(moment) - hour_floor(moment) in (timedelta(0), HOUR)
    assert hour_ceil(moment).minute == hour_ceil(moment).second == 0


def test_still_valid_error_keeps_the_clear_code_out_of_the_text() -> None:
    """The clear code opens nothing but is a door secret: never in the message."""
    error = OfflineCredentialStillValidError(NOW, "1234567890")
    assert "1234567890" not in str(error)
    assert NOW.isoformat() in str(error)
    assert "end of its window" in str(OfflineCredentialStillValidError(None, None))


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    ["phase", "delivery_status", "sub", "category", "code", "msg", "effective_time",
     "invalid_time", "offline_temp_password", "offline_temp_password_id", "id", "ticket_key",
     "ticket_id"]
)  # fmt: skip


@given(st.dictionaries(_KEYS, _JSON) | _JSON)
def test_cloud_answers_fuzzed(answer: Any) -> None:
    """Whatever the cloud sends, the readers answer or raise a typed lock error: no crash."""
    record = answer if isinstance(answer, dict) else {"phase": answer}
    assert password_state(record) in (None, "pending", "on_lock", "removing", "gone", "failed")
    assert isinstance(cloud_error(record), LockError)
    found = password_id(answer)
    assert found is None or found.isdigit()
    for reader in (read_device, read_offline_code, read_passwords, read_ticket, read_created_id):
        with contextlib.suppress(LockError):
            reader(answer)
