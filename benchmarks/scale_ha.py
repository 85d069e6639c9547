"""500 simulated LAN locks on one real Home Assistant on this machine.

The locks run in this process on loopback, one port each; Home Assistant runs with the probe
sampling its loop's lateness every 5 ms and submitting a no-op to its executor every second.
Measured: the time from starting `hass` until every lock holds a session (seen from the locks)
and until every lock entity shows a state; the loop's longest stall and the executor no-op's
longest queue wait during start-up, while idle and while locks push; push-to-state latency
(a lock's bolt moves on the simulator; Home Assistant stamps the lock entity's `state_changed`
event, and this process receives it over the websocket) for a sample one at a time and for
every lock at once; and RSS beside a Home Assistant without the integration, run alongside.

    scripts/bench scale_ha [--locks 500] [--idle 120] [--sample 50]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
import random
import tempfile
import time
from typing import Any

from custom_components.smartlock_tuya.tuya.lan import HEARTBEAT_INTERVAL
from demo.scenario import listing_ids
from simulators.stays_server import StaysSimulator, load_sample_account

from ._common import Report, percentile
from ._hass import (
    HOST,
    STAYS_CLIENT_ID,
    STAYS_CLIENT_SECRET,
    HomeAssistant,
    SimLock,
    load_average,
    proc_sample,
    start_locks,
    subentry_ids,
    wait_all_connected,
)

LAG_INTERVAL_MS = 5
HEARTBEAT_GRID = HEARTBEAT_INTERVAL / 4
EXECUTOR_PROBE_S = 1


async def _states_ready(hass: HomeAssistant, count: int, seconds: float) -> float:
    """Seconds until `count` lock entities show locked or unlocked (polled every 2 s)."""
    assert hass.api is not None
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        states = await hass.api.states()
        ready = [s for s in states if s["entity_id"].startswith("lock.") and s["state"] in _BOLT]
        if len(ready) >= count:
            return time.monotonic() - started
        await asyncio.sleep(2)
    raise RuntimeError(f"lock entities not ready after {seconds:.0f} s")


_BOLT = ("locked", "unlocked")


#: What one push should do in Home Assistant: this entity changes (to this state, if given).
type Expect = tuple[str, str | None]
type Trigger = Callable[[SimLock], Awaitable[Expect]]


async def move_bolt(sim: SimLock, entity_of: dict[str, str]) -> Expect:
    """Throw or draw the bolt on the simulator; the lock entity follows."""
    target = not sim.lock.locked
    await sim.lock.set_locked(target)
    return entity_of[sim.data["device_id"]], "locked" if target else "unlocked"


async def type_pin(sim: SimLock, entity_of: dict[str, str]) -> Expect:
    """Type a PIN open now on the keypad; the lock's PIN-unlock event entity fires."""
    now = time.time()
    pin = next(p.pin for p in sim.lock.pins.values() if p.admits(p.pin, now))
    await sim.lock.keypad(pin)
    return entity_of[sim.data["device_id"]], None


async def _latencies(
    hass: HomeAssistant, locks: list[SimLock], trigger: Trigger, *, at_once: bool
) -> tuple[list[float], list[float]]:
    """Push from each lock; (stamped by Home Assistant, received here) latencies in ms."""
    pending: dict[str, tuple[str | None, float, float]] = {}
    stamped: list[float] = []
    received: list[float] = []
    done = asyncio.Event()
    async with hass.websocket() as ws:
        await ws.send_json({"id": 1, "type": "subscribe_events", "event_type": "state_changed"})
        await ws.receive_json()

        async def listen() -> None:
            async for message in ws:
                event = message.json().get("event", {})
                data = event.get("data", {})
                wanted = pending.get(data.get("entity_id", ""))
                new = (data.get("new_state") or {}).get("state")
                if wanted is None or (wanted[0] is not None and new != wanted[0]):
                    continue
                _, wall, mono = wanted
                fired = datetime.fromisoformat(event["time_fired"]).timestamp()
                stamped.append((fired - wall) * 1000)
                received.append((time.monotonic() - mono) * 1000)
                del pending[data["entity_id"]]
                if not pending:
                    done.set()

        listener = asyncio.create_task(listen())

        async def push(sim: SimLock) -> None:
            wall, mono = time.time(), time.monotonic()
            entity, state = await trigger(sim)
            pending[entity] = (state, wall, mono)

        try:
            if at_once:
                done.clear()
                for sim in locks:
                    await push(sim)
                await asyncio.wait_for(done.wait(), 60)
            else:
                for sim in locks:
                    done.clear()
                    await push(sim)
                    await asyncio.wait_for(done.wait(), 10)
                    await asyncio.sleep(0.1)
        finally:
            listener.cancel()
    return stamped, received


