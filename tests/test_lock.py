"""Lock devices in Home Assistant: entities, state pushed by the lock, commands, availability."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import timedelta
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.components.lock import DOMAIN as LOCK_DOMAIN, LockState
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from syrupy.assertion import SnapshotAssertion

from custom_components.smartlock_tuya.const import (
    CONF_DEVICE_ID,
    CONF_GATEWAY_ID,
    CONF_NAME,
    CONF_NODE_ID,
    DOMAIN,
    SUBENTRY_LOCK,
)
from custom_components.smartlock_tuya.ha_compat import get_device
from custom_components.smartlock_tuya.profile_choice import allowed_lengths
from custom_components.smartlock_tuya.tuya import (
    ConnectionPool,
    CredentialRequest,
    CredentialWindow,
    LanBackend,
    load_profiles,
)
from simulators.stays_server import StaysSimulator
from simulators.tuya_cloud import FakeTuyaCloud
from simulators.tuya_lock import LockPro, SimulatedGateway, SimulatedLock

from .conftest import (
    FRONT_DOOR,
    LOCAL_KEY,
    LOCK_SUBENTRY,
    WIFI,
    Clock,
    account_entry,
    lan_lock_data,
)
from .helpers import snapshot_platform, subentries_of

PROFILES = load_profiles()
LOCK = "lock.front_door"
BATTERY = "sensor.front_door_battery"
NEXT_CHECK_IN = "sensor.front_door_next_check_in"
PIN_UNLOCK = "event.front_door_pin_unlock"
# A user profile adding a remote lock/unlock DP to the Lock Pro family (no shipped profile
# has one: no public source names such a DP for these locks).
REMOTE = "lock_pro_remote"
REMOTE_DP = "46"


class RemoteLockPro(LockPro):
    """A Lock Pro that also obeys a remote lock/unlock DP, `true` meaning unlock (DP 47's sense)."""

    def apply(self, dps: Mapping[str, Any]) -> dict[str, Any]:
        """Move the bolt on the remote DP, then do what a Lock Pro does."""
        report = super().apply(dps)
        if isinstance(value := dps.get(REMOTE_DP), bool):
            report |= self.set_locked(not value)
        return report


@pytest.fixture
async def lan_lock(
    hass: HomeAssistant, socket_enabled: None, lock_profile: str
) -> AsyncIterator[SimulatedLock]:
    """The conftest's Lock Pro; for `REMOTE`, one with a remote DP and the user's profile."""
    path = Path(hass.config.path("smartlock_tuya_profiles.json"))
    if lock_profile == REMOTE:
        profile = _raw_profile("lock_pro_dp51")
        profile["dps"] = {**profile["dps"], "control": int(REMOTE_DP)}
        await hass.async_add_executor_job(path.write_text, json.dumps({REMOTE: profile}))
    lock = SimulatedLock(
        device_id=FRONT_DOOR,
        local_key=LOCAL_KEY,
        version="3.4",
        family=RemoteLockPro() if lock_profile == REMOTE else None,
        clock=lambda: dt_util.utcnow().timestamp(),
    )
    await lock.start()
    yield lock
    await lock.stop()
    await hass.async_add_executor_job(lambda: path.unlink(missing_ok=True))


def _raw_profile(profile_id: str) -> dict[str, Any]:
    builtin = Path(__file__).parent.parent / "custom_components/smartlock_tuya/tuya/profiles.json"
    raw: dict[str, Any] = json.loads(builtin.read_text(encoding="utf-8"))[profile_id]
    return raw


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "init_lock", [Platform.LOCK, Platform.EVENT, Platform.SENSOR], indirect=True
)
async def test_entities(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    release_snapshot: SnapshotAssertion,
) -> None:
    """Each platform's entities for the lock (and, for sensors, the account)."""
    await snapshot_platform(hass, entity_registry, snapshot, release_snapshot, init_lock.entry_id)


