"""What Tuya's OpenAPI documents about lock passwords, as tables and pure functions.

Kept apart from the HTTP client so each rule can be checked against its source on its own.
Sources (read them before changing a number here):

- Temporary passwords, create / get / list: Tuya OpenAPI "Create Temporary Password"
  (developer.tuya.com/en/docs/archived-documents/a6674151c8?id=Kat26xwaal5be), "Get Temporary
  Password" (…/6ecfdf8984?id=Katuf3lapw1ez), "Get Temporary Passwords"
  (…/6fcd8256c2?id=Katuf6m81zmz2): 7 digits on Wi-Fi locks, 6 on Zigbee and Bluetooth locks;
  `phase` per protocol; `delivery_status` returned by Zigbee locks only.
- Zigbee confirmation: "密码管理" (developer.tuya.com/cn/docs/cloud/doorlock-api-password?
  id=Kbe2nztqcoapu): the caller polls the password until it is configured or failed, for up to
  25 seconds.
- Offline passwords: "生成离线临时密码" (developer.tuya.com/cn/docs/cloud/009bdf7768?
  id=Kaospm7walgd5): whole-hour windows; `once` runs from the current hour to +6 h whatever is
  asked; and "Temporary Password SDK" (developer.tuya.com/en/docs/iot/ms-password-sdk?
  id=Kdwa5fp5g7m7h): a time-limited (`multiple`) password must be used once within 24 h after
  it takes effect or it never activates; deleting one early takes a clearing code typed on
  the lock; a clearing code is valid for 24 h.
- Error codes: Tuya's "Global Error Codes" (developer.tuya.com/en/docs/iot/error-code?
  id=K989ruxx88swc) for 1000-1199; the door-lock and device codes (2001-2324) from the
  `ErrorCode` table of Tuya's Java cloud SDK (xie-tech/tuya-cloud-sdk-java,
  src/main/java/com/tuya/api/common/ErrorCode.java).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import math
from typing import Any, Final, Literal

from .backend import CredentialWindow
from .errors import (
    DuplicatePinError,
    LockAuthError,
    LockError,
    LockFullError,
    LockOfflineError,
    LockRejectedError,
)

#: PIN length per lock kind (Tuya: "Wi-Fi lock: 7. Zigbee or Bluetooth lock: 6").
WIFI_PIN_LENGTH: Final = 7
SUB_DEVICE_PIN_LENGTH: Final = 6
#: How long Tuya says to poll a Zigbee password before giving up.
DELIVERY_TIMEOUT: Final = 25.0
ONCE_HOURS: Final = 6
ACTIVATE_WITHIN: Final = timedelta(hours=24)
_HOUR = timedelta(hours=1)

type PasswordState = Literal["pending", "on_lock", "removing", "gone", "failed"]

# `phase` of Wi-Fi (0-3) and Bluetooth (0-3 and 7) locks, which share numbers.
_WIFI_BLE_PHASE: Final[dict[int, PasswordState]] = {
    0: "gone",  # deleted
    1: "pending",  # to be sent / to be issued
    2: "on_lock",  # sent / issued
    3: "removing",  # to be deleted
    7: "failed",  # Bluetooth: failed to be sent
}
# `phase` of Zigbee locks: other numbers for other meanings.
_ZIGBEE_PHASE: Final[dict[int, PasswordState]] = {
    1: "pending",  # to be created
    2: "on_lock",  # normal
    3: "on_lock",  # frozen: still on the lock, still ours
    4: "gone",  # deleted
    5: "failed",  # failed to be created
}

# Zigbee `delivery_status`.
DELIVERY_IN_PROGRESS: Final = 1
DELIVERY_DONE: Final = 2
DELIVERY_FAILED: Final = 3
DELIVERY_DUPLICATE: Final = 4
DELIVERY_FULL: Final = 5
DELIVERY_OVERLAP: Final = 6


class WindowOverlapError(LockRejectedError):
    """A Zigbee lock refused the password because its validity overlaps another one."""


class CloudUnsupportedError(LockRejectedError):
    """Tuya says the lock does not support this command, value or device (2008, 2009).

    Not an authentication problem and not "already gone": the request itself cannot work.
    """


class OfflineCredentialStillValidError(LockError):
    """An offline password cannot be withdrawn: the lock checks it alone until `until`.

    `clear_code`, when Tuya issued one, removes it sooner if someone types it on the keypad
    within a day; it is a door secret, so it never appears in the message.
    """

    def __init__(self, until: datetime | None, clear_code: str | None) -> None:
        """Say until when the PIN keeps working; keep the clear code out of the text."""
        when = until.isoformat() if until else "the end of its window"
        super().__init__(
            f"the offline PIN keeps working until {when}; typing its clear code on the "
            "keypad removes it sooner"
        )
        self.until = until
        self.clear_code = clear_code


@dataclass(frozen=True, kw_only=True)
class CloudDevice:
    """What `GET /v1.0/devices/{id}` says of the lock; `sub` means behind a gateway."""

    category: str
    product_name: str
    sub: bool

    @property
    def pin_length(self) -> int:
        """Wi-Fi locks reach the cloud themselves; Zigbee and Bluetooth ones via a gateway."""
        return SUB_DEVICE_PIN_LENGTH if self.sub else WIFI_PIN_LENGTH


def read_device(result: Any) -> CloudDevice:
    """The lock's description from the device-details answer; raise if it is not one."""
    if not isinstance(result, dict) or not isinstance(result.get("sub", False), bool):
        raise LockRejectedError("Tuya Cloud described the device in an unexpected shape")
    return CloudDevice(
        category=str(result.get("category") or ""),
        product_name=str(result.get("product_name") or ""),
        sub=bool(result.get("sub", False)),
    )


