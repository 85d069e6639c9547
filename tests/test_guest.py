"""The guest's side: the message with the PIN, and the first unlock as a check-in."""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from typing import Any

from homeassistant.components.notify import DATA_COMPONENT as NOTIFY_COMPONENT, NotifyEntity
from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.entity_component import EntityComponent
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.smartlock_tuya.const import (
    EVENT_GUEST_UNLOCKED,
    EVENT_PIN_FAILED,
    SUBENTRY_LOCK,
)
from custom_components.smartlock_tuya.scheduler import CredentialState
from simulators.stays_server import FaultKind, StaysSimulator
from simulators.tuya_lock import SimulatedLock, load_profiles as raw_profiles

from .conftest import FRONT_DOOR, LOCAL_KEY, LOCK_SUBENTRY, Clock, account_entry, lan_lock_data
from .helpers import MARIA, at, credential, pins_on, settle, travel


async def _start(
    hass: HomeAssistant, entry: MockConfigEntry, options: dict[str, Any]
) -> MockConfigEntry:
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={**entry.options, **options})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)
    return entry


async def test_message_sent_once_with_the_pin(
    hass: HomeAssistant, account: StaysSimulator, lock_entry: MockConfigEntry
) -> None:
    """Once the lock confirms the PIN, the guest gets it, once, on the listing's clock."""
    calls: list[ServiceCall] = []
    hass.services.async_register("notify", "guest_sms", calls.append)
    entry = await _start(
        hass,
        lock_entry,
        {
            "notify_service": "notify.guest_sms",
            "message_template": "{{ guest_name }}: {{ pin }} at {{ listing }} ({{ locks }}) "
            "from {{ starts }} to {{ ends }}",
        },
    )
    maria = credential(entry, MARIA)
    assert len(calls) == 1
    assert calls[0].data["message"] == (
        f"Maria: {maria.pin} at Casa da Praia (Front door) from 09/03 14:00 to 12/03 11:30"
    )
    assert calls[0].data["target"] == ["maria@example.com", "+5511999998888"]
    assert calls[0].data["data"] == {"reservation_id": "R-maria"}
    assert maria.notified

    manager = entry.runtime_data.manager
    assert manager is not None
    await manager.async_sync()
    assert len(calls) == 1  # not again
    assert await manager.messages.async_send("R-maria")  # unless asked
    assert len(calls) == 2


async def test_default_message_in_portuguese(
    hass: HomeAssistant, account: StaysSimulator, lock_entry: MockConfigEntry
) -> None:
    """Without a template of their own, Brazilian users' guests read Portuguese."""
    hass.config.language = "pt-BR"
    calls: list[ServiceCall] = []
    hass.services.async_register("notify", "guest_sms", calls.append)
    entry = await _start(hass, lock_entry, {"notify_service": "notify.guest_sms"})
    message = calls[0].data["message"]
    assert message.startswith("Olá Maria! Sua senha da porta de Casa da Praia é ")
    assert credential(entry, MARIA).pin in message