async def test_device(
    hass: HomeAssistant, init_lock: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """The lock is a Tuya device of its subentry, with the protocol it answered on."""
    device = get_device(device_registry, (DOMAIN, "lock_front-door-1"), init_lock.entry_id)
    assert device is not None
    assert (device.name, device.manufacturer) == ("Front door", "Tuya")
    assert device.model == "Wi-Fi/BLE Lock Pro (jtmspro) — DP 51/52/53, unlock report DP 55"
    assert device.hw_version == "protocol 3.4"
    assert subentries_of(device, init_lock.entry_id) == {LOCK_SUBENTRY}


async def test_states(hass: HomeAssistant, init_lock: MockConfigEntry) -> None:
    """Locked, 90% battery, next guest at the beach house on Saturday afternoon."""
    assert hass.states.get(LOCK).state == LockState.LOCKED
    assert hass.states.get(BATTERY).state == "90"
    assert hass.states.get(NEXT_CHECK_IN).state == "2026-03-14T18:00:00+00:00"
    assert hass.states.get(PIN_UNLOCK).state == STATE_UNKNOWN
    # The old-style subentry stores no lengths: the Lock Pro profile's apply.
    assert allowed_lengths(init_lock.runtime_data.locks[LOCK_SUBENTRY]) == set(range(6, 11))


@pytest.mark.parametrize("lock_profile", [REMOTE])
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
    created = await backend.create_credential(
        CredentialRequest(
            ref=3,
            pin="482913",
            window=CredentialWindow(starts=now - timedelta(hours=1), ends=now + timedelta(hours=2)),
            name="Maria",
        )
    )
    assert await lan_lock.keypad("482913")
    await _until(hass, lambda: hass.states.get(PIN_UNLOCK).state != STATE_UNKNOWN)
    event = hass.states.get(PIN_UNLOCK)
    assert event.attributes["event_type"] == "pin_unlock"
    assert event.attributes["lock_pin_id"] == created.lock_pin_id
    assert event.attributes["slot"] == created.lock_pin_id  # the name automations already read
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


async def test_no_remote_control(hass: HomeAssistant, init_lock: MockConfigEntry) -> None:
    """A lock whose profile has no control DP says so in the user's language."""
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(LOCK_DOMAIN, "unlock", {ATTR_ENTITY_ID: LOCK}, blocking=True)
    assert raised.value.translation_key == "lock_control_unsupported"
    assert raised.value.translation_placeholders == {"lock": "Front door"}


@pytest.mark.parametrize("lock_profile", [REMOTE])
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
        profile=PROFILES["lock_pro_dp51"],
        pool=ConnectionPool(),  # another app: never the integration's shared connection
    )
    assert (await other.connect()).protocol_version == "3.4"
    await other.close()


async def test_lock_pro_polarity(
    hass: HomeAssistant, init_lock: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """DP 47 `true` is UNLOCKED on a Lock Pro, pushed both ways."""
    assert lan_lock.dps["47"] is False
    assert hass.states.get(LOCK).state == LockState.LOCKED
    await lan_lock.set_locked(False)
    await _until(hass, lambda: hass.states.get(LOCK).state == LockState.UNLOCKED)
    assert lan_lock.dps["47"] is True
    await lan_lock.set_locked(True)
    await _until(hass, lambda: hass.states.get(LOCK).state == LockState.LOCKED)


async def test_zigbee_polarity_through_gateway(
    hass: HomeAssistant, account: StaysSimulator, socket_enabled: None
) -> None:
    """DP 8 `true` is UNLOCKED on a Zigbee lock, read through its gateway by cid."""
    gateway = SimulatedGateway(
        device_id="gateway-1",
        local_key=LOCAL_KEY,
        version="3.3",
        clock=lambda: dt_util.utcnow().timestamp(),
    )
    sub = gateway.add_lock("a4c1380000000001", layout=21, locked=False, battery=64)
    await gateway.start()
    try:
        data = lan_lock_data(
            gateway,
            "zigbee_gateway_21",
            **{
                CONF_NAME: "Garden",
                CONF_DEVICE_ID: "garden-1",
                CONF_GATEWAY_ID: "gateway-1",
                CONF_NODE_ID: "a4c1380000000001",
            },
        )
        entry = account_entry(
            account,
            {
                "data": data,
                "subentry_id": LOCK_SUBENTRY,
                "subentry_type": SUBENTRY_LOCK,
                "title": "Garden",
                "unique_id": "garden-1",
            },
        )
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert sub.dps["8"] is True
        assert hass.states.get("lock.garden").state == LockState.UNLOCKED
        assert hass.states.get("sensor.garden_battery").state == "64"
        await sub.set_locked(True)
        await _until(hass, lambda: hass.states.get("lock.garden").state == LockState.LOCKED)
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await gateway.stop()


async def test_cloud_polarity(
    hass: HomeAssistant, account: StaysSimulator, fake: FakeTuyaCloud, clock: Clock
) -> None:
    """Tuya Cloud's `lock_motor_state` (DP 47) `true` is UNLOCKED."""
    fake.devices[WIFI].locked = False
    entry = account_entry(
        account,
        {
            "data": {
                CONF_NAME: "Back door",
                CONF_DEVICE_ID: WIFI,
                "backend": "cloud",
                "profile": "lock_pro_dp51",
                "listing_ids": ["L-loft"],
            },
            "subentry_id": LOCK_SUBENTRY,
            "subentry_type": SUBENTRY_LOCK,
            "title": "Back door",
            "unique_id": WIFI,
        },
    )
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        data={
            **entry.data,
            "cloud_region": "eu",
            "cloud_access_id": "fake-access-id",
            "cloud_access_secret": fake.access_secret,
        },
    )
    with patch.dict("custom_components.smartlock_tuya.backends.CLOUD_API_HOSTS", {"eu": fake.host}):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert hass.states.get("lock.back_door").state == LockState.UNLOCKED
        # Tuya calls it a Wi-Fi lock: 7 digits, whatever the subentry says.
        assert allowed_lengths(entry.runtime_data.locks[LOCK_SUBENTRY]) == {7}
        fake.devices[WIFI].locked = True
        clock.tick(timedelta(minutes=16))
        async_fire_time_changed(hass)
        await _until(hass, lambda: hass.states.get("lock.back_door").state == LockState.LOCKED)
        assert await hass.config_entries.async_unload(entry.entry_id)
