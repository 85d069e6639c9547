"""The Zigbee lock that sits behind a Tuya gateway (Intelbras IFR 7000 and its family).

DP numbers (make-all/tuya-local
``custom_components/tuya_local/devices/intelbras_IFR7000_lock.yaml``): 3 unlock with a temporary
password (integer), 8 lock state (bool, ``true`` = unlocked), 10 battery %, and the write-only
raw DPs 24 password_create, 25 password_delete, 26 password_update.

DP 24 layouts, chosen per lock (`layout`), every integer big-endian, times Unix seconds:

- 21 bytes, Tuya's Zigbee door-lock DP reference (as quoted by EDIT-Aeterna/tuya-zigbee-lock-local
  ``tests/fixtures/temporary_password/dp24_create.json``): tuya serial(2) server serial(2)
  manufacturer id(2) start(4) end(4) one_time(1) six ASCII digits.
- 27 bytes, captured from a newer lock firmware (EDIT-Aeterna/tuya-zigbee-lock-local
  ``tests/fixtures/target_srptwvak/temporary_password/dp24_*.json`` and
  ``docs/TEMP_PASSWORD_PROTOCOL.md``): prefix(6) start(4) end(4) reserved(6, must be zero)
  one_time(1) six ASCII digits. In the captures the prefix's first field changes per password
  (0x03E3, 0x03E5, 0x03E6) and the rest stays 0001 0000.

The 6-byte prefix (or 21-byte head) names the password; DP 25 carries exactly those 6 bytes
(EDIT-Aeterna ``docs/TEMP_PASSWORD_PROTOCOL.md``: "DP25 ... 6-byte RAW reference requests"), and
DP 26 has the same layout as DP 24 (same file). Replies echo the 6 bytes and add a status
byte (``tests/fixtures/temporary_password/dp24_result.json``). Statuses: 0 failure and
1 success from Tuya's reference; 2 duplicate password (refused: the PIN is NOT stored) and
3 full from EDIT-Aeterna's protocol notes (``docs/PHASE1_PROTOCOL_REPORT.md`` section 6: "DP24
result values are documented as failure, success, duplicate, and full (0..3)").

The lock's clock is the LOCAL time its Zigbee module hands it, not UTC: "any time-windowed
feature on the lock (e.g. temp-code validity) tracks whatever the module puts in the LOCAL slot"
(EDIT-Aeterna ``docs/PROTOCOL.md`` section 4.4; the captured exchange had local - GMT = 28800,
``docs/PHASE1_PROTOCOL_REPORT.md`` section 10). `local_offset` reproduces that: windows are
compared with UTC + offset.

A delete of an id the lock does not hold answers 0: Tuya's reference gives DP 25 a response
status of 0 failure / 1 success only (its DP 24 wording, quoted in make-all/tuya-local issue
#1792; EDIT-Aeterna ``docs/PHASE1_PROTOCOL_REPORT.md`` section 6 leaves the other DPs' results to
the reference), so 0 is the only byte a lock has for "not there". Ours, where no source speaks:
an update of an absent id answers 0, and a create for an id already in use answers 0 rather
than overwriting it (docs/tuya-payloads.md, "A delete of an id the lock does not hold").
DP 3 reports the prefix's first 2-byte field: Tuya limits DP 3 to 0-999 and the captured
first fields (995-998) fit that range, so we read it as the lock's password number.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import IntEnum
import struct
from typing import Any, ClassVar, Self

from .family import LockFamily, StoredPin

LAYOUTS = (21, 27)
ID_SIZE = 6
_ID = struct.Struct(">HHH")
_WINDOW = struct.Struct(">II")
_RESERVED = 6


class ZigbeeStatus(IntEnum):
    """The status byte at the end of a DP 24/25/26 reply."""

    FAILED = 0
    OK = 1
    DUPLICATE = 2
    FULL = 3


class PayloadError(ValueError):
    """Bytes that do not follow the lock's layout: it answers with status 0."""


@dataclass(frozen=True, slots=True)
class TemporaryPassword:
    """A DP 24 (create) or DP 26 (update) request."""

    ident: bytes  # the 6 bytes that name the password
    start: int
    end: int
    once: bool
    pin: str

    @classmethod
    def decode(cls, raw: bytes, layout: int) -> Self:
        """Read one request in the lock's layout; anything else is a `PayloadError`."""
        if len(raw) != layout:
            raise PayloadError(f"{len(raw)} bytes where this lock takes {layout}")
        start, end = _WINDOW.unpack_from(raw, ID_SIZE)
        tail = ID_SIZE + _WINDOW.size
        if layout == LAYOUTS[1]:
            if any(raw[tail : tail + _RESERVED]):
                raise PayloadError("reserved bytes are not zero")
            tail += _RESERVED
        once, digits = raw[tail], raw[tail + 1 :]
        if once > 1:
            raise PayloadError(f"one-time flag {once} is neither 0 nor 1")
        if not digits.isdigit():
            raise PayloadError("the PIN is not ASCII digits")
        if start >= end:
            raise PayloadError("the window is empty")
        return cls(raw[:ID_SIZE], start, end, bool(once), digits.decode("ascii"))

    def encode(self, layout: int) -> bytes:
        """The request bytes, for tests and for the capture vectors."""
        reserved = bytes(_RESERVED) if layout == LAYOUTS[1] else b""
        window = _WINDOW.pack(self.start, self.end)
        return self.ident + window + reserved + bytes([self.once]) + self.pin.encode()


