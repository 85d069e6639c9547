"""What every PIN codec shares: the payload, the report, the raw-DP transport and the checks.

Each lock family's layout lives in its own module; this one holds the vocabulary they speak, so
the backends and the simulator can treat every family alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import ClassVar, Final

from custom_components.smartlock_tuya.tuya.errors import CodecError, UnsupportedOperationError

# Unix seconds in 4 unsigned bytes: 1970-01-01 to 2106-02-07 06:28:15 UTC.
MAX_TIME: Final = 0xFFFFFFFF
LAST_INSTANT: Final = datetime.fromtimestamp(MAX_TIME, UTC)


class ReportStatus(Enum):
    """What a lock said about one credential command."""

    DONE = "done"
    FAILED = "failed"
    DUPLICATE = "duplicate"  # refused: the same PIN is already on the lock; this one is NOT
    FULL = "full"  # refused: no free place for another PIN
    MISSING = "missing"  # a delete of a PIN the lock does not have


@dataclass(frozen=True, kw_only=True)
class CredentialReport:
    """A lock's answer to a credential command.

    `lock_pin_id` is the credential's lock-side id (the id a Zigbee lock reports on DP 3, the
    hardware id a Lock Pro reports on DP 55); `echo` holds the bytes of the answer that name the
    command it answers, so `CredentialCodec.is_reply_to` can pair them.
    """

    ref: int
    lock_pin_id: int
    status: ReportStatus
    uuid: int | None = None
    echo: bytes = b""


@dataclass(frozen=True, kw_only=True)
class CredentialPayload:
    """What a create or modify carries; `start`/`end` are Unix seconds.

    `ref` is the lock-side id where the family lets us choose it (Zigbee, access panels); a
    Lock Pro chooses its own and ignores it. `uuid` is used by families that pair by message id.
    """

    ref: int
    pin: str
    start: int
    end: int
    once: bool = False
    uuid: int = 0


def check_window(start: int, end: int) -> None:
    """Refuse, before anything is stored or sent, a window the 4-byte time fields cannot carry."""
    if end > MAX_TIME:
        raise CodecError(
            f"the window ends after {LAST_INSTANT:%Y-%m-%d %H:%M} UTC, "
            "the last instant a lock can store"
        )
    if start < 0:
        raise CodecError("the window starts before 1970")
    if start >= end:
        raise CodecError("the window must start before it ends")


def check_digits(pin: str, lengths: frozenset[int]) -> None:
    """Refuse a PIN that is not all ASCII digits or whose length the layout cannot carry."""
    if not pin.isascii() or not pin.isdigit():
        raise CodecError("a PIN is digits only")
    if len(pin) not in lengths:
        raise CodecError(f"this layout carries PINs of {describe_lengths(lengths)} digits")


def describe_lengths(lengths: frozenset[int]) -> str:
    """A set of PIN lengths as people write it: `6`, `6 to 10`, or `4, 6 or 8`."""
    ordered = sorted(lengths)
    if len(ordered) == 1:
        return str(ordered[0])
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]} to {ordered[-1]}"
    return ", ".join(map(str, ordered[:-1])) + f" or {ordered[-1]}"


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


def status_of(table: dict[int, ReportStatus], value: int) -> ReportStatus:
    """The meaning of a status byte, or a `CodecError` for a byte no source documents."""
    try:
        return table[value]
    except KeyError:
        raise CodecError(f"unknown status byte {value:#04x}") from None


def expect_length(data: bytes, size: int, what: str) -> None:
    """Refuse bytes that are not exactly one known layout."""
    if len(data) != size:
        raise CodecError(f"{what} is {size} bytes, got {len(data)}")


def lock_pin_id_from_dp(value: object, maximum: int) -> str | None:
    """A lock-side PIN id pushed as an integer DP, or `None` for anything else."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        return None
    return str(value)


class CredentialCodec(ABC):
    """Encodes credential commands for one lock family and decodes the lock's reports."""

    name: ClassVar[str]
    can_modify: ClassVar[bool] = False
    pin_lengths: ClassVar[frozenset[int]]
    ref_range: ClassVar[range]
    """Lock-side ids we may choose; empty where the lock chooses (Lock Pro)."""
    silent_on_absent: ClassVar[bool] = False
    """Whether a failed delete may only mean "not there": the lock has no "absent" status."""

    @abstractmethod
    def encode_create(self, payload: CredentialPayload) -> bytes:
        """Bytes for the create DP."""

    @abstractmethod
    def decode_create(self, data: bytes) -> CredentialPayload:
        """What a create command carries (the simulator's side, and the capture checks)."""

    @abstractmethod
    def decode_create_report(self, data: bytes) -> CredentialReport:
        """The lock's report on the create DP."""

    @abstractmethod
    def encode_delete(self, *, ref: int, lock_pin_id: int, uuid: int = 0) -> bytes:
        """Bytes for the delete DP."""

    @abstractmethod
    def decode_delete_report(self, data: bytes) -> CredentialReport:
        """The lock's report on the delete DP."""

    @abstractmethod
    def is_reply_to(self, report: CredentialReport, command: bytes) -> bool:
        """Whether `report` answers the command whose bytes were `command`."""

    @abstractmethod
    def decode_unlock(self, value: object) -> str | None:
        """The lock-side id in an "unlocked with a temporary PIN" DP value, if it is one."""

    def encode_modify(self, payload: CredentialPayload, *, lock_pin_id: int) -> bytes:
        """Bytes for the modify DP, where the family has one."""
        raise UnsupportedOperationError(f"{self.name} PINs cannot be modified in place")

    def decode_modify_report(self, data: bytes) -> CredentialReport:
        """The lock's report on the modify DP."""
        raise UnsupportedOperationError(f"{self.name} PINs cannot be modified in place")

    def check(self, payload: CredentialPayload) -> None:
        """Refuse a payload this family cannot carry, naming the field."""
        if self.ref_range and payload.ref not in self.ref_range:
            raise CodecError(
                f"lock-side id {payload.ref} out of range "
                f"{self.ref_range.start}-{self.ref_range.stop - 1}"
            )
        check_window(payload.start, payload.end)
        check_digits(payload.pin, self.pin_lengths)
