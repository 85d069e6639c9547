"""Whole stays, in moved time, against the simulated Stays and the simulated lock.

The beach house's lock serves Maria (in the house: 9-12 March, 15:00-11:00) and João
(14-16 March, the listing's 15:00-11:00). Options: lead 60 min, grace 30 min. Times in
São Paulo (UTC-3). Every step checks the PINs the lock itself holds.
"""

from __future__ import annotations

from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.smartlock_tuya.const import (
    EVENT_PIN_CREATED,
    EVENT_PIN_FAILED,
    EVENT_PIN_REVOKED,
)
from custom_components.smartlock_tuya.scheduler import CredentialKey, CredentialState, Desired
from simulators.stays_server import FaultKind, StaysSimulator
from simulators.tuya_lock import SimulatedLock

from .conftest import LOCK_SUBENTRY, Clock
from .helpers import JOAO, MARIA, at, credential, pins_on, travel


async def test_whole_stays(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    clock: Clock,
) -> None:
    """Booking, lead time, check-in, extension, early check-out, cancellation, re-activation."""
    created = async_capture_events(hass, EVENT_PIN_CREATED)
    revoked = async_capture_events(hass, EVENT_PIN_REVOKED)

    # Maria is in the house: her PIN went to the lock at start-up, with her window.
    maria = credential(started, MARIA)
    assert maria.state is CredentialState.ACTIVE
    assert pins_on(lan_lock) == {maria.pin: (at(9, 14), at(12, 11, 30))}
    assert len(maria.pin) == 6
    assert hass.states.get("sensor.stays_127_0_0_1_active_pins").state == "1"

    # João is booked for Saturday: nothing on the lock until a day before his window.
    joao = credential(started, JOAO)
    assert joao.state is CredentialState.SCHEDULED
    assert joao.pin != maria.pin
    await travel(hass, clock, at(12, 11, 29))
    assert maria.pin in pins_on(lan_lock)

    # Maria's window ends (check-out + grace): her PIN leaves the lock.
    await travel(hass, clock, at(12, 11, 31))
    assert maria.pin not in pins_on(lan_lock)
    assert credential(started, MARIA).state is CredentialState.REVOKED
    assert [event.data["reservation_id"] for event in revoked] == ["R-maria"]

    # A day before João's window (14 March 14:00) his PIN is put on the lock.
    await travel(hass, clock, at(13, 13, 50))
    assert pins_on(lan_lock) == {}
    await travel(hass, clock, at(13, 14, 1))
    assert pins_on(lan_lock) == {joao.pin: (at(14, 14), at(16, 11, 30))}
    assert created[-1].data == {
        "reservation_id": "R-joao",
        "lock_entity_id": "lock.front_door",
        "credential_id": "R-joao|" + LOCK_SUBENTRY,
        "listing_id": "L-beach",
    }

    # João extends his stay by a night: the window on the lock follows.
    await account.change_reservation("R-joao", checkOutDate="2026-03-17")
    await travel(hass, clock, at(13, 14, 12))
    assert pins_on(lan_lock) == {joao.pin: (at(14, 14), at(17, 11, 30))}

    # ...then leaves a day early instead.
    await account.change_reservation("R-joao", checkOutDate="2026-03-15")
    await travel(hass, clock, at(13, 14, 23))
    assert pins_on(lan_lock) == {joao.pin: (at(14, 14), at(15, 11, 30))}

    # Cancelled: a complete read no longer lists it, a re-check confirms, the PIN goes.
    await account.cancel_reservation("R-joao")
    await travel(hass, clock, at(13, 14, 34))
    assert pins_on(lan_lock) == {}
    assert credential(started, JOAO).state is CredentialState.REVOKED

    # Re-activated: the same PIN comes back (the guest may already have it).
    await account.reactivate_reservation("R-joao")
    await travel(hass, clock, at(13, 14, 45))
    assert pins_on(lan_lock) == {joao.pin: (at(14, 14), at(15, 11, 30))}

    # Only one PIN per reservation was ever on the lock at a time.
    assert len(lan_lock.pins) == 1


