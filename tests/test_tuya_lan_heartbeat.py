"""Heartbeat cost and pacing: one timer per ping, missed pings caught, pings spread out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import suppress
from typing import Any

from homeassistant.util import dt as dt_util
import pytest

from custom_components.smartlock_tuya.tuya import LockError
from custom_components.smartlock_tuya.tuya.lan import LanConnection
from custom_components.smartlock_tuya.tuya.lan.link import Link
from custom_components.smartlock_tuya.tuya.lan.pacing import (
    PINGS_PER_ITERATION,
    PingBudget,
    ping_budget,
)
from simulators.tuya_lock import LockPro, SimulatedLock

KEY = "0123456789abcdef"


async def _lock(n: int, version: str = "3.4", idle_timeout: float = 30.0) -> SimulatedLock:
    lock = SimulatedLock(
        device_id=f"beat-{n}",
        local_key=KEY,
        version=version,
        family=LockPro(),
        clock=lambda: dt_util.utcnow().timestamp(),
        idle_timeout=idle_timeout,
    )
    await lock.start()
    return lock


def _connection(lock: SimulatedLock, interval: float, version: str = "3.4") -> LanConnection:
    return LanConnection(
        device_id=lock.device_id,
        host="127.0.0.1",
        port=lock.port,
        local_key=KEY,
        version=version,
        timeout=0.5,
        heartbeat_interval=interval,
        backoff=(0.05, 0.2),
    )


@pytest.fixture
async def locks(socket_enabled: None) -> AsyncIterator[list[SimulatedLock]]:
    """Simulated locks a test starts with `_lock`; all stopped afterwards."""
    started: list[SimulatedLock] = []
    yield started
    for lock in started:
        await lock.stop()


@pytest.fixture
async def small_budget() -> AsyncIterator[PingBudget]:
    """The test loop's ping budget cut to 3 a loop iteration, restored afterwards."""
    budget = ping_budget()
    budget.per_iteration = 3
    yield budget
    budget.per_iteration = PINGS_PER_ITERATION


async def test_budget_refills_each_loop_iteration() -> None:
    """Up to the cap per iteration, then no, then a full budget in the next iteration."""
    budget = PingBudget(asyncio.get_running_loop(), 2)
    assert [budget.take() for _ in range(4)] == [True, True, False, False]
    assert budget.exhausted == 1  # one iteration ran out, however often it was asked
    await asyncio.sleep(0)
    assert [budget.take() for _ in range(3)] == [True, True, False]
    assert budget.exhausted == 2
    assert ping_budget() is ping_budget()  # one per loop


