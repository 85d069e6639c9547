"""AES and HMAC primitives of the Tuya local protocol, and the session-key derivations.

Protocol 3.3 encrypts each payload with AES-128-ECB under the local key; 3.4 does the same under
a per-connection session key and signs frames with HMAC-SHA256; 3.5 uses AES-GCM with the frame
header as associated data. The two session-key derivations differ (ECB on 3.4, GCM on 3.5) and
are easy to mix up, so both live here next to each other.
"""

import hashlib
import hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK = 16
GCM_IV_SIZE = 12
GCM_TAG_SIZE = 16
NONCE_SIZE = 16


class CryptoError(ValueError):
    """A payload that does not decrypt or authenticate under the key in use."""


def pad(data: bytes) -> bytes:
    """PKCS#7 padding to the AES block, as Tuya devices and tinytuya apply it."""
    count = BLOCK - len(data) % BLOCK
    return data + bytes([count]) * count


def unpad(data: bytes) -> bytes:
    """Strip PKCS#7 padding; a wrong key shows up here as garbage padding."""
    count = data[-1] if data else 0
    if not 1 <= count <= BLOCK or data[-count:] != bytes([count]) * count:
        raise CryptoError("bad padding: wrong key?")
    return data[:-count]


def ecb_encrypt(key: bytes, data: bytes, *, padded: bool = True) -> bytes:
    """AES-ECB; unpadded only for the 3.4 session key, which is exactly one block."""
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - the protocol's
    return encryptor.update(pad(data) if padded else data) + encryptor.finalize()


def ecb_decrypt(key: bytes, data: bytes) -> bytes:
    """AES-ECB and unpad; raise `CryptoError` when the bytes cannot be ours."""
    if not data or len(data) % BLOCK:
        raise CryptoError(f"ciphertext of {len(data)} bytes is not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()  # noqa: S305 - the protocol's
    return unpad(decryptor.update(data) + decryptor.finalize())


def gcm_encrypt(key: bytes, iv: bytes, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
    """AES-GCM: (ciphertext, tag)."""
    encryptor = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
    encryptor.authenticate_additional_data(aad)
    ciphertext = encryptor.update(plaintext) + encryptor.finalize()
    return ciphertext, encryptor.tag


def gcm_decrypt(key: bytes, iv: bytes, ciphertext: bytes, tag: bytes, aad: bytes) -> bytes:
    """AES-GCM with tag check; a wrong key or a tampered header raises `CryptoError`."""
    decryptor = Cipher(algorithms.AES(key), modes.GCM(iv, tag)).decryptor()
    decryptor.authenticate_additional_data(aad)
    try:
        return decryptor.update(ciphertext) + decryptor.finalize()
    except InvalidTag as err:
        raise CryptoError("GCM tag does not match: wrong key?") from err


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    """The 32-byte HMAC that 3.4 frames end with and the negotiation exchanges."""
    return hmac.new(key, data, hashlib.sha256).digest()


def session_key(version: str, local_key: bytes, client_nonce: bytes, device_nonce: bytes) -> bytes:
    """The key both sides switch to after negotiation (commands 3, 4, 5).

    Both versions start from client nonce XOR device nonce. 3.4 encrypts that block with
    AES-ECB under the local key; 3.5 takes the AES-GCM ciphertext of it under the local key with
    the client nonce's first 12 bytes as IV (the tag is dropped).
    """
    mixed = bytes(a ^ b for a, b in zip(client_nonce, device_nonce, strict=True))
    if version == "3.4":
        return ecb_encrypt(local_key, mixed, padded=False)
    ciphertext, _tag = gcm_encrypt(local_key, client_nonce[:GCM_IV_SIZE], mixed, b"")
    return ciphertext
