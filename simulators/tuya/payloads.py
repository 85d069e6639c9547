"""The PIN data points' bytes, read and written from docs/tuya-payloads.md.

This is the lock's side and deliberately shares no code with the integration's codecs: each
checks the other. Every integer is unsigned big-endian and times are Unix seconds.

`zigbee_temp_password` (create DP 24, delete DP 25): the lock-side id is the server serial.
`unlock_method` (create DP 1, delete DP 2, modify DP 3): the lock-side id is the slot
(hardware id) the lock picks on create.
"""

from dataclasses import dataclass
from enum import IntEnum
import struct
from typing import Self

PERMANENT_END = 0xFFFFFFFF  # the window stored for an `unlock_method` PIN without one
UNLOCK_TYPE_PASSWORD = 0x01
STAGE_START = 0x00
ANY_SLOT = 0xFFFF  # the hardware id of a create: the lock chooses the slot

_ZIGBEE_HEAD = struct.Struct(">HHH")  # tuya serial, server serial, manufacturer id
_ZIGBEE_CREATE = struct.Struct(">HHHIIB")  # ... start, end, one-time flag; then the PIN
_METHOD_HEAD = struct.Struct(">BBBHH")  # type, stage, admin flag, member id, hardware id
_METHOD_VALIDITY = struct.Struct(">BII8x")  # windowed flag, start, end, 8 reserved bytes
_METHOD_TAIL = struct.Struct(">BB")  # times, PIN length; then the digits
_METHOD_DELETE = struct.Struct(">BBBHHH")  # type, stage, admin, member id, hardware id, uuid
_METHOD_REPORT = struct.Struct(">BBHHBH")  # type, stage, member id, hardware id, status, uuid
_UUID = struct.Struct(">H")


class PayloadError(ValueError):
    """Bytes that do not follow the layout: the lock answers with its failure status."""


class ZigbeeStatus(IntEnum):
    """Last byte of a DP 24 / DP 25 report."""

    FAILED = 0
    OK = 1
    EXISTS = 2  # ours: a create with a server serial the lock already holds (a re-send)
    FULL = 3  # ours
    NO_SUCH = 4  # ours: a delete of a serial the lock does not hold


class MethodStatus(IntEnum):
    """Status byte of an `unlock_method` report."""

    OK = 0
    FAILED = 1
    EXISTS = 2  # a create for a member id that already has a PIN
    FULL = 3
    NO_SUCH = 4  # a delete of an empty slot


@dataclass(frozen=True, slots=True)
class ZigbeeCreate:
    """A temporary password written to the Zigbee create DP."""

    tuya_serial: int
    server_serial: int
    manufacturer_id: int
    start: int
    end: int
    once: bool
    pin: str

    @classmethod
    def decode(cls, raw: bytes) -> Self:
        """Read the 15-byte head and the ASCII PIN behind it."""
        if len(raw) <= _ZIGBEE_CREATE.size:
            raise PayloadError(f"zigbee create of {len(raw)} bytes has no PIN")
        tuya, server, maker, start, end, once = _ZIGBEE_CREATE.unpack_from(raw)
        if once > 1:
            raise PayloadError(f"one-time flag {once} is neither 0 nor 1")
        pin = raw[_ZIGBEE_CREATE.size :]
        if not pin.isdigit():
            raise PayloadError("zigbee PIN is not ASCII digits")
        return cls(tuya, server, maker, start, end, bool(once), pin.decode("ascii"))

    def report(self, status: ZigbeeStatus) -> bytes:
        """The DP 24 report: the first 6 bytes echoed and a status byte."""
        return zigbee_report(self.tuya_serial, self.server_serial, self.manufacturer_id, status)


@dataclass(frozen=True, slots=True)
class ZigbeeDelete:
    """A delete written to the Zigbee delete DP: exactly the 6-byte head."""

    tuya_serial: int
    server_serial: int
    manufacturer_id: int

    @classmethod
    def decode(cls, raw: bytes) -> Self:
        """Read the six bytes; anything longer or shorter is not a delete."""
        if len(raw) != _ZIGBEE_HEAD.size:
            raise PayloadError(f"zigbee delete of {len(raw)} bytes, expected 6")
        return cls(*_ZIGBEE_HEAD.unpack(raw))

    def report(self, status: ZigbeeStatus) -> bytes:
        """The DP 25 report: the 6 bytes echoed and a status byte."""
        return zigbee_report(self.tuya_serial, self.server_serial, self.manufacturer_id, status)


