"""Raw payload codecs for temporary PINs: bytes to the lock, the lock's reports back.

Layouts are documented in `docs/tuya-payloads.md`. Encoders refuse values that do not fit;
decoders refuse any report that is not exactly a known layout with `CodecError`, so a
garbled or foreign report is never mistaken for a confirmation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import base64
import binascii
from dataclasses import dataclass
from enum import Enum
import struct
from typing import ClassVar, Final

from .errors import CodecError, UnsupportedOperationError

MAX_REF: Final = 0xFFFF
MAX_TIME: Final = 0xFFFFFFFF


class ReportStatus(Enum):
    """What a lock said about a PIN command."""

    DONE = "done"
    FAILED = "failed"
    EXISTS = "exists"  # a re-sent create: the PIN is already there
    FULL = "full"
    MISSING = "missing"  # a delete of a PIN the lock does not have


@dataclass(frozen=True, kw_only=True)
class PinReport:
    """A lock's answer to a PIN command: whose it is, where the PIN lives, and the outcome."""

    ref: int
    slot: int
    status: ReportStatus
    uuid: int | None = None


@dataclass(frozen=True, kw_only=True)
class PinPayload:
    """What a create or modify carries; `start`/`end` are Unix seconds."""

    ref: int
    pin: str
    start: int
    end: int
    once: bool = False
    uuid: int = 0

    def check(self) -> None:
        """Refuse values the layouts cannot carry."""
        if not 1 <= self.ref <= MAX_REF:
            raise CodecError("PIN reference out of range 1-65535")
        if not 0 <= self.start < self.end <= MAX_TIME:
            raise CodecError("the window must start before it ends, within 1970-2106")
        if not self.pin.isascii() or not self.pin.isdigit() or not 1 <= len(self.pin) <= 16:
            raise CodecError("a PIN is 1 to 16 digits")
        if not 0 <= self.uuid <= 0xFFFF:
            raise CodecError("message uuid out of range")


