"""Push-driven LAN sessions against the simulated lock: pushes, heartbeats, drops, races."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

from homeassistant.util import dt as dt_util
import pytest

from custom_components.smartlock_tuya.tuya import (
    ConnectionPool,
    CredentialRequest,
    CredentialUnlockEvent,
    CredentialWindow,
    LanBackend,
    LockEvent,
    LockTimeoutError,
    StatusEvent,
    load_profiles,
)
from simulators.tuya.frames import Command
from simulators.tuya.protocol import status_push
from simulators.tuya_lock import LockPro, SimulatedLock

KEY = "0123456789abcdef"
DEVICE = "lan-session-1"
PROFILES = load_profiles()
PROFILE = "lock_pro_dp51"
BATTERY_DP = str(PROFILES[PROFILE].dps.battery)


def _request(ref: int = 7, pin: str = "482913") -> CredentialRequest:
    now = dt_util.utcnow()
    window = CredentialWindow(starts=now - timedelta(hours=1), ends=now + timedelta(hours=3))
    return CredentialRequest(ref=ref, pin=pin, window=window, name="Maria")


@pytest.fixture(params=["3.3", "3.4", "3.5"])
def version(request: pytest.FixtureRequest) -> str:
    """Each protocol version in turn."""
    return str(request.param)


@pytest.fixture
def idle_timeout() -> float:
    """How long the simulated lock keeps a silent client (real devices: about 30 s)."""
    return 30.0


@pytest.fixture
async def sim(
    socket_enabled: None, version: str, idle_timeout: float
) -> AsyncIterator[SimulatedLock]:
    """A simulated lock speaking `version`."""
    lock = SimulatedLock(
        device_id=DEVICE,
        local_key=KEY,
        version=version,
        family=LockPro(),
        clock=lambda: dt_util.utcnow().timestamp(),
        idle_timeout=idle_timeout,
    )
    await lock.start()
    yield lock
    await lock.stop()


_OPEN: list[LanBackend] = []


@pytest.fixture(autouse=True)
async def close_backends() -> AsyncIterator[None]:
    """Close every backend a test made, even when it fails half-way."""
    yield
    while _OPEN:
        await _OPEN.pop().close()


def _backend(sim: SimulatedLock, **kwargs: Any) -> LanBackend:
    options: dict[str, Any] = {
        "timeout": 0.5,
        "confirm_timeout": 2.0,
        "reconnect_backoff": (0.05, 0.2),
    } | kwargs
    backend = LanBackend(
        device_id=DEVICE,
        host="127.0.0.1",
        port=sim.port,
        local_key=KEY,
        profile=PROFILES[PROFILE],
        pool=ConnectionPool(),
        **options,
    )
    _OPEN.append(backend)
    return backend


class Recorder:
    """Collects events and wakes a waiter when one matches."""

    def __init__(self) -> None:
        """Nothing seen yet."""
        self.events: list[LockEvent] = []
        self.states: list[bool] = []
        self._waiters: list[tuple[Callable[[LockEvent], bool], asyncio.Future[LockEvent]]] = []

    def __call__(self, event: LockEvent) -> None:
        """Listener: keep the event and wake whoever waits for it."""
        self.events.append(event)
        for match, future in list(self._waiters):
            if not future.done() and match(event):
                future.set_result(event)

    async def wait(self, match: Callable[[LockEvent], bool], within: float = 3.0) -> LockEvent:
        """The first event from now on that `match` accepts."""
        future: asyncio.Future[LockEvent] = asyncio.get_running_loop().create_future()
        self._waiters.append((match, future))
        async with asyncio.timeout(within):
            return await future


@pytest.fixture
async def lan(sim: SimulatedLock) -> AsyncIterator[LanBackend]:
    """A connected backend with its own pool."""
    backend = _backend(sim)
    await backend.connect()
    yield backend
    await backend.close()


async def test_push_reaches_listener_without_polling(lan: LanBackend, sim: SimulatedLock) -> None:
    """A keypad unlock is read the moment the lock sends it: nothing was asked for it."""
    created = await lan.create_credential(_request())
    recorder = Recorder()
    lan.add_listener(recorder)
    frames_before = sim.frames_in
    loop = asyncio.get_running_loop()
    started = loop.time()
    waiting = asyncio.ensure_future(recorder.wait(lambda e: isinstance(e, CredentialUnlockEvent)))
    assert await sim.keypad("482913")
    event = await waiting
    latency = loop.time() - started
    assert isinstance(event, CredentialUnlockEvent)
    assert event.lock_pin_id == created.lock_pin_id
    assert event.status.locked is False
    assert sim.frames_in == frames_before  # no poll, no query, no heartbeat in between
    assert latency < 0.5

    battery = asyncio.ensure_future(recorder.wait(lambda e: e.status.battery == 55))
    await sim.set_battery(55)
    assert isinstance(await battery, StatusEvent)


@pytest.mark.parametrize("idle_timeout", [0.6])
async def test_heartbeat_keeps_session_past_idle_timeout(sim: SimulatedLock) -> None:
    """Heartbeats spaced under the lock's idle timeout keep one session open, and only them."""
    backend = _backend(sim, heartbeat_interval=0.25)
    await backend.connect()
    recorder = Recorder()
    backend.add_listener(recorder)
    accepted = sim.connections  # `auto` may have knocked with other versions first
    await asyncio.sleep(1.6)  # well past the lock's 0.6 s idle drop
    connection = backend.connection
    assert connection.sessions == 1
    assert sim.connections == accepted
    assert 4 <= connection.heartbeats <= 8
    assert recorder.events == []  # no drop was ever seen
    pushed = asyncio.ensure_future(recorder.wait(lambda e: e.status.battery == 42))
    await sim.set_battery(42)
    await pushed
    await backend.close()


