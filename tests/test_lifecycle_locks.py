"""Locks that cannot take a PIN, locks that are away, and the alerts that follow.

Through the real lifecycle, the simulated Stays and simulated LAN locks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartlock_tuya.const import DOMAIN, SUBENTRY_LOCK
from custom_components.smartlock_tuya.scheduler import CredentialKey, CredentialState
from simulators.stays_server import StaysSimulator
from simulators.tuya_lock import SimulatedLock

from .conftest import (
    FRONT_DOOR,
    LOCAL_KEY,
    LOCK_SUBENTRY,
    Clock,
    account_entry,
    lan_lock_data,
    set_up,
)
from .helpers import JOAO, MARIA, at, credential, manager_of, pins_on, settle, travel

GATE_SUBENTRY = "01JLOCKSUBENTRY0000000002"
MARIA_AT_GATE = CredentialKey("R-maria", GATE_SUBENTRY)


@pytest.fixture
async def gate(socket_enabled: None, lock_profile: str) -> AsyncIterator[SimulatedLock]:
    """A second lock on the beach house: its gate."""
    lock = SimulatedLock(
        device_id="gate-1",
        local_key=LOCAL_KEY,
        version="3.4",
        clock=lambda: dt_util.utcnow().timestamp(),
    )
    await lock.start()
    yield lock
    await lock.stop()


def _two_locks(
    stays: StaysSimulator, door: SimulatedLock, gate: SimulatedLock, profile: str
) -> MockConfigEntry:
    return account_entry(
        stays,
        {
            "data": lan_lock_data(door, profile),
            "subentry_id": LOCK_SUBENTRY,
            "subentry_type": SUBENTRY_LOCK,
            "title": "Front door",
            "unique_id": FRONT_DOOR,
        },
        {
            "data": lan_lock_data(gate, profile, name="Gate"),
            "subentry_id": GATE_SUBENTRY,
            "subentry_type": SUBENTRY_LOCK,
            "title": "Gate",
            "unique_id": "gate-1",
        },
    )


async def test_regenerate_with_one_lock_away_tells_every_door(
    hass: HomeAssistant,
    request: pytest.FixtureRequest,
    account: StaysSimulator,
    stays: StaysSimulator,
    lan_lock: SimulatedLock,
    gate: SimulatedLock,
    lock_profile: str,
) -> None:
    """Case 10: the door gets the new PIN, the gate keeps the old; the guest learns both."""
    calls: list[ServiceCall] = []
    hass.services.async_register("notify", "guest_sms", calls.append)
    entry = _two_locks(stays, lan_lock, gate, lock_profile)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        options={
            **entry.options,
            "notify_service": "notify.guest_sms",
            "message_template": "{{ pin }}",
        },
    )
    await set_up(request, hass, entry)
    await settle(hass)
    old = credential(entry, MARIA).pin
    assert len(calls) == 1

    await gate.set_offline("refuse")
    await manager_of(entry).requests.async_regenerate("R-maria")
    await settle(hass)
    new = credential(entry, MARIA).pin
    assert new != old
    assert set(pins_on(lan_lock)) == {new}
    assert set(pins_on(gate)) == {old}  # still works there: it was never taken off
    assert manager_of(entry).credentials[MARIA_AT_GATE].state is CredentialState.ACTIVE
    assert calls[-1].data["message"] == f"Front door: {new}, Gate: {old}"
    await hass.config_entries.async_unload(entry.entry_id)


async def test_pin_length_is_a_preference(
    hass: HomeAssistant,
    request: pytest.FixtureRequest,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Case 15 / issue 8 item 6: 4 digits asked of a 6-10 digit lock gives the nearest, 6."""
    lock_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        lock_entry, options={**lock_entry.options, "pin_length": 4}
    )
    entry = await set_up(request, hass, lock_entry)
    await settle(hass)
    maria = credential(entry, MARIA)
    assert maria.state is CredentialState.ACTIVE
    assert len(maria.pin) == 6
    assert maria.pin in pins_on(lan_lock)
    assert len(credential(entry, JOAO).pin) == 6
    assert issue_registry.async_get_issue(DOMAIN, f"pin_R-maria_{LOCK_SUBENTRY}") is None

    # A longer preference the lock takes is used as it is.
    hass.config_entries.async_update_entry(entry, options={**entry.options, "pin_length": 8})
    await settle(hass)
    assert manager_of(entry).operations.pin_length(LOCK_SUBENTRY, "L-beach") == 8


async def test_new_dates_move_the_window_on_the_lock(
    hass: HomeAssistant, started: MockConfigEntry, account: StaysSimulator, lan_lock: SimulatedLock
) -> None:
    """New dates reach the lock (a Lock Pro modifies in place), with the same PIN."""
    pin = credential(started, MARIA).pin
    await account.change_reservation("R-maria", checkOutDate="2026-03-13")
    await started.runtime_data.coordinator.async_refresh()
    await settle(hass)
    assert pins_on(lan_lock) == {pin: (at(9, 14), at(13, 11, 30))}
    assert credential(started, MARIA).state is CredentialState.ACTIVE


