"""Idle LAN connections and push latency: the executor keep-alive it replaced vs asyncio sessions.

Runnable alone: `python -m benchmarks.lan_sessions [seconds]` (idle window, default 30 s).

- Idle cost: N locks in a subprocess (`_lock_farm`), N connections in this process left idle.
  Per connection per minute: event-loop wake-ups (a counting selector), CPU seconds of this
  process (`time.process_time`, all threads), voluntary context switches of all its threads
  (`/proc/self/task/*/status`), and executor jobs.
- Push latency: one in-process lock pushes a battery level 20 times; time until a listener
  has it.
- Heartbeat spacing: a lock with a 3 s idle timeout (real devices: ~30 s) against heartbeats
  at 2/3 and 7/6 of it: does the session survive 8 s?

"old" is the design this replaced, rebuilt here with the same numbers (the LanBackend of commit
9f50ab3): a persistent `tinytuya.Device` per lock, and a keep-alive task that every 2 s puts a
`receive()` (socket timeout 0.5 s) on a 64-thread executor, plus `heartbeat(nowait=True)` every
9 s. "new" is `LanBackend` today: an asyncio protocol per connection, a heartbeat after 18-24 s
without traffic, nothing else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
import json
from pathlib import Path
import selectors
import sys
import time
from typing import Any

import tinytuya

from custom_components.smartlock_tuya.tuya import LanBackend, LockEvent, StatusEvent
from custom_components.smartlock_tuya.tuya.lan import HEARTBEAT_INTERVAL, ConnectionPool
from simulators.tuya_lock import SimulatedLock, load_profiles as raw_profiles

from ._common import Report, median, percentile
from ._locks import HA_EXECUTOR_WORKERS, KEY, PROFILES, backend

LOCKS = 20
PUSHES = 20
OLD_POLL_S, OLD_RECEIVE_S, OLD_HEARTBEAT_S = 2.0, 0.5, 9.0


class CountingSelector(selectors.DefaultSelector):
    """The loop's selector, counting each time the loop wakes from it."""

    wakeups = 0

    def select(self, timeout: float | None = None) -> Any:
        """Wait as usual; count the wake-up."""
        ready = super().select(timeout)
        CountingSelector.wakeups += 1
        return ready


def _context_switches() -> int:
    """Voluntary context switches of every thread of this process so far."""
    total = 0
    for status in Path("/proc/self/task").glob("*/status"):
        try:
            for line in status.read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches"):
                    total += int(line.split()[1])
        except OSError:
            continue  # a thread that ended while we read
    return total


@dataclass(kw_only=True)
class Idle:
    """Per connection per minute, over the idle window."""

    wakeups: float
    cpu_s: float
    switches: float
    jobs: float


async def _measure_idle(seconds: float, connections: int, jobs: Callable[[], int]) -> Idle:
    await asyncio.sleep(1.0)  # let connecting settle
    wake, cpu, switches, job = (
        CountingSelector.wakeups,
        time.process_time(),
        _context_switches(),
        jobs(),
    )
    await asyncio.sleep(seconds)
    scale = 60.0 / seconds / max(connections, 1)
    return Idle(
        wakeups=(CountingSelector.wakeups - wake) * scale,
        cpu_s=(time.process_time() - cpu) * scale,
        switches=(_context_switches() - switches) * scale,
        jobs=(jobs() - job) * scale,
    )