@pytest.mark.parametrize("idle_timeout", [0.4])
@pytest.mark.parametrize("version", ["3.4"])
async def test_heartbeat_too_sparse_is_dropped_and_reopened(sim: SimulatedLock) -> None:
    """The other side of the heartbeat test: past the idle timeout the lock hangs up."""
    backend = _backend(sim, heartbeat_interval=5.0)
    await backend.connect()
    recorder = Recorder()
    backend.add_listener(recorder)
    await recorder.wait(lambda e: not backend.available)
    await recorder.wait(lambda e: backend.available)
    assert backend.connection.sessions == 2
    await backend.close()


async def test_reconnect_after_drop(lan: LanBackend, sim: SimulatedLock) -> None:
    """A dropped session is reopened on its own, and pushes flow again."""
    recorder = Recorder()
    lan.add_listener(recorder)
    down = asyncio.ensure_future(recorder.wait(lambda e: not lan.available))
    await sim.drop_connections()
    await down
    await recorder.wait(lambda e: lan.available)
    assert lan.connection.sessions == 2
    pushed = asyncio.ensure_future(recorder.wait(lambda e: e.status.battery == 33))
    await sim.set_battery(33)
    await pushed


@pytest.mark.parametrize("version", ["3.5"])
async def test_reconnect_backs_off_while_offline(lan: LanBackend, sim: SimulatedLock) -> None:
    """While the lock refuses connections, attempts space out; it is back once the lock is."""
    recorder = Recorder()
    lan.add_listener(recorder)
    down = asyncio.ensure_future(recorder.wait(lambda e: not lan.available))
    await sim.set_offline("refuse")
    await down
    await asyncio.sleep(0.6)  # backoff 0.05, 0.1, 0.2, 0.2 ...: a handful of tries, not hundreds
    await sim.set_offline(None)
    await recorder.wait(lambda e: lan.available)
    assert lan.connection.sessions == 2


async def test_command_racing_a_push(lan: LanBackend, sim: SimulatedLock) -> None:
    """A push that lands before the command's ack is dispatched; the command gets its reply."""
    recorder = Recorder()
    lan.add_listener(recorder)
    original = sim.control

    def push_first(dps: dict[str, Any], cid: str | None = None) -> dict[str, Any] | None:
        active = sim._server._active
        assert active is not None
        writer, session = active
        body = status_push(sim.version, DEVICE, {BATTERY_DP: 41}, 0)
        writer.write(session.seal(Command.STATUS, body))  # ahead of the ack and report
        return original(dps, cid)

    sim.control = push_first  # type: ignore[method-assign]
    created = await lan.create_credential(_request())
    assert sim.pins[int(created.lock_pin_id)].pin == "482913"
    assert any(event.status.battery == 41 for event in recorder.events)
    assert lan.last_status.battery == 41


