"""The Wi-Fi/BLE "Lock Pro" family (`jtmspro`: Orion DL033HA, Hornbill Y4, Primebras ...).

DP numbers: Tuya's BLE lock firmware demo (lcslxh/tuya_ble_lock_sdk_nrf52832_with_fitting, the
same demo as TuyaInc/tuya_ble_lock_sdk_bk3431q_with_fitting,
``tuya_ble_lock_sdk/src/app/app_lock/lock_dp_parser.h``): 8 battery %, 47 lock state,
51 temporary password create, 52 delete, 53 modify, 55 unlock with a temporary password
(make-all/tuya-local ``orion_dl033ha_lock.yaml`` agrees on 8, 47 and 55). DP 55 reports the
hardware id as an integer (frankhommers/ha-tuya-ble-access ``tests/test_temporary_passwords.py``).

Payloads, every integer big-endian, times Unix seconds:

- DP 51 create: type(1) validity(17) uses(1) pin_len(1) one byte per digit (0x00-0x09)
  (``temp_pw_creat_t`` in the demo's header; frankhommers/ha-tuya-ble-access ``ble_commands.py``,
  ``build_temp_password_payload``, tested on hardware). The demo holds at most 10 digits; the
  hardware-tested builder sends at least 6.
- Validity: start(4) end(4) pattern(1) weekdays(4) start HH MM end HH MM (``ble_commands.py``,
  ``build_validity_permanent``); see `WeeklySchedule`.
- DP 53 modify: hw_id(1) type(1) validity(17) uses(1) pin_len(1) digits (``temp_pw_modify_t``).
- DP 52 delete: hw_id(1) (``temp_pw_delete_t``).
- Every reply is hw_id(1) status(1). Create: 0 ok, 1 failure, 2 no hardware id left (full), and
  then the hw id is 0xFF (demo ``lock_dp_parser.c``, ``temp_pw_creat_handler``; ha-tuya-ble-access
  treats ``ff 02`` as a refusal). Modify: 0 ok, 1 failure (``temp_pw_modify_handler``).
  Delete: 0 ok; an absent hw id answers 2 "already absent" per Tuya's BLE DP reference as
  ha-tuya-ble-access reads it (``temp_password_cleanup.py``), while the demo answers 1 for any
  failed delete (``temp_pw_delete_handler``): `absent_delete_status` picks one.

Uses: 0 means unlimited (the hardware-tested builder sends 0 for an ordinary code); n allows n
unlocks (ours). The demo does not refuse a PIN that another id already holds, so neither do we.
Malformed requests answer hw id 0xFF (create) or the given id, with status 1 (ours).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import struct
from typing import ClassVar, Self

from .family import LockFamily, StoredPin, WeeklySchedule

NO_LOCK_PIN_ID = 0xFF
MIN_DIGITS = 6
MAX_DIGITS = 10
VALIDITY_SIZE = 17
_VALIDITY = struct.Struct(">IIBIBBBB")


# The status byte of a DP 51/52/53 reply.
STATUS_OK = 0
STATUS_FAILED = 1
STATUS_FULL = 2  # create: no hardware id left
STATUS_ABSENT = 2  # delete: no such hardware id (Tuya's BLE DP reference)


class PayloadError(ValueError):
    """Bytes that do not follow the layout: the lock answers status 1."""


@dataclass(frozen=True, slots=True)
class Validity:
    """The 17-byte validity block."""

    start: int
    end: int
    schedule: WeeklySchedule

    @classmethod
    def decode(cls, raw: bytes) -> Self:
        """Read the block; an empty window is a `PayloadError` (ours)."""
        start, end, pattern, weekdays, sh, sm, eh, em = _VALIDITY.unpack(raw)
        if start >= end:
            raise PayloadError("the window is empty")
        return cls(start, end, WeeklySchedule(pattern, weekdays, sh * 60 + sm, eh * 60 + em))

    def encode(self) -> bytes:
        """The block's bytes."""
        s = self.schedule
        start_h, start_m = divmod(s.start_minute, 60)
        end_h, end_m = divmod(s.end_minute, 60)
        return _VALIDITY.pack(
            self.start, self.end, s.pattern, s.weekdays, start_h, start_m, end_h, end_m
        )


