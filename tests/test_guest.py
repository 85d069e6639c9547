"""The guest's side: the message with the PIN, and the first unlock as a check-in."""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.smartlock_tuya.const import EVENT_GUEST_UNLOCKED
from simulators.stays_server import StaysSimulator
from simulators.tuya_lock import SimulatedLock

from .helpers import MARIA, credential, settle


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
    assert await manager.async_send_pin("R-maria")  # unless asked
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
