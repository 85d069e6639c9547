"""The Wi-Fi access-control panel family (`mk`: Secukey Sboard III mini and similar). PARTLY OURS.

Public sources, and only what they say:

- DP numbers and their types: make-all/tuya-local
  ``custom_components/tuya_local/devices/sboardiii_weigand_lock.yaml``: 1 unlock_method_create,
  2 unlock_method_delete, 3 unlock_method_modify, 11 unlock_password, 16 unlock_temp_pwd, all
  typed as text there (raw DPs travel as base64 text); no lock-state and no battery DP (the
  panel is mains-powered).
- The create request on DP 1: Tuya's Wi-Fi access-control DP reference (developer.tuya.com,
  doc Kadhd28uy4rvp, "unlock_method_create"): type(1: 0x01 password) stage(1: 0x00 start)
  admin(1) member id(2: 0x0001-0xFFFE) hardware id(2: 0xFFFF = the device chooses)
  validity(17) times(1) password length(1) password(n) message uuid(2); the hardware id is
  "assigned and maintained on the local device", 0x0000-0xFFFE.

Ours, because no public source gives it (marked so that nobody mistakes it for a capture):

- the validity block's layout (the Lock Pro's: start, end, then 9 bytes of weekly schedule,
  only ``0`` = none is honoured), one byte per digit, ``times`` 0 unlimited and 1 once;
- every reply: type(1) stage(1: 0xFF done, 0xFD failed) member id(2) hardware id(2) status(1)
  message uuid(2), with statuses 0 done, 1 failed, 3 full, and 4 "no such password" on delete;
- the delete request on DP 2: type stage admin member id(2) hardware id(2) uuid(2);
- DP 3 modify takes the create layout with the hardware id to change;
- DP 11 reports the hardware id of the password that opened the door, as decimal text.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
import struct
from typing import Any, ClassVar, Self

from .family import LockFamily, StoredPin

PASSWORD = 0x01
ANY_HARDWARE_ID = 0xFFFF
STAGE_DONE, STAGE_FAILED = 0xFF, 0xFD  # ours
STATUS_OK, STATUS_FAILED, STATUS_FULL, STATUS_ABSENT = 0, 1, 3, 4  # ours
_HEAD = struct.Struct(">BBBHH")  # type, stage, admin, member id, hardware id
_VALIDITY = struct.Struct(">II9s")  # ours
_UUID = struct.Struct(">H")
_REPLY = struct.Struct(">BBHHBH")  # ours


class PayloadError(ValueError):
    """Bytes that do not follow the layout: the panel answers status 1."""


@dataclass(frozen=True, slots=True)
class PasswordCommand:
    """A DP 1 create or DP 3 modify request."""

    member: int
    lock_pin_id: int
    start: int
    end: int
    times: int
    pin: str
    uuid: int

    @classmethod
    def decode(cls, raw: bytes) -> Self:
        """Read a request; anything off the layout is a `PayloadError`."""
        fixed = _HEAD.size + _VALIDITY.size + 2
        if len(raw) < fixed + _UUID.size:
            raise PayloadError(f"{len(raw)} bytes is too short")
        kind, stage, _admin, member, lock_pin_id = _HEAD.unpack_from(raw)
        start, end, schedule = _VALIDITY.unpack_from(raw, _HEAD.size)
        times, length = raw[fixed - 2], raw[fixed - 1]
        digits, uuid = raw[fixed:-2], _UUID.unpack(raw[-2:])[0]
        if kind != PASSWORD or stage != 0 or not 1 <= member <= 0xFFFE:
            raise PayloadError("not a password enrolment start for a valid member")
        if any(schedule) or start >= end or times > 1:
            raise PayloadError("schedule, window or times this panel does not take")
        if length != len(digits) or not digits or any(digit > 9 for digit in digits):
            raise PayloadError("the password length does not match its digits")
        return cls(member, lock_pin_id, start, end, times, "".join(map(str, digits)), uuid)

    def encode(self) -> bytes:
        """The request bytes, for tests."""
        return (
            _HEAD.pack(PASSWORD, 0, 0, self.member, self.lock_pin_id)
            + _VALIDITY.pack(self.start, self.end, bytes(9))
            + bytes((self.times, len(self.pin)))
            + bytes(int(digit) for digit in self.pin)
            + _UUID.pack(self.uuid)
        )


def reply(member: int, lock_pin_id: int, status: int, uuid: int) -> bytes:
    """A 9-byte reply (ours): done at stage 0xFF, anything else at stage 0xFD."""
    stage = STAGE_DONE if status == STATUS_OK else STAGE_FAILED
    return _REPLY.pack(PASSWORD, stage, member, lock_pin_id, status, uuid)


def uuid_of(raw: bytes) -> int:
    """The message uuid a request ends with, or 0 when it is too short to have one."""
    return _UUID.unpack(raw[-2:])[0] if len(raw) >= _UUID.size else 0


class AccessControlPanel(LockFamily):
    """An access-control panel's DPs and password memory (no I/O), keyed by hardware id."""

    FAMILY: ClassVar[str] = "access_control"
    STATE_DP: ClassVar[str] = ""  # none: tuya-local lists no lock-state DP for the panel
    BATTERY_DP: ClassVar[str] = ""  # none: mains-powered
    UNLOCKED_BY_PIN_DP: ClassVar[str] = "11"
    CREATE_DP: ClassVar[str] = "1"
    DELETE_DP: ClassVar[str] = "2"
    MODIFY_DP: ClassVar[str] = "3"

    def __init__(self, *, capacity: int = 100, locked: bool = True) -> None:
        """An empty panel; its first report carries the text DPs tuya-local lists."""
        super().__init__(battery=100, locked=locked, capacity=capacity)
        self.members: dict[int, int] = {}  # hardware id -> member id
        self.dps.update({"1": "", "11": "", "16": ""})

    def set_locked(self, locked: bool) -> dict[str, Any]:
        """Move the relay; the panel reports no state DP for it."""
        self._locked = locked
        return {}

    def set_battery(self, percent: int) -> dict[str, Any]:
        """Mains-powered: there is no battery DP to report."""
        self._battery = percent
        return {}

    def keypad(self, pin: str, now: float) -> dict[str, Any] | None:
        """Type a password: DP 11 reports its hardware id as text (ours)."""
        report = super().keypad(pin, now)
        if report is None:
            return None
        return self._set(self.UNLOCKED_BY_PIN_DP, str(report[self.UNLOCKED_BY_PIN_DP]))

    def pin_handlers(self) -> Mapping[str, Callable[[bytes], bytes]]:
        """DP 1 create, DP 2 delete, DP 3 modify."""
        return {
            self.CREATE_DP: self._create,
            self.DELETE_DP: self._delete,
            self.MODIFY_DP: self._modify,
        }

    def failure(self, dp: str, raw: bytes) -> bytes:
        """Status 1, echoing the member, hardware id and uuid the request carried."""
        member, lock_pin_id = (
            _HEAD.unpack_from(raw)[3:] if len(raw) >= _HEAD.size else (0, ANY_HARDWARE_ID)
        )
        return reply(member, lock_pin_id, STATUS_FAILED, uuid_of(raw))

    def _store(self, lock_pin_id: int, request: PasswordCommand) -> None:
        self.pins[lock_pin_id] = StoredPin(
            request.pin, request.start, request.end, times=request.times, unlock_id=lock_pin_id
        )
        self.members[lock_pin_id] = request.member

    def _create(self, raw: bytes) -> bytes:
        try:
            request = PasswordCommand.decode(raw)
        except PayloadError:
            return self.failure(self.CREATE_DP, raw)
        if request.lock_pin_id != ANY_HARDWARE_ID:
            return reply(request.member, request.lock_pin_id, STATUS_FAILED, request.uuid)
        free = next((i for i in range(ANY_HARDWARE_ID) if i not in self.pins), None)
        if len(self.pins) >= self.capacity or free is None:
            return reply(request.member, ANY_HARDWARE_ID, STATUS_FULL, request.uuid)
        self._store(free, request)
        return reply(request.member, free, STATUS_OK, request.uuid)

    def _modify(self, raw: bytes) -> bytes:
        try:
            request = PasswordCommand.decode(raw)
        except PayloadError:
            return self.failure(self.MODIFY_DP, raw)
        if self.members.get(request.lock_pin_id) != request.member:
            return reply(request.member, request.lock_pin_id, STATUS_FAILED, request.uuid)
        self._store(request.lock_pin_id, request)
        return reply(request.member, request.lock_pin_id, STATUS_OK, request.uuid)

    def _delete(self, raw: bytes) -> bytes:
        if len(raw) != _HEAD.size + _UUID.size:
            return self.failure(self.DELETE_DP, raw)
        kind, _stage, _admin, member, lock_pin_id = _HEAD.unpack_from(raw)
        uuid = uuid_of(raw)
        if kind != PASSWORD:
            return reply(member, lock_pin_id, STATUS_FAILED, uuid)
        if self.members.get(lock_pin_id) != member:
            return reply(member, lock_pin_id, STATUS_ABSENT, uuid)
        del self.pins[lock_pin_id], self.members[lock_pin_id]
        return reply(member, lock_pin_id, STATUS_OK, uuid)
