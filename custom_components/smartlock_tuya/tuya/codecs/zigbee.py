"""Temporary passwords of Zigbee locks behind a Tuya gateway (DP 24 create, 25 delete, 26 update).

Sources (read, not copied; see docs/tuya-payloads.md for the field-by-field table):
- Tuya's Zigbee residential-lock DP reference (developer.tuya.com, doc K9fembhbeab0p), quoted in
  make-all/tuya-local issue #1792: create = Tuya serial(2) + server serial(2) + manufacturer id(2,
  initially 0) + start(4) + end(4) + one-time flag(1) + 6 ASCII digits; report = the same 6 id
  bytes + status(1), 0 failure / 1 success. DP 3 "unlock with a temporary password" is a value
  0-999.
- EDIT-Aeterna/tuya-zigbee-lock-local `docs/PHASE1_PROTOCOL_REPORT.md` section 6: the 27-byte
  layout captured from a stock lock module (6 id bytes, start, end, 6 reserved zero bytes,
  one-time flag, 6 ASCII digits), DP 24 statuses 0 failure, 1 success, 2 duplicate, 3 full, and
  DP 25 = the 6 id bytes; `docs/TEMP_PASSWORD_PROTOCOL.md`: DP 26 uses the create layout.
- Captures `tests/fixtures/target_srptwvak/temporary_password/dp24_*.json` (same repository): the
  first id field changes per password (995-999, inside DP 3's 0-999 range), the second is 0x0001,
  the third 0x0000. We put the lock-side id in the first field and keep the other two as
  captured; that DP 3 then reports the first field is our reading of those captures (ours).
"""

from __future__ import annotations

import struct
from typing import ClassVar, Final

from custom_components.smartlock_tuya.tuya.errors import CodecError

from .base import (
    CredentialCodec,
    CredentialPayload,
    CredentialReport,
    ReportStatus,
    check_digits,
    check_window,
    expect_length,
    lock_pin_id_from_dp,
    status_of,
)

SERVER_SERIAL: Final = 0x0001  # as in every 27-byte capture
MANUFACTURER_ID: Final = 0x0000  # "initial value 0x0 and 0x0" in Tuya's reference
DP3_MAX: Final = 999  # DP 3's range in Tuya's reference

_HEAD = struct.Struct(">HHH")
_WINDOW = struct.Struct(">II")
_REPORT = struct.Struct(">6sB")

_CREATE_STATUS: Final = {
    0: ReportStatus.FAILED,
    1: ReportStatus.DONE,
    2: ReportStatus.DUPLICATE,
    3: ReportStatus.FULL,
}
# Tuya's reference gives only failure and success for the other password DPs.
_PLAIN_STATUS: Final = {0: ReportStatus.FAILED, 1: ReportStatus.DONE}


