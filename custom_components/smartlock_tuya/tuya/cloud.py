"""Cloud backend: Tuya's temporary-password API.

For locks that sleep or sit behind a gateway: the PIN goes to the cloud, which delivers it.
Calls go through our own aiohttp client when a session is injected (`cloud_client`), else
through tinytuya in the executor (`cloud_tinytuya`); one `asyncio.Lock` keeps a ticket and
its use together. The rules Tuya documents (PIN lengths,
`phase` numbers, `delivery_status`, error codes, offline windows) live in `cloud_rules`.

How this backend keeps its word:

- The lock's kind comes from Tuya (`GET /v1.0/devices/{id}`): a Wi-Fi lock takes exactly
  7 digits, a Zigbee or Bluetooth lock behind a gateway exactly 6; any other PIN is refused
  before anything is sent (`pin_lengths` says which lengths the lock takes).
- A create is idempotent: when Tuya stored a password but its answer was lost, the retry
  finds our password (our name prefix and reference, the same window) and adopts it instead
  of creating a twin that only one delete would ever remove.
- A Zigbee create counts only once the password's `delivery_status` says configured; a
  refusal (duplicate, full, overlapping validity) raises its own error.
- Offline passwords (`cloud_offline`): `once` is issued only where the server's window (this
  hour to +6 h) covers the stay, otherwise `multiple` (`OfflineCreatedCredential.activate_by` tells
  the guest's deadline for the first use). They cannot be withdrawn: the lock checks them by
  itself until their whole-hour end. Removing one before that end raises
  `OfflineCredentialStillValidError` with the end and a `clear_one` code for the keypad, so a revoke
  is never reported done while the PIN still opens the door; after the end, the delete
  succeeds, because it is then true.
- Answers of the wrong shape (a list that is not one, a ticket or a created password with
  no usable id) are `LockError`s, never crashes; a listed password with no id to delete it by
  is neither listed nor adopted.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from typing import Any, Final

import aiohttp

from .backend import (
    Capabilities,
    CreatedCredential,
    CredentialRequest,
    ListedCredential,
    LockBackend,
    LockInfo,
    LockStatus,
)
from .cloud_client import REGION_HOSTS, CloudClient
from .cloud_crypto import decrypt_ticket_key, encrypt_pin
from .cloud_offline import OFFLINE_PREFIX, OfflineCreatedCredential, OfflinePasswords
from .cloud_rules import (
    DELIVERY_IN_PROGRESS,
    DELIVERY_TIMEOUT,
    SUB_DEVICE_PIN_LENGTH,
    WIFI_PIN_LENGTH,
    CloudDevice,
    CloudSpecification,
    CloudUnsupportedError,
    OfflineCredentialStillValidError,
    PasswordGoneError,
    WindowOverlapError,
    cloud_error,
    delivery_outcome,
    password_id,
    password_state,
    read_created_id,
    read_device,
    read_passwords,
    read_specification,
    read_ticket,
    window_of,
)
from .cloud_tinytuya import RunBlocking, TinytuyaTransport, to_thread
from .errors import (
    CodecError,
    DuplicatePinError,
    InvalidPinError,
    LockAuthError,
    LockOfflineError,
    LockRejectedError,
    LockTimeoutError,
)

_LOGGER = logging.getLogger(__name__)

REGIONS: Final = tuple(REGION_HOSTS)
#: Names of the passwords we create start with this, so we never touch anyone else's.
NAME_PREFIX: Final = "SLT"
_OUR_NAME = re.compile(rf"^{NAME_PREFIX}(\d{{5}})\b")
_LIVE: Final = frozenset({"pending", "on_lock"})


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
        run_blocking: RunBlocking = to_thread,
        api_host: str | None = None,
        session: aiohttp.ClientSession | None = None,
        ssl_context: ssl.SSLContext | None = None,
        offline_passwords: bool = False,
        pin_length: tuple[int, int] = (4, 10),
        timeout: float = 30.0,
        delivery_timeout: float = DELIVERY_TIMEOUT,
        poll_interval: float = 1.0,
    ) -> None:
        """Describe the cloud project; nothing is sent until a call needs it.

        `api_host` replaces the region's host (tests point it at the fake cloud). With a
        `session`, calls go through our own aiohttp client on the event loop; without one,
        through tinytuya in `run_blocking`.
        `pin_length` is what the lock's profile allows; the lock's own length (7 or 6, from
        Tuya) must fall inside it.
        """
        super().__init__()
        if region not in REGIONS:
            raise ValueError(f"unknown Tuya region {region!r}")
        self.device_id = device_id
        self._secret = access_secret
        self._api: CloudClient | TinytuyaTransport
        if session is not None:
            self._api = CloudClient(
                session=session,
                host=api_host or REGION_HOSTS[region],
                access_id=access_id,
                access_secret=access_secret,
                timeout=timeout,
                ssl_context=ssl_context,
            )
        else:
            self._api = TinytuyaTransport(
                region=region,
                access_id=access_id,
                access_secret=access_secret,
                device_id=device_id,
                api_host=api_host,
                run_blocking=run_blocking,
                timeout=timeout,
            )
        self._offline = offline_passwords
        self._profile_lengths = pin_length
        self._delivery_timeout = delivery_timeout
        self._poll_interval = poll_interval
        self._device: CloudDevice | None = None
        self._lock = asyncio.Lock()
        self._offline_passwords = OfflinePasswords(
            device_id=device_id,
            request=self._request,
            lock=self._lock,
            clear_name=f"{NAME_PREFIX} clear",
        )
        self.capabilities = Capabilities(list_credentials=True)

    @property
    def pin_lengths(self) -> tuple[int, ...]:
        """PIN lengths this lock takes: one, once Tuya described it; both kinds before that.

        Only lengths the profile also allows count. In offline mode Tuya chooses the digits,
        so the PIN asked for is never sent and its length does not matter.
        """
        low, high = self._profile_lengths
        if self._device is not None:
            candidates: tuple[int, ...] = (self._device.pin_length,)
        else:
            candidates = (SUB_DEVICE_PIN_LENGTH, WIFI_PIN_LENGTH)
        return tuple(length for length in candidates if low <= length <= high)

    @property
    def device(self) -> CloudDevice | None:
        """What Tuya said of the lock at `connect` (category, gateway or not)."""
        return self._device

    async def connect(self) -> LockInfo:
        """Get a token, learn the lock's kind, then read its status to prove it is ours."""
        async with self._lock:
            self._api.forget_token()
            await self._api.ensure_token()
            self._device = None
            device = await self._describe()
        await self.status()
        return LockInfo(model=device.product_name or device.category or "Tuya Cloud lock")

    async def _describe(self) -> CloudDevice:
        if self._device is None:
            self._device = read_device(await self._request(f"/v1.0/devices/{self.device_id}"))
        return self._device

    async def specification(self) -> CloudSpecification:
        """The device's category and DP codes from Tuya's thing model, for auto-detection.

        `GET /v1.1/devices/{id}/specifications` (Tuya's "Get Device Specification
        Attribute"; tinytuya's `Cloud.getdps` uses the same path).
        """
        async with self._lock:
            await self._api.ensure_token()
            result = await self._request(f"/v1.1/devices/{self.device_id}/specifications")
        return read_specification(result)

    async def _request(
        self, path: str, action: str = "GET", body: dict[str, Any] | None = None
    ) -> Any:
        """One API call; Tuya's `{"success": false}` answers become typed errors."""
        url = path if path.startswith("/") else f"/v1.0/devices/{self.device_id}/{path}"
        try:
            answer = await self._api.request(action, url, body)
        except LockOfflineError:
            self.available = False
            raise
        if not answer.get("success"):
            error = cloud_error(answer)
            if isinstance(error, LockAuthError):
                self._api.forget_token()
            raise error
        self.available = True
        return answer.get("result")

    async def status(self) -> LockStatus:
        """Battery and state from the device's status codes.

        `lock_motor_state` is DP 47, and on the locks that report it `true` means UNLOCKED
        (tuya-local's lock definitions, e.g. `orion_dl033ha_lock.yaml`).
        """
        result = await self._request("status")
        items = result if isinstance(result, list) else []
        codes = {
            item["code"]: item.get("value")
            for item in items
            if isinstance(item, dict) and isinstance(item.get("code"), str)
        }
        battery = codes.get("residual_electricity")
        unlocked = codes.get("lock_motor_state")
        return LockStatus(
            locked=not unlocked if isinstance(unlocked, bool) else None,
            battery=battery if isinstance(battery, int) and not isinstance(battery, bool) else None,
            dps={str(code): value for code, value in codes.items()},
        )

    async def create_credential(self, request: CredentialRequest) -> CreatedCredential:
        """Put the PIN in the cloud once, and return only when the lock's side is known."""
        if self._offline:
            return await self._offline_passwords.create(
                request, our_name(request.ref, request.name)
            )
        async with self._lock:
            device = await self._describe()
            lengths = self.pin_lengths
            if not request.pin.isdigit() or len(request.pin) not in lengths:
                takes = " or ".join(str(length) for length in lengths) or "no"
                raise InvalidPinError(
                    f"this lock takes PINs of exactly {takes} digits through Tuya Cloud "
                    f"({'a lock behind a gateway' if device.sub else 'a Wi-Fi lock'})"
                )
            password_id = await self._find_ours(request)
            if password_id is None:
                password_id = await self._send_new(request)
            if device.sub:
                await self._await_delivery(password_id)
        return CreatedCredential(lock_pin_id=password_id)

    async def _find_ours(self, request: CredentialRequest) -> str | None:
        """Our live password for this reference and window, if a lost answer left one."""
        for record in read_passwords(await self._request("door-lock/temp-passwords")):
            if (
                ref_of(str(record.get("name", ""))) == request.ref
                and record.get("effective_time") == request.window.start_ts
                and record.get("invalid_time") == request.window.end_ts
                and password_state(record) in _LIVE
                and (found := password_id(record.get("id"))) is not None
            ):
                _LOGGER.debug("Password %s is already in the cloud; adopting it", request.ref)
                return found
        return None

    async def _send_new(self, request: CredentialRequest) -> str:
        """A ticket, then the PIN encrypted under the ticket's key."""
        ticket_key, ticket_id = read_ticket(
            await self._request("door-lock/password-ticket", "POST")
        )
        key = decrypt_ticket_key(ticket_key, self._secret)
        result = await self._request(
            "door-lock/temp-password",
            "POST",
            {
                "name": our_name(request.ref, request.name),
                "password": encrypt_pin(request.pin, key),
                "effective_time": request.window.start_ts,
                "invalid_time": request.window.end_ts,
                "password_type": "ticket",
                "ticket_id": ticket_id,
                "type": 1 if request.once else 0,
            },
        )
        return read_created_id(result)

    async def _await_delivery(self, password_id: str) -> None:
        """Poll the password until the gateway says the lock took it, or refused it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._delivery_timeout
        while True:
            record = await self._request(f"door-lock/temp-password/{password_id}")
            record = record if isinstance(record, dict) else {}
            status = record.get("delivery_status")
            if status is None:  # a Bluetooth lock: no delivery status, only its phase
                if password_state(record) == "failed":
                    raise LockRejectedError("the gateway could not send the PIN to the lock")
                return
            if status != DELIVERY_IN_PROGRESS:
                error = delivery_outcome(status)
                if error is not None:
                    raise error
                return
            if loop.time() + self._poll_interval > deadline:
                raise LockTimeoutError(
                    f"the lock did not confirm the PIN within {self._delivery_timeout:.0f} s"
                )
            await asyncio.sleep(self._poll_interval)

    async def delete_credential(self, lock_pin_id: str, ref: int) -> None:
        """Delete one of our passwords; one the cloud no longer has counts as deleted."""
        if lock_pin_id.startswith(OFFLINE_PREFIX):
            await self._offline_passwords.withdraw(lock_pin_id)
            return
        if password_id(lock_pin_id) is None:
            raise CodecError(f"not a Tuya password id: {lock_pin_id!r}")
        async with self._lock:
            try:
                await self._request(f"door-lock/temp-passwords/{lock_pin_id}", "DELETE")
            except PasswordGoneError:
                _LOGGER.debug("Password %s was already gone from lock %s", ref, self.device_id)

    async def list_credentials(self) -> list[ListedCredential]:
        """The passwords the cloud holds for the lock whose names mark them as ours."""
        async with self._lock:
            result = await self._request("door-lock/temp-passwords")
        pins = []
        for item in read_passwords(result):
            if ref_of(str(item.get("name", ""))) is None:
                continue
            if password_state(item) not in _LIVE:  # deleted, being deleted, or failed
                continue
            if (found := password_id(item.get("id"))) is None:  # no id to delete it by
                continue
            pins.append(
                ListedCredential(
                    lock_pin_id=found,
                    name=str(item["name"]),
                    window=window_of(item.get("effective_time"), item.get("invalid_time")),
                )
            )
        return pins

    async def close(self) -> None:
        """Nothing stays open between calls; the session belongs to whoever injected it."""
        self._api.forget_token()


__all__ = [
    "NAME_PREFIX",
    "REGIONS",
    "CloudBackend",
    "CloudDevice",
    "CloudSpecification",
    "CloudUnsupportedError",
    "DuplicatePinError",
    "OfflineCreatedCredential",
    "OfflineCredentialStillValidError",
    "WindowOverlapError",
    "our_name",
    "ref_of",
]
