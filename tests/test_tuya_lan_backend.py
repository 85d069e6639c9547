"""The LAN backend: the real tinytuya client against the simulated lock, every version."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest

from custom_components.smartlock_tuya.tuya import (
    InvalidPinError,
    LanBackend,
    LockAuthError,
    LockEvent,
    LockFullError,
    LockOfflineError,
    LockRejectedError,
    LockTimeoutError,
    PinRequest,
    PinUnlockEvent,
    PinWindow,
    StatusEvent,
    UnsupportedOperationError,
    load_profiles,
)
from custom_components.smartlock_tuya.tuya.lan import ConnectionPool
from simulators.tuya_lock import SimulatedLock, load_profiles as raw_profiles

KEY = "0123456789abcdef"
DEVICE = "lan-lock-1"
PROFILES = load_profiles()


def _window(hours: int = 3) -> PinWindow:
    now = dt_util.utcnow()
    return PinWindow(starts=now - timedelta(hours=1), ends=now + timedelta(hours=hours))


def _request(ref: int = 7, pin: str = "482913") -> PinRequest:
    return PinRequest(ref=ref, pin=pin, window=_window(), name="Maria")


@pytest.fixture(params=["3.3", "3.4", "3.5"])
def version(request: pytest.FixtureRequest) -> str:
    """Each protocol version in turn."""
    return str(request.param)


@pytest.fixture(params=["unlock_method", "zigbee_dp24"])
def profile_id(request: pytest.FixtureRequest) -> str:
    """Each shipped PIN profile in turn."""
    return str(request.param)


@pytest.fixture
async def sim(socket_enabled: None, version: str, profile_id: str) -> AsyncIterator[SimulatedLock]:
    """A simulated lock speaking `version` with `profile_id`'s data points."""
    lock = SimulatedLock(
        device_id=DEVICE,
        local_key=KEY,
        version=version,
        profile=raw_profiles()[profile_id],
        clock=lambda: dt_util.utcnow().timestamp(),  # the tests' clock, not the wall's
    )
    await lock.start()
    yield lock
    await lock.stop()


@pytest.fixture
async def backend(
    hass: HomeAssistant, sim: SimulatedLock, profile_id: str
) -> AsyncIterator[LanBackend]:
    """Our backend on Home Assistant's executor, version left to `auto`."""
    lan = _backend(hass, sim, profile_id)
    yield lan
    await lan.close()


def _backend(hass: HomeAssistant, sim: SimulatedLock, profile_id: str, **kwargs: Any) -> LanBackend:
    options: dict[str, Any] = {"timeout": 0.5, "confirm_timeout": 2.0} | kwargs
    return LanBackend(
        device_id=DEVICE,
        host="127.0.0.1",
        port=sim.port,
        local_key=options.pop("local_key", KEY),
        profile=PROFILES[profile_id],
        **options,
    )


async def test_status_and_version(backend: LanBackend, sim: SimulatedLock, version: str) -> None:
    """`auto` finds the lock's protocol version and reads its state and battery."""
    info = await backend.connect()
    assert info.protocol_version == version
    status = await backend.status()
    assert (status.locked, status.battery) == (True, 90)
    assert backend.available


async def test_create_confirm_delete(backend: LanBackend, sim: SimulatedLock) -> None:
    """A PIN is on the lock once confirmed, with its window; delete takes it away."""
    await backend.connect()
    request = _request()
    created = await backend.create_pin(request)
    stored = sim.pins[int(created.lock_pin_id)]
    assert stored.pin == "482913"
    assert (stored.start, stored.end) == (request.window.start_ts, request.window.end_ts)

    await backend.delete_pin(created.lock_pin_id, ref=7)
    assert sim.pins == {}
    await backend.delete_pin(created.lock_pin_id, ref=7)  # already gone: done all the same


async def test_keypad_unlock_pushed(backend: LanBackend, sim: SimulatedLock) -> None:
    """A guest typing the PIN reaches listeners through the kept connection."""
    events: list[LockEvent] = []
    unlocked, battery_low = asyncio.Event(), asyncio.Event()

    def listen(event: LockEvent) -> None:
        events.append(event)
        if isinstance(event, PinUnlockEvent):
            unlocked.set()
        if event.status.battery == 55:
            battery_low.set()

    backend.add_listener(listen)
    await backend.connect()
    created = await backend.create_pin(_request())
    assert await sim.keypad("482913")
    assert not await sim.keypad("000000")
    async with asyncio.timeout(5):
        await unlocked.wait()
    unlock = next(event for event in events if isinstance(event, PinUnlockEvent))
    assert unlock.lock_pin_id == created.lock_pin_id
    assert unlock.status.locked is False

    await sim.set_battery(55)
    async with asyncio.timeout(5):
        await battery_low.wait()
    assert isinstance(events[-1], StatusEvent)