async def test_missing_notify_service_is_a_repair(
    hass: HomeAssistant,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A notify action that went away is a repair issue; the PIN still goes on the lock."""
    entry = await _start(hass, lock_entry, {"notify_service": "notify.gone"})
    assert credential(entry, MARIA).pin in {pin.pin for pin in lan_lock.pins.values()}
    issue = issue_registry.async_get_issue(
        "smartlock_tuya", f"notify_service_missing_{entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders == {"service": "notify.gone"}


@pytest.mark.parametrize("lock_profile", ["zigbee_dp24"])
async def test_first_unlock_is_a_check_in(
    hass: HomeAssistant,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
) -> None:
    """The first unlock with the guest's PIN fires `guest_unlocked`, once."""
    checked_in = async_capture_events(hass, EVENT_GUEST_UNLOCKED)
    entry = await _start(hass, lock_entry, {})
    maria = credential(entry, MARIA)
    assert await lan_lock.keypad(maria.pin)
    async with asyncio.timeout(10):  # the kept connection reads pushes every 2 s
        while not checked_in:
            await asyncio.sleep(0.1)
            await settle(hass)
    assert [event.data["reservation_id"] for event in checked_in] == ["R-maria"]
    assert checked_in[0].data["lock_entity_id"] == "lock.front_door"
    assert maria.pin not in repr(checked_in[0].data)
    assert credential(entry, MARIA).checked_in

    await lan_lock.set_locked(True)
    assert await lan_lock.keypad(maria.pin)
    await asyncio.sleep(3)
    await settle(hass)
    assert len(checked_in) == 1


async def test_phone_pins(
    hass: HomeAssistant,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
) -> None:
    """`phone` PINs are the guest's last digits, read from the single-reservation call."""
    entry = await _start(hass, lock_entry, {"pin_source": "phone"})
    assert credential(entry, MARIA).pin == "998888"  # +55 11 99999-8888
    assert "998888" in {pin.pin for pin in lan_lock.pins.values()}


async def test_failing_notify_never_stops_the_lifecycle(
    hass: HomeAssistant,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
    clock: Clock,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Case 1 and 13: a platform error is one failed message, retried, alerted, then sent.

    The PINs still come and go on time meanwhile.
    """
    broken = True
    calls: list[ServiceCall] = []

    def send(call: ServiceCall) -> None:
        if broken:
            raise RuntimeError("the SMS gateway fell over")  # not a HomeAssistantError
        calls.append(call)

    failed = async_capture_events(hass, EVENT_PIN_FAILED)
    hass.services.async_register("notify", "guest_sms", send)
    entry = await _start(hass, lock_entry, {"notify_service": "notify.guest_sms"})
    maria = credential(entry, MARIA)
    assert maria.state is CredentialState.ACTIVE
    assert not maria.notified
    assert maria.message_attempts == 1

    await travel(hass, clock, at(10, 12, 3), step=timedelta(seconds=40))  # quick retries
    assert maria.message_attempts == 3
    issue_id = "message_R-maria"
    assert issue_registry.async_get_issue("smartlock_tuya", issue_id) is not None
    assert [event.data["operation"] for event in failed] == ["notify"]

    broken = False
    await travel(hass, clock, at(10, 12, 25), step=timedelta(minutes=5))  # the slow retry
    assert len(calls) == 1
    assert credential(entry, MARIA).notified
    assert issue_registry.async_get_issue("smartlock_tuya", issue_id) is None

    # Listeners and the timer were set despite the failures: Maria's window still closes.
    await travel(hass, clock, at(12, 11, 31), step=timedelta(hours=12))
    assert pins_on(lan_lock) == {}


async def test_template_error_is_one_failed_message(
    hass: HomeAssistant,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
) -> None:
    """Case 1: a template that fails only when rendered costs the message, nothing else."""
    calls: list[ServiceCall] = []
    hass.services.async_register("notify", "guest_sms", calls.append)
    entry = await _start(
        hass,
        lock_entry,
        {"notify_service": "notify.guest_sms", "message_template": "{{ pin | as_datetime(1/0) }}"},
    )
    assert calls == []
    assert credential(entry, MARIA).message_attempts == 1
    assert credential(entry, MARIA).pin in pins_on(lan_lock)


async def test_no_message_without_a_target(
    hass: HomeAssistant,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
    clock: Clock,
) -> None:
    """Case 13: when Stays cannot say whom to reach, nothing goes out until it can."""
    calls: list[ServiceCall] = []
    hass.services.async_register("notify", "guest_sms", calls.append)
    account.inject_fault(FaultKind.SERVER_ERROR, count=10, path_prefix="/booking/reservations/R-")
    entry = await _start(hass, lock_entry, {"notify_service": "notify.guest_sms"})
    assert calls == []
    assert not credential(entry, MARIA).notified
    account.clear_faults()
    await travel(hass, clock, at(10, 12, 1))
    assert len(calls) == 1
    assert calls[0].data["target"] == ["maria@example.com", "+5511999998888"]


async def test_one_message_for_two_doors(
    hass: HomeAssistant,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    stays: StaysSimulator,
    lock_profile: str,
) -> None:
    """Case 14: a listing with two locks sends one message, naming both doors."""
    gate = SimulatedLock(
        device_id="gate-1",
        local_key=LOCAL_KEY,
        version="3.4",
        profile=raw_profiles()[lock_profile],
        clock=lambda: dt_util.utcnow().timestamp(),
    )
    await gate.start()
    try:
        entry = account_entry(
            stays,
            {
                "data": lan_lock_data(lan_lock, lock_profile),
                "subentry_id": LOCK_SUBENTRY,
                "subentry_type": SUBENTRY_LOCK,
                "title": "Front door",
                "unique_id": FRONT_DOOR,
            },
            {
                "data": lan_lock_data(gate, lock_profile, name="Gate"),
                "subentry_id": "01JLOCKSUBENTRY0000000002",
                "subentry_type": SUBENTRY_LOCK,
                "title": "Gate",
                "unique_id": "gate-1",
            },
        )
        calls: list[ServiceCall] = []
        hass.services.async_register("notify", "guest_sms", calls.append)
        await _start(
            hass,
            entry,
            {"notify_service": "notify.guest_sms", "message_template": "{{ locks }}: {{ pin }}"},
        )
        pin = credential(entry, MARIA).pin
        assert pin in pins_on(gate)
        assert pin in pins_on(lan_lock)
        assert [call.data["message"] for call in calls] == [f"Front door, Gate: {pin}"]
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await gate.stop()


async def test_notify_entity_keeps_the_pin_out_of_recorded_events(
    hass: HomeAssistant,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
) -> None:
    """Case 20: through a notify entity, no `call_service` event carries the message."""
    sent: list[str] = []

    class GuestNotify(NotifyEntity):
        _attr_name = "Guest WhatsApp"

        async def async_send_message(self, message: str, title: str | None = None) -> None:
            sent.append(message)

    component = EntityComponent[NotifyEntity](logging.getLogger(__name__), "notify", hass)
    hass.data[NOTIFY_COMPONENT] = component
    await component.async_add_entities([GuestNotify()])
    service_calls = async_capture_events(hass, EVENT_CALL_SERVICE)
    entry = await _start(hass, lock_entry, {"notify_service": "notify.guest_whatsapp"})
    pin = credential(entry, MARIA).pin
    assert len(sent) == 1
    assert pin in sent[0]
    assert not [event for event in service_calls if pin in repr(event.data)]


async def test_one_contact_fetch_per_reservation(
    hass: HomeAssistant, account: StaysSimulator, lock_entry: MockConfigEntry
) -> None:
    """Case 26: the phone (for the PIN) and the message's addresses come from one fetch."""
    calls: list[ServiceCall] = []
    hass.services.async_register("notify", "guest_sms", calls.append)
    entry = await _start(
        hass, lock_entry, {"notify_service": "notify.guest_sms", "pin_source": "phone"}
    )
    assert credential(entry, MARIA).pin == "998888"
    assert len(calls) == 1
    assert len([r for r in account.requests if r.path.endswith("/R-maria")]) == 1