class ZigbeeTempPasswordCodec(CredentialCodec):
    """One of the two DP 24 layouts; the lock-side id is the first id field, chosen by us."""

    can_modify = True
    pin_lengths = frozenset({6})
    ref_range = range(1, DP3_MAX + 1)
    # DP 25 answers only 0 failure / 1 success (Tuya's reference): an absent id may read 0.
    silent_on_absent = True
    reserved: ClassVar[int]  # zero bytes between the end time and the one-time flag

    @property
    def create_size(self) -> int:
        """Bytes in a create or update command."""
        return _HEAD.size + _WINDOW.size + self.reserved + 1 + 6

    def encode_create(self, payload: CredentialPayload) -> bytes:
        """Id fields, window, (reserved,) one-time flag, then the PIN as ASCII digits."""
        self.check(payload)
        return self._encode(payload.ref, payload)

    def encode_modify(self, payload: CredentialPayload, *, lock_pin_id: int) -> bytes:
        """DP 26 takes the create layout; the id fields name the password to change."""
        self._check_id(lock_pin_id)
        check_window(payload.start, payload.end)
        check_digits(payload.pin, self.pin_lengths)
        return self._encode(lock_pin_id, payload)

    def _encode(self, lock_pin_id: int, payload: CredentialPayload) -> bytes:
        return (
            _HEAD.pack(lock_pin_id, SERVER_SERIAL, MANUFACTURER_ID)
            + _WINDOW.pack(payload.start, payload.end)
            + bytes(self.reserved)
            + bytes((int(payload.once),))
            + payload.pin.encode("ascii")
        )

    def decode_create(self, data: bytes) -> CredentialPayload:
        """A create (or update) command's fields; anything off the layout is refused."""
        expect_length(data, self.create_size, "a temporary password command")
        lock_pin_id = _HEAD.unpack_from(data)[0]
        start, end = _WINDOW.unpack_from(data, _HEAD.size)
        rest = data[_HEAD.size + _WINDOW.size :]
        if any(rest[: self.reserved]):
            raise CodecError("the reserved bytes of a temporary password are not zero")
        once, digits = rest[self.reserved], rest[self.reserved + 1 :]
        if once not in (0, 1):
            raise CodecError(f"one-time flag {once:#04x} is neither 0 nor 1")
        if not digits.isdigit():
            raise CodecError("a temporary password is six ASCII digits")
        check_window(start, end)
        return CredentialPayload(
            ref=lock_pin_id, pin=digits.decode("ascii"), start=start, end=end, once=bool(once)
        )

    def decode_create_report(self, data: bytes) -> CredentialReport:
        """The create's 6 id bytes echoed, then 0 fail, 1 ok, 2 duplicate, 3 full."""
        return self._report(data, _CREATE_STATUS)

    def encode_delete(self, *, ref: int, lock_pin_id: int, uuid: int = 0) -> bytes:
        """DP 25: the 6 id bytes of the password to delete."""
        self._check_id(lock_pin_id)
        return _HEAD.pack(lock_pin_id, SERVER_SERIAL, MANUFACTURER_ID)

    def decode_delete_report(self, data: bytes) -> CredentialReport:
        """The delete's 6 id bytes echoed, then 0 fail or 1 ok (no "absent" status is known)."""
        return self._report(data, _PLAIN_STATUS)

    def decode_modify_report(self, data: bytes) -> CredentialReport:
        """The update's 6 id bytes echoed, then 0 fail or 1 ok."""
        return self._report(data, _PLAIN_STATUS)

    def is_reply_to(self, report: CredentialReport, command: bytes) -> bool:
        """A report answers the command whose first 6 bytes (the id fields) it echoes."""
        return len(report.echo) == _HEAD.size and command[: _HEAD.size] == report.echo

    def decode_unlock(self, value: object) -> str | None:
        """DP 3 pushes the password's first id field as an integer 0-999."""
        return lock_pin_id_from_dp(value, DP3_MAX)

    def _check_id(self, lock_pin_id: int) -> None:
        if lock_pin_id not in self.ref_range:
            raise CodecError(f"lock-side id {lock_pin_id} out of range 1-{DP3_MAX}")

    @staticmethod
    def _report(data: bytes, table: dict[int, ReportStatus]) -> CredentialReport:
        expect_length(data, _REPORT.size, "a temporary password report")
        echo, status = _REPORT.unpack(data)
        lock_pin_id = _HEAD.unpack(echo)[0]
        return CredentialReport(
            ref=lock_pin_id, lock_pin_id=lock_pin_id, status=status_of(table, status), echo=echo
        )


class ZigbeeDocLayoutCodec(ZigbeeTempPasswordCodec):
    """The 21-byte layout of Tuya's Zigbee lock reference."""

    name = "zigbee_temp_password_21"
    reserved = 0


class ZigbeeCapturedLayoutCodec(ZigbeeTempPasswordCodec):
    """The 27-byte layout captured from newer lock firmware (6 reserved zero bytes)."""

    name = "zigbee_temp_password_27"
    reserved = 6
