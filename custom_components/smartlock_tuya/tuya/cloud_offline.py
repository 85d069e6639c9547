"""Offline passwords: Tuya picks the digits, and the lock checks them by itself, by the hour.

The lock never hears of them, so they cannot be withdrawn: each works until its whole-hour end
(`cloud_rules.plan_offline` for the windows Tuya gives). Removing one before that end raises
`OfflineCredentialStillValidError` with the end and a `clear_one` code for the keypad, so a revoke
is never reported done while the PIN still opens the door; after the end the delete succeeds,
because it is then true. Kept apart from `cloud`, whose passwords the cloud does deliver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
import logging
from typing import Any, Final, Literal

from .backend import CreatedCredential, CredentialRequest, CredentialWindow
from .cloud_rules import (
    ACTIVATE_WITHIN,
    OfflineCode,
    OfflineCredentialStillValidError,
    plan_offline,
    read_offline_code,
    unix,
    utcnow,
)
from .errors import LockError

_LOGGER = logging.getLogger(__name__)

#: Lock-side ids of offline passwords start with this: `offline:<id>:<end, Unix seconds>`.
OFFLINE_PREFIX: Final = "offline:"

type Request = Callable[[str, str, dict[str, Any] | None], Awaitable[Any]]


@dataclass(frozen=True, kw_only=True)
class OfflineCreatedCredential(CreatedCredential):
    """An offline password: the window it really has, and its first-use deadline.

    `activate_by` is set for `multiple` passwords, which never start working unless typed
    once before it; the guest has to be told.
    """

    kind: Literal["once", "multiple"]
    window: CredentialWindow
    activate_by: datetime | None = None


def _end_of(lock_pin_id: str) -> datetime | None:
    """When an offline password stops working, as its id says (None when it says nothing)."""
    end = lock_pin_id.removeprefix(OFFLINE_PREFIX).partition(":")[2]
    if not (end.isascii() and end.isdigit()):
        return None
    try:
        return datetime.fromtimestamp(int(end), UTC)
    except (OverflowError, OSError, ValueError):  # beyond what a datetime can hold
        return None


class OfflinePasswords:
    """The offline passwords of one lock, asked of Tuya through the backend's requests."""

    def __init__(
        self, *, device_id: str, request: Request, lock: asyncio.Lock, clear_name: str
    ) -> None:
        """`request` is the backend's API call; `lock` keeps each call apart from the others."""
        self._url = f"/v1.1/devices/{device_id}/door-lock/offline-temp-password"
        self._request = request
        self._lock = lock
        self._clear_name = clear_name
        self._clear_codes: dict[str, OfflineCode] = {}

    async def create(self, request: CredentialRequest, name: str) -> OfflineCreatedCredential:
        """An offline password named `name`: Tuya picks it, the lock checks it, by the hour."""
        plan = plan_offline(
            request.window.starts, request.window.ends, once=request.once, now=utcnow()
        )
        body: dict[str, Any] = {"type": plan.kind, "name": name}
        if plan.kind == "multiple":
            body |= {"effective_time": unix(plan.starts), "invalid_time": unix(plan.ends)}
        async with self._lock:
            code = read_offline_code(await self._request(self._url, "POST", body))
        return OfflineCreatedCredential(
            lock_pin_id=f"{OFFLINE_PREFIX}{code.code_id}:{unix(code.ends)}",
            pin=code.code,
            kind=plan.kind,
            window=CredentialWindow(starts=code.starts, ends=code.ends),
            activate_by=code.starts + ACTIVATE_WITHIN if plan.kind == "multiple" else None,
        )

    async def withdraw(self, lock_pin_id: str) -> None:
        """Succeed only once the PIN has stopped working; until then say so, with a clear code."""
        code_id = lock_pin_id.removeprefix(OFFLINE_PREFIX).partition(":")[0]
        until = _end_of(lock_pin_id)
        if until is not None and utcnow() >= until:
            return
        clear = self._clear_codes.get(code_id)
        if clear is None or clear.ends <= utcnow():
            body = {"type": "clear_one", "password_id": code_id, "name": self._clear_name}
            try:
                async with self._lock:
                    clear = read_offline_code(await self._request(self._url, "POST", body))
            except LockError as err:
                _LOGGER.debug("No clear code for an offline PIN: %s", type(err).__name__)
                clear = None
            else:
                self._clear_codes[code_id] = clear
        raise OfflineCredentialStillValidError(until, clear.code if clear else None)