async def test_alert_clears_after_a_date_change_and_at_window_end(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    clock: Clock,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Case 22: an alert goes when its dates change, and when the window it was about ends."""
    issue_id = f"pin_R-joao_{LOCK_SUBENTRY}"
    await travel(hass, clock, at(13, 13, 0))
    lan_lock.reject_next(10_000)  # every create refused, until the window ends
    await travel(hass, clock, at(13, 14, 10), step=timedelta(minutes=1))
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    await account.change_reservation("R-joao", checkOutDate="2026-03-15")
    await started.runtime_data.coordinator.async_refresh()
    await settle(hass)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert issue_id not in hass.data["persistent_notification"]

    await travel(hass, clock, at(13, 14, 30), step=timedelta(minutes=1))
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None  # failing again
    await travel(hass, clock, at(15, 11, 31), step=timedelta(hours=6))
    assert credential(started, JOAO).state is CredentialState.REVOKED
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert issue_id not in hass.data["persistent_notification"]


async def test_regenerate_saves_the_revoke_before_the_lock_deletes(
    hass: HomeAssistant,
    request: pytest.FixtureRequest,
    account: StaysSimulator,
    stays: StaysSimulator,
    lan_lock: SimulatedLock,
    gate: SimulatedLock,
    lock_profile: str,
    hass_storage: dict[str, Any],
) -> None:
    """A restart right after a lock deleted the old PIN finds a revoke under way, not the old PIN.

    The Store at the instant of the delete must already hold the new PIN and a revoke in
    progress: a process dying there restarts into revoke, push the new PIN, tell the guest.
    """
    entry = _two_locks(stays, lan_lock, gate, lock_profile)
    await set_up(request, hass, entry)
    await settle(hass)
    old = credential(entry, MARIA).pin
    saved_at_delete: list[dict[str, Any]] = []
    real = lan_lock.handle_control

    def control(dps: Any, *args: Any) -> Any:
        before = dict(lan_lock.pins)
        answer = real(dps, *args)
        if len(lan_lock.pins) < len(before):  # the old PIN just left the lock
            stored = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]["credentials"]
            saved_at_delete.extend(c for c in stored if c["key"] == str(MARIA))
        return answer

    lan_lock.handle_control = control  # type: ignore[method-assign]
    await manager_of(entry).requests.async_regenerate("R-maria")
    await settle(hass)
    assert len(saved_at_delete) == 1
    assert saved_at_delete[0]["state"] == CredentialState.ORPHANED
    assert saved_at_delete[0]["pin"] not in (old, None)
    assert credential(entry, MARIA).pin == saved_at_delete[0]["pin"]
    assert set(pins_on(lan_lock)) == {credential(entry, MARIA).pin}
    await hass.config_entries.async_unload(entry.entry_id)


async def test_message_names_doors_when_one_door_has_no_pin(
    hass: HomeAssistant,
    request: pytest.FixtureRequest,
    account: StaysSimulator,
    stays: StaysSimulator,
    lan_lock: SimulatedLock,
    gate: SimulatedLock,
    lock_profile: str,
    clock: Clock,
) -> None:
    """A door whose PIN is not on it is left out, and the PIN never reads as for every door."""
    calls: list[ServiceCall] = []
    hass.services.async_register("notify", "guest_sms", calls.append)
    entry = _two_locks(stays, lan_lock, gate, lock_profile)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        options={
            **entry.options,
            "notify_service": "notify.guest_sms",
            "message_template": "{{ pin }}",
        },
    )
    gate.reject_next(4)  # the gate refuses the quick attempts: FAILED for now
    await set_up(request, hass, entry)
    await travel(hass, clock, dt_util.utcnow() + timedelta(minutes=3), step=timedelta(seconds=40))
    maria = credential(entry, MARIA)
    assert manager_of(entry).credentials[MARIA_AT_GATE].state is CredentialState.FAILED
    assert [call.data["message"] for call in calls] == [f"Front door: {maria.pin}"]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_revoked_reservation_stays_revoked_when_its_stay_comes_back(
    hass: HomeAssistant,
    request: pytest.FixtureRequest,
    account: StaysSimulator,
    stays: StaysSimulator,
    lan_lock: SimulatedLock,
    gate: SimulatedLock,
    lock_profile: str,
) -> None:
    """A revoke by reservation covers the PINs a cancellation took off: they stay off.

    Cancelled with the gate away, the door's PIN goes and the gate's stays; the owner then
    revokes the reservation, the booking is re-activated: no door gets the PIN again.
    """
    entry = _two_locks(stays, lan_lock, gate, lock_profile)
    await set_up(request, hass, entry)
    await settle(hass)
    manager = manager_of(entry)
    await gate.set_offline("refuse")
    await account.cancel_reservation("R-maria")
    await entry.runtime_data.coordinator.async_refresh()
    await settle(hass)
    assert credential(entry, MARIA).state is CredentialState.REVOKED
    assert manager.credentials[MARIA_AT_GATE].on_lock
    with pytest.raises(HomeAssistantError, match="Gate"):  # the gate still holds it
        await hass.services.async_call(
            DOMAIN, "revoke_pin", {"reservation_id": "R-maria"}, blocking=True
        )
    await account.reactivate_reservation("R-maria")
    await entry.runtime_data.coordinator.async_refresh()
    await settle(hass)
    assert credential(entry, MARIA).state is CredentialState.REVOKED
    assert pins_on(lan_lock) == {}
    await hass.config_entries.async_unload(entry.entry_id)
