"""Reading what a lock says: its DPs, which report answers a command, what a status means.

Kept apart from `backend` so the pairing rule (the family's `CredentialCodec.is_reply_to`) and the
status-to-outcome rule are each written once, for every family.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
from typing import Any

from custom_components.smartlock_tuya.tuya.codecs import (
    CredentialCodec,
    CredentialReport,
    ReportStatus,
    decode_raw,
)
from custom_components.smartlock_tuya.tuya.errors import (
    CodecError,
    DuplicatePinError,
    LockFullError,
    LockRejectedError,
)

_LOGGER = logging.getLogger(__name__)

type Waiter = Callable[[dict[str, Any]], None]


def dps_of(body: dict[str, Any]) -> dict[str, Any] | None:
    """The DPs a message carries: top level on 3.3 and in replies, in `data` in 3.4+ pushes."""
    dps = body.get("dps")
    if not isinstance(dps, dict):
        data = body.get("data")
        dps = data.get("dps") if isinstance(data, dict) else None
    if not isinstance(dps, dict):
        return None
    return {str(key): value for key, value in dps.items()}


def report_waiter(
    *,
    codec: CredentialCodec,
    dp: int,
    command: bytes,
    decode: Callable[[bytes], CredentialReport],
    reported: asyncio.Future[CredentialReport],
    device_id: str,
) -> Waiter:
    """A listener that resolves `reported` with the first report answering `command`.

    It takes the command's DP out of the DPs it sees, so the report is not also read as state;
    an unreadable report, or one about another credential, is logged and skipped.
    """

    def wait_for_report(dps: dict[str, Any]) -> None:
        if (raw := dps.pop(str(dp), None)) is None or reported.done():
            return
        try:
            report = decode(decode_raw(raw))
        except CodecError as err:
            _LOGGER.warning("Ignoring an unreadable report from lock %s: %s", device_id, err)
            return
        if not codec.is_reply_to(report, command):
            _LOGGER.debug("Ignoring a report about another credential on lock %s", device_id)
            return
        reported.set_result(report)

    return wait_for_report


def parse_lock_pin_id(lock_pin_id: str) -> int:
    """The lock-side id we stored, as the number the codecs take."""
    try:
        return int(lock_pin_id)
    except ValueError:
        raise CodecError(f"not a lock-side id: {lock_pin_id!r}") from None


def checked(report: CredentialReport, ok: tuple[ReportStatus, ...]) -> CredentialReport:
    """Turn a report's status into the outcome: done, or the reason it is not.

    A duplicate is its own error: the PIN is NOT on the lock and other digits may succeed.
    """
    if report.status in ok:
        return report
    if report.status is ReportStatus.FULL:
        raise LockFullError("the lock has no free place for another PIN")
    if report.status is ReportStatus.DUPLICATE:
        raise DuplicatePinError("the lock already holds this PIN and refused it")
    raise LockRejectedError("the lock refused the PIN operation")
