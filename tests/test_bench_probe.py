"""The benchmark probe counts what it claims: wake-ups, timers and jobs by owner, stalls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
import time
from typing import Any

import pytest

from benchmarks._hass import switches
from benchmarks.probe.counters import Probe, _short

INTEGRATION_FILE = "/config/custom_components/smartlock_tuya/tuya/lan/connection.py"


@pytest.fixture
def clock() -> None:
    """The real clock: the probe compares clocks across threads, and freezegun's does not."""


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A loop of our own with a default executor, as Home Assistant's runner sets one."""
    loop = asyncio.SelectorEventLoop()
    loop.set_default_executor(ThreadPoolExecutor(max_workers=2))
    yield loop
    loop.close()


def _integration_function(loop: asyncio.AbstractEventLoop) -> Callable[[], Any]:
    """A function whose code says it lives in the integration's LAN package."""
    namespace: dict[str, Any] = {"loop": loop}
    code = compile(
        "def arm():\n    return loop.call_later(0.001, lambda: None)\n", INTEGRATION_FILE, "exec"
    )
    exec(code, namespace)  # noqa: S102 - our own two lines, compiled under another file name
    return namespace["arm"]  # type: ignore[no-any-return]


def test_counts_wakeups_timers_and_jobs_by_owner(loop: asyncio.AbstractEventLoop) -> None:
    probe = Probe(loop)
    probe.install()
    arm = _integration_function(loop)

    class Refresh:
        """Stands for a coordinator: its class is defined in the integration."""

        def run(self) -> None:
            """Its timer's callback."""

    Refresh.__module__ = "custom_components.smartlock_tuya.lock_coordinator"

    async def scenario() -> None:
        arm()
        loop.call_later(0.001, Refresh().run)
        loop.call_later(0.001, lambda: None)
        await asyncio.sleep(0.01)
        await loop.run_in_executor(None, time.perf_counter)

    loop.run_until_complete(scenario())
    snapshot = probe.snapshot()
    assert snapshot["timers_created"]["tuya/lan"] == 1
    assert snapshot["timers_fired"]["tuya/lan"] == 1
    assert snapshot["timers_created"]["lock_coordinator"] == 1
    assert snapshot["timers_fired"]["lock_coordinator"] == 1
    assert snapshot["timers_created"]["other"] >= 2  # the lambda and asyncio.sleep
    assert snapshot["jobs"] == {"other": 1}
    assert snapshot["wakeups"] >= 1


def test_lag_sampler_and_stall_watch_see_a_blocked_loop(loop: asyncio.AbstractEventLoop) -> None:
    probe = Probe(loop)
    probe.install()
    probe.start_lag_sampler(0.005)
    probe.start_stall_watch(0.005)
    probe.start_executor_probe(0.01)

    async def scenario() -> None:
        await asyncio.sleep(0.05)
        until = time.perf_counter() + 0.08
        while time.perf_counter() < until:  # the stall: busy, as framing and AES would be
            pass
        await asyncio.sleep(0.05)

    try:
        loop.run_until_complete(scenario())
    finally:
        probe.stop()
        loop.run_until_complete(asyncio.sleep(0))
    snapshot = probe.snapshot()
    assert snapshot["lag"]["max_ms"] >= 60
    assert snapshot["lag"]["over_20ms"] >= 1
    assert len(snapshot["late"]) == snapshot["lag"]["over_20ms"]
    assert any("scenario" in stack for stack, _ms in snapshot["stalled_in"])
    assert snapshot["executor_wait"]["count"] >= 1
    assert 0 <= snapshot["executor_wait"]["max_ms"] < 1000
    probe.reset_window()
    assert probe.snapshot()["lag"] == {"count": 0}


def test_module_names_and_thread_switches() -> None:
    assert _short("tuya/lan/connection.py") == "tuya/lan"
    assert _short("stays/client.py") == "stays/client"
    assert _short("lifecycle.py") == "lifecycle"
    # Threads present at both samples count their difference, new threads all of theirs,
    # ended threads are reported apart.
    assert switches({1: 10, 2: 5}, {1: 15, 3: 4}) == (9, 1)
