"""Saved lifecycle data: one unreadable record is dropped alone, the rest survive."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
import pytest

from custom_components.smartlock_tuya.scheduler import CredentialKey, CredentialState
from custom_components.smartlock_tuya.storage import (
    MAX_REF,
    RETENTION,
    CredentialStore,
    StoreTooNewError,
    parse_data,
)

GOOD = {
    "key": "R-1|lock",
    "listing_id": "L",
    "ref": 1,
    "pin": "482913",
    "starts": "2026-03-10T17:00:00+00:00",
    "ends": "2026-03-12T14:30:00+00:00",
    "state": "active",
    "lock_pin_id": "3",
}
STAY = {
    "reservation_id": "R-1",
    "listing_id": "L",
    "check_in": "2026-03-10T18:00:00+00:00",
    "check_out": "2026-03-12T14:00:00+00:00",
}


def test_bad_records_dropped_alone() -> None:
    """A broken credential or stay (hand-edited file, older bug) costs only itself."""
    data = parse_data(
        {
            "credentials": [
                GOOD,
                {**GOOD, "key": "no-separator"},
                {**GOOD, "key": "R-2|lock", "starts": "yesterday"},
                {**GOOD, "key": "R-3|lock", "state": "confused"},
                {**GOOD, "key": "R-4|lock", "starts": "2026-03-10T17:00:00"},  # naive
            ],
            "stays": [STAY, {"reservation_id": "R-9"}],
            "stays_complete": True,
            "audit": [
                {"at": "2026-03-10T15:00:00+00:00", "event": "pushed"},
                {"at": "2026-03-10T15:00:00+00:00", "event": "x", "colour": "red"},
                "not a line",
            ],
            "webhooks": [{"at": "now"}, {"at": "now", "event": "reservation.created"}],
            "last_refs": {"lock": 7, "other": "seven", "big": MAX_REF + 1},
            "latest": "yesterday",
        }
    )
    assert list(data.credentials) == [CredentialKey("R-1", "lock")]
    assert data.credentials[CredentialKey("R-1", "lock")].state is CredentialState.ACTIVE
    assert list(data.stays) == ["R-1"]
    assert data.stays_complete
    assert [entry.event for entry in data.audit] == ["pushed", "x"]  # bad lines dropped alone
    assert [entry.event for entry in data.webhooks] == ["reservation.created"]
    assert data.last_refs == {"lock": 7}
    assert data.latest is None  # unreadable: no instant is remembered


async def test_round_trip_and_remove(hass: HomeAssistant) -> None:
    """What is saved loads back the same; removing the entry removes the file."""
    store = CredentialStore(hass, "entry")
    await store.async_load()
    store.data = parse_data(
        {
            "credentials": [GOOD],
            "stays": [STAY],
            "last_refs": {"lock": 1},
            "latest": "2026-03-10T15:00:00+00:00",
        }
    )
    store.audit("pushed", CredentialKey("R-1", "lock"))
    store.record_webhook("reservation.modified", "R-1", "applied")
    await store.async_save()
    loaded = await CredentialStore(hass, "entry").async_load()
    assert loaded.credentials == store.data.credentials
    assert loaded.stays == store.data.stays
    assert loaded.latest == store.data.latest is not None
    assert [w.detail for w in loaded.webhooks] == ["applied"]
    assert store.next_ref("lock") == 2
    store.data.last_refs.clear()
    assert store.next_ref("lock") != 1  # a lock first seen starts at a random reference
    await store.async_remove()
    assert (await CredentialStore(hass, "entry").async_load()).credentials == {}


async def test_file_of_the_previous_release_loads_and_keeps_its_names(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """The code's names changed, the file's did not: 1.1 loads, and is written back as 1.1.

    A staff credential is `adhoc` on disk: read as anything else, a release would take it for
    a guest's, find no reservation in Stays and revoke it.
    """
    staff = {**GOOD, "key": "adhoc-20260310-abc123|lock", "adhoc": True, "ref": 9}
    hass_storage["smartlock_tuya.entry"] = {
        "version": 1,
        "minor_version": 1,
        "key": "smartlock_tuya.entry",
        "data": {"credentials": [GOOD, staff], "last_refs": {"lock": 9}},
    }
    store = CredentialStore(hass, "entry")
    data = await store.async_load()
    kept = data.credentials[CredentialKey("adhoc-20260310-abc123", "lock")]
    assert (kept.staff, kept.ref, kept.lock_pin_id) == (True, 9, "3")
    assert not data.credentials[CredentialKey("R-1", "lock")].staff
    await store.async_save()
    saved = hass_storage["smartlock_tuya.entry"]
    assert (saved["version"], saved["minor_version"]) == (1, 1)
    written = {record["key"]: record for record in saved["data"]["credentials"]}
    assert (
        written["adhoc-20260310-abc123|lock"].items()
        >= {
            "adhoc": True,
            "ref": 9,
            "lock_pin_id": "3",
        }.items()
    )
    assert "staff" not in written["adhoc-20260310-abc123|lock"]


async def test_newer_store_is_refused_not_rewritten(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """A file from a newer version is refused; nothing is written over it."""
    hass_storage["smartlock_tuya.entry"] = {
        "version": 2,
        "minor_version": 1,
        "key": "smartlock_tuya.entry",
        "data": {"credentials": [GOOD], "new_things": [1]},
    }
    store = CredentialStore(hass, "entry")
    with pytest.raises(StoreTooNewError):
        await store.async_load()
    with pytest.raises(RuntimeError):
        await store.async_save()  # a store that did not load is never saved
    assert hass_storage["smartlock_tuya.entry"]["version"] == 2
    assert hass_storage["smartlock_tuya.entry"]["data"]["new_things"] == [1]


def test_references_never_reused() -> None:
    """A freed reference is not handed out again while any stored credential holds it."""
    store = CredentialStore.__new__(CredentialStore)
    store.data = parse_data(
        {"credentials": [{**GOOD, "state": "revoked"}], "last_refs": {"lock": MAX_REF - 1}}
    )
    assert store.next_ref("lock") == MAX_REF
    assert store.next_ref("lock") == 2  # wraps around, past the revoked credential's ref 1


def test_references_stay_within_the_codec_range() -> None:
    """A Zigbee lock's ids (1-999): the count wraps within them, past every id still held."""
    store = CredentialStore.__new__(CredentialStore)
    store.data = parse_data(
        {
            "credentials": [
                {**GOOD, "ref": 1, "state": "revoked"},
                {**GOOD, "key": "R-2|lock", "ref": 2},
                {**GOOD, "key": "R-3|lock", "ref": 999},
            ],
            "last_refs": {"lock": 997},
        }
    )
    zigbee = range(1, 1000)
    assert store.next_ref("lock", zigbee) == 998
    assert store.next_ref("lock", zigbee) == 3  # 999, 1 and 2 are held by stored credentials
    store.data.last_refs["lock"] = 5000  # handed out before the range was known
    assert store.next_ref("lock", zigbee) in zigbee
    assert all(store.next_ref("fresh", zigbee) in zigbee for _ in range(50))
    store.data.credentials.clear()
    store.data.last_refs.clear()
    full = {store.next_ref("tiny", range(1, 3)) for _ in range(2)}
    assert full == {1, 2}
    held = parse_data(
        {"credentials": [{**GOOD, "key": f"R-{ref}|tiny", "ref": ref} for ref in (1, 2)]}
    )
    store.data.credentials.update(held.credentials)
    with pytest.raises(ValueError, match="in use"):
        store.next_ref("tiny", range(1, 3))


