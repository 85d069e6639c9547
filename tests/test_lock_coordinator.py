"""The lock coordinator: what it learns on connecting, and the lock's word on going away."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from homeassistant.components.lock import LockState
from homeassistant.const import STATE_UNAVAILABLE, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartlock_tuya.const import DOMAIN
from custom_components.smartlock_tuya.ha_compat import get_device
from custom_components.smartlock_tuya.lock_coordinator import translation_key_for
from custom_components.smartlock_tuya.tuya import (
    LockAuthError,
    LockError,
    LockOfflineError,
    LockTimeoutError,
)
from simulators.tuya_lock import SimulatedLock

from .conftest import LOCK_SUBENTRY

LOCK = "lock.front_door"


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (LockAuthError("refused"), "lock_auth"),
        (LockOfflineError("gone"), "lock_unreachable"),
        (LockTimeoutError("slow"), "lock_unreachable"),
        (LockError("odd"), "lock_error"),
    ],
)
def test_translation_key_for(error: LockError, key: str) -> None:
    """Each kind of lock failure has the message that tells the user what to do."""
    assert translation_key_for(error) == key


@pytest.mark.parametrize("init_lock", [Platform.CALENDAR], indirect=True)
async def test_connects_before_its_device_exists(
    hass: HomeAssistant, init_lock: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """With no lock entity yet there is no device to describe: connecting goes on regardless."""
    lock = init_lock.runtime_data.locks[LOCK_SUBENTRY]
    assert lock.coordinator.last_update_success
    assert lock.coordinator.info is not None
    assert lock.coordinator.info.protocol_version == "3.4"
    assert get_device(device_registry, (DOMAIN, "lock_front-door-1"), init_lock.entry_id) is None


async def _until(hass: HomeAssistant, condition: Callable[[], bool], seconds: float = 20) -> None:
    """Wait in real time: the keep-alive polls the lock's socket every couple of seconds."""
    async with asyncio.timeout(seconds):
        while not condition():
            await asyncio.sleep(0.2)
            await hass.async_block_till_done()


async def test_keepalive_reports_the_lock_gone_and_back(
    hass: HomeAssistant, init_lock: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """The open session notices a lock going away before any poll, and its return."""
    coordinator = init_lock.runtime_data.locks[LOCK_SUBENTRY].coordinator
    assert hass.states.get(LOCK).state == LockState.LOCKED

    await lan_lock.set_offline("refuse")
    await _until(hass, lambda: hass.states.get(LOCK).state == STATE_UNAVAILABLE)
    assert not coordinator.last_update_success
    assert coordinator.last_exception is not None
    assert coordinator.last_exception.translation_key == "lock_unreachable"

    await lan_lock.set_offline(None)
    await _until(hass, lambda: hass.states.get(LOCK).state == LockState.LOCKED, seconds=60)
    assert coordinator.last_update_success