class OldKeepAlive:
    """The replaced design: tinytuya in an executor, polled every 2 s."""

    def __init__(self, executor: ThreadPoolExecutor, spec: tuple[str, str, str, int]) -> None:
        """One persistent tinytuya device for the lock in `spec`."""
        device_id, version, _profile, port = spec
        self.device = tinytuya.Device(
            device_id,
            address="127.0.0.1",
            local_key=KEY,
            version=float(version),
            persist=True,
            connection_timeout=5,
            connection_retry_limit=1,
            connection_retry_delay=1,
            port=port,
        )
        self._executor = executor
        self.jobs = 0
        self.task: asyncio.Task[None] | None = None
        self.on_dps: Callable[[dict[str, Any]], None] = lambda dps: None

    async def _run(self, function: Callable[[], Any]) -> Any:
        self.jobs += 1
        return await asyncio.get_running_loop().run_in_executor(self._executor, function)

    def _receive(self) -> Any:
        self.device.set_socketTimeout(OLD_RECEIVE_S)
        try:
            return self.device.receive()
        finally:
            self.device.set_socketTimeout(5)

    async def start(self) -> None:
        """Connect, then keep alive as the old LanBackend did."""
        await self._run(self.device.status)
        self.task = asyncio.get_running_loop().create_task(self._keep_alive())

    async def _keep_alive(self) -> None:
        loop = asyncio.get_running_loop()
        next_heartbeat = loop.time() + OLD_HEARTBEAT_S
        while True:
            await asyncio.sleep(OLD_POLL_S)
            if loop.time() >= next_heartbeat:
                next_heartbeat = loop.time() + OLD_HEARTBEAT_S
                await self._run(lambda: self.device.heartbeat(nowait=True))
            result = await self._run(self._receive)
            if isinstance(result, dict) and isinstance(result.get("dps"), dict):
                self.on_dps(result["dps"])

    async def stop(self) -> None:
        """Stop the keep-alive and close the socket."""
        if self.task is not None:
            self.task.cancel()
        await self._run(self.device.close)


async def _farm(count: int) -> tuple[asyncio.subprocess.Process, list[tuple[str, str, str, int]]]:
    farm = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks._lock_farm",
        str(count),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    if farm.stdout is None:
        raise RuntimeError("no pipe to the lock farm")
    line = await asyncio.wait_for(farm.stdout.readline(), timeout=30)
    return farm, [(str(a), str(b), str(c), int(d)) for a, b, c, d in json.loads(line)]


async def _end(farm: asyncio.subprocess.Process) -> None:
    if farm.stdin is not None:
        farm.stdin.close()
    try:
        await asyncio.wait_for(farm.wait(), timeout=10)
    except TimeoutError:
        farm.kill()
        await farm.wait()


async def _idle_old(seconds: float) -> Idle:
    farm, specs = await _farm(LOCKS)
    executor = ThreadPoolExecutor(max_workers=HA_EXECUTOR_WORKERS)
    olds = [OldKeepAlive(executor, spec) for spec in specs]
    try:
        await asyncio.gather(*(old.start() for old in olds))
        return await _measure_idle(seconds, LOCKS, lambda: sum(old.jobs for old in olds))
    finally:
        await asyncio.gather(*(old.stop() for old in olds), return_exceptions=True)
        executor.shutdown(wait=False, cancel_futures=True)
        await _end(farm)


async def _idle_new(seconds: float, count: int = LOCKS) -> Idle:
    """Connections opened 0.7 s apart, as start-up and reconnects spread them."""
    farm, specs = await _farm(count)
    lans = [
        backend(device_id=device_id, port=port, version=version, profile_id=profile)
        for device_id, version, profile, port in specs
    ]
    try:
        for lan in lans:
            await lan.connect()
            await asyncio.sleep(0.7)
        return await _measure_idle(seconds, count, lambda: 0)
    finally:
        await asyncio.gather(*(lan.close() for lan in lans), return_exceptions=True)
        await _end(farm)


async def _latency(design: str) -> list[float]:
    lock = SimulatedLock(
        device_id="bench-push",
        local_key=KEY,
        version="3.4",
        profile=raw_profiles()["unlock_method"],
    )
    await lock.start("127.0.0.1")
    loop = asyncio.get_running_loop()
    arrived: dict[int, float] = {}
    news = asyncio.Event()

    def seen(battery: Any) -> None:
        if isinstance(battery, int) and battery not in arrived:
            arrived[battery] = loop.time()
            news.set()

    battery_dp = str(PROFILES["unlock_method"].dps.battery)
    executor = ThreadPoolExecutor(max_workers=HA_EXECUTOR_WORKERS)
    old: OldKeepAlive | None = None
    lan: LanBackend | None = None
    if design == "old":
        old = OldKeepAlive(executor, ("bench-push", "3.4", "unlock_method", lock.port))
        old.on_dps = lambda dps: seen(dps.get(battery_dp))
        await old.start()
    else:
        lan = backend(
            device_id="bench-push", port=lock.port, version="3.4", profile_id="unlock_method"
        )

        def listen(event: LockEvent) -> None:
            if isinstance(event, StatusEvent):
                seen(event.status.battery)

        lan.add_listener(listen)
        await lan.connect()
    latencies: list[float] = []
    try:
        for number in range(PUSHES):
            await asyncio.sleep(0.37 + (number % 7) * 0.29)  # land anywhere in the poll cycle
            level = 10 + number
            sent = loop.time()
            await lock.set_battery(level)
            async with asyncio.timeout(10):
                while level not in arrived:
                    news.clear()
                    await news.wait()
            latencies.append(arrived[level] - sent)
    finally:
        if old is not None:
            await old.stop()
        if lan is not None:
            await lan.close()
        executor.shutdown(wait=False, cancel_futures=True)
        await lock.stop()
    return latencies


