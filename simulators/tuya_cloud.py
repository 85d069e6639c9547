"""Fake Tuya Cloud (OpenAPI) for the door-lock temporary-password flow, served over HTTPS.

tinytuya always calls ``https://`` + ``Cloud.urlhost`` through ``requests``, so tests point
``urlhost`` at ``FakeTuyaCloud.host`` and trust ``ca_file`` through ``REQUESTS_CA_BUNDLE``.
Signatures are checked as the real cloud checks them, so a client that signs wrongly fails here
as it would in production. Like Tuya, errors come back with HTTP 200 and
``{"success": false, "code": ..., "msg": ..., "t": ms}``.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
import hashlib
import hmac
import ipaddress
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
from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID

TOKEN_PATH = "/v1.0/token"  # noqa: S105 - a URL path, not a secret
TOKEN_LIFETIME = 7200
TICKET_LIFETIME = 300
PIN_LENGTH = {"wifi": 7, "zigbee": 6}
_DEVICE = "/v1.0/devices/{device_id}/door-lock"
_HEX = re.compile(r"(?:[0-9A-Fa-f]{32})+")
_ALNUM = string.ascii_letters + string.digits
_HOUR = 3600
_LISTED = ("id", "name", "effective_time", "invalid_time", "sn", "type")

# Wi-Fi ``phase``: the lock's view of a password (Tuya's values).
PHASE_DELETED, PHASE_TO_SEND, PHASE_SENT, PHASE_TO_DELETE = 0, 1, 2, 3
# Zigbee ``delivery_status``: 6 (validity overlap) is from the research notes; 1 and 2 are ours.
DELIVERY_PENDING, DELIVERY_DONE, DELIVERY_OVERLAP = 1, 2, 6


# Tuya errors as (code, msg). 1000-1109 are Tuya's documented global codes; Tuya does not
# document the door-lock ones, so 2303, 2304, 40000901 and 40000902 are this fake's choice.
DATA_NOT_EXIST = (1000, "data not exist")  # unknown password id (temporary or offline)
GRANT_TYPE_INVALID = (1003, "grant type invalid")
SIGN_INVALID = (1004, "sign invalid")
CLIENT_ID_INVALID = (1005, "clientId invalid")
TOKEN_INVALID = (1010, "token invalid")  # unknown/expired; tinytuya refreshes on this text
PARAMS_RANGE_INVALID = (1101, "params range invalid")  # window, type, offline not whole hours
MISSING_HEADER = (1105, "missing the header")
PERMISSION_DENY = (1106, "permission deny")  # device not in this project
URI_PATH_INVALID = (1108, "uri path invalid")
PARAM_ILLEGAL = (1109, "param is illegal, please check it")  # missing or ill-typed field
TICKET_INVALID = (2303, "ticket invalid or expired")  # unknown, expired, other device's
PASSWORD_FULL = (2304, "the number of passwords exceeds the limit")  # `capacity` reached
PASSWORD_INVALID = (40000901, "password invalid")  # not hex, undecryptable, not digits
PASSWORD_LENGTH_INVALID = (40000902, "password length invalid")  # not 7 (Wi-Fi) / 6 digits


@dataclass
class StoredPassword:
    """One online temporary password, with its decrypted PIN so tests can check it."""

    id: int
    pin: str
    name: str
    effective_time: int
    invalid_time: int
    type: int  # 0 reusable, 1 once
    phase: int  # PHASE_* (tracked for Zigbee too; only Wi-Fi lists show it)
    phone: str | None
    deleted: bool  # the cloud accepted a DELETE (phase 3 until an offline lock applies it)
    delivery_status: int | None = None  # Zigbee only: DELIVERY_*
    sn: int = 0  # slot number on the lock
    time_zone: str | None = None


@dataclass
class OfflinePassword:
    """One offline (algorithmic) password; the lock need not be online for these."""

    id: int
    pin: str
    name: str
    type: str  # multiple | once | clear_one | clear_all
    effective_time: int
    invalid_time: int


@dataclass
class Device:
    """A lock in the project: radio kind and whether it is reachable now."""

    kind: Literal["wifi", "zigbee"]
    online: bool
    next_sn: int = 1
    battery: int = 80
    locked: bool = True


@dataclass
class _Fault:
    code: int
    msg: str
    remaining: int
    path_prefix: str


class _TuyaError(Exception):
    """Ends a request with a Tuya error body."""

    def __init__(self, error: tuple[int, str]) -> None:
        super().__init__(error[1])
        self.code, self.msg = error


def _wall_clock() -> float:
    # Looked up at each call (not bound as a default) so freezegun also moves the fake.
    return time.time()


def _ecb(key: bytes) -> Cipher[modes.ECB]:
    return Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305 - Tuya's protocol mandates ECB


def aes_encrypt(key: bytes, plain: bytes) -> bytes:
    """AES-ECB with PKCS7 padding, as Tuya uses for ticket keys and PINs."""
    padder = padding.PKCS7(128).padder()
    encryptor = _ecb(key).encryptor()
    return encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()


def aes_decrypt(key: bytes, data: bytes) -> bytes:
    """Inverse of ``aes_encrypt``; raises ValueError on a bad length or padding."""
    decryptor = _ecb(key).decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    plain = decryptor.update(data) + decryptor.finalize()
    return unpadder.update(plain) + unpadder.finalize()


def string_to_sign(request: web.Request, body: bytes) -> str:
    """Tuya's stringToSign: method, body SHA-256, signed headers, URL with sorted query."""
    names = request.headers.get("Signature-Headers", "").split(":")
    signed = "".join(
        f"{name}:{request.headers[name]}\n" for name in names if name in request.headers
    )
    url = request.path
    if request.query:
        url += "?" + "&".join(f"{k}={v}" for k, v in sorted(request.query.items()))
    return f"{request.method}\n{hashlib.sha256(body).hexdigest()}\n{signed}\n{url}"


