"""Fuzzing the webhook's body: whatever arrives is read or refused, never an exception."""

from __future__ import annotations

from typing import Any

from hypothesis import example, given, strategies as st

from custom_components.smartlock_tuya.stays_webhook import (
    MAX_ACTION,
    MAX_RESERVATION_ID,
    UNKNOWN_ACTION,
    action_summary,
    parse_body,
    reservation_id_of,
)

from .profile import FUZZ, anything_or, as_json, json_values

_ACTIONS = ["reservation.created", "reservation.modified", "reservation.canceled", "listing.x"]
notifications = st.fixed_dictionaries(
    {},
    optional={
        "action": anything_or(st.sampled_from(_ACTIONS) | st.text()),
        "_dt": json_values,
        "payload": anything_or(
            st.fixed_dictionaries(
                {},
                optional={
                    key: anything_or(st.text(max_size=200))
                    for key in ("_id", "id", "reservationId", "_idreservation")
                },
            )
        ),
    },
)


@FUZZ
@given(st.one_of(notifications.map(as_json), json_values.map(as_json), st.binary(max_size=300)))
@example(b"[" * 100_000)
@example(b'{"action": "reservation.x", "payload": {"_id": 1' + b"0" * 5000 + b"}}")
def test_webhook_body(raw: bytes) -> None:
    """A body is a notification (action and payload) or a reason to refuse it."""
    parsed = parse_body(raw)
    if isinstance(parsed, str):
        return
    action, payload = parsed
    assert isinstance(action, str)
    assert isinstance(payload, dict)
    summary = action_summary(action)
    assert summary == UNKNOWN_ACTION or (summary == action and len(action) <= MAX_ACTION)
    reservation_id = reservation_id_of(payload)
    if reservation_id is not None:
        assert 0 < len(reservation_id) <= MAX_RESERVATION_ID
        assert reservation_id.isprintable()
        assert reservation_id not in (".", "..")


@FUZZ
@given(st.dictionaries(st.text(max_size=16), json_values, max_size=6))
def test_reservation_id_of_any_payload(payload: dict[str, Any]) -> None:
    """Any payload yields a usable reservation id or none."""
    reservation_id = reservation_id_of(payload)
    assert reservation_id is None or reservation_id == reservation_id.strip()
