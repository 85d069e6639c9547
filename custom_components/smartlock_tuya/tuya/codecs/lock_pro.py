"""Temporary passwords of Wi-Fi/BLE "Lock Pro" locks (DP 51 create, 52 delete, 53 modify).

Sources (read, not copied; see docs/tuya-payloads.md):
- TuyaInc/tuya_ble_lock_sdk_bk3431q_with_fitting `tuya_ble_lock_sdk/src/app/app_lock/
  lock_dp_parser.h` (DP numbers 8, 47, 51, 52, 53, 55; structs temp_pw_creat_t = type(1) +
  time(17) + valid_num(1) + password_len(1) + password(<=10), temp_pw_modify_t = hardid(1) +
  the same, temp_pw_delete_t = hardid(1), every result = hardid(1) + result(1)) and
  `lock_dp_parser.c` (temp_pw_creat_handler: 0 ok, 1 fail, 2 no free hardware id;
  temp_pw_delete_handler and temp_pw_modify_handler: 0 ok, 1 fail); `lock_dp_report.c`
  (lock_open_record_report: DP 55 is a 4-byte value carrying the hardware id).
- frankhommers/ha-tuya-ble-access `custom_components/tuya_ble_access/ble_commands.py`
  (build_temp_password_payload: type 0, start, end, 9 schedule bytes, uses 0, length, one byte
  per digit, 6 or more digits; the 17-byte validity block start/end/pattern/weekdays/HH MM HH MM
  of build_validity_permanent, tested on a real K3 BLE PRO 2), `tests/test_enroll_payloads.py`
  (the byte vector), `temp_password_cleanup.py` (DP 52 status 2 = already absent).
- Ours: the uses byte 1 for a one-time PIN (sources only show 0 = unlimited).
"""

from __future__ import annotations

import struct
from typing import Final

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

TYPE_TEMPORARY: Final = 0x00
NO_LOCK_PIN_ID: Final = 0xFF  # the low byte of HARD_ID_INVALID: the lock has no free place
MAX_DIGITS: Final = 10  # temp_pw_creat_t.password[10]

_WINDOW = struct.Struct(">II")
_SCHEDULE_SIZE: Final = 9  # pattern(1) weekdays(4) start HH MM, end HH MM: all zero = none
_VALIDITY_SIZE: Final = _WINDOW.size + _SCHEDULE_SIZE  # 17
_REPLY = struct.Struct(">BB")

_CREATE_STATUS: Final = {0: ReportStatus.DONE, 1: ReportStatus.FAILED, 2: ReportStatus.FULL}
_DELETE_STATUS: Final = {0: ReportStatus.DONE, 1: ReportStatus.FAILED, 2: ReportStatus.MISSING}
_MODIFY_STATUS: Final = {0: ReportStatus.DONE, 1: ReportStatus.FAILED}


class LockProTempPasswordCodec(CredentialCodec):
    """The lock chooses the PIN's hardware id and returns it; that id is its lock-side id."""

    name = "lock_pro_temp_password"
    can_modify = True
    pin_lengths = frozenset(range(6, MAX_DIGITS + 1))
    ref_range = range(0)

    def encode_create(self, payload: CredentialPayload) -> bytes:
        """Type 0, validity, uses, length, then one byte per digit."""
        self.check(payload)
        return bytes((TYPE_TEMPORARY,)) + self._body(payload)

    def encode_modify(self, payload: CredentialPayload, *, lock_pin_id: int) -> bytes:
        """The hardware id, then the create layout."""
        self._check_lock_pin_id(lock_pin_id)
        self.check(payload)
        return bytes((lock_pin_id, TYPE_TEMPORARY)) + self._body(payload)

    @staticmethod
    def _body(payload: CredentialPayload) -> bytes:
        return (
            _WINDOW.pack(payload.start, payload.end)
            + bytes(_SCHEDULE_SIZE)
            + bytes((1 if payload.once else 0, len(payload.pin)))
            + bytes(int(digit) for digit in payload.pin)
        )

    def decode_create(self, data: bytes) -> CredentialPayload:
        """A create command's fields; schedules and other types are refused."""
        if len(data) < 1 + _VALIDITY_SIZE + 2:
            raise CodecError(f"a temporary password command is too short ({len(data)} bytes)")
        if data[0] != TYPE_TEMPORARY:
            raise CodecError(f"password type {data[0]:#04x} is not a temporary password")
        start, end = _WINDOW.unpack_from(data, 1)
        schedule = data[1 + _WINDOW.size : 1 + _VALIDITY_SIZE]
        uses, length = data[1 + _VALIDITY_SIZE], data[2 + _VALIDITY_SIZE]
        digits = data[3 + _VALIDITY_SIZE :]
        if any(schedule):
            raise CodecError("weekly schedules are not part of our layout")
        if uses not in (0, 1):
            raise CodecError(f"uses byte {uses} is neither 0 (unlimited) nor 1 (once)")
        if length != len(digits) or any(digit > 9 for digit in digits):
            raise CodecError("the PIN length byte does not match its digits 0-9")
        check_window(start, end)
        pin = "".join(map(str, digits))
        check_digits(pin, self.pin_lengths)
        return CredentialPayload(ref=0, pin=pin, start=start, end=end, once=bool(uses))

    def decode_create_report(self, data: bytes) -> CredentialReport:
        """Hardware id chosen, then 0 ok, 1 fail, 2 full; "ok" without an id is refused."""
        report = self._report(data, _CREATE_STATUS, echo=False)
        if report.status is ReportStatus.DONE and report.lock_pin_id == NO_LOCK_PIN_ID:
            raise CodecError("a created password without a hardware id")
        return report

    def encode_delete(self, *, ref: int, lock_pin_id: int, uuid: int = 0) -> bytes:
        """DP 52: the hardware id alone."""
        self._check_lock_pin_id(lock_pin_id)
        return bytes((lock_pin_id,))

    def decode_delete_report(self, data: bytes) -> CredentialReport:
        """Hardware id, then 0 ok, 1 fail, 2 already absent."""
        return self._report(data, _DELETE_STATUS, echo=True)

    def decode_modify_report(self, data: bytes) -> CredentialReport:
        """Hardware id, then 0 ok, 1 fail."""
        return self._report(data, _MODIFY_STATUS, echo=True)

    def is_reply_to(self, report: CredentialReport, command: bytes) -> bool:
        """Pair a delete or modify by its hardware id; a create only by DP and order.

        A create's reply carries only the id the lock chose and a status, so nothing in it names
        the command: one create may be outstanding per lock at a time.
        """
        if not report.echo:
            return True
        return command[:1] == report.echo

    def decode_unlock(self, value: object) -> str | None:
        """DP 55 pushes the hardware id of the temporary password that opened the door."""
        return lock_pin_id_from_dp(value, NO_LOCK_PIN_ID - 1)

    @staticmethod
    def _check_lock_pin_id(lock_pin_id: int) -> None:
        if not 0 <= lock_pin_id < NO_LOCK_PIN_ID:
            raise CodecError(f"hardware id {lock_pin_id} out of range 0-254")

    @staticmethod
    def _report(data: bytes, table: dict[int, ReportStatus], *, echo: bool) -> CredentialReport:
        expect_length(data, _REPLY.size, "a temporary password reply")
        lock_pin_id, status = _REPLY.unpack(data)
        return CredentialReport(
            ref=lock_pin_id,
            lock_pin_id=lock_pin_id,
            status=status_of(table, status),
            echo=data[:1] if echo else b"",
        )
