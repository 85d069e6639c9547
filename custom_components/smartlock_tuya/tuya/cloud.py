"""Cloud backend: Tuya's temporary-password API through `tinytuya.Cloud`.

For battery Wi-Fi locks that sleep and never serve the LAN: the PIN goes to the cloud, which
delivers it when the lock next wakes. `tinytuya.Cloud` is synchronous (`requests`), so every
call runs in the executor; one `asyncio.Lock` keeps a ticket and its use together.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import logging
import math
import re
from typing import Any, Final

import tinytuya

from .backend import (
    Capabilities,
    CreatedPin,
    LockBackend,
    LockInfo,
    LockPin,
    LockStatus,
    PinRequest,
    PinWindow,
)
from .cloud_crypto import decrypt_ticket_key, encrypt_pin
from .errors import (
    InvalidPinError,
    LockAuthError,
    LockError,
    LockFullError,
    LockOfflineError,
    LockRejectedError,
    UnsupportedOperationError,
)
from .lan import RunBlocking, _to_thread

_LOGGER = logging.getLogger(__name__)

REGIONS: Final = ("us", "us-e", "eu", "eu-w", "in", "cn", "sg")
#: Names of the passwords we create start with this, so we never touch anyone else's.
NAME_PREFIX: Final = "SLT"
_OUR_NAME = re.compile(rf"^{NAME_PREFIX}(\d{{5}})\b")
_AUTH_CODES: Final = frozenset({1004, 1005, 1010, 1011, 1106, 2009, 2017})
_OFFLINE_CODES: Final = frozenset({2001})
_GONE_CODES: Final = frozenset({1000, 2008})
_FULL_CODES: Final = frozenset({2304})


def our_name(ref: int, label: str) -> str:
    """The password's name in Tuya: our prefix and reference, then a short label."""
    return f"{NAME_PREFIX}{ref:05d} {label}"[:32].rstrip()


def ref_of(name: str) -> int | None:
    """Our reference in a password name, or `None` when the password is not ours."""
    match = _OUR_NAME.match(name)
    return int(match.group(1)) if match else None


