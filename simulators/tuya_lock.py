"""A simulated Tuya smart lock on the local protocol (3.3, 3.4, 3.5), for tests and the demo.

The real tinytuya client talks to it over loopback TCP exactly as to a lock: PINs go in through
the profile's raw data points, come back as status reports, and open the lock from the keypad.
The protocol layers live in `simulators.tuya`; this module is the public face and the CLI
(loopback only; Ctrl-C stops it)::

    python -m simulators.tuya_lock --version 3.4 --profile unlock_method --port 6668
"""

import argparse
import asyncio
import contextlib
import copy
import ipaddress
import json
from pathlib import Path
from typing import Any

from simulators.tuya.device import SimulatedLock
from simulators.tuya.lock import StoredPin

__all__ = ["SimulatedLock", "StoredPin", "load_profiles", "main"]

PROFILES = (
    Path(__file__).resolve().parent.parent
    / "custom_components"
    / "smartlock_tuya"
    / "tuya"
    / "profiles.json"
)


# Read once at import, so starting a lock inside an event loop never touches the disk.
_PROFILES: dict[str, dict[str, Any]] = json.loads(PROFILES.read_text(encoding="utf-8"))


def load_profiles() -> dict[str, dict[str, Any]]:
    """The integration's shipped PIN profiles, as its JSON file has them (a fresh copy)."""
    return copy.deepcopy(_PROFILES)


def _loopback_host(value: str) -> str:
    """Argparse type: the simulated lock has no real security, so it must not leave this host."""
    with contextlib.suppress(ValueError):
        if value == "localhost" or ipaddress.ip_address(value).is_loopback:
            return value
    raise argparse.ArgumentTypeError(f"{value!r} is not loopback (127.x.x.x, ::1, localhost)")


def _local_key(value: str) -> str:
    """Argparse type: tinytuya needs a 16-character key for 3.3 and later."""
    if len(value.encode("latin1", errors="replace")) != 16:
        raise argparse.ArgumentTypeError("the local key must be 16 characters")
    return value


async def _serve(args: argparse.Namespace) -> None:  # pragma: no cover - runs until Ctrl-C
    lock = SimulatedLock(
        device_id=args.device_id,
        local_key=args.local_key,
        version=args.version,
        profile=load_profiles()[args.profile],
        battery=args.battery,
        locked=not args.unlocked,
    )
    await lock.start(args.host, args.port)
    try:
        print(
            f"Tuya lock {args.device_id} (protocol {args.version}, profile {args.profile}) "
            f"on {lock.host}:{lock.port}"
        )
        await asyncio.Event().wait()
    finally:
        await lock.stop()


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description="Simulated Tuya smart lock for SmartLock Tuya.")
    parser.add_argument("--host", type=_loopback_host, default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6668)
    parser.add_argument("--version", choices=("3.3", "3.4", "3.5"), default="3.4")
    parser.add_argument("--profile", choices=sorted(load_profiles()), default="unlock_method")
    parser.add_argument("--device-id", default="bf0000000000000lock1")
    parser.add_argument("--local-key", type=_local_key, default="0123456789abcdef")
    parser.add_argument("--battery", type=int, default=90)
    parser.add_argument("--unlocked", action="store_true", help="start with the bolt drawn")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