def _write_certificate(directory: Path, host: str) -> tuple[str, str]:
    """Self-signed certificate for ``host``; fixed dates so frozen test clocks cannot break it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt = x509.DNSName(host)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2000, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2100, 1, 1, tzinfo=UTC))
        .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(pem))
    pkcs8, clear = serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    key_file.write_bytes(key.private_bytes(pem, pkcs8, clear))
    return str(cert_file), str(key_file)


def _get[T](body: dict[str, Any], key: str, kind: type[T], default: T | None = None) -> T:
    value = body.get(key, default)
    if value is None or isinstance(value, bool) or not isinstance(value, kind):
        raise _TuyaError(PARAM_ILLEGAL)
    return value


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise _TuyaError(PARAM_ILLEGAL)
    return data


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
        self._http_faults: list[int] = []
        self._runner: web.AppRunner | None = None
        self._tmp: str | None = None

    def add_device(
        self, device_id: str, *, kind: Literal["wifi", "zigbee"] = "wifi", online: bool = True
    ) -> None:
        """Add a lock the project may manage; other device ids get ``permission deny``."""
        self.devices[device_id] = Device(kind, online)
        self.passwords.setdefault(device_id, {})
        self.offline_passwords.setdefault(device_id, {})

    def set_online(self, device_id: str, online: bool) -> None:
        """Bring a lock on- or offline; coming online applies pending sends and deletes."""
        device = self.devices[device_id]
        device.online = online
        if not online:
            return
        for password in self.passwords[device_id].values():
            if password.phase == PHASE_TO_SEND:
                password.phase = PHASE_SENT
            elif password.phase == PHASE_TO_DELETE:
                password.phase = PHASE_DELETED
            if password.delivery_status == DELIVERY_PENDING:
                password.delivery_status = DELIVERY_DONE

    def inject_error(self, code: int, msg: str, *, count: int = 1, path_prefix: str = "") -> None:
        """Answer the next ``count`` requests under ``path_prefix`` with this Tuya error.

        Faults apply before authentication, so an empty prefix also hits token requests.
        """
        self._faults.append(_Fault(code, msg, count, path_prefix))

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
        app.router.add_get("/v1.0/devices/{device_id}/status", self._status)
        app.router.add_post(f"{_DEVICE}/password-ticket", self._ticket)
        app.router.add_post(f"{_DEVICE}/temp-password", self._create)
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
        cert_file, key_file = _write_certificate(Path(self._tmp), host)
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
            for fault in self._faults:
                if request.path.startswith(fault.path_prefix):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return self._reply({"code": fault.code, "msg": fault.msg, "success": False})
            await self._authenticate(request)
            try:
                return await handler(request)
            except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
                raise _TuyaError(URI_PATH_INVALID) from None
        except _TuyaError as err:
            return self._reply({"code": err.code, "msg": err.msg, "success": False})

    async def _authenticate(self, request: web.Request) -> None:
        """Check client id, token (except when asking for one) and the HMAC-SHA256 sign."""
        headers = request.headers
        client_id, sign, stamp = (headers.get(key, "") for key in ("client_id", "sign", "t"))
        if not (client_id and sign and stamp):
            raise _TuyaError(MISSING_HEADER)
        if client_id != self.access_id:
            raise _TuyaError(CLIENT_ID_INVALID)
        token = ""
        if request.path != TOKEN_PATH:
            token = headers.get("access_token", "")
            if self._tokens.get(token, 0.0) <= self._clock():
                raise _TuyaError(TOKEN_INVALID)
        payload = client_id + token + stamp + headers.get("nonce", "")
        payload += string_to_sign(request, await request.read())
        digest = hmac.new(self.access_secret.encode(), payload.encode(), hashlib.sha256)
        if not hmac.compare_digest(sign, digest.hexdigest().upper()):
            raise _TuyaError(SIGN_INVALID)

    def _device(self, request: web.Request) -> tuple[str, Device]:
        device_id = request.match_info["device_id"]
        if device_id not in self.devices:
            raise _TuyaError(PERMISSION_DENY)
        return device_id, self.devices[device_id]

    async def _token(self, request: web.Request) -> web.Response:
        if request.query.get("grant_type") != "1":
            raise _TuyaError(GRANT_TYPE_INVALID)
        token = secrets.token_hex(16)
        self._tokens[token] = self._clock() + TOKEN_LIFETIME
        refresh = secrets.token_hex(16)
        result = {"access_token": token, "expire_time": TOKEN_LIFETIME, "refresh_token": refresh}
        return self._ok(result | {"uid": self.uid})

    async def _status(self, request: web.Request) -> web.Response:
        """The device's status codes, as the cloud last heard them."""
        _, device = self._device(request)
        return self._ok(
            [
                {"code": "residual_electricity", "value": device.battery},
                {"code": "lock_motor_state", "value": device.locked},
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
            raise _TuyaError(TICKET_INVALID)
        if not _HEX.fullmatch(password):
            raise _TuyaError(PASSWORD_INVALID)
        try:
            plain = aes_decrypt(self.tickets[ticket_id].encode(), bytes.fromhex(password))
            pin = plain.decode("ascii")
        except ValueError:
            raise _TuyaError(PASSWORD_INVALID) from None
        if not (pin.isascii() and pin.isdigit()):
            raise _TuyaError(PASSWORD_INVALID)
        return pin

    async def _create(self, request: web.Request) -> web.Response:
        """Checks shape, ticket and PIN, window, then room on the lock (this fake's order)."""
        device_id, device = self._device(request)
        body = await _body(request)
        name = _get(body, "name", str)
        password = _get(body, "password", str)
        effective, invalid = _get(body, "effective_time", int), _get(body, "invalid_time", int)
        ticket_id = _get(body, "ticket_id", str)
        kind = _get(body, "type", int, 0)
        phone, zone = body.get("phone"), body.get("time_zone")
        if _get(body, "password_type", str) != "ticket" or not all(
            value is None or isinstance(value, str) for value in (phone, zone)
        ):
            raise _TuyaError(PARAM_ILLEGAL)
        pin = self._decrypt_pin(device_id, ticket_id, password)
        if len(pin) != PIN_LENGTH[device.kind]:
            raise _TuyaError(PASSWORD_LENGTH_INVALID)
        if invalid <= effective or kind not in (0, 1):
            raise _TuyaError(PARAMS_RANGE_INVALID)
        stored = self.passwords[device_id]
        live = [p for p in stored.values() if not p.deleted]
        if len(live) >= self.capacity:
            raise _TuyaError(PASSWORD_FULL)
        new = StoredPassword(
            id=next(self._ids),
            pin=pin,
            name=name,
            effective_time=effective,
            invalid_time=invalid,
            type=kind,
            phase=PHASE_SENT if device.online else PHASE_TO_SEND,
            phone=phone,
            deleted=False,
            sn=device.next_sn,
            time_zone=zone,
        )
        device.next_sn += 1
        if device.kind == "zigbee":
            overlap = any(
                p.pin == pin and p.effective_time < invalid and effective < p.invalid_time
                for p in live
            )
            status = DELIVERY_DONE if device.online else DELIVERY_PENDING
            new.delivery_status = DELIVERY_OVERLAP if overlap else status
        stored[new.id] = new
        return self._ok({"id": new.id})

    async def _list(self, request: web.Request) -> web.Response:
        """All passwords, or with ``valid=true|false`` only the live (or dead) ones; no PINs."""
        device_id, device = self._device(request)
        valid = request.query.get("valid")
        if valid is not None and valid.lower() not in ("true", "false"):
            raise _TuyaError(PARAM_ILLEGAL)
        now = self._clock()
        result = []
        for password in sorted(self.passwords[device_id].values(), key=lambda p: p.id):
            live = not password.deleted and password.invalid_time > now
            if valid is not None and live != (valid.lower() == "true"):
                continue
            entry = {key: getattr(password, key) for key in _LISTED}
            entry |= {"phone": password.phone or "", "time_zone": password.time_zone or ""}
            status = ("phase", "delivery_status")[device.kind == "zigbee"]
            result.append(entry | {status: getattr(password, status)})
        return self._ok(result)

    async def _delete(self, request: web.Request) -> web.Response:
        """Delete at once on an online lock; an offline lock's password waits in phase 3."""
        device_id, device = self._device(request)
        raw = request.match_info["password_id"]
        password = self.passwords[device_id].get(int(raw)) if raw.isdigit() else None
        if password is None or password.deleted:
            raise _TuyaError(DATA_NOT_EXIST)
        password.deleted = True
        password.phase = PHASE_DELETED if device.online else PHASE_TO_DELETE
        return self._ok(True)

    async def _offline(self, request: web.Request) -> web.Response:
        """Offline passwords: whole-hour windows; ``once``/``clear_all`` start this hour."""
        device_id, _ = self._device(request)
        body = await _body(request)
        kind = _get(body, "type", str, "multiple")
        name = _get(body, "name", str, "")
        hour = int(self._clock()) // _HOUR * _HOUR
        if kind in ("once", "clear_all"):
            effective, invalid = hour, hour + (6 if kind == "once" else 24) * _HOUR
        elif kind in ("multiple", "clear_one"):
            needed = kind == "multiple"
            effective = _get(body, "effective_time", int, None if needed else hour)
            invalid = _get(body, "invalid_time", int, None if needed else hour + 24 * _HOUR)
            if effective % _HOUR or invalid % _HOUR or invalid <= effective:
                raise _TuyaError(PARAMS_RANGE_INVALID)
        else:
            raise _TuyaError(PARAMS_RANGE_INVALID)
        if kind == "clear_one":
            target = str(_get(body, "password_id", object))
            known = self.offline_passwords[device_id]
            if not target.isdigit() or int(target) not in known:
                raise _TuyaError(DATA_NOT_EXIST)
        new = OfflinePassword(
            id=next(self._ids),
            pin=f"{secrets.randbelow(10**10):010d}",
            name=name,
            type=kind,
            effective_time=effective,
            invalid_time=invalid,
        )
        self.offline_passwords[device_id][new.id] = new
        prefix = "offline_temp_password"
        result = {prefix: new.pin, f"{prefix}_id": new.id, f"{prefix}_name": name}
        return self._ok(result | {"effective_time": effective, "invalid_time": invalid})
