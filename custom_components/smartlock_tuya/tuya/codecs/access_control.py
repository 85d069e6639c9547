"""Passwords on Wi-Fi access-control panels (`mk`), through unlock_method DP 1/2/3. UNVERIFIED.

Public source for the create: Tuya's Wi-Fi access-control DP reference (developer.tuya.com, doc
Kadhd28uy4rvp, "unlock_method_create"): type(1, 0x01 password) + stage(1, 0x00 start) + admin(1)
+ member id(2, 0x0001-0xFFFE) + hardware id(2, 0xFFFF = default) + validity(17) + times(1) +
PIN length(1) + PIN(n) + message uuid(2). make-all/tuya-local
`custom_components/tuya_local/devices/sboardiii_weigand_lock.yaml` confirms DP 1/2/3 and DP 11
(unlock with a password) on a real panel.

Ours, to be confirmed on hardware: the validity block (we write the Lock Pro block: start, end,
nine zero bytes; the reference's appendix 1 was not available), one byte per digit, the whole
report layout (type, stage, member id, hardware id, status, uuid) and its status values, and the
delete layout. The profile that uses this codec is marked unverified.
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
    check_window,
    expect_length,
    lock_pin_id_from_dp,
    status_of,
)

PASSWORD: Final = 0x01
ANY_LOCK_PIN_ID: Final = 0xFFFF

_HEAD = struct.Struct(">BBBHH")  # type, stage, admin, member id, hardware id
_VALIDITY = struct.Struct(">II9x")  # ours: start, end, no weekly schedule
_UUID = struct.Struct(">H")
_REPORT = struct.Struct(">BBHHBH")  # ours: type, stage, member id, hardware id, status, uuid
_CREATE_STATUS: Final = {0: ReportStatus.DONE, 1: ReportStatus.FAILED, 3: ReportStatus.FULL}
_DELETE_STATUS: Final = {0: ReportStatus.DONE, 1: ReportStatus.FAILED, 4: ReportStatus.MISSING}


class AccessControlCodec(CredentialCodec):
    """The member id is ours, the panel picks the hardware id; the uuid pairs report and command."""

    name = "mk_unlock_method"
    can_modify = True
    pin_lengths = frozenset(range(4, 11))
    ref_range = range(1, 0xFFFF)

    def encode_create(self, payload: CredentialPayload) -> bytes:
        """A password for member `ref` under a lock-side id of the panel's choosing."""
        return self._encode(payload, ANY_LOCK_PIN_ID)

    def encode_modify(self, payload: CredentialPayload, *, lock_pin_id: int) -> bytes:
        """The create layout, naming the hardware id to change."""
        if not 0 <= lock_pin_id < ANY_LOCK_PIN_ID:
            raise CodecError(f"hardware id {lock_pin_id} out of range 0-65534")
        return self._encode(payload, lock_pin_id)

    def _encode(self, payload: CredentialPayload, lock_pin_id: int) -> bytes:
        self.check(payload)
        if not 0 <= payload.uuid <= 0xFFFF:
            raise CodecError("message uuid out of range 0-65535")
        return (
            _HEAD.pack(PASSWORD, 0, 0, payload.ref, lock_pin_id)
            + _VALIDITY.pack(payload.start, payload.end)
            + bytes((1 if payload.once else 0, len(payload.pin)))
            + bytes(int(digit) for digit in payload.pin)
            + _UUID.pack(payload.uuid)
        )

    def decode_create(self, data: bytes) -> CredentialPayload:
        """A create command's fields."""
        fixed = _HEAD.size + _VALIDITY.size + 2
        if len(data) < fixed + _UUID.size:
            raise CodecError(f"an unlock_method command is too short ({len(data)} bytes)")
        kind, _, _, ref, _ = _HEAD.unpack_from(data)
        start, end = _VALIDITY.unpack_from(data, _HEAD.size)
        uses, length = data[fixed - 2], data[fixed - 1]
        digits, uuid = data[fixed:-2], _UUID.unpack(data[-2:])[0]
        if kind != PASSWORD or uses not in (0, 1):
            raise CodecError("not a password command")
        if length != len(digits) or any(digit > 9 for digit in digits):
            raise CodecError("the PIN length byte does not match its digits 0-9")
        check_window(start, end)
        pin = "".join(map(str, digits))
        return CredentialPayload(ref=ref, pin=pin, start=start, end=end, once=bool(uses), uuid=uuid)

    def encode_delete(self, *, ref: int, lock_pin_id: int, uuid: int = 0) -> bytes:
        """Type, stage, admin, member, hardware id and uuid of the password to delete."""
        if (
            ref not in self.ref_range
            or not 0 <= lock_pin_id < ANY_LOCK_PIN_ID
            or not 0 <= uuid <= 0xFFFF
        ):
            raise CodecError("member id, hardware id or uuid out of range")
        return _HEAD.pack(PASSWORD, 0, 0, ref, lock_pin_id) + _UUID.pack(uuid)

    def decode_create_report(self, data: bytes) -> CredentialReport:
        """Type, stage, member, chosen hardware id, status (0 ok, 1 fail, 3 full), uuid."""
        return self._report(data, _CREATE_STATUS)

    def decode_delete_report(self, data: bytes) -> CredentialReport:
        """As a create report; status 0 ok, 1 fail, 4 no such password."""
        return self._report(data, _DELETE_STATUS)

    def decode_modify_report(self, data: bytes) -> CredentialReport:
        """As a create report."""
        return self._report(data, _CREATE_STATUS)

    def is_reply_to(self, report: CredentialReport, command: bytes) -> bool:
        """A report answers the command whose trailing message uuid it echoes."""
        return bool(report.echo) and command[-_UUID.size :] == report.echo

    def decode_unlock(self, value: object) -> str | None:
        """DP 11 reports the hardware id of the password used (tuya-local types it as text)."""
        if isinstance(value, str) and value.isascii() and value.isdigit():
            value = int(value)
        return lock_pin_id_from_dp(value, ANY_LOCK_PIN_ID - 1)

    @staticmethod
    def _report(data: bytes, table: dict[int, ReportStatus]) -> CredentialReport:
        expect_length(data, _REPORT.size, "an unlock_method report")
        kind, _, ref, lock_pin_id, status, uuid = _REPORT.unpack(data)
        if kind != PASSWORD:
            raise CodecError(f"report for unlock type {kind:#04x}, not a password")
        return CredentialReport(
            ref=ref,
            lock_pin_id=lock_pin_id,
            status=status_of(table, status),
            uuid=uuid,
            echo=data[-_UUID.size :],
        )
