"""Simulated Tuya locks on the local protocol (3.3, 3.4, 3.5), for tests, the demo and benchmarks.

The real tinytuya client talks to them over loopback TCP exactly as to real devices. Two real
families exist here, each following its public sources (see the modules in `simulators.tuya`):

- `SimulatedGateway` with Zigbee sub-device locks (`ZigbeeLock`, DP 24/25/26, 21- or 27-byte
  layout) reached by `cid` through the gateway's one connection;
- `SimulatedLock`, a Wi-Fi lock speaking for itself, by default a `LockPro` (DP 51/52/53/55),
  or an `AccessControlPanel` (`mk`, DP 1/2/3/11; its replies and delete layout are ours).

The CLI serves one of them until Ctrl-C (loopback only)::

    python -m simulators.tuya_lock --family lock_pro --version 3.4 --port 6668
    python -m simulators.tuya_lock --family zigbee --layout 27 --cid a4c1380000000001
"""

import argparse
import asyncio
import contextlib
import ipaddress

from simulators.tuya.access_control import AccessControlPanel
from simulators.tuya.device import IDLE_TIMEOUT, SimulatedLock, TuyaDevice
from simulators.tuya.endpoint import LockEndpoint
from simulators.tuya.family import LockFamily, StoredPin, WeeklySchedule
from simulators.tuya.gateway import SimulatedGateway, SubDevice
from simulators.tuya.lock_pro import LockPro
from simulators.tuya.zigbee_lock import ZigbeeLock

__all__ = [
    "IDLE_TIMEOUT",
    "AccessControlPanel",
    "LockEndpoint",
    "LockFamily",
    "LockPro",
    "SimulatedGateway",
    "SimulatedLock",
    "StoredPin",
    "SubDevice",
    "TuyaDevice",
    "WeeklySchedule",
    "ZigbeeLock",
    "main",
]


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


def build(args: argparse.Namespace) -> TuyaDevice:
    """The device the command line asks for, not yet started."""
    if args.family == "lock_pro":
        family = LockPro(battery=args.battery, locked=not args.unlocked)
        return SimulatedLock(
            device_id=args.device_id,
            local_key=args.local_key,
            version=args.version,
            family=family,
        )
    gateway = SimulatedGateway(
        device_id=args.device_id, local_key=args.local_key, version=args.version
    )
    gateway.add_lock(args.cid, layout=args.layout, battery=args.battery, locked=not args.unlocked)
    return gateway


async def _serve(args: argparse.Namespace) -> None:  # pragma: no cover - runs until Ctrl-C
    device = build(args)
    await device.start(args.host, args.port)
    try:
        print(
            f"Tuya {args.family} {args.device_id} (protocol {args.version}) "
            f"on {device.host}:{device.port}"
        )
        await asyncio.Event().wait()
    finally:
        await device.stop()


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description="Simulated Tuya lock for SmartLock Tuya.")
    parser.add_argument("--host", type=_loopback_host, default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6668)
    parser.add_argument("--version", choices=("3.3", "3.4", "3.5"), default="3.4")
    parser.add_argument("--family", choices=("lock_pro", "zigbee"), default="lock_pro")
    parser.add_argument("--layout", type=int, choices=(21, 27), default=27)
    parser.add_argument("--cid", default="a4c1380000000001", help="the Zigbee lock's node id")
    parser.add_argument("--device-id", default="bf0000000000000lock1")
    parser.add_argument("--local-key", type=_local_key, default="0123456789abcdef")
    parser.add_argument("--battery", type=int, default=90)
    parser.add_argument("--unlocked", action="store_true", help="start with the bolt drawn")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
