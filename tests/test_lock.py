"""Lock devices in Home Assistant: entities, state pushed by the lock, commands, availability."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN, LockState
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.smartlock_tuya.const import DOMAIN
from custom_components.smartlock_tuya.tuya import (
    ConnectionPool,
    LanBackend,
    PinRequest,
    PinWindow,
    load_profiles,
)
from simulators.tuya_lock import SimulatedLock

from .conftest import LOCK_SUBENTRY

PROFILES = load_profiles()
LOCK = "lock.front_door"
BATTERY = "sensor.front_door_battery"
NEXT_CHECK_IN = "sensor.front_door_next_check_in"
PIN_UNLOCK = "event.front_door_pin_unlock"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "init_lock", [Platform.LOCK, Platform.EVENT, Platform.SENSOR], indirect=True
)
async def test_entities(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Each platform's entities for the lock (and, for sensors, the account)."""
    await snapshot_platform(hass, entity_registry, snapshot, init_lock.entry_id)


async def test_device(
    hass: HomeAssistant, init_lock: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """The lock is a Tuya device of its subentry, with the protocol it answered on."""
    device = device_registry.async_get_device(identifiers={(DOMAIN, "lock_front-door-1")})
    assert device is not None
    assert (device.name, device.manufacturer) == ("Front door", "Tuya")
    assert device.model == "Wi-Fi lock or access control, unlock_method_create (DP 1/2/3)"
    assert device.hw_version == "protocol 3.4"
    assert device.config_entries_subentries[init_lock.entry_id] == {LOCK_SUBENTRY}


async def test_states(hass: HomeAssistant, init_lock: MockConfigEntry) -> None:
    """Locked, 90% battery, next guest at the beach house on Saturday afternoon."""
    assert hass.states.get(LOCK).state == LockState.LOCKED
    assert hass.states.get(BATTERY).state == "90"
    assert hass.states.get(NEXT_CHECK_IN).state == "2026-03-14T18:00:00+00:00"
    assert hass.states.get(PIN_UNLOCK).state == STATE_UNKNOWN


async def test_lock_and_unlock(
    hass: HomeAssistant, init_lock: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """The door follows the lock actions, confirmed by the lock's own report."""
    await hass.services.async_call(LOCK_DOMAIN, "unlock", {ATTR_ENTITY_ID: LOCK}, blocking=True)
    assert not lan_lock.locked
    await hass.async_block_till_done()
    assert hass.states.get(LOCK).state == LockState.UNLOCKED
    await hass.services.async_call(LOCK_DOMAIN, "lock", {ATTR_ENTITY_ID: LOCK}, blocking=True)
    assert lan_lock.locked
    assert hass.states.get(LOCK).state == LockState.LOCKED


async def test_keypad_and_thumb_turn_pushed(
    hass: HomeAssistant, init_lock: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """A PIN typed at the door fires the event entity; a manual turn updates the lock."""
    runtime = init_lock.runtime_data.locks[LOCK_SUBENTRY]
    backend = runtime.backend

    now = dt_util.utcnow()
    created = await backend.create_pin(
        PinRequest(
            ref=3,
            pin="482913",
            window=PinWindow(starts=now - timedelta(hours=1), ends=now + timedelta(hours=2)),
            name="Maria",
        )
    )
    assert await lan_lock.keypad("482913")
    await _until(hass, lambda: hass.states.get(PIN_UNLOCK).state != STATE_UNKNOWN)
    event = hass.states.get(PIN_UNLOCK)
    assert event.attributes["event_type"] == "pin_unlock"
    assert event.attributes["slot"] == created.lock_pin_id
    assert "482913" not in repr(event)
    assert hass.states.get(LOCK).state == LockState.UNLOCKED

    await lan_lock.set_locked(True)
    await _until(hass, lambda: hass.states.get(LOCK).state == LockState.LOCKED)


async def _until(hass: HomeAssistant, condition: Callable[[], bool], seconds: float = 10) -> None:
    """Let the lock's push arrive: the session reads it the moment it comes."""
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.1)
            await hass.async_block_till_done()


@pytest.mark.parametrize("lock_profile", ["zigbee_dp24"])
async def test_no_remote_control(hass: HomeAssistant, init_lock: MockConfigEntry) -> None:
    """A lock whose profile has no control DP says so in the user's language."""
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(LOCK_DOMAIN, "unlock", {ATTR_ENTITY_ID: LOCK}, blocking=True)
    assert raised.value.translation_key == "lock_control_unsupported"
    assert raised.value.translation_placeholders == {"lock": "Front door"}


async def test_offline_then_back(
    hass: HomeAssistant, init_lock: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """A lock that goes away turns unavailable at once (no poll), and back when it returns.

    The session reads the lock's hang-up the moment it happens, so the entity is unavailable
    before any command could be sent to it (Home Assistant skips unavailable entities).
    """
    await lan_lock.set_offline("refuse")
    await _until(hass, lambda: hass.states.get(LOCK).state == STATE_UNAVAILABLE)
    assert hass.states.get(BATTERY).state == STATE_UNAVAILABLE

    await lan_lock.set_offline(None)  # the session reconnects by itself, with backoff
    await _until(hass, lambda: hass.states.get(LOCK).state == LockState.LOCKED)


async def test_unreachable_at_start(
    hass: HomeAssistant,
    account: object,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
) -> None:
    """A lock that is down at start-up does not stop the account from loading."""
    await lan_lock.set_offline("refuse")
    lock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(lock_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("calendar.casa_da_praia").state == "on"
    assert hass.states.get(LOCK).state == STATE_UNAVAILABLE


async def test_unload_closes_the_lock(
    hass: HomeAssistant, init_lock: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """Unloading releases the lock's only local connection for other apps."""
    assert await hass.config_entries.async_unload(init_lock.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(LOCK).state == STATE_UNAVAILABLE
    # Another client can now connect: the single slot is free.
    other = LanBackend(
        device_id=lan_lock.device_id,
        host="127.0.0.1",
        port=lan_lock.port,
        local_key="0123456789abcdef",
        profile=PROFILES["unlock_method"],
        pool=ConnectionPool(),  # another app: never the integration's shared connection
    )
    assert (await other.connect()).protocol_version == "3.4"
    await other.close()
