"""The fake Tuya Cloud's wire layer: error bodies, request signing, TLS and AES helpers.

Kept apart from the fake's lock logic (``tuya_cloud``) so each file is one layer, as in
tinytuya's own split. Error codes and messages are Tuya's where Tuya documents them:
1000-1199 from Tuya's "Global Error Codes" (developer.tuya.com/en/docs/iot/error-code?
id=K989ruxx88swc); 2001-2324 from the ``ErrorCode`` table of Tuya's Java cloud SDK
(xie-tech/tuya-cloud-sdk-java, src/main/java/com/tuya/api/common/ErrorCode.java).
"""

from datetime import UTC, datetime
import hashlib
import ipaddress
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID

DATA_NOT_EXIST = (1000, "data not exist")  # unknown password id (temporary or offline)
GRANT_TYPE_INVALID = (1003, "grant type invalid")
SIGN_INVALID = (1004, "sign invalid")
CLIENT_ID_INVALID = (1005, "clientId invalid")
TOKEN_INVALID = (1010, "token invalid")  # unknown/expired; tinytuya refreshes on this text
PARAMS_RANGE_INVALID = (1101, "params range invalid")  # inverted window, unknown type
MISSING_HEADER = (1105, "missing the header")
PERMISSION_DENY = (1106, "permission deny")  # device not in this project
URI_PATH_INVALID = (1108, "uri path invalid")
PARAM_ILLEGAL = (1109, "param is illegal, please check it")  # missing or ill-typed field
DEVICE_OFFLINE = (2001, "device is offline")
COMMAND_NOT_SUPPORTED = (2008, "command or value not support")
DEVICE_NOT_SUPPORTED = (2009, "not support this device")
PASSWORD_ENCRYPTION_ERROR = (2302, "password encryption error")  # not hex, undecryptable
PASSWORD_FULL = (2303, "The number of passwords has reached the limit!")  # Wi-Fi `capacity`
WIFI_PASSWORD_NOT_FOUND = (2321, "wifi lock password not found")
WIFI_PASSWORD_REPEATED = (2322, "wifi lock password can not be repeated")
# Tuya documents no code for these two; the numbers are this fake's own choice.
TICKET_INVALID = (40000900, "ticket invalid or expired")  # unknown, expired, other device's
PASSWORD_LENGTH_INVALID = (40000902, "password length invalid")  # not 7 (Wi-Fi) / 6 digits


class TuyaError(Exception):
    """Ends a request with a Tuya error body."""

    def __init__(self, error: tuple[int, str]) -> None:
        """Carry Tuya's code and message."""
        super().__init__(error[1])
        self.code, self.msg = error


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


def write_certificate(directory: Path, host: str) -> tuple[str, str]:
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


def field[T](body: dict[str, Any], key: str, kind: type[T], default: T | None = None) -> T:
    """A body field of the given type, or Tuya's "param is illegal"."""
    value = body.get(key, default)
    if value is None or isinstance(value, bool) or not isinstance(value, kind):
        raise TuyaError(PARAM_ILLEGAL)
    return value


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or Tuya's "param is illegal"."""
    try:
        data = await request.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise TuyaError(PARAM_ILLEGAL)
    return data
