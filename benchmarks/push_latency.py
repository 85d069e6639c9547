"""PIN create+confirm latency to one simulated LAN lock per protocol version."""

from __future__ import annotations

import asyncio
import time

from simulators.tuya_lock import SimulatedLock

from ._common import Report, median, percentile
from ._locks import KEY, backend, pin_for, request

VERSIONS = ("3.3", "3.4", "3.5")
CREATES = 200
CONNECTS = 5
PROFILE = "lock_pro_dp51"


async def _measure(version: str, report: Report) -> None:
    lock = SimulatedLock(device_id=f"bench-{version}", local_key=KEY, version=version)
    await lock.start("127.0.0.1")
    try:
        connects: list[float] = []
        for _ in range(CONNECTS):
            lan = backend(
                device_id=lock.device_id,
                port=lock.port,
                version=version,
                profile_id=PROFILE,
            )
            started = time.perf_counter()
            await lan.connect()
            connects.append(time.perf_counter() - started)
            await lan.close()
        auto = backend(
            device_id=lock.device_id,
            port=lock.port,
            version="auto",
            profile_id=PROFILE,
        )
        started = time.perf_counter()
        info = await asyncio.wait_for(auto.connect(), timeout=30)
        auto_connect = time.perf_counter() - started
        await auto.close()
        lan = backend(
            device_id=lock.device_id,
            port=lock.port,
            version=version,
            profile_id=PROFILE,
        )
        await lan.connect()
        latencies: list[float] = []
        for ref in range(1, CREATES + 1):
            pin_request = request(ref, pin_for(ref))
            started = time.perf_counter()
            created = await asyncio.wait_for(lan.create_credential(pin_request), timeout=15)
            latencies.append(time.perf_counter() - started)
            await asyncio.wait_for(lan.delete_credential(created.lock_pin_id, ref), timeout=15)
        await lan.close()
        assert not lock.pins, "every PIN was deleted again"
    finally:
        await lock.stop()
    report.add(
        f"{version}: create+confirm p50 / p99 ({CREATES})",
        f"{median(latencies) * 1000:.2f} / {percentile(latencies, 0.99) * 1000:.2f} ms",
        "reference (no target)",
    )
    report.add(
        f"{version}: connect, version given (median of {CONNECTS})",
        f"{median(connects) * 1000:.2f} ms",
        "reference (no target)",
    )
    report.add(
        f"{version}: connect, version auto",
        f"{auto_connect * 1000:.1f} ms (found {info.protocol_version})",
        "reference (no target)",
    )


async def _main() -> Report:
    report = Report(name="push_latency")
    for version in VERSIONS:
        await _measure(version, report)
    report.notes.append(
        f"one lock per version, profile {PROFILE}, tinytuya's frames and crypto driven from "
        "the event loop (no executor), lock and client in one process on 127.0.0.1"
    )
    report.notes.append("each PIN is deleted after its create (not timed) to stay under capacity")
    return report


def run() -> Report:
    """Run the measurement in a fresh event loop."""
    return asyncio.run(_main())
