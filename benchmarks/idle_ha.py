"""A real Home Assistant left idle: alone, and with the integration and N simulated LAN locks.

All instances run side by side in one run, on loopback, sharing one Stays simulator (the demo's
sample account) and each with its own simulated locks: the reference is measured over the same
minutes, under the same machine load, as the instances with locks. After start-up and
`--settle` seconds, the window of `--minutes` is measured for each whole process:
CPU seconds (/proc/<pid>/stat), loop wake-ups (the probe: blocking selector calls), voluntary
context switches of all threads (/proc/<pid>/task/*/status), executor jobs and loop timers
created and fired (the probe; the integration's by module), and RSS.

    scripts/bench idle_ha [--minutes 10] [--locks 3 100] [--settle 60]
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from datetime import date
from pathlib import Path
import tempfile
import time
from typing import Any

from demo.scenario import listing_ids
from simulators.stays_server import StaysSimulator, load_sample_account

from ._common import Report
from ._hass import (
    HOST,
    STAYS_CLIENT_ID,
    STAYS_CLIENT_SECRET,
    HomeAssistant,
    SimLock,
    load_average,
    proc_sample,
    start_locks,
    switches,
    wait_all_connected,
)

#: Integration modules whose timers keep the locks' state (LAN heartbeats and reply deadlines,
#: each lock's 30-minute safety poll); every other module's are for PINs and reservations.
SESSION_MODULES = ("tuya/lan", "lock_coordinator")


@dataclass
class Setup:
    """One Home Assistant of the run and its locks."""

    label: str
    hass: HomeAssistant
    locks: list[SimLock]


@dataclass
class Window:
    """What one instance did during the measured window, per minute unless named otherwise."""

    label: str
    locks: int
    cpu_10min: float
    wakeups: float
    main_switches: float
    all_switches: float
    threads_gone: int
    threads: int
    jobs: float
    jobs_ours: float
    timers: float
    timers_ours: dict[str, float]
    fired_ours: dict[str, float]
    rss_mb: float

    @property
    def pin_timers(self) -> float:
        """Timers a minute the integration made for PINs and reservations."""
        return sum(v for k, v in self.timers_ours.items() if k not in SESSION_MODULES)


type Sample = tuple[dict[str, Any], dict[str, Any]]


def _window(setup: Setup, before: Sample, after: Sample) -> Window:
    (proc0, probe0), (proc1, probe1) = before, after
    minutes = (proc1["time"] - proc0["time"]) / 60
    pid = proc0["pid"]
    main = proc1["voluntary"].get(pid, 0) - proc0["voluntary"].get(pid, 0)
    total, gone = switches(proc0["voluntary"], proc1["voluntary"])

    def delta(key: str) -> dict[str, float]:
        first, last = probe0[key], probe1[key]
        return {k: (last.get(k, 0) - first.get(k, 0)) / minutes for k in set(first) | set(last)}

    timers, fired, jobs = delta("timers_created"), delta("timers_fired"), delta("jobs")
    ours = {k: v for k, v in timers.items() if k != "other"}
    return Window(
        label=setup.label,
        locks=len(setup.locks),
        cpu_10min=(proc1["cpu"] - proc0["cpu"]) / minutes * 10,
        wakeups=(probe1["wakeups"] - probe0["wakeups"]) / minutes,
        main_switches=main / minutes,
        all_switches=total / minutes,
        threads_gone=gone,
        threads=len(proc1["voluntary"]),
        jobs=sum(jobs.values()),
        jobs_ours=sum(v for k, v in jobs.items() if k != "other"),
        timers=sum(timers.values()),
        timers_ours=ours,
        fired_ours={k: v for k, v in fired.items() if k != "other"},
        rss_mb=proc1["rss_mb"],
    )


def _by_module(values: dict[str, float]) -> str:
    shown = {k: v for k, v in sorted(values.items()) if v >= 0.005}
    return ", ".join(f"{k} {v:.2f}" for k, v in shown.items()) or "0"


def _matrix(windows: list[Window]) -> list[str]:
    """The side-by-side table (one column per instance) as Markdown lines."""
    rows: list[tuple[str, list[str]]] = [
        ("CPU s / 10 min", [f"{w.cpu_10min:.2f}" for w in windows]),
        ("loop wake-ups / min (probe)", [f"{w.wakeups:.1f}" for w in windows]),
        ("loop thread voluntary switches / min", [f"{w.main_switches:.1f}" for w in windows]),
        (
            "voluntary switches / min, all threads (threads; ended)",
            [f"{w.all_switches:.1f} ({w.threads}; {w.threads_gone})" for w in windows],
        ),
        (
            "executor jobs / min (integration's)",
            [f"{w.jobs:.2f} ({w.jobs_ours:.2f})" for w in windows],
        ),
        ("loop timers created / min, whole process", [f"{w.timers:.1f}" for w in windows]),
        (
            "integration timers created / min, by module",
            [_by_module(w.timers_ours) for w in windows],
        ),
        ("integration timers fired / min, by module", [_by_module(w.fired_ours) for w in windows]),
        ("RSS at the end (MB)", [f"{w.rss_mb:.0f}" for w in windows]),
    ]
    header = ["", *(w.label for w in windows)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join([name, *cells]) + " |" for name, cells in rows]
    return lines


async def _start_setups(counts: list[int], root: Path, stays: StaysSimulator) -> list[Setup]:
    listings = list(listing_ids(stays).values())
    setups = [Setup("Home Assistant alone", HomeAssistant("alone", root / "alone"), [])]
    for count in counts:
        locks = await start_locks(f"bfidle{count}x", count, listings)
        hass = HomeAssistant(f"locks{count}", root / f"locks{count}")
        setups.append(Setup(f"+ SmartLock Tuya, {count} LAN locks", hass, locks))
    for setup in setups:
        setup.hass.prepare()
        await setup.hass.start()
        if setup.locks:
            await setup.hass.add_integration(stays, setup.locks)
            await setup.hass.start()
            await wait_all_connected(setup.locks, 600)
    return setups


async def measure(counts: list[int], minutes: float, settle: float) -> Report:
    """Start everything, wait, measure the window, stop everything."""
    report = Report(name=f"idle_ha ({minutes:g} min window)")
    stays = StaysSimulator(client_id=STAYS_CLIENT_ID, client_secret=STAYS_CLIENT_SECRET)
    await stays.start(HOST, 0)
    await load_sample_account(stays, date.today())  # noqa: DTZ011 - Home Assistant's today
    setups: list[Setup] = []
    with tempfile.TemporaryDirectory(prefix="bench-idle-ha-") as tmp:
        try:
            setups = await _start_setups(counts, Path(tmp), stays)
            await asyncio.sleep(settle)
            load_before = load_average()
            before = [(proc_sample(s.hass.pid), await s.hass.probe()) for s in setups]
            await asyncio.sleep(minutes * 60)
            after = [(proc_sample(s.hass.pid), await s.hass.probe()) for s in setups]
            load_after = load_average()
            alive = [all(sim.connected for sim in s.locks) for s in setups]
        finally:
            for setup in setups:
                await setup.hass.stop()
                for sim in setup.locks:
                    await sim.lock.stop()
            await stays.stop()
    windows = [_window(s, b, a) for s, b, a in zip(setups, before, after, strict=True)]
    _targets(report, windows)
    report.notes.append(
        f"load average (1/5/15 min) at the window's start {load_before}, "
        f"at its end {load_after} (a shared machine: other engineers' tests ran too)"
    )
    report.notes.append(
        "every lock still held its session at the end: "
        + ", ".join(f"{s.label}: {ok}" for s, ok in zip(setups, alive, strict=True))
    )
    report.notes.extend(_matrix(windows))
    return report


def _targets(report: Report, windows: list[Window]) -> None:
    """Issue 11's idle targets, checked for every instance with locks."""
    alone = windows[0]
    for window in windows[1:]:
        n = window.locks
        cpu_limit = alone.cpu_10min + 0.02
        report.add(
            f"{n} locks: CPU s / 10 min",
            f"{window.cpu_10min:.2f}",
            f"<= {cpu_limit:.2f} (alone {alone.cpu_10min:.2f} + 0.02)",
            "ok" if window.cpu_10min <= cpu_limit else "MISSED",
        )
        wake_limit = alone.wakeups + 2 * n
        report.add(
            f"{n} locks: loop wake-ups / min",
            f"{window.wakeups:.1f}",
            f"<= {wake_limit:.1f} (alone {alone.wakeups:.1f} + 2 x {n})",
            "ok" if window.wakeups <= wake_limit else "MISSED",
        )
        report.add(
            f"{n} locks: timers / min for PINs and reservations",
            f"{window.pin_timers:.2f}",
            "<= 1",
            "ok" if window.pin_timers <= 1 else "MISSED",
        )
        report.add(f"{n} locks: executor jobs / min (integration's)", f"{window.jobs_ours:.2f}")


def main(argv: list[str]) -> Report:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(prog="scripts/bench idle_ha", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10, help="the measured window")
    parser.add_argument("--locks", type=int, nargs="+", default=[3, 100])
    parser.add_argument("--settle", type=float, default=60, help="seconds after start-up")
    args = parser.parse_args(argv)
    started = time.monotonic()
    report = asyncio.run(measure(args.locks, args.minutes, args.settle))
    report.notes.append(f"whole run {time.monotonic() - started:.0f} s")
    return report


def run() -> Report:
    """The README's run: 10 minutes, 3 and 100 locks."""
    return main([])