@dataclass(frozen=True, kw_only=True)
class CloudSpecification:
    """Tuya's thing model of the device: its category and the codes of its DPs."""

    category: str
    codes: tuple[str, ...]


def read_specification(result: Any) -> CloudSpecification:
    """The codes of "Get Device Specification Attribute" (`functions` and `status`).

    Shape per Tuya (developer.tuya.com/en/docs/cloud/f2c0abfbbd?id=Kb26d4cf4wnrd):
    `{"category", "functions": [{"code", "dp_id", "type", "values"}], "status": [...]}`.
    Entries without a text code are skipped; a result that is not an object has no codes.
    """
    if not isinstance(result, dict):
        raise LockRejectedError("Tuya Cloud sent a specification in an unexpected shape")
    codes: list[str] = []
    for part in ("functions", "status"):
        entries = result.get(part)
        for entry in entries if isinstance(entries, list) else ():
            code = entry.get("code") if isinstance(entry, dict) else None
            if isinstance(code, str) and code and code not in codes:
                codes.append(code)
    return CloudSpecification(category=str(result.get("category") or ""), codes=tuple(codes))


def read_passwords(result: Any) -> list[dict[str, Any]]:
    """The records of a password list (none when Tuya sends no list); raise if it is not one."""
    if result is None:
        return []
    if not isinstance(result, list):
        raise LockRejectedError("Tuya Cloud listed the passwords in an unexpected shape")
    return [record for record in result if isinstance(record, dict)]


def password_id(value: Any) -> str | None:
    """A password's id as we store it (its decimal digits), or `None` when it is not one.

    A delete names the password by this number, so an id that is not one could never be
    deleted: such a password is not ours to adopt or list.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return value
    return None


def read_ticket(result: Any) -> tuple[str, Any]:
    """The ticket's encrypted key and its id, from a password-ticket answer."""
    if not isinstance(result, dict) or "ticket_key" not in result or "ticket_id" not in result:
        raise LockRejectedError("Tuya Cloud answered the ticket request oddly")
    return str(result["ticket_key"]), result["ticket_id"]


def read_created_id(result: Any) -> str:
    """The id of the password Tuya just stored; raise when the answer names none."""
    found = password_id(result.get("id")) if isinstance(result, dict) else None
    if found is None:
        raise LockRejectedError("Tuya Cloud stored the password but named no usable id")
    return found


def password_state(record: dict[str, Any]) -> PasswordState | None:
    """Where a listed password stands, read with its own protocol's `phase` numbers.

    Only Zigbee locks return `delivery_status`, so its presence says which numbering applies.
    """
    phase = record.get("phase")
    if not isinstance(phase, int) or isinstance(phase, bool):
        return None
    zigbee = record.get("delivery_status") is not None
    return (_ZIGBEE_PHASE if zigbee else _WIFI_BLE_PHASE).get(phase)


def delivery_outcome(status: Any) -> LockError | None:
    """The error a final Zigbee `delivery_status` stands for; `None` when it is configured."""
    if status == DELIVERY_DONE:
        return None
    if status == DELIVERY_DUPLICATE:
        return DuplicatePinError("the lock already holds this PIN (Tuya delivery status 4)")
    if status == DELIVERY_FULL:
        return LockFullError("the lock has no room for another PIN (Tuya delivery status 5)")
    if status == DELIVERY_OVERLAP:
        return WindowOverlapError("the lock refused an overlapping validity (status 6)")
    return LockRejectedError(f"the lock did not take the PIN (Tuya delivery status {status})")


# --- error codes ------------------------------------------------------------------------