@pytest.mark.parametrize("profile_id", ["unlock_method"])
async def test_modify_and_lock_control(backend: LanBackend, sim: SimulatedLock) -> None:
    """Where the profile allows: a window changes in place, and the door locks remotely."""
    await backend.connect()
    created = await backend.create_pin(_request())
    later = PinRequest(ref=7, pin="482913", window=_window(hours=30), name="Maria")
    slot = await backend.modify_pin(created.lock_pin_id, later)
    assert sim.pins[int(slot)].end == later.window.end_ts

    await backend.unlock()
    assert not sim.locked
    await backend.lock()
    assert sim.locked
    assert backend.capabilities.lock_control


@pytest.mark.parametrize("profile_id", ["zigbee_dp24"])
async def test_zigbee_has_no_modify_nor_control(backend: LanBackend) -> None:
    """The Zigbee profile offers neither, and says so."""
    assert not backend.capabilities.modify_window
    with pytest.raises(UnsupportedOperationError):
        await backend.modify_pin("7", _request())
    with pytest.raises(UnsupportedOperationError):
        await backend.unlock()
    with pytest.raises(UnsupportedOperationError):
        await backend.list_pins()


async def test_resent_create_is_recognised(backend: LanBackend, sim: SimulatedLock) -> None:
    """A create whose reply was lost is re-sent; the lock's "already there" counts as done."""
    await backend.connect()
    sim.lose_next_reply()
    created = await backend.create_pin(_request())
    assert sim.pins[int(created.lock_pin_id)].pin == "482913"
    assert len(sim.pins) == 1


async def test_rejected_and_full(backend: LanBackend, sim: SimulatedLock, profile_id: str) -> None:
    """A refused create is an error, a full lock a distinct one, a bad PIN never sent."""
    await backend.connect()
    sim.reject_next()
    with pytest.raises(LockRejectedError):
        await backend.create_pin(_request())
    for ref in range(1, PROFILES[profile_id].capacity + 1):
        await backend.create_pin(_request(ref=ref, pin=f"{100000 + ref}"))
    with pytest.raises(LockFullError):
        await backend.create_pin(_request(ref=999, pin="999999"))
    sent = len(sim.commands)
    with pytest.raises(InvalidPinError):
        await backend.create_pin(_request(pin="12ab56"))
    assert len(sim.commands) == sent


@pytest.mark.parametrize("version", ["3.4"])
async def test_offline_lock(hass: HomeAssistant, sim: SimulatedLock, profile_id: str) -> None:
    """A lock that refuses connections is offline; one that never answers times out."""
    await sim.set_offline("refuse")
    backend = _backend(hass, sim, profile_id)
    with pytest.raises(LockOfflineError):
        await backend.connect()
    assert not backend.available
    await sim.set_offline(None)
    await backend.connect()
    assert backend.available
    await backend.close()


@pytest.mark.parametrize("version", ["3.3", "3.5"])
@pytest.mark.parametrize("profile_id", ["unlock_method"])
async def test_silent_lock(hass: HomeAssistant, sim: SimulatedLock, profile_id: str) -> None:
    """A lock that accepts but never answers is an error, never a success."""
    backend = _backend(hass, sim, profile_id, version=sim.version)
    await sim.set_offline("silent")
    with pytest.raises((LockTimeoutError, LockAuthError, LockOfflineError)):
        await backend.connect()
    await backend.close()


@pytest.mark.parametrize("profile_id", ["unlock_method"])
async def test_wrong_key(hass: HomeAssistant, sim: SimulatedLock, profile_id: str) -> None:
    """A wrong local key fails every version, with a message that names the likely causes."""
    backend = _backend(hass, sim, profile_id, local_key="fedcba9876543210")
    with pytest.raises(LockAuthError, match="local key"):
        await backend.connect()
    await backend.close()


@pytest.mark.parametrize("profile_id", ["unlock_method"])
async def test_second_connection_refused(
    hass: HomeAssistant, sim: SimulatedLock, profile_id: str, version: str
) -> None:
    """While one client holds the lock, another cannot get in (and is told why)."""
    first = _backend(hass, sim, profile_id, version=version)
    await first.connect()
    second = _backend(hass, sim, profile_id, version=version, pool=ConnectionPool())
    with pytest.raises(LockAuthError, match="another app"):
        await second.connect()
    assert (await first.status()).battery == 90
    await first.close()
    await second.close()


@pytest.mark.parametrize("profile_id", ["unlock_method"])
async def test_reconnects_after_drop(backend: LanBackend, sim: SimulatedLock) -> None:
    """A dropped connection is reopened by the next call."""
    await backend.connect()
    await sim.drop_connections()
    with contextlib.suppress(LockTimeoutError, LockOfflineError, LockAuthError):
        await backend.status()  # may notice the drop, or may already reconnect
    status = await backend.status()
    assert status.battery == 90


def test_unknown_version() -> None:
    """Only the known protocol versions are accepted."""
    with pytest.raises(ValueError, match="version"):
        LanBackend(
            device_id="x",
            host="127.0.0.1",
            local_key=KEY,
            profile=PROFILES["zigbee_dp24"],
            version="3.1",
        )