@dataclass(frozen=True, slots=True)
class ProPassword:
    """The part a DP 51 create and a DP 53 modify share: type, validity, uses, PIN."""

    kind: int
    validity: Validity
    uses: int
    pin: str

    @classmethod
    def decode(cls, raw: bytes) -> Self:
        """Read type(1) validity(17) uses(1) pin_len(1) digits."""
        fixed = 1 + VALIDITY_SIZE + 2
        if len(raw) < fixed:
            raise PayloadError(f"{len(raw)} bytes is too short")
        uses, length = raw[fixed - 2], raw[fixed - 1]
        digits = raw[fixed:]
        if len(digits) != length or not MIN_DIGITS <= length <= MAX_DIGITS:
            raise PayloadError(f"PIN length {length} with {len(digits)} digit bytes")
        if any(digit > 9 for digit in digits):
            raise PayloadError("PIN digits must be 0x00-0x09")
        validity = Validity.decode(raw[1 : 1 + VALIDITY_SIZE])
        return cls(raw[0], validity, uses, "".join(str(digit) for digit in digits))

    def encode(self) -> bytes:
        """The request bytes, for tests and for the capture vectors."""
        digits = bytes(int(digit) for digit in self.pin)
        head = bytes([self.kind]) + self.validity.encode()
        return head + bytes([self.uses, len(digits)]) + digits


class LockPro(LockFamily):
    """A Lock Pro's DPs and temporary-password memory (no I/O)."""

    FAMILY: ClassVar[str] = "lock_pro"
    STATE_DP: ClassVar[str] = "47"
    BATTERY_DP: ClassVar[str] = "8"
    UNLOCKED_BY_PIN_DP: ClassVar[str] = "55"
    CREATE_DP: ClassVar[str] = "51"
    DELETE_DP: ClassVar[str] = "52"
    MODIFY_DP: ClassVar[str] = "53"

    def __init__(
        self,
        *,
        battery: int = 90,
        locked: bool = True,
        capacity: int = 10,
        absent_delete_status: int = STATUS_ABSENT,
    ) -> None:
        """A lock with `capacity` hardware ids (0 upwards) for temporary passwords."""
        if capacity > NO_LOCK_PIN_ID:
            raise ValueError("hardware ids end at 0xFE")
        self.absent_delete_status = absent_delete_status
        super().__init__(battery=battery, locked=locked, capacity=capacity)

    def pin_handlers(self) -> Mapping[str, Callable[[bytes], bytes]]:
        """DP 51 create, DP 52 delete, DP 53 modify."""
        return {
            self.CREATE_DP: self._create,
            self.DELETE_DP: self._delete,
            self.MODIFY_DP: self._modify,
        }

    def failure(self, dp: str, raw: bytes) -> bytes:
        """Status 1, naming the hw id the request named (none on a create)."""
        lock_pin_id = raw[0] if dp != self.CREATE_DP and raw else NO_LOCK_PIN_ID
        return bytes([lock_pin_id, STATUS_FAILED])

    def _store(self, lock_pin_id: int, request: ProPassword) -> None:
        self.pins[lock_pin_id] = StoredPin(
            request.pin,
            request.validity.start,
            request.validity.end,
            times=request.uses,
            schedule=request.validity.schedule,
            unlock_id=lock_pin_id,
        )

    def _create(self, raw: bytes) -> bytes:
        try:
            request = ProPassword.decode(raw)
        except PayloadError:
            return bytes([NO_LOCK_PIN_ID, STATUS_FAILED])
        free = [lock_pin_id for lock_pin_id in range(self.capacity) if lock_pin_id not in self.pins]
        if not free:
            return bytes([NO_LOCK_PIN_ID, STATUS_FULL])
        self._store(free[0], request)
        return bytes([free[0], STATUS_OK])

    def _modify(self, raw: bytes) -> bytes:
        if not raw:
            return bytes([NO_LOCK_PIN_ID, STATUS_FAILED])
        lock_pin_id = raw[0]
        try:
            request = ProPassword.decode(raw[1:])
        except PayloadError:
            return bytes([lock_pin_id, STATUS_FAILED])
        if lock_pin_id not in self.pins:
            return bytes([lock_pin_id, STATUS_FAILED])
        self._store(lock_pin_id, request)
        return bytes([lock_pin_id, STATUS_OK])

    def _delete(self, raw: bytes) -> bytes:
        if len(raw) != 1:
            return self.failure(self.DELETE_DP, raw[:1] or bytes([NO_LOCK_PIN_ID]))
        if self.pins.pop(raw[0], None) is None:
            return bytes([raw[0], self.absent_delete_status])
        return bytes([raw[0], STATUS_OK])