def decode_raw(value: object) -> bytes:
    """The bytes of a raw DP value as tinytuya hands it over (base64 text)."""
    if isinstance(value, bytes):
        return value
    if not isinstance(value, str):
        raise CodecError("a raw DP value is base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as err:
        raise CodecError("a raw DP value is not valid base64") from err


def encode_raw(payload: bytes) -> str:
    """Raw DP values travel as base64 text inside the JSON command."""
    return base64.b64encode(payload).decode("ascii")


class PinCodec(ABC):
    """Encodes PIN commands for one payload family and decodes the lock's reports."""

    name: ClassVar[str]
    can_modify: ClassVar[bool] = False

    @abstractmethod
    def encode_create(self, payload: PinPayload) -> bytes:
        """Bytes for the create DP."""

    @abstractmethod
    def decode_create_report(self, data: bytes) -> PinReport:
        """The lock's report on the create DP."""

    @abstractmethod
    def encode_delete(self, *, ref: int, slot: int, uuid: int = 0) -> bytes:
        """Bytes for the delete DP."""

    @abstractmethod
    def decode_delete_report(self, data: bytes) -> PinReport:
        """The lock's report on the delete DP."""

    def encode_modify(self, payload: PinPayload, *, slot: int) -> bytes:
        """Bytes for the modify DP, where the family has one."""
        raise UnsupportedOperationError(f"{self.name} PINs cannot be modified in place")

    def decode_modify_report(self, data: bytes) -> PinReport:
        """The lock's report on the modify DP."""
        raise UnsupportedOperationError(f"{self.name} PINs cannot be modified in place")


def _status(table: dict[int, ReportStatus], value: int) -> ReportStatus:
    try:
        return table[value]
    except KeyError:
        raise CodecError(f"unknown status byte {value:#04x}") from None


class ZigbeeTempPasswordCodec(PinCodec):
    """Zigbee locks' temporary passwords (DP 24 create, DP 25 delete).

    The PIN's slot on the lock is the server serial we chose, so no slot comes back.
    """

    name = "zigbee_temp_password"
    _HEAD = struct.Struct(">HHH")
    _CREATE = struct.Struct(">HHHIIB")
    _REPORT = struct.Struct(">HHHB")
    _CREATE_STATUS: ClassVar = {
        1: ReportStatus.DONE,
        0: ReportStatus.FAILED,
        2: ReportStatus.EXISTS,
        3: ReportStatus.FULL,
    }
    _DELETE_STATUS: ClassVar = {
        1: ReportStatus.DONE,
        0: ReportStatus.FAILED,
        4: ReportStatus.MISSING,
    }

    def encode_create(self, payload: PinPayload) -> bytes:
        """Serials, window, one-time flag, then the PIN as ASCII digits."""
        payload.check()
        head = self._CREATE.pack(0, payload.ref, 0, payload.start, payload.end, int(payload.once))
        return head + payload.pin.encode("ascii")

    def decode_create_report(self, data: bytes) -> PinReport:
        """The create's serials echoed, then the status byte."""
        return self._report(data, self._CREATE_STATUS)

    def encode_delete(self, *, ref: int, slot: int, uuid: int = 0) -> bytes:
        """The serials of the PIN to delete."""
        if not 1 <= ref <= MAX_REF:
            raise CodecError("PIN reference out of range 1-65535")
        return self._HEAD.pack(0, ref, 0)

    def decode_delete_report(self, data: bytes) -> PinReport:
        """The delete's serials echoed, then the status byte."""
        return self._report(data, self._DELETE_STATUS)

    def _report(self, data: bytes, table: dict[int, ReportStatus]) -> PinReport:
        if len(data) != self._REPORT.size:
            raise CodecError(f"a report is {self._REPORT.size} bytes, got {len(data)}")
        _, ref, _, status = self._REPORT.unpack(data)
        return PinReport(ref=ref, slot=ref, status=_status(table, status))


class UnlockMethodCodec(PinCodec):
    """`unlock_method_create` / `_delete` / `_modify` (DP 1/2/3) of Wi-Fi locks and panels.

    The lock picks the slot; the member id is ours and the message uuid pairs a report with
    its command.
    """

    name = "unlock_method"
    can_modify = True
    PASSWORD = 0x01
    ANY_SLOT = 0xFFFF
    _HEAD = struct.Struct(">BBBHH")  # type, stage, admin, member id, hardware id
    _VALIDITY = struct.Struct(">BII8x")
    _REPORT = struct.Struct(">BBHHBH")  # type, stage, member id, hardware id, status, uuid
    _STATUS: ClassVar = {
        0: ReportStatus.DONE,
        1: ReportStatus.FAILED,
        2: ReportStatus.EXISTS,
        3: ReportStatus.FULL,
        4: ReportStatus.MISSING,
    }

    def encode_create(self, payload: PinPayload) -> bytes:
        """A password for member `ref` in a slot of the lock's choosing."""
        return self._encode(payload, self.ANY_SLOT)

    def encode_modify(self, payload: PinPayload, *, slot: int) -> bytes:
        """The same layout as a create, naming the slot to change."""
        if not 0 <= slot < self.ANY_SLOT:
            raise CodecError("slot out of range")
        return self._encode(payload, slot)

    def _encode(self, payload: PinPayload, slot: int) -> bytes:
        payload.check()
        return (
            self._HEAD.pack(self.PASSWORD, 0, 0, payload.ref, slot)
            + self._VALIDITY.pack(1, payload.start, payload.end)
            + bytes((1 if payload.once else 0, len(payload.pin)))
            + bytes(int(digit) for digit in payload.pin)
            + payload.uuid.to_bytes(2, "big")
        )

    def encode_delete(self, *, ref: int, slot: int, uuid: int = 0) -> bytes:
        """Type, stage, admin flag, member, slot and uuid of the password to delete."""
        if not 1 <= ref <= MAX_REF or not 0 <= slot < self.ANY_SLOT or not 0 <= uuid <= 0xFFFF:
            raise CodecError("reference, slot or uuid out of range")
        return self._HEAD.pack(self.PASSWORD, 0, 0, ref, slot) + uuid.to_bytes(2, "big")

    def decode_create_report(self, data: bytes) -> PinReport:
        """Type, stage, member, chosen slot, status and uuid."""
        return self._report(data)

    decode_delete_report = decode_create_report
    decode_modify_report = decode_create_report

    def _report(self, data: bytes) -> PinReport:
        if len(data) != self._REPORT.size:
            raise CodecError(f"a report is {self._REPORT.size} bytes, got {len(data)}")
        kind, _, ref, slot, status, uuid = self._REPORT.unpack(data)
        if kind != self.PASSWORD:
            raise CodecError(f"report for unlock type {kind:#04x}, not a password")
        return PinReport(ref=ref, slot=slot, status=_status(self._STATUS, status), uuid=uuid)


CODECS: Final[dict[str, PinCodec]] = {
    codec.name: codec for codec in (ZigbeeTempPasswordCodec(), UnlockMethodCodec())
}