def zigbee_report(tuya: int, server: int, maker: int, status: ZigbeeStatus) -> bytes:
    """A 7-byte Zigbee report."""
    return _ZIGBEE_HEAD.pack(tuya, server, maker) + bytes([status])


def zigbee_failure(raw: bytes) -> bytes:
    """The failure report for bytes too broken to decode: whatever head there is, echoed."""
    return raw[: _ZIGBEE_HEAD.size].ljust(_ZIGBEE_HEAD.size, b"\x00") + bytes([ZigbeeStatus.FAILED])


@dataclass(frozen=True, slots=True)
class MethodPin:
    """A password written to the `unlock_method` create DP (slot 0xFFFF) or modify DP (a slot)."""

    unlock_type: int
    stage: int
    admin: int
    member_id: int
    hardware_id: int
    windowed: bool
    start: int
    end: int
    times: int  # 0 unlimited, else how many unlocks
    pin: str
    uuid: int

    @classmethod
    def decode(cls, raw: bytes) -> Self:
        """Read head, validity, times, the PIN one digit per byte, and the message uuid."""
        fixed = _METHOD_HEAD.size + _METHOD_VALIDITY.size + _METHOD_TAIL.size
        if len(raw) < fixed + _UUID.size:
            raise PayloadError(f"unlock_method PIN of {len(raw)} bytes is too short")
        kind, stage, admin, member, hardware = _METHOD_HEAD.unpack_from(raw)
        windowed, start, end = _METHOD_VALIDITY.unpack_from(raw, _METHOD_HEAD.size)
        times, length = _METHOD_TAIL.unpack_from(raw, _METHOD_HEAD.size + _METHOD_VALIDITY.size)
        if len(raw) != fixed + length + _UUID.size:
            raise PayloadError(f"PIN length {length} does not match {len(raw)} bytes")
        digits = raw[fixed : fixed + length]
        if any(digit > 9 for digit in digits):
            raise PayloadError("unlock_method PIN digits must be 0x00-0x09")
        if windowed > 1 or times == 0xFF:
            raise PayloadError("bad validity flag or times")
        if not windowed:
            start, end = 0, PERMANENT_END
        (uuid,) = _UUID.unpack_from(raw, fixed + length)
        pin = "".join(str(digit) for digit in digits)
        return cls(
            kind, stage, admin, member, hardware, bool(windowed), start, end, times, pin, uuid
        )

    def report(self, slot: int, status: MethodStatus) -> bytes:
        """The 9-byte report on the create or modify DP, naming the slot."""
        return _METHOD_REPORT.pack(
            self.unlock_type, self.stage, self.member_id, slot, status, self.uuid
        )


@dataclass(frozen=True, slots=True)
class MethodDelete:
    """A delete written to the `unlock_method` delete DP."""

    unlock_type: int
    stage: int
    admin: int
    member_id: int
    hardware_id: int
    uuid: int

    @classmethod
    def decode(cls, raw: bytes) -> Self:
        """Read the fixed 9 bytes."""
        if len(raw) != _METHOD_DELETE.size:
            raise PayloadError(f"unlock_method delete of {len(raw)} bytes, expected 9")
        return cls(*_METHOD_DELETE.unpack(raw))

    def report(self, status: MethodStatus) -> bytes:
        """The 9-byte report on the delete DP."""
        return _METHOD_REPORT.pack(
            self.unlock_type, self.stage, self.member_id, self.hardware_id, status, self.uuid
        )


def method_failure(raw: bytes) -> bytes:
    """The failure report for bytes too broken to decode: type, stage, ids and uuid if present."""
    head = raw.ljust(_METHOD_HEAD.size, b"\x00")
    kind, stage, _admin, member, hardware = _METHOD_HEAD.unpack_from(head)
    uuid = _UUID.unpack(raw[-2:])[0] if len(raw) > _METHOD_HEAD.size + 1 else 0
    return _METHOD_REPORT.pack(kind, stage, member, hardware, MethodStatus.FAILED, uuid)
