"""What the simulated-lock tests share: a hand-moved clock, tinytuya calls off the loop, vectors.

Request bytes are built here with `struct` from the published layouts, independently of the
simulator's own decoders, so each side checks the other.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
import json
from pathlib import Path
import struct
from typing import Any

NOW = 1_773_154_800  # 2026-03-10 15:00 UTC, a Tuesday
HOUR = 3600
KEY = "0123456789abcdef"
VERSIONS = ("3.3", "3.4", "3.5")
# What tinytuya returns, per protocol version, when the device hangs up on it (busy or wrong
# key) and when the device accepts the connection but never answers.
HANG_UP = {"3.3": "904", "3.4": "914", "3.5": "914"}
SILENT = {"3.3": "902", "3.4": "914", "3.5": "914"}
VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "vectors" / "simulator_captures.json").read_text(encoding="utf-8")
)


class ManualClock:
    """The lock's clock, moved by hand; PIN windows are checked against it."""

    def __init__(self) -> None:
        """Start at `NOW`."""
        self.now = float(NOW)

    def __call__(self) -> float:
        """The time the lock believes it is."""
        return self.now


def b64(raw: bytes) -> str:
    """A raw DP value as tinytuya sends it."""
    return base64.b64encode(raw).decode()


def raw_reply(result: dict[str, Any] | None, dp: int) -> bytes:
    """The raw bytes a lock reported on a DP, from a tinytuya result or a control() report."""
    assert result is not None, "no reply"
    dps = result.get("dps", result)
    return base64.b64decode(dps[str(dp)])


async def call(function: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking tinytuya call off the event loop, as the integration does."""
    return await asyncio.to_thread(function, *args)


def zigbee_password(
    ident: int, pin: str, start: int, end: int, *, once: bool = False, layout: int = 27
) -> bytes:
    """A DP 24/26 request: 6 id bytes (first field `ident`, then 0001 0000 as captured)."""
    head = struct.pack(">HHH", ident, 1, 0) + struct.pack(">II", start, end)
    reserved = bytes(6) if layout == 27 else b""
    return head + reserved + bytes([once]) + pin.encode()


def zigbee_ident(ident: int) -> bytes:
    """The 6 bytes naming a password, as `zigbee_password` writes them."""
    return struct.pack(">HHH", ident, 1, 0)


def pro_validity(
    start: int, end: int, *, pattern: int = 0, weekdays: int = 0, hours: tuple[int, ...] = ()
) -> bytes:
    """A Lock Pro validity block: start, end, pattern, weekdays, start HH MM, end HH MM."""
    sh, sm, eh, em = hours or (0, 0, 23, 59)
    return struct.pack(">IIBIBBBB", start, end, pattern, weekdays, sh, sm, eh, em)


def pro_create(pin: str, start: int, end: int, *, uses: int = 0, validity: bytes = b"") -> bytes:
    """A DP 51 request: type 0, validity, uses, length, one byte per digit."""
    block = validity or pro_validity(start, end)
    return b"\x00" + block + bytes([uses, len(pin)]) + bytes(int(d) for d in pin)


def pro_modify(hw_id: int, pin: str, start: int, end: int, *, uses: int = 0) -> bytes:
    """A DP 53 request: the hardware id, then the DP 51 layout."""
    return bytes([hw_id]) + pro_create(pin, start, end, uses=uses)