def reply(ident: bytes, status: ZigbeeStatus) -> bytes:
    """A 7-byte reply: the password's 6 bytes echoed, then the status."""
    return ident[:ID_SIZE].ljust(ID_SIZE, b"\x00") + bytes([status])


def ident_key(ident: bytes) -> int:
    """The key a password is stored under in `ZigbeeLock.pins` (its 6 bytes as one integer)."""
    return int.from_bytes(ident)


class ZigbeeLock(LockFamily):
    """A Zigbee lock's DPs and password memory (no I/O)."""

    FAMILY: ClassVar[str] = "zigbee"
    STATE_DP: ClassVar[str] = "8"
    BATTERY_DP: ClassVar[str] = "10"
    UNLOCKED_BY_PIN_DP: ClassVar[str] = "3"
    CREATE_DP: ClassVar[str] = "24"
    DELETE_DP: ClassVar[str] = "25"
    UPDATE_DP: ClassVar[str] = "26"

    def __init__(
        self,
        *,
        layout: int = 27,
        battery: int = 90,
        locked: bool = True,
        capacity: int = 10,
        local_offset: int = 0,
    ) -> None:
        """A lock taking the 21- or 27-byte DP 24 layout and holding up to `capacity` PINs.

        `local_offset` (seconds) is how far the lock's local clock is ahead of UTC.
        """
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}")
        self.layout = layout
        self.local_offset = local_offset
        super().__init__(battery=battery, locked=locked, capacity=capacity)

    def keypad(self, pin: str, now: float) -> dict[str, Any] | None:
        """Type a PIN at UTC `now`; the lock judges windows by its local clock."""
        return super().keypad(pin, now + self.local_offset)

    def pin_handlers(self) -> Mapping[str, Callable[[bytes], bytes]]:
        """DP 24 create, DP 25 delete, DP 26 update."""
        return {
            self.CREATE_DP: self._create,
            self.DELETE_DP: self._delete,
            self.UPDATE_DP: self._update,
        }

    def failure(self, dp: str, raw: bytes) -> bytes:
        """Status 0 with whatever id the request carried."""
        return reply(raw, ZigbeeStatus.FAILED)

    def _duplicate(self, pin: str, besides: int | None = None) -> bool:
        return any(stored.pin == pin for key, stored in self.pins.items() if key != besides)

    def _store(self, request: TemporaryPassword) -> None:
        self.pins[ident_key(request.ident)] = StoredPin(
            request.pin,
            request.start,
            request.end,
            times=int(request.once),
            unlock_id=_ID.unpack(request.ident)[0],
        )

    def _create(self, raw: bytes) -> bytes:
        try:
            request = TemporaryPassword.decode(raw, self.layout)
        except PayloadError:
            return reply(raw, ZigbeeStatus.FAILED)
        if self._duplicate(request.pin):
            return reply(request.ident, ZigbeeStatus.DUPLICATE)
        if ident_key(request.ident) in self.pins:
            return reply(request.ident, ZigbeeStatus.FAILED)
        if len(self.pins) >= self.capacity:
            return reply(request.ident, ZigbeeStatus.FULL)
        self._store(request)
        return reply(request.ident, ZigbeeStatus.OK)

    def _update(self, raw: bytes) -> bytes:
        try:
            request = TemporaryPassword.decode(raw, self.layout)
        except PayloadError:
            return reply(raw, ZigbeeStatus.FAILED)
        key = ident_key(request.ident)
        if key not in self.pins:
            return reply(request.ident, ZigbeeStatus.FAILED)
        if self._duplicate(request.pin, besides=key):
            return reply(request.ident, ZigbeeStatus.DUPLICATE)
        self._store(request)
        return reply(request.ident, ZigbeeStatus.OK)

    def _delete(self, raw: bytes) -> bytes:
        if len(raw) != ID_SIZE or self.pins.pop(ident_key(raw), None) is None:
            return reply(raw, ZigbeeStatus.FAILED)
        return reply(raw, ZigbeeStatus.OK)