@pytest.mark.parametrize("version", ["3.3", "3.4", "3.5"])
async def test_a_healthy_connection_arms_one_timer_per_ping(
    locks: list[SimulatedLock], version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ping costs its own timer only, and the session outlives the lock's idle timeout.

    Regression: each ping also armed a reply deadline (`timeout` later) that always fired.
    """
    locks.append(lock := await _lock(0, version, idle_timeout=0.5))
    connection = _connection(lock, 0.2, version)
    loop = asyncio.get_running_loop()
    timers: list[Callable[..., Any]] = []
    call_at = loop.call_at

    def counting_call_at(
        when: float, callback: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Any:
        if getattr(callback, "__self__", None) is connection:
            timers.append(callback)
        return call_at(when, callback, *args, **kwargs)

    monkeypatch.setattr(loop, "call_at", counting_call_at)
    await connection.open()
    await asyncio.sleep(1.5)  # three times the lock's idle timeout
    assert connection.available
    assert connection.sessions == 1
    assert connection.heartbeats >= 5
    assert len(timers) <= connection.heartbeats + 1  # the one armed after the last ping
    await connection.close()


async def test_a_missed_ping_drops_the_session_and_it_is_reopened(
    locks: list[SimulatedLock],
) -> None:
    """A lock that stops answering is given up at the next ping, and reconnected when back."""
    locks.append(lock := await _lock(1))
    connection = _connection(lock, 0.2)
    states: list[bool] = []
    changed = asyncio.Event()

    def on_state(available: bool) -> None:
        states.append(available)
        changed.set()

    async def next_state() -> bool:
        async with asyncio.timeout(5):
            await changed.wait()
        changed.clear()
        return states[-1]

    connection.subscribe(None, lambda body: None, on_state)
    await connection.open()
    assert await next_state()
    await lock.set_offline("silent")
    assert not await next_state()
    assert connection.heartbeats >= 1
    await lock.set_offline(None)
    assert await next_state()
    assert states == [True, False, True]
    assert connection.sessions == 2
    await connection.close()


async def test_a_command_after_the_ping_is_left_to_its_own_timeout(
    locks: list[SimulatedLock],
) -> None:
    """Something sent after an unanswered ping is not judged by the ping: its reply may come."""
    locks.append(lock := await _lock(2))
    connection = _connection(lock, 0.3)
    await connection.open()
    link = connection._link
    assert link is not None
    await asyncio.sleep(0.35)  # the first ping went out and was answered
    assert connection.heartbeats == 1
    assert connection.heartbeat.pending is not None
    heard, _ = connection.heartbeat.pending
    link.heard_at = heard  # as if its reply had not come
    link.sent_at = asyncio.get_running_loop().time()  # and a command went out since
    await asyncio.sleep(0.4)
    assert connection._link is link  # not dropped by the heartbeat check
    assert connection.sessions == 1
    await connection.close()


async def test_pings_of_many_connections_are_spread_over_loop_iterations(
    locks: list[SimulatedLock], small_budget: PingBudget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twelve connections due on one instant send at most 3 pings per loop iteration.

    All of them still go out within milliseconds, and every session survives the lock's idle
    timeout.
    """
    locks.extend([await _lock(10 + n, idle_timeout=0.9) for n in range(12)])
    connections = [_connection(lock, 0.4) for lock in locks]
    loop = asyncio.get_running_loop()
    selector: Any = loop._selector  # type: ignore[attr-defined]
    select = selector.select
    iteration = 0

    def counting_select(timeout: float | None = None) -> Any:
        nonlocal iteration
        iteration += 1
        return select(timeout)

    writes: list[tuple[int, float]] = []
    write = Link.write
    recording = False

    def recording_write(link: Link, data: bytes) -> None:
        if recording:
            writes.append((iteration, loop.time()))
        write(link, data)

    monkeypatch.setattr(selector, "select", counting_select)
    monkeypatch.setattr(Link, "write", recording_write)
    await asyncio.gather(*(connection.open() for connection in connections))
    recording = True
    await asyncio.sleep(1.3)
    recording = False
    try:
        per_iteration: dict[int, int] = {}
        for it, _ in writes:
            per_iteration[it] = per_iteration.get(it, 0) + 1
        assert all(connection.heartbeats >= 2 for connection in connections)
        assert all(connection.sessions == 1 for connection in connections)
        assert len(writes) == sum(connection.heartbeats for connection in connections)
        assert max(per_iteration.values()) == 3
        assert small_budget.exhausted >= 1
        # A burst (pings within one grid step) still leaves within a few milliseconds.
        times = sorted(at for _, at in writes)
        bursts: list[list[float]] = [[times[0]]]
        for at in times[1:]:
            if at - bursts[-1][-1] < 0.05:
                bursts[-1].append(at)
            else:
                bursts.append([at])
        assert max(len(burst) for burst in bursts) > 3
        assert all(burst[-1] - burst[0] < 0.05 for burst in bursts)
    finally:
        for connection in connections:
            with suppress(LockError):
                await connection.close()


async def test_the_keepalive_keeps_one_timer_and_forgets_an_ended_session(
    locks: list[SimulatedLock],
) -> None:
    """Watching a session again re-arms its one timer; a beat after it ended sends nothing."""
    locks.append(lock := await _lock(3))
    connection = _connection(lock, 0.3)
    await connection.open()
    heartbeat, link = connection.heartbeat, connection._link
    assert link is not None
    heartbeat.start(link)  # the timer armed at opening is replaced, not doubled
    await asyncio.sleep(0.35)
    assert heartbeat.count == 1
    heartbeat.stop()
    heartbeat._beat()  # a timer that fired as the session ended
    assert heartbeat.count == 1
    assert heartbeat.pending is None
    await connection.close()
