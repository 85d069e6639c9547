"""Saved lifecycle data: one unreadable record is dropped alone, the rest survive."""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from custom_components.smartlock_tuya.scheduler import CredentialKey, CredentialState
from custom_components.smartlock_tuya.storage import LifecycleStore, parse_data

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
            "audit": [{"at": "2026-03-10T15:00:00+00:00", "event": "pushed"}],
        }
    )
    assert list(data.credentials) == [CredentialKey("R-1", "lock")]
    assert data.credentials[CredentialKey("R-1", "lock")].state is CredentialState.ACTIVE
    assert list(data.stays) == ["R-1"]
    assert data.stays_complete
    assert [entry.event for entry in data.audit] == ["pushed"]


async def test_round_trip_and_remove(hass: HomeAssistant) -> None:
    """What is saved loads back the same; removing the entry removes the file."""
    store = LifecycleStore(hass, "entry")
    await store.async_load()
    store.data = parse_data({"credentials": [GOOD], "stays": [STAY]})
    store.audit("pushed", CredentialKey("R-1", "lock"))
    store.record_webhook("reservation.modified", "R-1", "applied")
    await store.async_save()
    loaded = await LifecycleStore(hass, "entry").async_load()
    assert loaded.credentials == store.data.credentials
    assert loaded.stays == store.data.stays
    assert [w.detail for w in loaded.webhooks] == ["applied"]
    assert store.next_ref("lock") == 2
    await store.async_remove()
    assert (await LifecycleStore(hass, "entry").async_load()).credentials == {}