def test_prune_after_retention() -> None:
    """Revoked credentials and past stays go once `RETENTION` has passed; live ones stay."""
    store = CredentialStore.__new__(CredentialStore)
    store.data = parse_data(
        {
            "credentials": [
                {**GOOD, "state": "revoked"},
                {**GOOD, "key": "R-2|lock", "state": "revoked", "unconfirmed": True},
                {**GOOD, "key": "R-3|lock", "state": "orphaned"},
            ],
            "stays": [STAY],
        }
    )
    ends = datetime(2026, 3, 12, 14, 30, tzinfo=UTC)
    assert store.prune(ends + RETENTION - timedelta(minutes=31)) == 0
    assert len(store.data.stays) == 1
    assert store.prune(ends + RETENTION + timedelta(minutes=1)) == 1
    assert sorted(k.reservation_id for k in store.data.credentials) == ["R-2", "R-3"]
    assert store.data.stays == {}


@pytest.mark.parametrize(
    "raw",
    [
        {"credentials": [{**GOOD, "key": None}, GOOD]},
        {"credentials": [{**GOOD, "key": 5}, GOOD]},
        {"credentials": [{**GOOD, "ref": float("inf")}, GOOD]},
        {"credentials": [{**GOOD, "attempts": float("inf")}, GOOD]},
        {"credentials": [{**GOOD, "pin": None}, GOOD]},
        {"credentials": [5, GOOD]},
        {"credentials": [GOOD, {**GOOD, "key": "R-2|lock", "guest_name": {"a": 1}}]},
        {"credentials": 5},
        {"credentials": None},
        {"stays": 7},
        {"audit": [5]},
        {"audit": [{"at": "x", "event": "y", "extra": 1}]},
        {"webhooks": [{"event": "y"}]},
        {"audit": None},
        [],
    ],
)
def test_unreadable_parts_never_stop_the_load(raw: Any) -> None:
    """Case 23 (found by the Store fuzzer): whatever the file holds, the load goes on without it."""
    data = parse_data(raw)
    for credential in data.credentials.values():
        assert credential.pin.isdigit()
    if isinstance(raw, dict) and isinstance(raw.get("credentials"), list):
        assert list(data.credentials) == [CredentialKey("R-1", "lock")]
    assert all(isinstance(line.event, str) for line in data.audit)