_AUTH_CODES: Final = frozenset({1001, 1002, 1004, 1005, 1008, 1010, 1011, 1012, 1106})
_OFFLINE_CODES: Final = frozenset({2001, 2312})  # device is offline; door lock not online
_GONE_CODES: Final = frozenset({1000, 2310, 2321, 2323})  # no such data / password
_FULL_CODES: Final = frozenset({2303, 2305})  # passwords reached the limit
_DUPLICATE_CODES: Final = frozenset({2322})  # Wi-Fi lock password can not be repeated
_UNSUPPORTED_CODES: Final = frozenset({2008, 2009})  # command/value; this device


class PasswordGoneError(LockRejectedError):
    """The cloud has no such password: for a delete, the wanted outcome."""


def cloud_error(answer: dict[str, Any]) -> LockError:
    """Tuya's `{"success": false, "code": …}` as the typed error its code documents."""
    code = answer.get("code")
    code = code if isinstance(code, int) and not isinstance(code, bool) else None
    message = str(answer.get("msg") or "no message")[:120]
    if code in _AUTH_CODES:
        return LockAuthError(f"Tuya Cloud refused access ({code}): {message}")
    if code in _OFFLINE_CODES:
        return LockOfflineError(f"Tuya Cloud says the lock is offline ({code}): {message}")
    if code in _GONE_CODES:
        return PasswordGoneError(message)
    if code in _FULL_CODES:
        return LockFullError(f"Tuya Cloud error {code}: {message}")
    if code in _DUPLICATE_CODES:
        return DuplicatePinError(f"Tuya Cloud error {code}: {message}")
    if code in _UNSUPPORTED_CODES:
        return CloudUnsupportedError(f"Tuya Cloud error {code}: {message}")
    return LockRejectedError(f"Tuya Cloud error {code}: {message}")


# --- offline passwords ------------------------------------------------------------------


def hour_floor(moment: datetime) -> datetime:
    """The whole hour at or before `moment`, as Tuya rounds offline windows."""
    return moment.replace(minute=0, second=0, microsecond=0)


def hour_ceil(moment: datetime) -> datetime:
    """The whole hour at or after `moment`, so rounding never cuts the guest's stay short."""
    floor = hour_floor(moment)
    return floor + _HOUR * math.ceil((moment - floor) / _HOUR)


@dataclass(frozen=True, kw_only=True)
class OfflinePlan:
    """Which offline password to ask for, over which whole hours."""

    kind: Literal["once", "multiple"]
    starts: datetime
    ends: datetime


def plan_offline(starts: datetime, ends: datetime, *, once: bool, now: datetime) -> OfflinePlan:
    """`once` only where the server's window (this hour to +6 h) covers the stay.

    A `once` password ignores the window asked for, so anywhere else it would open too early
    or stop too soon; then a `multiple` one over the stay's whole hours is the truthful choice.
    """
    hour = hour_floor(now)
    once_ends = hour + timedelta(hours=ONCE_HOURS)
    if once and hour <= starts and ends <= once_ends:
        return OfflinePlan(kind="once", starts=hour, ends=once_ends)
    return OfflinePlan(kind="multiple", starts=hour_floor(starts), ends=hour_ceil(ends))


@dataclass(frozen=True, kw_only=True)
class OfflineCode:
    """A code Tuya generated, with the window it really has."""

    code_id: str
    code: str = field(repr=False)
    starts: datetime
    ends: datetime


def read_offline_code(result: Any) -> OfflineCode:
    """Tuya's answer to an offline-password request, with the window it really gave."""
    try:
        window = window_of(result["effective_time"], result["invalid_time"])
        code_id = str(result["offline_temp_password_id"])
        digits = str(result["offline_temp_password"])
    except (KeyError, TypeError) as err:
        raise LockRejectedError("Tuya Cloud answered an offline password oddly") from err
    if window is None or not digits.isdigit():
        raise LockRejectedError("Tuya Cloud answered an offline password oddly")
    return OfflineCode(code_id=code_id, code=digits, starts=window.starts, ends=window.ends)


def window_of(start: Any, end: Any) -> CredentialWindow | None:
    """A window from Tuya's Unix seconds, or `None` when they do not make one."""
    if not (isinstance(start, int) and isinstance(end, int) and start < end):
        return None
    try:
        return CredentialWindow(
            starts=datetime.fromtimestamp(start, UTC), ends=datetime.fromtimestamp(end, UTC)
        )
    except (OverflowError, OSError, ValueError):  # beyond what a datetime can hold
        return None


def utcnow() -> datetime:
    """Now, aware; looked up at each call so tests can move the clock."""
    return datetime.now(UTC)


def unix(moment: datetime) -> int:
    """Unix seconds, as Tuya's API takes them."""
    return int(moment.timestamp())
