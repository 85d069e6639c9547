"""What the lock holds: its data points, its stored PINs, and what its keypad accepts.

No I/O here: every method takes DP values in and gives back the DPs to report, so the same
rules serve the network, the tests, and the keypad. Profiles are entries of
custom_components/smartlock_tuya/tuya/profiles.json; their DP numbers and `locked_value`
polarity are data, never assumed.
"""

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .payloads import (
    ANY_SLOT,
    STAGE_START,
    UNLOCK_TYPE_PASSWORD,
    MethodDelete,
    MethodPin,
    MethodStatus,
    PayloadError,
    ZigbeeCreate,
    ZigbeeDelete,
    ZigbeeStatus,
    method_failure,
    zigbee_failure,
)

CODECS = ("zigbee_temp_password", "unlock_method")
MAX_ID = 0xFFFF


@dataclass(slots=True)
class StoredPin:
    """One PIN in the lock's memory, keyed by its lock-side id in `LockState.pins`."""

    pin: str
    start: int
    end: int
    once: bool
    used: bool = False
    member_id: int | None = None  # `unlock_method` only: the integration's id for the PIN
    times: int = 0  # how many unlocks it allows, 0 for unlimited (1 when `once`)
    uses: int = 0  # how many times it has opened the lock

    def admits(self, pin: str, now: float) -> bool:
        """Whether typing `pin` now opens the lock: right digits, in window, uses left."""
        return pin == self.pin and self.start <= now < self.end and not self.used


