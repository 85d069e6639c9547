"""Serve N simulated locks on loopback in their own process, for `loop_stall`.

Prints one JSON line (the locks: id, version, profile, port), then serves until stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import sys

from simulators.tuya_lock import SimulatedLock

from ._locks import KEY

VERSIONS = ("3.3", "3.4", "3.5")
# Wi-Fi locks that speak for themselves; Zigbee locks need a gateway and a node id.
PROFILE_ID = "lock_pro_dp51"


def lock_specs(count: int) -> list[tuple[str, str, str]]:
    """Device id, version and profile of each lock: every version in turn."""
    return [
        (f"bench-lock-{number:03d}", VERSIONS[number % 3], PROFILE_ID) for number in range(count)
    ]


async def start_locks(count: int) -> list[SimulatedLock]:
    """Start `count` Lock Pro locks on 127.0.0.1, each on a free port."""
    locks = [
        SimulatedLock(device_id=device_id, local_key=KEY, version=version)
        for device_id, version, _profile in lock_specs(count)
    ]
    for lock in locks:
        await lock.start("127.0.0.1")
    return locks


async def _serve(count: int) -> None:
    locks = await start_locks(count)
    specs = lock_specs(count)
    print(json.dumps([[*spec, lock.port] for spec, lock in zip(specs, locks, strict=True)]))
    sys.stdout.flush()
    loop = asyncio.get_running_loop()
    try:
        await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes stdin
    finally:
        for lock in locks:
            await lock.stop()


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1])))