def _lag_rows(report: Report, phase: str, probe: dict[str, Any]) -> None:
    """The window's stall and executor-wait rows, and where the loop was while stalled."""
    lag, wait = probe["lag"], probe["executor_wait"]
    if lag.get("count"):
        report.check(f"{phase}: longest loop stall", lag["max_ms"], 20, "ms")
        late = probe["late"]
        # Stalls due within -0.25..+0.5 s of a heartbeat instant (heartbeat.py `Heartbeat.due`:
        # pings are due on multiples of HEARTBEAT_INTERVAL / 4 of the loop's clock, monotonic).
        near_tick = sum(1 for end, size in late if (end - size + 0.25) % HEARTBEAT_GRID < 0.75)
        report.add(
            f"{phase}: loop lag p50 / p99; samples >= 20 ms (of them at a heartbeat instant)",
            f"{lag['p50_ms']:.1f} / {lag['p99_ms']:.1f} ms; {lag['over_20ms']} of "
            f"{lag['count']} ({near_tick})",
        )
        by_ours: dict[str, int] = {}
        for stack, ms in probe["stalled_in"]:
            ours = stack.split("| integration: ", 1)[-1].split(" |", 1)[0]
            by_ours[ours] = by_ours.get(ours, 0) + ms
        if by_ours:
            report.notes.append(
                f"{phase}: stalled time sampled, by the integration's frame on the stack: "
                + ", ".join(f"{k} {v} ms" for k, v in sorted(by_ours.items(), key=lambda i: -i[1]))
            )
        for stack, ms in probe["stalled_in"][:4]:
            report.notes.append(f"{phase}: stalled {ms} ms in {stack}")
    if wait.get("count"):
        report.check(f"{phase}: longest executor queue wait", wait["max_ms"], 50, "ms")


async def _startup(
    report: Report, hass: HomeAssistant, alone: HomeAssistant, locks: list[SimLock]
) -> None:
    """From spawning hass until every lock holds a session and every lock entity a state."""
    alone_startup = await alone.probe(reset=True)
    starting = asyncio.create_task(hass.start())
    connected = await wait_all_connected(locks, 900)
    await starting
    ready = await _states_ready(hass, len(locks), 600) + time.monotonic() - hass.started_at
    startup_probe = await hass.probe(reset=True)
    report.check("start-up: hass started until all locks connected", connected, 120, "s")
    report.add(
        "start-up, since hass started: HTTP answers / RUNNING / all connected / "
        "all lock entities show a state",
        f"{hass.up_after:.1f} / {hass.running_after:.1f} / {connected:.1f} / {ready:.1f} s",
    )
    _lag_rows(report, "start-up (probe loaded until all connected)", startup_probe)
    report.add(
        "  reference: Home Assistant alone, its start-up: longest loop stall",
        f"{alone_startup['lag'].get('max_ms', 0):.1f} ms",
    )


async def _pins_settled(report: Report, locks: list[SimLock], started_at: float) -> None:
    """Wait until the PINs the integration writes at start-up stop changing (15 s still)."""
    last, still_since = -1, time.monotonic()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        pins = sum(len(sim.lock.pins) for sim in locks)
        if pins != last:
            last, still_since = pins, time.monotonic()
        elif time.monotonic() - still_since >= 15:
            break
        await asyncio.sleep(1)
    report.add(
        "start-up: PINs the integration wrote (locks holding one); last written after",
        f"{last} ({sum(bool(sim.lock.pins) for sim in locks)}); "
        f"{still_since - started_at:.0f} s since hass started",
    )