class LockState:
    """The lock's DPs and PIN memory under one profile."""

    def __init__(self, profile: Mapping[str, Any], *, battery: int, locked: bool) -> None:
        """Start with no PINs, the given battery level and bolt position."""
        codec = profile.get("codec")
        if codec not in CODECS:
            raise ValueError(f"unknown codec {codec!r}")
        self.codec: str = codec
        numbers: Mapping[str, int] = profile["dps"]
        self.dp_numbers = dict(numbers)
        self.locked_value = bool(profile.get("locked_value", True))
        lengths: Mapping[str, int] = profile.get("pin_length", {})
        self.pin_min = int(lengths.get("min", 4))
        self.pin_max = int(lengths.get("max", 10))
        self.capacity = int(profile.get("capacity", 10))
        self.pins: dict[int, StoredPin] = {}
        self.dps: dict[str, Any] = {}
        handlers: dict[str, Callable[[bytes], bytes]] = (
            {"create": self._zigbee_create, "delete": self._zigbee_delete}
            if codec == "zigbee_temp_password"
            else {"create": self._method_create, "delete": self._method_delete}
        )
        if codec == "unlock_method":
            handlers["modify"] = self._method_modify
        self._pin_handlers = {
            str(numbers[role]): handler for role, handler in handlers.items() if role in numbers
        }
        self._state_dp = self._dp("state")
        self._battery_dp = self._dp("battery")
        self._control_dp = self._dp("control")
        self._dps_set(self._battery_dp, battery)
        self._dps_set(self._state_dp, self._bolt(locked))
        self._dps_set(self._control_dp, self._bolt(locked))
        self._locked = locked
        self._battery = battery

    def _dp(self, role: str) -> str | None:
        number = self.dp_numbers.get(role)
        return None if number is None else str(number)

    def _dps_set(self, dp: str | None, value: Any) -> dict[str, Any]:
        if dp is None:
            return {}
        self.dps[dp] = value
        return {dp: value}

    def _bolt(self, locked: bool) -> bool:
        return self.locked_value if locked else not self.locked_value

    @property
    def locked(self) -> bool:
        """Whether the bolt is thrown."""
        return self._locked

    @property
    def battery(self) -> int:
        """Battery percentage."""
        return self._battery

    def is_pin_command(self, dps: Mapping[str, Any]) -> bool:
        """Whether a CONTROL touches a PIN DP (create, delete or modify)."""
        return any(dp in self._pin_handlers for dp in dps)

    def apply(self, dps: Mapping[str, Any]) -> dict[str, Any]:
        """Carry out a CONTROL; return the DPs to report (empty when nothing applies).

        PIN DPs report their status bytes; the control DP moves the bolt and reports the state
        DP too. Read-only and unknown DPs are ignored, as devices drop DPs they do not have.
        """
        report: dict[str, Any] = {}
        for dp, value in dps.items():
            if dp in self._pin_handlers:
                reply = self._pin_handlers[dp](_raw(value))
                report |= self._dps_set(dp, base64.b64encode(reply).decode())
            elif dp == self._control_dp and isinstance(value, bool):
                report |= self._dps_set(dp, value)
                report |= self.set_locked(value == self.locked_value)
        return report

    def refuse(self, dps: Mapping[str, Any]) -> dict[str, Any]:
        """The failure reports a lock sends when it cannot store or drop a PIN now."""
        report: dict[str, Any] = {}
        for dp, value in dps.items():
            if dp in self._pin_handlers:
                raw = _raw(value)
                reply = zigbee_failure(raw) if self.codec == CODECS[0] else method_failure(raw)
                report |= self._dps_set(dp, base64.b64encode(reply).decode())
        return report

    def set_locked(self, locked: bool) -> dict[str, Any]:
        """Move the bolt; return the state DP to report."""
        self._locked = locked
        return self._dps_set(self._state_dp, self._bolt(locked))

    def set_battery(self, percent: int) -> dict[str, Any]:
        """Change the battery level; return the battery DP to report."""
        self._battery = percent
        return self._dps_set(self._battery_dp, percent)

    def keypad(self, pin: str, now: float) -> dict[str, Any] | None:
        """Type a PIN: the DPs to report if it opens the lock, else None (nothing happens)."""
        for lock_id, stored in sorted(self.pins.items()):
            if stored.admits(pin, now):
                stored.uses += 1
                stored.used = stored.times > 0 and stored.uses >= stored.times
                return self._dps_set(self._dp("unlock_temporary"), lock_id) | self.set_locked(False)
        return None

    def _fits(self, pin: str) -> bool:
        return self.pin_min <= len(pin) <= self.pin_max

    def _zigbee_create(self, raw: bytes) -> bytes:
        try:
            request = ZigbeeCreate.decode(raw)
        except PayloadError:
            return zigbee_failure(raw)
        serial = request.server_serial
        if not serial or not self._fits(request.pin) or request.end <= request.start:
            return request.report(ZigbeeStatus.FAILED)
        if serial in self.pins:
            return request.report(ZigbeeStatus.EXISTS)
        if len(self.pins) >= self.capacity:
            return request.report(ZigbeeStatus.FULL)
        self.pins[serial] = StoredPin(
            request.pin, request.start, request.end, request.once, times=int(request.once)
        )
        return request.report(ZigbeeStatus.OK)

    def _zigbee_delete(self, raw: bytes) -> bytes:
        try:
            request = ZigbeeDelete.decode(raw)
        except PayloadError:
            return zigbee_failure(raw)
        if self.pins.pop(request.server_serial, None) is None:
            return request.report(ZigbeeStatus.NO_SUCH)
        return request.report(ZigbeeStatus.OK)

    def _method_pin(self, raw: bytes) -> MethodPin | None:
        """A decoded create/modify this lock can take, or None for the failure status."""
        try:
            request = MethodPin.decode(raw)
        except PayloadError:
            return None
        valid = (
            request.unlock_type == UNLOCK_TYPE_PASSWORD
            and request.stage == STAGE_START
            and 1 <= request.member_id <= MAX_ID
            and self._fits(request.pin)
            and request.start < request.end
        )
        return request if valid else None

    def _store(self, slot: int, request: MethodPin) -> None:
        self.pins[slot] = StoredPin(
            request.pin,
            request.start,
            request.end,
            once=request.times == 1,
            member_id=request.member_id,
            times=request.times,
        )

    def _method_create(self, raw: bytes) -> bytes:
        request = self._method_pin(raw)
        if request is None:
            return method_failure(raw)
        for slot, stored in self.pins.items():
            if stored.member_id == request.member_id:
                return request.report(slot, MethodStatus.EXISTS)
        if len(self.pins) >= self.capacity:
            return request.report(ANY_SLOT, MethodStatus.FULL)
        slot = next(slot for slot in range(1, self.capacity + 1) if slot not in self.pins)
        self._store(slot, request)
        return request.report(slot, MethodStatus.OK)

    def _method_modify(self, raw: bytes) -> bytes:
        request = self._method_pin(raw)
        if request is None:
            return method_failure(raw)
        stored = self.pins.get(request.hardware_id)
        if stored is None or stored.member_id != request.member_id:
            return request.report(request.hardware_id, MethodStatus.FAILED)
        self._store(request.hardware_id, request)
        return request.report(request.hardware_id, MethodStatus.OK)

    def _method_delete(self, raw: bytes) -> bytes:
        try:
            request = MethodDelete.decode(raw)
        except PayloadError:
            return method_failure(raw)
        stored = self.pins.get(request.hardware_id)
        if stored is None:
            return request.report(MethodStatus.NO_SUCH)
        if stored.member_id != request.member_id:
            return request.report(MethodStatus.FAILED)
        del self.pins[request.hardware_id]
        return request.report(MethodStatus.OK)


def _raw(value: Any) -> bytes:
    """A raw DP's bytes from its base64 text; undecodable text reads as no bytes."""
    if not isinstance(value, str):
        return b""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return b""