async def test_released_gives_the_lock_away_then_reconnects(
    lan: LanBackend, sim: SimulatedLock
) -> None:
    """While released, another client can connect; afterwards the session comes back alone."""
    recorder = Recorder()
    lan.add_listener(recorder)
    async with lan.released():
        other = _backend(sim)
        await other.connect()
        await other.close()
    await recorder.wait(lambda e: lan.available)
    assert (await lan.status()).battery == 90


async def test_lost_reply_is_sent_again(lan: LanBackend, sim: SimulatedLock) -> None:
    """A delete whose ack and report never come is re-sent once; "already absent" is done."""
    created = await lan.create_credential(_request())
    sim.lose_next_reply()
    await lan.delete_credential(created.lock_pin_id, ref=7)
    assert sim.pins == {}
    assert len(sim.commands) == 3


async def test_lost_create_replies_are_unconfirmed(lan: LanBackend, sim: SimulatedLock) -> None:
    """A Lock Pro create whose ack and report never come is unconfirmed, and not sent twice."""
    sim.lose_next_reply(1)
    with pytest.raises(LockTimeoutError):
        await lan.create_credential(_request())
    assert len(sim.commands) == 1
    assert len(sim.pins) == 1  # applied: "maybe on the lock" is the truth


async def test_session_dropped_mid_command_is_reopened(lan: LanBackend, sim: SimulatedLock) -> None:
    """The lock hangs up as a delete arrives: the session is reopened and the delete re-sent.

    Regression: the lifecycle's revoke after an outage.
    """
    created = await lan.create_credential(_request())
    original = sim.control
    calls = 0

    def hang_up_first(dps: dict[str, Any], cid: str | None = None) -> dict[str, Any] | None:
        nonlocal calls
        calls += 1
        if calls == 1:
            active = sim._server._active
            assert active is not None
            active[0].close()  # a reboot: no ack, no report, connection gone
            return None
        return original(dps, cid)

    sim.control = hang_up_first  # type: ignore[method-assign]
    await lan.delete_credential(created.lock_pin_id, ref=7)
    assert calls == 2
    assert sim.pins == {}
    assert lan.connection.sessions == 2


async def test_session_dropped_before_the_create_arrives(
    lan: LanBackend, sim: SimulatedLock
) -> None:
    """The lock hangs up as a create arrives: a Lock Pro's create is not sent a second time.

    Its outcome is unknown and a second copy could never be told from the first, so it ends
    unconfirmed. An idle drop meets the heartbeat sent just before every such create instead
    (the race Home Assistant's timers made, when the lock's idle drop and the push coincided).
    """
    original = sim.control
    calls = 0

    def hang_up_first(dps: dict[str, Any], cid: str | None = None) -> dict[str, Any] | None:
        nonlocal calls
        calls += 1
        if calls == 1:
            active = sim._server._active
            assert active is not None
            active[0].close()
            return None
        return original(dps, cid)

    sim.control = hang_up_first  # type: ignore[method-assign]
    beats = sim._server.heartbeats
    with pytest.raises(LockTimeoutError):
        await lan.create_credential(_request())
    assert calls == 1
    assert sim.pins == {}
    assert sim._server.heartbeats == beats + 1  # the probe went just before the create


@pytest.mark.parametrize("version", ["3.4"])
async def test_command_after_an_unnoticed_drop_reopens(sim: SimulatedLock) -> None:
    """With no reconnect scheduled yet, the next command opens the session itself."""
    backend = _backend(sim, reconnect_backoff=(30.0, 60.0))
    await backend.connect()
    await sim.drop_connections()
    await asyncio.sleep(0.05)  # the drop is seen; the reconnect would wait 30 s
    assert not backend.available
    assert (await backend.status()).battery == 90
    assert backend.connection.sessions == 2
