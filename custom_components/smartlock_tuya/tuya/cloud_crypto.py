"""The Tuya Cloud temporary-password crypto: ticket keys and encrypted PINs."""

from __future__ import annotations

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .errors import CodecError


def _ecb(key: bytes) -> Cipher[modes.ECB]:
    return Cipher(algorithms.AES(key), modes.ECB())  # noqa: S305 - Tuya's scheme, not ours


def decrypt_ticket_key(ticket_key_hex: str, access_secret: str) -> bytes:
    """The 16-byte PIN key: the ticket key, AES-256-ECB under the access secret."""
    secret = access_secret.encode("utf-8")
    if len(secret) != 32:
        raise CodecError("a Tuya access secret is 32 characters")
    try:
        encrypted = bytes.fromhex(ticket_key_hex)
        decryptor = _ecb(secret).decryptor()
        padded = decryptor.update(encrypted) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        key = unpadder.update(padded) + unpadder.finalize()
    except ValueError as err:
        raise CodecError("the cloud sent an unreadable ticket key") from err
    if len(key) != 16:
        raise CodecError("the cloud's ticket key is not 16 bytes")
    return key


def encrypt_pin(pin: str, key: bytes) -> str:
    """The PIN as Tuya wants it: AES-128-ECB with PKCS7 under the ticket's key, lowercase hex."""
    padder = padding.PKCS7(128).padder()
    padded = padder.update(pin.encode("ascii")) + padder.finalize()
    encryptor = _ecb(key).encryptor()
    return (encryptor.update(padded) + encryptor.finalize()).hex()
