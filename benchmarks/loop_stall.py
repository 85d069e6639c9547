"""100 LAN locks each get a PIN at the same moment: the event loop's largest stall."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
import json
import sys
import time
from typing import Any

from custom_components.smartlock_tuya.lifecycle import MAX_PARALLEL_LOCKS
from custom_components.smartlock_tuya.tuya import LanBackend

from ._common import Report, percentile
from ._lock_farm import lock_specs, start_locks
from ._locks import HA_EXECUTOR_WORKERS, backend, pin_for, request

LOCKS = 100
BEAT = 0.005
MAX_BEATS = 20_000  # 100 s of heartbeats at most
STALL_TARGET_MS = 20.0
CONFIRM_TARGET_S = 15.0


class Heartbeat:
    """A task that sleeps 5 ms at a time and records how late it wakes up."""

    def __init__(self) -> None:
        """Not yet started."""
        self.lateness: list[float] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(MAX_BEATS):
            if self._stop.is_set():
                return
            expected = loop.time() + BEAT
            await asyncio.sleep(BEAT)
            self.lateness.append(loop.time() - expected)

    async def __aenter__(self) -> Heartbeat:
        """Start beating."""
        self._task = asyncio.get_running_loop().create_task(self._beat())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *_: object) -> None:
        """Stop beating."""
        self._stop.set()
        if self._task is not None:
            await self._task

    @property
    def max_ms(self) -> float:
        """The largest lateness in ms."""
        return max(self.lateness, default=0.0) * 1000


@dataclass(kw_only=True)
class Phase:
    """One measured phase."""

    stall_ms: float
    p99_ms: float
    seconds: float
    failures: int
    beats: int


async def _phase(awaitables: list[Awaitable[Any]]) -> Phase:
    async with Heartbeat() as heart:
        started = time.perf_counter()
        results = await asyncio.wait_for(
            asyncio.gather(*awaitables, return_exceptions=True), timeout=60
        )
        seconds = time.perf_counter() - started
    failures = sum(isinstance(result, BaseException) for result in results)
    p99 = percentile(heart.lateness, 0.99) * 1000 if heart.lateness else 0.0
    return Phase(
        stall_ms=heart.max_ms,
        p99_ms=p99,
        seconds=seconds,
        failures=failures,
        beats=len(heart.lateness),
    )


async def _scenario(
    ports: list[int], workers: int = HA_EXECUTOR_WORKERS, cap: int | None = None
) -> tuple[Phase, Phase, Phase]:
    """Idle baseline, connect all, then create one PIN on each at the same moment.

    `cap` limits the locks worked on at once, as the lifecycle does (`MAX_PARALLEL_LOCKS`).
    """
    gate = asyncio.Semaphore(cap or len(ports))

    async def capped(awaitable: Awaitable[Any]) -> Any:
        async with gate:
            return await awaitable

    # Home Assistant's executor, as other integrations keep it busy; LAN locks never use it.
    executor = ThreadPoolExecutor(max_workers=workers)
    backends: list[LanBackend] = [
        backend(device_id=device_id, port=port, version=version, profile_id=profile)
        for (device_id, version, profile), port in zip(lock_specs(LOCKS), ports, strict=True)
    ]
    try:
        idle = await _phase([asyncio.sleep(1.0)])
        connect = await _phase([capped(lan.connect()) for lan in backends])
        create = await _phase(
            [
                capped(lan.create_credential(request(1, pin_for(n))))
                for n, lan in enumerate(backends)
            ]
        )
    finally:
        await asyncio.gather(*(lan.close() for lan in backends), return_exceptions=True)
        executor.shutdown(wait=False, cancel_futures=True)
    return idle, connect, create


async def _in_process() -> tuple[Phase, Phase, Phase]:
    locks = await start_locks(LOCKS)
    try:
        return await _scenario([lock.port for lock in locks])
    finally:
        for lock in locks:
            await lock.stop()


async def _separate_process(workers: int, cap: int | None = None) -> tuple[Phase, Phase, Phase]:
    farm = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks._lock_farm",
        str(LOCKS),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert farm.stdin is not None
    assert farm.stdout is not None
    try:
        line = await asyncio.wait_for(farm.stdout.readline(), timeout=30)
        ports = [int(item[3]) for item in json.loads(line)]
        return await _scenario(ports, workers, cap)
    finally:
        farm.stdin.close()
        try:
            await asyncio.wait_for(farm.wait(), timeout=10)
        except TimeoutError:
            farm.kill()
            await farm.wait()


def _rows(report: Report, label: str, phases: tuple[Phase, Phase, Phase]) -> None:
    idle, connect, create = phases
    report.add(
        f"{label}: max stall, idle 1 s (noise floor)",
        f"{idle.stall_ms:.1f} ms",
        f"(p99 {idle.p99_ms:.1f} ms)",
    )
    report.add(
        f"{label}: max stall while connecting {LOCKS}",
        f"{connect.stall_ms:.1f} ms",
        f"(p99 {connect.p99_ms:.1f} ms; took {connect.seconds:.2f} s, {connect.failures} failed)",
    )
    report.check(
        f"{label}: max stall during {LOCKS} creates", create.stall_ms, STALL_TARGET_MS, "ms"
    )
    report.add(
        f"{label}: p99 heartbeat lateness during creates",
        f"{create.p99_ms:.1f} ms",
        f"({create.beats} beats)",
    )
    if create.failures:
        report.add(
            f"{label}: all {LOCKS} confirmed", f"{create.failures} failed", "0 failed", "MISSED"
        )
    else:
        report.check(
            f"{label}: all {LOCKS} confirmed after", create.seconds, CONFIRM_TARGET_S, "s", ".2f"
        )


async def _main() -> Report:
    report = Report(name="loop_stall")
    _rows(report, "locks in-process", await _in_process())
    _rows(report, "locks in a subprocess", await _separate_process(HA_EXECUTOR_WORKERS))
    _rows(report, "subprocess, 8 workers (diagnostic)", await _separate_process(8))
    _rows(
        report,
        f"subprocess, lifecycle's cap of {MAX_PARALLEL_LOCKS} locks at once",
        await _separate_process(HA_EXECUTOR_WORKERS, MAX_PARALLEL_LOCKS),
    )
    report.notes.append(
        f"{LOCKS} Lock Pro locks: 3.3/3.4/3.5; {LOCKS} LanBackends on the "
        "event loop (asyncio sessions, no executor; the worker count no longer matters)"
    )
    report.notes.append(
        "in-process: the simulated locks' crypto and framing run on the measured loop, so "
        "their work counts against the stall; the subprocess run shows the integration alone"
    )
    return report


def run() -> Report:
    """Run both placements of the locks in a fresh event loop."""
    return asyncio.run(_main())