async def _idle(
    report: Report, hass: HomeAssistant, alone: HomeAssistant, seconds: float
) -> list[str]:
    """Every lock connected and nothing happening but heartbeats; the load averages seen."""
    loads = [f"idle start {load_average()}"]
    before = proc_sample(hass.pid), await hass.probe(reset=True)
    await alone.probe(reset=True)
    await asyncio.sleep(seconds)
    after = proc_sample(hass.pid), await hass.probe(reset=True)
    alone_idle = await alone.probe(reset=True)
    loads.append(f"idle end {load_average()}")
    minutes = (after[0]["time"] - before[0]["time"]) / 60
    _lag_rows(report, f"idle {seconds:.0f} s", after[1])
    report.add(
        "  reference: Home Assistant alone, same window: longest stall / executor wait",
        f"{alone_idle['lag'].get('max_ms', 0):.1f} / "
        f"{alone_idle['executor_wait'].get('max_ms', 0):.1f} ms",
    )
    report.add(
        f"idle: CPU s / min; loop wake-ups / min (incl. the probe's {1000 // LAG_INTERVAL_MS}/s)",
        f"{(after[0]['cpu'] - before[0]['cpu']) / minutes:.2f} s; "
        f"{(after[1]['wakeups'] - before[1]['wakeups']) / minutes:.0f}",
    )
    jobs = {k: v - before[1]["jobs"].get(k, 0) for k, v in after[1]["jobs"].items()}
    ours = ", ".join(f"{k} {v / minutes:.1f}" for k, v in sorted(jobs.items()) if k != "other")
    report.add(
        "idle: executor jobs / min, whole process incl. the probe's 60 (integration's by module)",
        f"{sum(jobs.values()) / minutes:.1f} ({ours or 0})",
    )
    return loads


async def _pushes(report: Report, hass: HomeAssistant, locks: list[SimLock], sample: int) -> None:
    """Bolt moves: a sample one at a time, then every lock at once; then guests' PINs.

    The PINs are typed on a sample of the locks that hold one open now (the integration wrote
    them for the sample account's stays in progress).
    """
    device_of = {sub: device for device, sub in subentry_ids(hass.config).items()}
    lock_of = {
        device_of[sub]: entity
        for sub, entity in (await hass.entity_ids_by_subentry("lock")).items()
    }
    event_of = {
        device_of[sub]: entity
        for sub, entity in (await hass.entity_ids_by_subentry("event")).items()
    }
    rng = random.Random(7)  # noqa: S311 - a reproducible sample
    chosen = rng.sample(locks, min(sample, len(locks)))

    async def bolt(sim: SimLock) -> Expect:
        return await move_bolt(sim, lock_of)

    stamped, received = await _latencies(hass, chosen, bolt, at_once=False)
    report.check(
        f"bolt push to lock entity, {len(chosen)} one at a time: p99 (HA's stamp)",
        percentile(stamped, 0.99),
        1000,
        "ms",
    )
    report.add(
        "  p50 / max (HA's stamp); p50 / p99 received over the websocket",
        f"{percentile(stamped, 0.5):.1f} / {max(stamped):.1f} ms; "
        f"{percentile(received, 0.5):.1f} / {percentile(received, 0.99):.1f} ms",
    )
    _lag_rows(report, "bolt pushes one at a time", await hass.probe(reset=True))
    stamped, received = await _latencies(hass, locks, bolt, at_once=True)
    report.check(
        f"bolt push, all {len(locks)} at once: slowest (HA's stamp)", max(stamped), 1000, "ms"
    )
    report.add(
        "  p50 / p99 (HA's stamp); slowest received here",
        f"{percentile(stamped, 0.5):.0f} / {percentile(stamped, 0.99):.0f} ms; "
        f"{max(received):.0f} ms",
    )
    _lag_rows(report, f"all {len(locks)} bolts at once", await hass.probe(reset=True))
    now = time.time()
    holding = [s for s in locks if any(p.admits(p.pin, now) for p in s.lock.pins.values())]
    if holding:

        async def guest(sim: SimLock) -> Expect:
            return await type_pin(sim, event_of)

        chosen = rng.sample(holding, min(sample, len(holding)))
        stamped, received = await _latencies(hass, chosen, guest, at_once=False)
        report.check(
            f"guest's PIN to event entity, {len(chosen)} locks one at a time: p99 (HA's stamp)",
            percentile(stamped, 0.99),
            1000,
            "ms",
        )
        report.add(
            "  p50 / max (HA's stamp); p99 received here",
            f"{percentile(stamped, 0.5):.1f} / {max(stamped):.1f} ms; "
            f"{percentile(received, 0.99):.1f} ms",
        )
    report.add("locks holding a PIN open now (written by the integration)", str(len(holding)))
    _lag_rows(report, "guests' PINs one at a time", await hass.probe(reset=True))


