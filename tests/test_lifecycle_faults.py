"""Faults that used to leave a former guest with the door, or a guest without it.

Each test goes through the real lifecycle, the simulated Stays and the simulated LAN lock,
and checks what the lock itself holds. A lost reply costs the lock's confirmation timeout
(about 10 s of real time): the simulated lock applies the command and never answers.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartlock_tuya.scheduler import CredentialKey, CredentialState
from simulators.stays_server import FaultKind, StaysSimulator
from simulators.tuya_lock import SimulatedLock

from .conftest import LOCK_SUBENTRY, Clock, set_up
from .helpers import JOAO, MARIA, at, credential, manager_of, pins_on, settle, travel

#: One create whose reply is lost: tinytuya's send and its one re-send both go unanswered.
LOST_CREATE = 2
#: A Lock Pro's create is sent once (its answer alone names the id the lock chose).
LOST_LOCK_PRO_CREATE = 1
STORE_KEY = "smartlock_tuya.01JSTAYSACCOUNTENTRY00001"


async def _refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Poll Stays now and let the lifecycle act on it."""
    await entry.runtime_data.coordinator.async_refresh()
    await settle(hass)


async def test_unconfirmed_create_waits_out_its_window_on_a_lock_pro(
    hass: HomeAssistant,
    request: pytest.FixtureRequest,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
    clock: Clock,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Case 2 on a Lock Pro: a create applied but never confirmed is never sent again.

    Its lost answer alone named the id the lock chose, so a cancellation cannot delete it:
    the owner is told (door and holder, not the PIN), and the lock stops it at its window's
    end, when the credential counts as revoked.
    """
    lan_lock.lose_next_reply(LOST_LOCK_PRO_CREATE)
    entry = await set_up(request, hass, lock_entry)
    await settle(hass)
    maria = credential(entry, MARIA)
    assert maria.unconfirmed
    assert maria.pin in pins_on(lan_lock)  # the lock did take it

    await account.cancel_reservation("R-maria")
    reservation = await entry.runtime_data.client.reservation("R-maria")
    await manager_of(entry).async_apply_reservation(reservation, "R-maria")  # the webhook
    await travel(hass, clock, at(10, 12, 1))  # past the failed create's backoff
    assert len([c for c in lan_lock.commands if "51" in c]) == 1  # never sent twice
    assert len(lan_lock.pins) == 1
    assert credential(entry, MARIA).state is CredentialState.ORPHANED
    issue = issue_registry.async_get_issue("smartlock_tuya", f"pin_R-maria_{LOCK_SUBENTRY}")
    assert issue is not None
    assert issue.translation_key == "pin_maybe_on_lock"
    until = dt_util.as_local(at(12, 11, 30)).strftime("%Y-%m-%d %H:%M")
    assert (issue.translation_placeholders or {})["until"] == until
    assert await lan_lock.keypad(maria.pin)  # what the repair warns of

    await travel(hass, clock, at(12, 11, 31), step=timedelta(hours=6))
    assert not await lan_lock.keypad(maria.pin)  # the window travelled with the PIN
    assert credential(entry, MARIA).state is CredentialState.REVOKED
    assert not credential(entry, MARIA).unconfirmed
    assert issue_registry.async_get_issue("smartlock_tuya", f"pin_R-maria_{LOCK_SUBENTRY}") is None


async def test_unconfirmed_create_keeps_its_first_window_on_a_lock_pro(
    hass: HomeAssistant,
    request: pytest.FixtureRequest,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
    clock: Clock,
) -> None:
    """Case 8 on a Lock Pro: a shortened stay waits for the window the lock's copy holds."""
    lan_lock.lose_next_reply(LOST_LOCK_PRO_CREATE)
    entry = await set_up(request, hass, lock_entry)
    await settle(hass)
    maria = credential(entry, MARIA)
    assert maria.unconfirmed
    await account.change_reservation("R-maria", checkOutDate="2026-03-11")
    await _refresh(hass, entry)
    await travel(hass, clock, at(11, 12), step=timedelta(hours=6))  # the new end has passed
    assert pins_on(lan_lock) == {maria.pin: (at(9, 14), at(12, 11, 30))}
    assert credential(entry, MARIA).state is CredentialState.FAILED
    assert credential(entry, MARIA).next_attempt == at(12, 11, 30)
    await travel(hass, clock, at(12, 11, 31), step=timedelta(hours=6))
    assert credential(entry, MARIA).state is CredentialState.REVOKED
    assert len([c for c in lan_lock.commands if "51" in c]) == 1


async def test_window_change_saved_only_once_confirmed(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    clock: Clock,
    hass_storage: dict[str, Any],
) -> None:
    """Case 9: while the lock has not confirmed new dates, the store keeps the old ones."""
    manager = manager_of(started)
    old_end = credential(started, MARIA).ends
    await account.change_reservation("R-maria", checkOutDate="2026-03-13")
    lan_lock.lose_next_reply(LOST_CREATE)
    refresh = hass.async_create_task(started.runtime_data.coordinator.async_refresh())
    await asyncio.sleep(3)  # the lock is being asked, and does not answer
    await manager.store.async_save()  # anything else saving meanwhile (a webhook, a lock)
    saved = {c["key"]: c for c in hass_storage[STORE_KEY]["data"]["credentials"]}
    assert saved[str(MARIA)]["ends"] == old_end.isoformat()
    await refresh
    await settle(hass)
    assert credential(started, MARIA).ends == old_end
    await travel(hass, clock, at(10, 12, 2))  # the retry
    assert pins_on(lan_lock)[credential(started, MARIA).pin] == (at(9, 14), at(13, 11, 30))
    assert credential(started, MARIA).ends == at(13, 11, 30)


async def test_moved_reservation_leaves_the_old_lock(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
) -> None:
    """Case 3: a reservation moved to a listing this lock does not serve is revoked here.

    It is not re-checked with Stays again and again either.
    """
    maria = credential(started, MARIA)
    await account.change_reservation("R-maria", listingId="L-loft", _idlisting="L-loft")
    for _ in range(3):
        await _refresh(hass, started)
    assert maria.pin not in pins_on(lan_lock)
    assert credential(started, MARIA).state is CredentialState.REVOKED
    by_id = [r for r in account.requests if r.path.endswith("/R-maria")]
    assert len(by_id) <= 1


async def test_absurd_record_does_not_stop_the_lifecycle(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
) -> None:
    """Case 4 and 16: a check-out in 9999 is skipped alone; bookings and cancellations go on."""
    await account.add_reservation(
        listing_id="L-beach",
        check_in=date(2026, 3, 10),
        check_out=date(9999, 12, 31),
        reservation_id="R-absurd",
    )
    await account.add_reservation(
        listing_id="L-beach",
        check_in=date(2026, 3, 20),
        check_out=date(2026, 3, 22),
        reservation_id="R-new",
    )
    await account.cancel_reservation("R-joao")
    maria = credential(started, MARIA)
    await account.change_reservation("R-maria", checkOutDate="9999-12-31")
    for _ in range(2):
        await _refresh(hass, started)
    # Maria's record turned absurd: what is known of her stay stands, window and all.
    assert pins_on(lan_lock)[maria.pin] == (at(9, 14), at(12, 11, 30))
    manager = manager_of(started)
    assert CredentialKey("R-new", LOCK_SUBENTRY) in manager.credentials
    assert CredentialKey("R-absurd", LOCK_SUBENTRY) not in manager.credentials
    assert credential(started, JOAO).state is CredentialState.REVOKED


async def test_partial_read_does_not_block_a_confirmed_cancellation(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
) -> None:
    """Case 5: a cancellation Stays confirmed by id goes through, even after a partial read."""
    maria = credential(started, MARIA)
    account.add_raw_reservation({"checkInDate": "soon"})
    await _refresh(hass, started)
    assert not manager_of(started).store.data.stays_complete
    await account.cancel_reservation("R-maria")
    reservation = await started.runtime_data.client.reservation("R-maria")
    await manager_of(started).async_apply_reservation(reservation, "R-maria")
    await settle(hass)
    assert maria.pin not in pins_on(lan_lock)
    assert credential(started, MARIA).state is CredentialState.REVOKED


async def test_restart_while_stays_is_down(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    clock: Clock,
) -> None:
    """Case 11: the stored reservations carry the locks through a restart during an outage."""
    maria = credential(started, MARIA)
    account.inject_fault(FaultKind.SERVER_ERROR, count=100_000)
    assert await hass.config_entries.async_reload(started.entry_id)
    await settle(hass)
    assert started.state is ConfigEntryState.LOADED
    assert maria.pin in pins_on(lan_lock)  # fail closed: nothing revoked on old news
    await travel(hass, clock, at(13, 14, 1), step=timedelta(hours=6))
    joao = credential(started, JOAO)
    assert joao.state is CredentialState.ACTIVE  # pending pushes proceed
    assert joao.pin in pins_on(lan_lock)
    assert maria.pin not in pins_on(lan_lock)  # and windows still close on time


async def test_no_stored_data_and_stays_down_retries_setup(
    hass: HomeAssistant,
    request: pytest.FixtureRequest,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
) -> None:
    """With nothing stored there is nothing to carry on with: setup is retried."""
    account.inject_fault(FaultKind.SERVER_ERROR, count=100_000)
    entry = await set_up(request, hass, lock_entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_newer_store_blocks_setup_with_a_repair(
    hass: HomeAssistant,
    request: pytest.FixtureRequest,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Case 23: a store from a newer version is neither loaded nor overwritten."""
    hass_storage[STORE_KEY] = {"version": 9, "minor_version": 1, "key": STORE_KEY, "data": {}}
    entry = await set_up(request, hass, lock_entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert hass_storage[STORE_KEY]["version"] == 9
    assert ir.async_get(hass).async_get_issue("smartlock_tuya", f"store_too_new_{entry.entry_id}")


async def test_reservation_beyond_the_read_window_is_checked_once(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
) -> None:
    """A live reservation a complete read no longer lists is asked about once, then kept."""
    await account.change_reservation("R-joao", checkInDate="2027-03-14", checkOutDate="2027-03-16")
    for _ in range(3):
        await _refresh(hass, started)
    joao = credential(started, JOAO)
    assert joao.state is CredentialState.SCHEDULED
    assert joao.starts == at(14, 14).replace(year=2027)
    assert len([r for r in account.requests if r.path.endswith("/R-joao")]) == 1


async def test_one_unreadable_credential_never_stops_the_rest(
    hass: HomeAssistant,
    request: pytest.FixtureRequest,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
    hass_storage: dict[str, Any],
) -> None:
    """Bad data (an inverted window from an older bug) costs one credential, not the sync."""
    hass_storage[STORE_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": STORE_KEY,
        "data": {
            "credentials": [
                {
                    "key": f"adhoc-bad|{LOCK_SUBENTRY}",
                    "listing_id": "",
                    "ref": 9,
                    "pin": "482913",
                    "starts": "2026-03-11T10:00:00+00:00",
                    "ends": "2026-03-11T09:00:00+00:00",
                    "state": "scheduled",
                    "adhoc": True,
                }
            ]
        },
    }
    entry = await set_up(request, hass, lock_entry)
    await settle(hass)
    bad = manager_of(entry).credentials[CredentialKey("adhoc-bad", LOCK_SUBENTRY)]
    assert bad.attempts == 1
    assert bad.last_error == "create: ValueError"
    assert credential(entry, MARIA).pin in pins_on(lan_lock)


async def test_recheck_stays_cannot_answer_revokes_nothing(
    hass: HomeAssistant, started: MockConfigEntry, account: StaysSimulator
) -> None:
    """Fail closed: a reservation Stays no longer lists is kept until Stays says it is gone."""
    await account.delete_reservation("R-joao")
    account.inject_fault(FaultKind.SERVER_ERROR, count=50, path_prefix="/booking/reservations/R-")
    await _refresh(hass, started)
    assert credential(started, JOAO).state is CredentialState.SCHEDULED
    account.clear_faults()
    await _refresh(hass, started)
    assert credential(started, JOAO).state is CredentialState.REVOKED
    assert manager_of(started).alerts.lock_entity_id("no-such-lock") is None


async def test_clock_set_back_brings_no_ended_pin_back(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    clock: Clock,
) -> None:
    """An NTP correction back into a stay that has ended: its PIN stays off, restart or not."""
    await travel(hass, clock, at(12, 11, 31), step=timedelta(hours=6))
    assert credential(started, MARIA).state is CredentialState.REVOKED
    assert MARIA.reservation_id in {r["_id"] for r in account._reservations}
    clock.move_to(at(12, 9))  # two and a half hours before Maria's window ends
    await _refresh(hass, started)
    assert credential(started, MARIA).state is CredentialState.REVOKED
    assert pins_on(lan_lock) == {}
    await hass.config_entries.async_reload(started.entry_id)
    await settle(hass)
    assert credential(started, MARIA).state is CredentialState.REVOKED
    assert pins_on(lan_lock) == {}


async def test_clock_that_ran_ahead_ends_no_stay_for_good(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A clock days ahead, then corrected: the live stay gets its PIN again, and is told."""
    assert credential(started, MARIA).state is CredentialState.ACTIVE
    pin = credential(started, MARIA).pin
    real = dt_util.utcnow()
    clock.move_to(at(20, 12))  # the clock ran eight days ahead: Maria's stay looks over
    await _refresh(hass, started)
    assert credential(started, MARIA).state is CredentialState.REVOKED
    assert pin not in pins_on(lan_lock)
    clock.move_to(real)  # corrected: far more than a correction would set it back
    await _refresh(hass, started)
    await travel(hass, clock, real + timedelta(minutes=10), step=timedelta(minutes=1))
    assert credential(started, MARIA).state is CredentialState.ACTIVE
    assert credential(started, MARIA).pin in pins_on(lan_lock)
    assert "behind the last plan" in caplog.text