async def _heartbeat_spacing() -> tuple[int, int]:
    """Sessions opened in 8 s with heartbeats at 2 s and at 3.5 s, lock idle timeout 3 s."""
    opened: list[int] = []
    for interval in (2.0, 3.5):
        lock = SimulatedLock(
            device_id="bench-hb",
            local_key=KEY,
            version="3.5",
            profile=raw_profiles()["unlock_method"],
            idle_timeout=3.0,
        )
        await lock.start("127.0.0.1")
        lan = LanBackend(
            device_id="bench-hb",
            host="127.0.0.1",
            port=lock.port,
            local_key=KEY,
            profile=PROFILES["unlock_method"],
            version="3.5",
            heartbeat_interval=interval,
            reconnect_backoff=(0.1, 1.0),
            pool=ConnectionPool(),
        )
        await lan.connect()
        await asyncio.sleep(8.0)
        opened.append(lan.connection.sessions)
        await lan.close()
        await lock.stop()
    return opened[0], opened[1]


async def _main(seconds: float) -> Report:
    report = Report(name="lan_sessions")
    old, new = await _idle_old(seconds), await _idle_new(seconds)
    alone, baseline = await _idle_new(seconds, 1), await _idle_new(seconds, 0)
    for label, attribute, fmt in (
        ("event-loop wake-ups", "wakeups", ".1f"),
        ("CPU seconds (whole process)", "cpu_s", ".4f"),
        ("voluntary context switches, all threads", "switches", ".1f"),
        ("executor jobs", "jobs", ".0f"),
    ):
        report.add(
            f"idle, per connection per minute: {label}",
            f"{getattr(new, attribute):{fmt}} ({LOCKS}) / {getattr(alone, attribute):{fmt}} (1)",
            f"old ({LOCKS}): {getattr(old, attribute):{fmt}}; "
            f"no connection: {getattr(baseline, attribute):{fmt}}",
        )
    for design in ("old", "new"):
        latencies = await _latency(design)
        report.add(
            f"push to listener, {design}: p50 / p99 / max ({PUSHES})",
            f"{median(latencies) * 1000:.2f} / {percentile(latencies, 0.99) * 1000:.2f} / "
            f"{max(latencies) * 1000:.2f} ms",
            "< 1000 ms",
            "ok" if max(latencies) < 1.0 else "MISSED",
        )
    kept, sparse = await _heartbeat_spacing()
    report.add(
        "sessions in 8 s, idle timeout 3 s: heartbeat 2 s (2/3) / 3.5 s (7/6)",
        f"{kept} / {sparse}",
        "1 / >1: 2/3 of the timeout holds",
        "ok" if kept == 1 and sparse > 1 else "MISSED",
    )
    report.notes.append(
        f"{LOCKS} idle connections opened 0.7 s apart (3.3/3.4/3.5 x both profiles), or 1 "
        f"alone, to locks in a subprocess, {seconds:.0f} s window; whole process (the loop's "
        f"own housekeeping included); old: {HA_EXECUTOR_WORKERS}-thread executor"
    )
    report.notes.append(
        f"new heartbeat: 18-{HEARTBEAT_INTERVAL:.0f} s without traffic on a shared grid (under the "
        "~30 s idle drop of tinytuya examples/nowait_send_receive.py); a lone connection pays "
        "2 wake-ups per ping (out, reply in), many connections share them"
    )
    return report


def run(seconds: float = 30.0) -> Report:
    """Run the measurement on an event loop whose selector counts its wake-ups."""
    with asyncio.Runner(loop_factory=lambda: asyncio.SelectorEventLoop(CountingSelector())) as r:
        return r.run(_main(seconds))


if __name__ == "__main__":
    run(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0).print()
