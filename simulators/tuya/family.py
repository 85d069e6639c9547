"""What every simulated lock family shares: stored PINs, battery and bolt DPs, the keypad.

No I/O here: each method takes DP values in and gives back the DPs the lock reports, so the
same rules serve the network, the tests and the keypad. A family subclass names its DP numbers
and decodes its own PIN payloads; nothing is read from the integration's code or data.

Both real families report the bolt with ``true`` meaning UNLOCKED: the Zigbee lock's DP 8
(make-all/tuya-local ``intelbras_IFR7000_lock.yaml`` maps dps_val true to unlocked) and the
Lock Pro's DP 47 (every tuya-local lock YAML with DP 47, e.g. ``orion_dl033ha_lock.yaml``; Tuya's
BLE lock demo names DP 47 ``OR_STS_LOCK_STATE``, lcslxh/tuya_ble_lock_sdk_nrf52832_with_fitting
``tuya_ble_lock_sdk/src/app/app_lock/lock_dp_parser.h``).
"""

from abc import ABC, abstractmethod
import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

SECONDS_PER_DAY = 86_400
SECONDS_PER_MINUTE = 60


@dataclass(frozen=True, slots=True)
class WeeklySchedule:
    """The recurring part of a Lock Pro validity block (pattern, weekdays, daily hours).

    Pattern 0 means no recurrence (frankhommers/ha-tuya-ble-access ``ble_commands.py``,
    ``build_validity_permanent``); a non-zero pattern with an all-zero weekday map never opens
    (the same project pauses a credential that way: ``credential_schedule.py``, ``NO_WEEKDAYS``).
    Which bit is which weekday is not published: here bit 0 is Monday, as Python counts (ours).
    """

    pattern: int
    weekdays: int
    start_minute: int
    end_minute: int

    def admits(self, now: float) -> bool:
        """Whether the schedule lets a PIN open the lock at `now` (UTC)."""
        if self.pattern == 0:
            return True
        day = (int(now) // SECONDS_PER_DAY + 3) % 7  # 1970-01-01 was a Thursday (3)
        minute = (int(now) % SECONDS_PER_DAY) // SECONDS_PER_MINUTE
        return bool(self.weekdays >> day & 1) and self.start_minute <= minute <= self.end_minute


@dataclass(slots=True)
class StoredPin:
    """One PIN in a lock's memory, keyed by its lock-side id in `LockFamily.pins`."""

    pin: str
    start: int
    end: int
    times: int = 0  # how many unlocks it allows; 0 for unlimited
    uses: int = 0  # how many times it has opened the lock
    schedule: WeeklySchedule | None = None
    unlock_id: int = 0  # what the lock reports on its "opened by temporary PIN" DP

    @property
    def spent(self) -> bool:
        """Whether a PIN with limited uses has used them all."""
        return self.times > 0 and self.uses >= self.times

    def admits(self, pin: str, now: float) -> bool:
        """Whether typing `pin` now opens the lock: right digits, in window, uses left."""
        return (
            pin == self.pin
            and self.start <= now < self.end
            and not self.spent
            and (self.schedule is None or self.schedule.admits(now))
        )


class LockFamily(ABC):
    """A lock's DPs and PIN memory; subclasses name the DPs and decode the PIN payloads."""

    STATE_DP: ClassVar[str]
    BATTERY_DP: ClassVar[str]
    UNLOCKED_BY_PIN_DP: ClassVar[str]
    FAMILY: ClassVar[str]

    def __init__(self, *, battery: int, locked: bool, capacity: int) -> None:
        """Start with no PINs, the given battery level and bolt position."""
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.pins: dict[int, StoredPin] = {}
        self.dps: dict[str, Any] = {}
        self._locked = locked
        self._battery = battery
        self.set_battery(battery)
        self.set_locked(locked)

    @property
    def locked(self) -> bool:
        """Whether the bolt is thrown."""
        return self._locked

    @property
    def battery(self) -> int:
        """Battery percentage."""
        return self._battery

    @abstractmethod
    def pin_handlers(self) -> Mapping[str, Callable[[bytes], bytes]]:
        """The PIN DPs and the method that answers each: raw request bytes in, reply out."""

    @abstractmethod
    def failure(self, dp: str, raw: bytes) -> bytes:
        """The reply a lock gives on `dp` when it cannot carry out the request at all."""

    def is_pin_command(self, dps: Mapping[str, Any]) -> bool:
        """Whether a CONTROL touches a PIN DP (create, delete or modify)."""
        return any(dp in self.pin_handlers() for dp in dps)

    def apply(self, dps: Mapping[str, Any]) -> dict[str, Any]:
        """Carry out a CONTROL; return the DPs to report (empty when nothing applies).

        Read-only and unknown DPs are ignored, as devices drop DPs they do not have.
        """
        handlers = self.pin_handlers()
        report: dict[str, Any] = {}
        for dp, value in dps.items():
            if dp in handlers:
                report |= self._set(dp, encode_raw(handlers[dp](decode_raw(value))))
        return report

    def refuse(self, dps: Mapping[str, Any]) -> dict[str, Any]:
        """The failure reports for every PIN DP in a CONTROL, storing nothing."""
        handlers = self.pin_handlers()
        return {
            dp: encode_raw(self.failure(dp, decode_raw(value)))
            for dp, value in dps.items()
            if dp in handlers
        }

    def set_locked(self, locked: bool) -> dict[str, Any]:
        """Move the bolt; return the state DP to report (``true`` = unlocked)."""
        self._locked = locked
        return self._set(self.STATE_DP, not locked)

    def set_battery(self, percent: int) -> dict[str, Any]:
        """Change the battery level; return the battery DP to report."""
        self._battery = percent
        return self._set(self.BATTERY_DP, percent)

    def keypad(self, pin: str, now: float) -> dict[str, Any] | None:
        """Type a PIN: the DPs to report if it opens the lock, else None (nothing happens)."""
        for stored in self.pins.values():
            if stored.admits(pin, now):
                stored.uses += 1
                report = self._set(self.UNLOCKED_BY_PIN_DP, stored.unlock_id)
                return report | self.set_locked(False)
        return None

    def _set(self, dp: str, value: Any) -> dict[str, Any]:
        self.dps[dp] = value
        return {dp: value}


def decode_raw(value: Any) -> bytes:
    """A raw DP's bytes from its base64 text (raw DPs travel base64-encoded in the JSON).

    Undecodable text reads as no bytes, which every family answers with its failure status.
    """
    if not isinstance(value, str):
        return b""
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return b""


def encode_raw(raw: bytes) -> str:
    """A raw DP value as the lock reports it: base64 text."""
    return base64.b64encode(raw).decode()
