"""Fake Tuya Cloud (OpenAPI) for the door-lock temporary-password flow, served over HTTPS.

tinytuya always calls ``https://`` + ``Cloud.urlhost`` through ``requests``, so tests point
``urlhost`` at ``FakeTuyaCloud.host`` and trust ``ca_file`` through ``REQUESTS_CA_BUNDLE``.
Signatures are checked as the real cloud checks them, so a client that signs wrongly fails here
as it would in production. Like Tuya, errors come back with HTTP 200 and
``{"success": false, "code": ..., "msg": ..., "t": ms}``.

The locks behave as Tuya's door-lock OpenAPI documents them (see
``custom_components/smartlock_tuya/tuya/cloud_rules.py`` for the sources): Wi-Fi locks take
7 digits and Zigbee/Bluetooth locks behind a gateway 6; each protocol has its own ``phase``
numbers; a Zigbee password is "in progress" until the lock answers through the gateway, then
configured or refused (4 duplicate, 5 full, 6 validity overlap); offline windows are whole
hours, and a ``once`` password runs from this hour to +6 h whatever is asked. Where Tuya says
what but not when (which clash is a "duplicate" and which an "overlap"), the choice is marked.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
import hashlib
import hmac
import itertools
from pathlib import Path
import re
import secrets
import shutil
import ssl
import string
import tempfile
import time
from typing import Any, Literal

from aiohttp import web
from aiohttp.typedefs import Handler

from .tuya_cloud_http import (
    CLIENT_ID_INVALID,
    COMMAND_NOT_SUPPORTED,
    DATA_NOT_EXIST,
    DEVICE_NOT_SUPPORTED,
    DEVICE_OFFLINE,
    GRANT_TYPE_INVALID,
    MISSING_HEADER,
    PARAM_ILLEGAL,
    PARAMS_RANGE_INVALID,
    PASSWORD_ENCRYPTION_ERROR,
    PASSWORD_FULL,
    PASSWORD_LENGTH_INVALID,
    PERMISSION_DENY,
    SIGN_INVALID,
    TICKET_INVALID,
    TOKEN_INVALID,
    URI_PATH_INVALID,
    WIFI_PASSWORD_NOT_FOUND,
    WIFI_PASSWORD_REPEATED,
    TuyaError,
    aes_decrypt,
    aes_encrypt,
    field,
    json_body,
    string_to_sign,
    write_certificate,
)
from .tuya_cloud_specs import LOCK_PRO, ZIGBEE_LOCK, specification

TOKEN_PATH = "/v1.0/token"  # noqa: S105 - a URL path, not a secret
TOKEN_LIFETIME = 7200
TICKET_LIFETIME = 300
type Kind = Literal["wifi", "zigbee", "ble"]
PIN_LENGTH: dict[Kind, int] = {"wifi": 7, "zigbee": 6, "ble": 6}
_CATEGORY: dict[Kind, str] = {"wifi": "jtmspro", "zigbee": "ms", "ble": "ms"}
_FAMILY: dict[Kind, str] = {"wifi": LOCK_PRO, "zigbee": ZIGBEE_LOCK, "ble": LOCK_PRO}
_DEVICE = "/v1.0/devices/{device_id}/door-lock"
_HEX = re.compile(r"(?:[0-9A-Fa-f]{32})+")
_ALNUM = string.ascii_letters + string.digits
_HOUR = 3600
_LISTED = ("id", "name", "effective_time", "invalid_time", "phase")

# Wi-Fi and Bluetooth ``phase``.
PHASE_DELETED, PHASE_TO_SEND, PHASE_SENT, PHASE_TO_DELETE, PHASE_SEND_FAILED = 0, 1, 2, 3, 7
# Zigbee ``phase``.
ZIGBEE_TO_CREATE, ZIGBEE_NORMAL, ZIGBEE_FROZEN, ZIGBEE_DELETED, ZIGBEE_FAILED = 1, 2, 3, 4, 5
# Zigbee ``delivery_status``.
DELIVERY_PENDING, DELIVERY_DONE, DELIVERY_FAILED = 1, 2, 3
DELIVERY_DUPLICATE, DELIVERY_FULL, DELIVERY_OVERLAP = 4, 5, 6

__all__ = [
    "COMMAND_NOT_SUPPORTED",
    "DATA_NOT_EXIST",
    "DEVICE_NOT_SUPPORTED",
    "DEVICE_OFFLINE",
    "PASSWORD_ENCRYPTION_ERROR",
    "PASSWORD_FULL",
    "PASSWORD_LENGTH_INVALID",
    "PERMISSION_DENY",
    "TICKET_INVALID",
    "WIFI_PASSWORD_NOT_FOUND",
    "WIFI_PASSWORD_REPEATED",
    "Device",
    "FakeTuyaCloud",
    "aes_decrypt",
    "aes_encrypt",
]


@dataclass
class StoredPassword:
    """One online temporary password, with its decrypted PIN so tests can check it."""

    id: int
    pin: str
    name: str
    effective_time: int
    invalid_time: int
    type: int  # 0 reusable, 1 once
    phase: int  # in the numbering of the lock's protocol
    phone: str | None
    deleted: bool  # the cloud accepted a DELETE
    delivery_status: int | None = None  # Zigbee only
    time_zone: str | None = None
    outcome: int = DELIVERY_DONE  # Zigbee: what the lock will answer
    settles_at: float = 0.0  # Zigbee: when the lock answers (if online by then)


@dataclass
class OfflinePassword:
    """One offline (algorithmic) password; the lock need not be online for these."""

    id: int
    pin: str
    name: str
    type: str  # multiple | once | clear_one | clear_all
    effective_time: int
    invalid_time: int
    target: int | None = None  # clear_one: the password it removes


@dataclass
class Device:
    """A lock in the project: radio kind, reachability, and what it answers."""

    kind: Kind
    online: bool
    battery: int = 80
    locked: bool = True
    delivery_delay: float = 0.0  # Zigbee: seconds until the lock answers through the gateway
    unreachable: bool = False  # Bluetooth: the gateway cannot reach the lock (phase 7)
    category: str | None = None  # what the details say; None: the kind's usual category
    family: str | None = None  # the specification served; None: the kind's usual family

    @property
    def sub(self) -> bool:
        """Zigbee and Bluetooth locks reach the cloud through a gateway."""
        return self.kind != "wifi"


@dataclass
class _Fault:
    remaining: int
    path_prefix: str
    error: tuple[int, str] | None = None  # None: the request runs, its answer is lost
    method: str | None = None  # None: any method


def _category(device: Device) -> str:
    """The category a test gave the lock, else the usual one of its kind."""
    return _CATEGORY[device.kind] if device.category is None else device.category


def _wall_clock() -> float:
    # Looked up at each call (not bound as a default) so freezegun also moves the fake.
    return time.time()


def _take(faults: list[_Fault], request: web.Request) -> _Fault | None:
    """The first fault matching the request, counted down and dropped when used up."""
    for fault in faults:
        if request.path.startswith(fault.path_prefix) and fault.method in (None, request.method):
            fault.remaining -= 1
            if fault.remaining <= 0:
                faults.remove(fault)
            return fault
    return None


class FakeTuyaCloud:
    """One Tuya cloud project (access id + secret) with some locks; one per test."""

    def __init__(
        self,
        *,
        access_id: str,
        access_secret: str,
        clock: Callable[[], float] = _wall_clock,
        capacity: int = 50,
    ) -> None:
        """Create an empty project; the secret must be 32 bytes (it is the AES-256 key)."""
        if len(access_secret.encode()) != 32:
            raise ValueError("Tuya access secrets are 32 characters (the AES-256 key)")
        self.access_id = access_id
        self.access_secret = access_secret
        self.capacity = capacity
        self.uid = "az" + "".join(secrets.choice(string.digits) for _ in range(13))
        self.devices: dict[str, Device] = {}
        self.passwords: dict[str, dict[int, StoredPassword]] = {}
        self.offline_passwords: dict[str, dict[int, OfflinePassword]] = {}
        self.tickets: dict[str, str] = {}
        self.requests: list[tuple[str, str]] = []
        self.host = ""
        self.ca_file = ""
        self._clock = clock
        self._ids = itertools.count(1_000_001)
        self._tokens: dict[str, float] = {}
        self._tickets: dict[str, tuple[str, float]] = {}  # ticket id -> (device id, expiry)
        self._faults: list[_Fault] = []
        self._lost: list[_Fault] = []
        self._http_faults: list[int] = []
        self._runner: web.AppRunner | None = None
        self._tmp: str | None = None

    def add_device(self, device_id: str, *, kind: Kind = "wifi", online: bool = True) -> Device:
        """Add a lock the project may manage; other device ids get ``permission deny``."""
        self.devices[device_id] = device = Device(kind, online)
        self.passwords.setdefault(device_id, {})
        self.offline_passwords.setdefault(device_id, {})
        return device

    def set_online(self, device_id: str, online: bool) -> None:
        """Bring a lock on- or offline; coming online applies pending sends and deletes."""
        device = self.devices[device_id]
        device.online = online
        if online:
            for password in self.passwords[device_id].values():
                self._settle(device, password)

    def live(self, device_id: str) -> list[StoredPassword]:
        """The passwords the lock holds or will hold: not deleted, not refused."""
        return [
            password
            for password in self.passwords[device_id].values()
            if not password.deleted and password.phase not in (ZIGBEE_FAILED, PHASE_SEND_FAILED)
            and not (password.delivery_status or DELIVERY_DONE) > DELIVERY_DONE
        ]  # fmt: skip

    def inject_error(self, code: int, msg: str, *, count: int = 1, path_prefix: str = "") -> None:
        """Answer the next ``count`` requests under ``path_prefix`` with this Tuya error.

        Faults apply before authentication, so an empty prefix also hits token requests.
        """
        self._faults.append(_Fault(count, path_prefix, (code, msg)))

    def lose_replies(
        self, *, count: int = 1, path_prefix: str = "", method: str | None = None
    ) -> None:
        """Carry out the next ``count`` requests under ``path_prefix``, then drop the answer."""
        self._lost.append(_Fault(count, path_prefix, method=method))

    def inject_http_status(self, status: int, *, count: int = 1) -> None:
        """Answer the next ``count`` requests with ``status`` and an HTML (non-JSON) body."""
        self._http_faults.extend([status] * count)

    def revoke_tokens(self) -> None:
        """Forget every access token, as when Tuya invalidates them early."""
        self._tokens.clear()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve HTTPS on ``host:port`` (0 picks a port) with a fresh self-signed certificate."""
        if self._runner is not None:
            raise RuntimeError("fake Tuya cloud already started")
        context, cert_file = await asyncio.to_thread(self._tls_context, host)
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get(TOKEN_PATH, self._token)
        app.router.add_get("/v1.0/devices/{device_id}", self._details)
        app.router.add_get("/v1.0/devices/{device_id}/status", self._status)
        app.router.add_get("/v1.1/devices/{device_id}/specifications", self._specification)
        app.router.add_post(f"{_DEVICE}/password-ticket", self._ticket)
        app.router.add_post(f"{_DEVICE}/temp-password", self._create)
        app.router.add_get(f"{_DEVICE}/temp-password/{{password_id}}", self._get)
        app.router.add_get(f"{_DEVICE}/temp-passwords", self._list)
        app.router.add_delete(f"{_DEVICE}/temp-passwords/{{password_id}}", self._delete)
        app.router.add_post(
            "/v1.1/devices/{device_id}/door-lock/offline-temp-password", self._offline
        )
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.25)
        await runner.setup()
        await web.TCPSite(runner, host, port, ssl_context=context).start()
        self._runner = runner
        self.host = f"{f'[{host}]' if ':' in host else host}:{runner.addresses[0][1]}"
        self.ca_file = cert_file

    def _tls_context(self, host: str) -> tuple[ssl.SSLContext, str]:
        """A certificate on disk and a server context for it (file work: not on the loop)."""
        self._tmp = tempfile.mkdtemp(prefix="fake-tuya-")
        cert_file, key_file = write_certificate(Path(self._tmp), host)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert_file, key_file)
        return context, cert_file

    async def stop(self) -> None:
        """Stop serving and delete the certificate; safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        tmp, self._tmp = self._tmp, None
        if tmp is not None:
            await asyncio.to_thread(shutil.rmtree, tmp, ignore_errors=True)

    def _reply(self, payload: dict[str, Any]) -> web.Response:
        payload |= {"t": int(self._clock() * 1000), "tid": secrets.token_hex(16)}
        return web.json_response(payload)

    def _ok(self, result: object) -> web.Response:
        return self._reply({"result": result, "success": True})

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Record, then injected faults, then authentication, then the endpoint."""
        self.requests.append((request.method, request.path))
        if self._http_faults:
            status = self._http_faults.pop(0)
            page = f"<html><body><h1>{status}</h1></body></html>"
            return web.Response(status=status, text=page, content_type="text/html")
        try:
            fault = _take(self._faults, request)
            if fault is not None and fault.error is not None:
                raise TuyaError(fault.error)
            await self._authenticate(request)
            try:
                response = await handler(request)
            except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
                raise TuyaError(URI_PATH_INVALID) from None
        except TuyaError as err:
            response = self._reply({"code": err.code, "msg": err.msg, "success": False})
        if _take(self._lost, request) is not None and request.transport is not None:
            request.transport.abort()  # done, but the client never hears of it
        return response

    async def _authenticate(self, request: web.Request) -> None:
        """Check client id, token (except when asking for one) and the HMAC-SHA256 sign."""
        headers = request.headers
        client_id, sign, stamp = (headers.get(key, "") for key in ("client_id", "sign", "t"))
        if not (client_id and sign and stamp):
            raise TuyaError(MISSING_HEADER)
        if client_id != self.access_id:
            raise TuyaError(CLIENT_ID_INVALID)
        token = ""
        if request.path != TOKEN_PATH:
            token = headers.get("access_token", "")
            if self._tokens.get(token, 0.0) <= self._clock():
                raise TuyaError(TOKEN_INVALID)
        payload = client_id + token + stamp + headers.get("nonce", "")
        payload += string_to_sign(request, await request.read())
        digest = hmac.new(self.access_secret.encode(), payload.encode(), hashlib.sha256)
        if not hmac.compare_digest(sign, digest.hexdigest().upper()):
            raise TuyaError(SIGN_INVALID)

    def _device(self, request: web.Request) -> tuple[str, Device]:
        device_id = request.match_info["device_id"]
        if device_id not in self.devices:
            raise TuyaError(PERMISSION_DENY)
        return device_id, self.devices[device_id]

    def _settle(self, device: Device, password: StoredPassword) -> None:
        """Let an online lock catch up with what the cloud holds for it."""
        if not device.online:
            return
        if password.phase == PHASE_TO_SEND and device.kind != "zigbee":
            password.phase = PHASE_SEND_FAILED if device.unreachable else PHASE_SENT
        elif password.phase == PHASE_TO_DELETE and device.kind != "zigbee":
            password.phase = PHASE_DELETED
        elif password.delivery_status == DELIVERY_PENDING and password.settles_at <= self._clock():
            password.delivery_status = password.outcome
            done = password.outcome == DELIVERY_DONE
            password.phase = ZIGBEE_NORMAL if done else ZIGBEE_FAILED

    async def _token(self, request: web.Request) -> web.Response:
        if request.query.get("grant_type") != "1":
            raise TuyaError(GRANT_TYPE_INVALID)
        token = secrets.token_hex(16)
        self._tokens[token] = self._clock() + TOKEN_LIFETIME
        refresh = secrets.token_hex(16)
        result = {"access_token": token, "expire_time": TOKEN_LIFETIME, "refresh_token": refresh}
        return self._ok(result | {"uid": self.uid})

    async def _details(self, request: web.Request) -> web.Response:
        """The fields of Tuya's device details that say what the lock is."""
        device_id, device = self._device(request)
        return self._ok(
            {
                "id": device_id,
                "name": f"Lock {device_id}",
                "category": _category(device),
                "product_name": f"{device.kind} lock",
                "sub": device.sub,
                "online": device.online,
                "uid": self.uid,
            }
        )

    async def _specification(self, request: web.Request) -> web.Response:
        """The device's functions and status codes with their DP ids (``tuya_cloud_specs``)."""
        _, device = self._device(request)
        family = device.family or _FAMILY[device.kind]
        return self._ok(specification(family, _category(device)))

    async def _status(self, request: web.Request) -> web.Response:
        """The device's status codes; ``lock_motor_state`` true means unlocked."""
        _, device = self._device(request)
        return self._ok(
            [
                {"code": "residual_electricity", "value": device.battery},
                {"code": "lock_motor_state", "value": not device.locked},
            ]
        )

    async def _ticket(self, request: web.Request) -> web.Response:
        """A fresh 16-character key, sent AES-256-ECB-encrypted under the access secret."""
        device_id, _ = self._device(request)
        ticket_id = "".join(secrets.choice(_ALNUM) for _ in range(10))
        key = "".join(secrets.choice(_ALNUM) for _ in range(16))
        self.tickets[ticket_id] = key
        self._tickets[ticket_id] = (device_id, self._clock() + TICKET_LIFETIME)
        ticket_key = aes_encrypt(self.access_secret.encode(), key.encode()).hex().upper()
        return self._ok(
            {"ticket_id": ticket_id, "ticket_key": ticket_key, "expire_time": TICKET_LIFETIME}
        )

    def _decrypt_pin(self, device_id: str, ticket_id: str, password: str) -> str:
        """The PIN under a live ticket of this device; tickets stay reusable until expiry."""
        owner, expires = self._tickets.get(ticket_id, ("", 0.0))
        if owner != device_id or expires <= self._clock():
            raise TuyaError(TICKET_INVALID)
        if not _HEX.fullmatch(password):
            raise TuyaError(PASSWORD_ENCRYPTION_ERROR)
        try:
            plain = aes_decrypt(self.tickets[ticket_id].encode(), bytes.fromhex(password))
            pin = plain.decode("ascii")
        except ValueError:
            raise TuyaError(PASSWORD_ENCRYPTION_ERROR) from None
        if not (pin.isascii() and pin.isdigit()):
            raise TuyaError(PASSWORD_ENCRYPTION_ERROR)
        return pin

    async def _create(self, request: web.Request) -> web.Response:
        """Checks shape, ticket and PIN, window, then the lock's answer (this fake's order)."""
        device_id, device = self._device(request)
        body = await json_body(request)
        name = field(body, "name", str)
        password = field(body, "password", str)
        effective, invalid = field(body, "effective_time", int), field(body, "invalid_time", int)
        ticket_id = field(body, "ticket_id", str)
        kind = field(body, "type", int, 0)
        phone, zone = body.get("phone"), body.get("time_zone")
        if field(body, "password_type", str) != "ticket" or not all(
            value is None or isinstance(value, str) for value in (phone, zone)
        ):
            raise TuyaError(PARAM_ILLEGAL)
        pin = self._decrypt_pin(device_id, ticket_id, password)
        if len(pin) != PIN_LENGTH[device.kind]:
            raise TuyaError(PASSWORD_LENGTH_INVALID)
        if invalid <= effective or kind not in (0, 1):
            raise TuyaError(PARAMS_RANGE_INVALID)
        live = self.live(device_id)
        same = [p for p in live if p.pin == pin]
        new = StoredPassword(
            id=next(self._ids),
            pin=pin,
            name=name,
            effective_time=effective,
            invalid_time=invalid,
            type=kind,
            phase=PHASE_TO_SEND,
            phone=phone,
            deleted=False,
            time_zone=zone,
        )
        if device.kind == "zigbee":
            # The gateway answers for the lock later. Which clash Tuya calls an "overlap" (6)
            # and which a "duplicate" (4) is not documented: this fake's reading is the same
            # PIN over overlapping windows, and the same PIN at another time.
            overlap = any(p.effective_time < invalid and effective < p.invalid_time for p in same)
            new.outcome = (
                (DELIVERY_OVERLAP if overlap else DELIVERY_DUPLICATE) if same
                else DELIVERY_FULL if len(live) >= self.capacity
                else DELIVERY_DONE
            )  # fmt: skip
            new.phase, new.delivery_status = ZIGBEE_TO_CREATE, DELIVERY_PENDING
            new.settles_at = self._clock() + device.delivery_delay
        elif same:
            raise TuyaError(WIFI_PASSWORD_REPEATED)
        elif len(live) >= self.capacity:
            raise TuyaError(PASSWORD_FULL)
        self.passwords[device_id][new.id] = new
        self._settle(device, new)
        return self._ok({"id": new.id})

    def _view(self, device: Device, password: StoredPassword) -> dict[str, Any]:
        """A password as Tuya lists it: no PIN; ``delivery_status`` only for Zigbee."""
        self._settle(device, password)
        entry = {key: getattr(password, key) for key in _LISTED}
        entry |= {"phone": password.phone or "", "time_zone": password.time_zone or ""}
        if device.kind == "zigbee":
            entry["delivery_status"] = password.delivery_status
        return entry

    async def _get(self, request: web.Request) -> web.Response:
        """One password, as the list shows it."""
        device_id, device = self._device(request)
        password = self._find(device_id, request.match_info["password_id"])
        return self._ok(self._view(device, password))

    def _find(self, device_id: str, raw: str) -> StoredPassword:
        password = self.passwords[device_id].get(int(raw)) if raw.isdigit() else None
        if password is None:
            raise TuyaError(DATA_NOT_EXIST)
        return password

    async def _list(self, request: web.Request) -> web.Response:
        """All passwords, or with ``valid=true|false`` only the live (or dead) ones; no PINs."""
        device_id, device = self._device(request)
        valid = request.query.get("valid")
        if valid is not None and valid.lower() not in ("true", "false"):
            raise TuyaError(PARAM_ILLEGAL)
        now = self._clock()
        result = []
        for password in sorted(self.passwords[device_id].values(), key=lambda p: p.id):
            live = not password.deleted and password.invalid_time > now
            if valid is None or live == (valid.lower() == "true"):
                result.append(self._view(device, password))
        return self._ok(result)

    async def _delete(self, request: web.Request) -> web.Response:
        """Delete at once on an online lock; an offline Wi-Fi lock's waits in phase 3."""
        device_id, device = self._device(request)
        password = self._find(device_id, request.match_info["password_id"])
        if password.deleted:
            raise TuyaError(DATA_NOT_EXIST)
        password.deleted = True
        if device.kind == "zigbee":
            password.phase = ZIGBEE_DELETED
        else:
            password.phase = PHASE_DELETED if device.online else PHASE_TO_DELETE
        return self._ok(True)

    async def _offline(self, request: web.Request) -> web.Response:
        """Offline passwords: the server rounds windows down to whole hours.

        ``once`` runs this hour to +6 h and ``clear_all`` this hour to +24 h, whatever is
        asked; ``multiple`` needs both times; ``clear_one`` names a ``multiple`` password and
        lasts this hour to +24 h unless given times.
        """
        device_id, _ = self._device(request)
        body = await json_body(request)
        kind = field(body, "type", str, "multiple")
        name = field(body, "name", str, "")
        hour = int(self._clock()) // _HOUR * _HOUR
        target: int | None = None
        if kind in ("once", "clear_all"):
            effective, invalid = hour, hour + (6 if kind == "once" else 24) * _HOUR
        elif kind in ("multiple", "clear_one"):
            needed = kind == "multiple"
            effective = field(body, "effective_time", int, None if needed else hour)
            invalid = field(body, "invalid_time", int, None if needed else hour + 24 * _HOUR)
            effective, invalid = effective // _HOUR * _HOUR, invalid // _HOUR * _HOUR
            if invalid <= effective:
                raise TuyaError(PARAMS_RANGE_INVALID)
        else:
            raise TuyaError(PARAMS_RANGE_INVALID)
        if kind == "clear_one":
            raw = str(field(body, "password_id", object))
            known = self.offline_passwords[device_id]
            if not raw.isdigit() or known.get(int(raw), None) is None:
                raise TuyaError(DATA_NOT_EXIST)
            target = int(raw)
        new = OfflinePassword(
            id=next(self._ids),
            pin=f"{secrets.randbelow(10**10):010d}",
            name=name,
            type=kind,
            effective_time=effective,
            invalid_time=invalid,
            target=target,
        )
        self.offline_passwords[device_id][new.id] = new
        prefix = "offline_temp_password"
        result = {prefix: new.pin, f"{prefix}_id": str(new.id), f"{prefix}_name": name}
        return self._ok(result | {"effective_time": effective, "invalid_time": invalid})
