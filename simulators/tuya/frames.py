"""Tuya local-protocol frames: the 55AA (3.1-3.4) and 6699 (3.5) envelopes.

55AA: ``>4I`` prefix, sequence number, command, length; then (device to client only) a 4-byte
return code; the payload; a CRC32 (3.3) or HMAC-SHA256 (3.4) over everything before it; and the
suffix 0000AA55. The length counts everything after the header, suffix included.

6699: ``>IHIII`` prefix, a zero half-word, sequence number, command, length; then a 12-byte IV,
the AES-GCM ciphertext (of the return code, device to client only, and the payload), the 16-byte
tag, and the suffix 00009966. The header after the prefix is the GCM associated data, and the
length counts IV + ciphertext + tag but not the suffix.

Only device-to-client frames carry a return code, so unpacking is told which way a frame went.
"""

import asyncio
import binascii
from dataclasses import dataclass
from enum import IntEnum
import hmac
import os
import struct

from .crypto import GCM_IV_SIZE, GCM_TAG_SIZE, CryptoError, gcm_decrypt, gcm_encrypt, hmac_sha256

PREFIX_55AA = b"\x00\x00\x55\xaa"
SUFFIX_55AA = b"\x00\x00\xaa\x55"
PREFIX_6699 = b"\x00\x00\x66\x99"
SUFFIX_6699 = b"\x00\x00\x99\x66"
HEADER_55AA = struct.Struct(">4I")
HEADER_6699 = struct.Struct(">IHIII")
RETCODE = struct.Struct(">I")
CRC = struct.Struct(">I")
HMAC_SIZE = 32
# Far above anything a lock sends; a larger length means a desynchronised or hostile stream.
MAX_LENGTH = 0x10000


class Command(IntEnum):
    """Command numbers this lock understands or sends."""

    SESS_KEY_NEG_START = 3
    SESS_KEY_NEG_RESP = 4
    SESS_KEY_NEG_FINISH = 5
    CONTROL = 7
    STATUS = 8
    HEART_BEAT = 9
    DP_QUERY = 10
    CONTROL_NEW = 13
    DP_QUERY_NEW = 16
    UPDATEDPS = 18
    LAN_EXT_STREAM = 64  # gateways: sub-device online report (tinytuya pull request #308)


class FrameError(ValueError):
    """Bytes that are not a well-formed, authentic frame."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame with its payload in clear (6699) or as carried (55AA, still AES-ECB)."""

    seq: int
    cmd: int
    payload: bytes
    retcode: int | None = None  # set on device-to-client frames only


def pack_55aa(frame: Frame, hmac_key: bytes | None = None) -> bytes:
    """A 55AA frame, checked by CRC32 or, given a key, by HMAC-SHA256 (3.4)."""
    body = b"" if frame.retcode is None else RETCODE.pack(frame.retcode)
    body += frame.payload
    trailer = HMAC_SIZE if hmac_key else CRC.size
    head = HEADER_55AA.pack(0x55AA, frame.seq, frame.cmd, len(body) + trailer + len(SUFFIX_55AA))
    signed = head + body
    check = hmac_sha256(hmac_key, signed) if hmac_key else CRC.pack(binascii.crc32(signed))
    return signed + check + SUFFIX_55AA


def unpack_55aa(data: bytes, hmac_key: bytes | None = None, *, retcode: bool = False) -> Frame:
    """Check a whole 55AA frame's CRC or HMAC and suffix; return its (still encrypted) payload."""
    _prefix, seq, cmd, length = HEADER_55AA.unpack_from(data)
    trailer = HMAC_SIZE if hmac_key else CRC.size
    end = HEADER_55AA.size + length
    if len(data) != end or length < trailer + len(SUFFIX_55AA) + (RETCODE.size if retcode else 0):
        raise FrameError(f"55AA frame of {len(data)} bytes does not match its length {length}")
    if data[-len(SUFFIX_55AA) :] != SUFFIX_55AA:
        raise FrameError("55AA frame without its suffix")
    check_at = end - len(SUFFIX_55AA) - trailer
    signed, check = data[:check_at], data[check_at : end - len(SUFFIX_55AA)]
    expected = hmac_sha256(hmac_key, signed) if hmac_key else CRC.pack(binascii.crc32(signed))
    if not hmac.compare_digest(check, expected):
        raise FrameError("55AA frame fails its " + ("HMAC: wrong key?" if hmac_key else "CRC"))
    body = signed[HEADER_55AA.size :]
    if not retcode:
        return Frame(seq, cmd, body)
    return Frame(seq, cmd, body[RETCODE.size :], RETCODE.unpack_from(body)[0])


def pack_6699(frame: Frame, key: bytes, iv: bytes | None = None) -> bytes:
    """A 6699 frame: the return code (if any) and payload sealed with AES-GCM under `key`."""
    plaintext = b"" if frame.retcode is None else RETCODE.pack(frame.retcode)
    plaintext += frame.payload
    iv = iv or os.urandom(GCM_IV_SIZE)
    length = GCM_IV_SIZE + len(plaintext) + GCM_TAG_SIZE
    head = HEADER_6699.pack(0x6699, 0, frame.seq, frame.cmd, length)
    ciphertext, tag = gcm_encrypt(key, iv, plaintext, head[len(PREFIX_6699) :])
    return head + iv + ciphertext + tag + SUFFIX_6699


def unpack_6699(data: bytes, key: bytes, *, retcode: bool = False) -> Frame:
    """Authenticate and decrypt a whole 6699 frame."""
    _prefix, _zero, seq, cmd, length = HEADER_6699.unpack_from(data)
    end = HEADER_6699.size + length
    if len(data) != end + len(SUFFIX_6699) or length < GCM_IV_SIZE + GCM_TAG_SIZE:
        raise FrameError(f"6699 frame of {len(data)} bytes does not match its length {length}")
    if data[end:] != SUFFIX_6699:
        raise FrameError("6699 frame without its suffix")
    iv = data[HEADER_6699.size : HEADER_6699.size + GCM_IV_SIZE]
    ciphertext = data[HEADER_6699.size + GCM_IV_SIZE : end - GCM_TAG_SIZE]
    try:
        plaintext = gcm_decrypt(
            key,
            iv,
            ciphertext,
            data[end - GCM_TAG_SIZE : end],
            data[len(PREFIX_6699) : HEADER_6699.size],
        )
    except CryptoError as err:
        raise FrameError(str(err)) from err
    if not retcode:
        return Frame(seq, cmd, plaintext)
    if len(plaintext) < RETCODE.size:
        raise FrameError("6699 frame too short for its return code")
    return Frame(seq, cmd, plaintext[RETCODE.size :], RETCODE.unpack_from(plaintext)[0])


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    """The bytes of the next whole frame on the stream, either format.

    Raises `asyncio.IncompleteReadError` at end of stream and `FrameError` on bytes that do not
    start a frame: a real device gives up on such a connection rather than hunt for a prefix.
    """
    prefix = await reader.readexactly(len(PREFIX_55AA))
    if prefix == PREFIX_55AA:
        head = prefix + await reader.readexactly(HEADER_55AA.size - len(prefix))
        length = HEADER_55AA.unpack(head)[3]
        rest = length
    elif prefix == PREFIX_6699:
        head = prefix + await reader.readexactly(HEADER_6699.size - len(prefix))
        length = HEADER_6699.unpack(head)[4]
        rest = length + len(SUFFIX_6699)
    else:
        raise FrameError(f"unknown frame prefix {prefix.hex()}")
    if length > MAX_LENGTH:
        raise FrameError(f"frame claims {length} bytes")
    return head + await reader.readexactly(rest)