async def test_second_sync_makes_no_second_pin(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """Syncing again and again (duplicate webhooks, polls) never doubles a PIN."""
    manager = started.runtime_data.manager
    assert manager is not None
    commands = len(lan_lock.commands)
    for _ in range(3):
        await manager.async_sync()
    assert len(lan_lock.commands) == commands
    assert len(lan_lock.pins) == 1


async def test_stays_down_for_a_day(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    clock: Clock,
) -> None:
    """With Stays unreachable nothing is revoked early, and the window still closes on time."""
    maria = credential(started, MARIA)
    account.inject_fault(FaultKind.SERVER_ERROR, count=100_000)
    await travel(hass, clock, at(11, 12))
    assert maria.pin in pins_on(lan_lock)
    await travel(hass, clock, at(12, 11, 31))
    assert pins_on(lan_lock) == {}
    # João is still pushed on time from the last good snapshot.
    await travel(hass, clock, at(13, 14, 1))
    assert credential(started, JOAO).pin in pins_on(lan_lock)


async def test_partial_read_revokes_nothing(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    clock: Clock,
) -> None:
    """A read with an unreadable record proves nothing: Maria's PIN stays although unlisted."""
    maria = credential(started, MARIA)
    account._reservations = [r for r in account._reservations if r["_id"] != "R-maria"]
    account.add_raw_reservation({"checkInDate": "soon"})
    await travel(hass, clock, at(10, 12, 20))
    assert maria.pin in pins_on(lan_lock)
    assert credential(started, MARIA).state is CredentialState.ACTIVE


async def test_lock_offline_at_push_then_back(
    hass: HomeAssistant,
    started: MockConfigEntry,
    lan_lock: SimulatedLock,
    clock: Clock,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Quick retries, then a repair and a notification; they clear when the PIN lands."""
    failed = async_capture_events(hass, EVENT_PIN_FAILED)
    await travel(hass, clock, at(13, 13, 0))
    await lan_lock.set_offline("refuse")
    # Push time passes: the quick attempts (30 s, 1 min, 2 min apart) fail.
    await travel(hass, clock, at(13, 14, 10), step=timedelta(minutes=1))
    joao = credential(started, JOAO)
    assert joao.state is CredentialState.FAILED
    assert joao.attempts >= 3
    issue_id = f"pin_R-joao_{LOCK_SUBENTRY}"
    issue = issue_registry.async_get_issue("smartlock_tuya", issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "lock": "Front door",
        "reservation": "R-joao",
        "guest": "João",
        "operation": "create",
        "error": "LockOfflineError",
    }
    assert [event.data["operation"] for event in failed] == ["create"]
    assert issue_id in hass.data["persistent_notification"]
    assert hass.states.get("sensor.stays_127_0_0_1_pin_problems").state == "1"

    await lan_lock.set_offline(None)
    # The slow retry (every 15 minutes) finds the lock back.
    await travel(hass, clock, at(13, 14, 30), step=timedelta(minutes=5))
    assert joao.pin in pins_on(lan_lock)
    assert credential(started, JOAO).state is CredentialState.ACTIVE
    assert issue_registry.async_get_issue("smartlock_tuya", issue_id) is None
    assert issue_id not in hass.data["persistent_notification"]
    assert hass.states.get("sensor.stays_127_0_0_1_pin_problems").state == "0"


async def test_lock_offline_at_revoke_for_hours(
    hass: HomeAssistant,
    started: MockConfigEntry,
    lan_lock: SimulatedLock,
    clock: Clock,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A PIN that cannot be removed is retried until the lock confirms, hours later."""
    maria = credential(started, MARIA)
    await travel(hass, clock, at(12, 11))
    await lan_lock.set_offline("refuse")
    await travel(hass, clock, at(12, 11, 40), step=timedelta(minutes=1))
    await travel(hass, clock, at(12, 15), step=timedelta(minutes=30))
    assert credential(started, MARIA).state is CredentialState.ORPHANED
    assert issue_registry.async_get_issue("smartlock_tuya", f"pin_R-maria_{LOCK_SUBENTRY}")
    assert maria.pin in pins_on(lan_lock)  # still there: the lock never heard us

    await lan_lock.set_offline(None)
    await travel(hass, clock, at(12, 15, 20), step=timedelta(minutes=5))
    assert pins_on(lan_lock) == {}
    assert credential(started, MARIA).state is CredentialState.REVOKED


async def test_same_pin_on_every_lock_of_a_listing(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """The PIN for a reservation is chosen once and reused on the listing's other locks."""
    manager = started.runtime_data.manager
    assert manager is not None
    joao = credential(started, JOAO)
    other = manager.operations.pin_for(
        Desired(
            key=CredentialKey("R-joao", "another-lock"),
            listing_id="L-beach",
            starts=joao.starts,
            ends=joao.ends,
        )
    )
    assert other == joao.pin