class CloudBackend(LockBackend):
    """A lock reached through the Tuya Cloud project of the user's access id and secret."""

    def __init__(
        self,
        *,
        device_id: str,
        region: str,
        access_id: str,
        access_secret: str,
        run_blocking: RunBlocking = _to_thread,
        api_host: str | None = None,
        offline_passwords: bool = False,
        pin_length: tuple[int, int] = (6, 7),
        timeout: float = 30.0,
    ) -> None:
        """Describe the cloud project; nothing is sent until `connect`.

        `api_host` replaces the region's host (tests point it at the fake cloud).
        """
        super().__init__()
        if region not in REGIONS:
            raise ValueError(f"unknown Tuya region {region!r}")
        self.device_id = device_id
        self._region = region
        self._access_id = access_id
        self._secret = access_secret
        self._run = run_blocking
        self._api_host = api_host
        self._offline = offline_passwords
        self._pin_length = pin_length
        self._timeout = timeout
        self._cloud: Any = None
        self._lock = asyncio.Lock()
        self.capabilities = Capabilities(list_pins=True)

    async def connect(self) -> LockInfo:
        """Get a token, then read the device's status to prove it is ours to manage."""
        async with self._lock:
            self._cloud = None
            await self._ensure_cloud()
        await self.status()
        return LockInfo(model="Tuya Cloud lock")

    async def _ensure_cloud(self) -> Any:
        if self._cloud is None:
            try:
                cloud = await asyncio.wait_for(self._run(self._make_cloud), self._timeout)
            except TimeoutError as err:
                raise LockOfflineError("Tuya Cloud did not answer") from err
            if cloud is None:
                raise LockOfflineError("cannot reach Tuya Cloud")
            if cloud.error or not cloud.token:
                raise LockAuthError("Tuya Cloud refused the access id and secret")
            self._cloud = cloud
        return self._cloud

    def _make_cloud(self) -> Any:
        # A placeholder token stops the constructor from fetching one from the region's
        # host before `api_host` can be applied; the real token is fetched right after.
        cloud = tinytuya.Cloud(
            apiRegion=self._region,
            apiKey=self._access_id,
            apiSecret=self._secret,
            apiDeviceID=self.device_id,
            initial_token="pending",  # noqa: S106 - not a credential
        )
        if self._api_host:
            cloud.urlhost = self._api_host
        try:
            cloud._gettoken()  # noqa: SLF001 - tinytuya has no public way to defer the token
        except OSError:  # requests' errors are OSErrors: nothing answered
            return None
        return cloud

    async def _request(
        self, path: str, action: str = "GET", body: dict[str, Any] | None = None
    ) -> Any:
        """One API call; Tuya's `{"success": false}` answers become typed errors."""
        cloud = await self._ensure_cloud()
        url = f"/v1.0/devices/{self.device_id}/{path}"
        if path.startswith("/"):
            url = path
        try:
            # tinytuya sets no timeout on its requests: give up waiting for a stalled call.
            answer = await asyncio.wait_for(
                self._run(lambda: cloud.cloudrequest(url, action=action, post=body)),
                self._timeout,
            )
        except (OSError, TimeoutError) as err:  # requests' errors are OSErrors
            self.available = False
            raise LockOfflineError(f"cannot reach Tuya Cloud: {type(err).__name__}") from err
        if not isinstance(answer, dict) or "Err" in answer:
            # No answer (a token renewal failed) or not JSON: start over with a new token.
            self.available, self._cloud = False, None
            raise LockOfflineError("Tuya Cloud did not answer usably")
        if not answer.get("success"):
            error = _cloud_error(answer)
            if isinstance(error, LockAuthError):
                self._cloud = None
            raise error
        self.available = True
        return answer.get("result")

    async def status(self) -> LockStatus:
        """Battery and state from the device's status codes."""
        result = await self._request("status")
        codes = {
            item.get("code"): item.get("value") for item in result or [] if isinstance(item, dict)
        }
        battery = codes.get("residual_electricity")
        state = codes.get("lock_motor_state")
        return LockStatus(
            locked=state if isinstance(state, bool) else None,
            battery=battery if isinstance(battery, int) and not isinstance(battery, bool) else None,
            dps={str(code): value for code, value in codes.items()},
        )

    async def create_pin(self, request: PinRequest) -> CreatedPin:
        """Ask the cloud for a ticket, then store the PIN encrypted under the ticket's key."""
        if self._offline:
            return await self._create_offline(request)
        low, high = self._pin_length
        if not request.pin.isdigit() or not low <= len(request.pin) <= high:
            raise InvalidPinError(f"this lock takes PINs of {low} to {high} digits")
        async with self._lock:
            ticket = await self._request("door-lock/password-ticket", "POST")
            key = decrypt_ticket_key(str(ticket["ticket_key"]), self._secret)
            result = await self._request(
                "door-lock/temp-password",
                "POST",
                {
                    "name": our_name(request.ref, request.name),
                    "password": encrypt_pin(request.pin, key),
                    "effective_time": request.window.start_ts,
                    "invalid_time": request.window.end_ts,
                    "password_type": "ticket",
                    "ticket_id": ticket["ticket_id"],
                    "type": 1 if request.once else 0,
                },
            )
        return CreatedPin(lock_pin_id=str(result["id"]))

    async def _create_offline(self, request: PinRequest) -> CreatedPin:
        """An offline password: Tuya picks it, the lock checks it by itself, by the hour."""
        starts = _hour_floor(request.window.starts)
        ends = _hour_ceil(request.window.ends)
        async with self._lock:
            result = await self._request(
                f"/v1.1/devices/{self.device_id}/door-lock/offline-temp-password",
                "POST",
                {
                    "type": "once" if request.once else "multiple",
                    "effective_time": int(starts.timestamp()),
                    "invalid_time": int(ends.timestamp()),
                    "name": our_name(request.ref, request.name),
                },
            )
        return CreatedPin(
            lock_pin_id=f"offline:{result['offline_temp_password_id']}",
            pin=str(result["offline_temp_password"]),
        )

    async def delete_pin(self, lock_pin_id: str, ref: int) -> None:
        """Delete one of our passwords; one the cloud no longer has counts as deleted."""
        if lock_pin_id.startswith("offline:"):
            raise UnsupportedOperationError(
                "an offline password ends with its window; removing it earlier needs the "
                "clear code typed on the lock's keypad"
            )
        async with self._lock:
            try:
                await self._request(f"door-lock/temp-passwords/{int(lock_pin_id)}", "DELETE")
            except _GoneError:
                _LOGGER.debug("Password %s was already gone from lock %s", ref, self.device_id)

    async def list_pins(self) -> list[LockPin]:
        """The passwords the cloud holds for the lock whose names mark them as ours."""
        async with self._lock:
            result = await self._request("door-lock/temp-passwords")
        pins = []
        for item in result or []:
            if not isinstance(item, dict) or ref_of(str(item.get("name", ""))) is None:
                continue
            if item.get("phase") in (0, 3):  # deleted, or being deleted
                continue
            pins.append(
                LockPin(
                    lock_pin_id=str(item["id"]),
                    name=str(item["name"]),
                    window=_window(item.get("effective_time"), item.get("invalid_time")),
                )
            )
        return pins

    async def close(self) -> None:
        """Nothing stays open between calls."""
        self._cloud = None


class _GoneError(LockRejectedError):
    """The cloud has no such password."""


def _cloud_error(answer: dict[str, Any]) -> LockError:
    code = answer.get("code")
    message = str(answer.get("msg") or "no message")[:120]
    if code in _AUTH_CODES:
        return LockAuthError(f"Tuya Cloud refused access: {message}")
    if code in _OFFLINE_CODES:
        return LockOfflineError(f"Tuya Cloud says the lock is offline: {message}")
    if code in _GONE_CODES:
        return _GoneError(message)
    if code in _FULL_CODES:
        return LockFullError(message)
    return LockRejectedError(f"Tuya Cloud error {code}: {message}")


def _window(start: Any, end: Any) -> PinWindow | None:
    if isinstance(start, int) and isinstance(end, int) and start < end:
        return PinWindow(
            starts=datetime.fromtimestamp(start, UTC), ends=datetime.fromtimestamp(end, UTC)
        )
    return None


def _hour_floor(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _hour_ceil(moment: datetime) -> datetime:
    floor = _hour_floor(moment)
    hours = math.ceil((moment - floor).total_seconds() / 3600)
    return floor + timedelta(hours=hours)