def _memory(report: Report, hass: HomeAssistant, alone: HomeAssistant) -> None:
    rss = proc_sample(hass.pid)["rss_mb"]
    rss_alone = proc_sample(alone.pid)["rss_mb"]
    report.check("RSS: with the locks minus Home Assistant alone", rss - rss_alone, 200, "MB")
    report.add("RSS: with the locks / alone", f"{rss:.0f} / {rss_alone:.0f} MB")


async def measure(count: int, idle: float, sample: int) -> Report:
    """Start the locks and both Home Assistants, then measure each phase."""
    report = Report(name=f"scale_ha ({count} LAN locks)")
    stays = StaysSimulator(client_id=STAYS_CLIENT_ID, client_secret=STAYS_CLIENT_SECRET)
    await stays.start(HOST, 0)
    await load_sample_account(stays, date.today())  # noqa: DTZ011 - Home Assistant's today
    locks: list[SimLock] = []
    instances: list[HomeAssistant] = []
    loads: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-ha-") as tmp:
        try:
            locks = await start_locks("bfscale", count, list(listing_ids(stays).values()))
            alone, hass = (
                HomeAssistant(
                    name,
                    Path(tmp) / name,
                    lag_interval_ms=LAG_INTERVAL_MS,
                    executor_probe_s=EXECUTOR_PROBE_S,
                )
                for name in ("alone", f"locks{count}")
            )
            instances = [alone, hass]
            for instance in instances:
                instance.prepare()
                await instance.start()
            await hass.add_integration(stays, locks)
            loads.append(f"before start {load_average()}")
            await _startup(report, hass, alone, locks)
            await _pins_settled(report, locks, hass.started_at)
            await hass.probe(reset=True)
            loads += await _idle(report, hass, alone, idle)
            await _pushes(report, hass, locks, sample)
            _memory(report, hass, alone)
            report.add("all locks still connected at the end", str(all(s.connected for s in locks)))
        finally:
            for instance in instances:
                await instance.stop()
            for sim in locks:
                await sim.lock.stop()
            await stays.stop()
    report.notes.append(
        f"load average (1/5/15 min): {'; '.join(loads)} "
        "(a shared 2-core machine: other engineers' tests ran too)"
    )
    report.notes.append(
        "the simulated locks, the Stays simulator and this driver share the same 2 cores"
    )
    return report


def main(argv: list[str]) -> Report:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(prog="scripts/bench scale_ha", description=__doc__)
    parser.add_argument("--locks", type=int, default=500)
    parser.add_argument("--idle", type=float, default=120, help="seconds of the idle window")
    parser.add_argument("--sample", type=int, default=50, help="locks pushed one at a time")
    args = parser.parse_args(argv)
    started = time.monotonic()
    report = asyncio.run(measure(args.locks, args.idle, args.sample))
    report.notes.append(f"whole run {time.monotonic() - started:.0f} s")
    return report


def run() -> Report:
    """The README's run: 500 locks."""
    return main([])
