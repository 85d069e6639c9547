"""Frames and crypto of one local session, driven through tinytuya's own helpers.

tinytuya owns the protocol: `message_helper.pack_message` / `parse_header` / `unpack_message`
build and check the 55AA (3.3, 3.4) and 6699 (3.5) frames, `crypto_helper.AESCipher` does
AES-ECB and AES-GCM, `header` knows which commands carry the version header. What tinytuya
keeps inside its blocking socket code - cutting a byte stream into frames, the 3.4/3.5
session-key negotiation (commands 3, 4, 5) and turning a payload back into JSON - is done here
without any I/O, so an asyncio protocol can feed it whatever bytes arrive.

Sources: tinytuya 1.20.0 `core/XenonDevice.py` (`_receive`, `_encode_message`,
`_decode_payload`, `_negotiate_session_key_*`), `core/message_helper.py`, `core/header.py`.
"""

from __future__ import annotations

from hashlib import sha256
import hmac
import json
import os
from typing import Any, Final, NamedTuple

from tinytuya.core import command_types, header as frame_header
from tinytuya.core.crypto_helper import AESCipher
from tinytuya.core.exceptions import DecodeError
from tinytuya.core.message_helper import TuyaMessage, pack_message, parse_header, unpack_message

VERSIONS: Final = ("3.3", "3.4", "3.5")
NONCE_SIZE: Final = 16
GCM_IV_SIZE: Final = 12
_PREFIXES: Final = (frame_header.PREFIX_55AA_BIN, frame_header.PREFIX_6699_BIN)
_HEADER_SIZE: Final = 18  # the longer of the two headers (6699)


class WireError(Exception):
    """Bytes that are not an authentic frame under our key: wrong key, version, or a stranger."""


class Frame(NamedTuple):
    """One frame from the device, its payload decrypted; `body` is `None` for an empty ack."""

    cmd: int
    seqno: int
    retcode: int
    body: dict[str, Any] | None


class Wire:
    """Encodes our commands and decodes the device's frames for one TCP connection.

    3.3 is ready at once; 3.4 and 3.5 first run `negotiation_start` / `negotiation_finish`.
    A fresh random client nonce per connection and a fresh random GCM IV per frame: tinytuya's
    own `pack_message` would use a fixed IV whenever its debug logging is on.
    """

    def __init__(self, version: str, local_key: bytes) -> None:
        """Start a connection's state: sequence numbers, and the local key until negotiated."""
        if version not in VERSIONS:
            raise ValueError(f"unknown protocol version {version!r}")
        self.version = version
        self._number = float(version)
        self._local_key = local_key
        self._key = local_key
        self._ready = version == "3.3"
        self._header = version.encode() + frame_header.PROTOCOL_3x_HEADER
        self._nonce = b""
        self._seqno = 1
        self._buffer = b""

    @property
    def ready(self) -> bool:
        """Whether commands may flow (3.4/3.5: once the session key is agreed)."""
        return self._ready

    # -- session key (3.4 / 3.5) ---------------------------------------------------------------

    def negotiation_start(self) -> bytes:
        """Command 3 with a fresh client nonce, under the local key."""
        self._nonce = os.urandom(NONCE_SIZE)
        self._key = self._local_key
        self._ready = False
        return self.encode(command_types.SESS_KEY_NEG_START, self._nonce)

    def negotiation_finish(self, reply: TuyaMessage) -> bytes:
        """Check the device's command 4, switch to the session key, return our command 5."""
        if reply.cmd != command_types.SESS_KEY_NEG_RESP or not self._nonce:
            raise WireError(f"expected the session-key reply, got command {reply.cmd}")
        payload = reply.payload
        if self._number == 3.4:
            payload = self._ecb_decrypt(self._local_key, payload)
        if len(payload) < 48:
            raise WireError("session-key reply too short")
        device_nonce, proof = payload[:NONCE_SIZE], payload[NONCE_SIZE:48]
        expected = hmac.new(self._local_key, self._nonce, sha256).digest()
        if not hmac.compare_digest(proof, expected):
            raise WireError("the device does not know our local key")
        answer = hmac.new(self._local_key, device_nonce, sha256).digest()
        finish = self.encode(command_types.SESS_KEY_NEG_FINISH, answer)
        mixed = bytes(a ^ b for a, b in zip(self._nonce, device_nonce, strict=True))
        cipher = AESCipher(self._local_key)
        if self._number == 3.4:
            self._key = cipher.encrypt(mixed, use_base64=False, pad=False)
        else:
            sealed = cipher.encrypt(
                mixed, use_base64=False, pad=False, iv=self._nonce[:GCM_IV_SIZE]
            )
            self._key = sealed[GCM_IV_SIZE : GCM_IV_SIZE + NONCE_SIZE]
        self._ready = True
        return finish

    # -- to the device -------------------------------------------------------------------------

    def encode(self, cmd: int, payload: bytes) -> bytes:
        """One frame carrying `payload` (JSON or nonce bytes), as tinytuya would send it."""
        seqno, self._seqno = self._seqno, self._seqno + 1
        header = self._header if cmd not in frame_header.NO_PROTOCOL_HEADER_CMDS else b""
        if self._number >= 3.5:
            message = TuyaMessage(
                seqno, cmd, None, header + payload, 0, True, frame_header.PREFIX_6699_VALUE,
                os.urandom(GCM_IV_SIZE),
            )  # fmt: skip
            return bytes(pack_message(message, hmac_key=self._key))
        cipher = AESCipher(self._key)
        if self._number == 3.4:
            body = cipher.encrypt(header + payload, use_base64=False)
            hmac_key: bytes | None = self._key
        else:
            body = header + cipher.encrypt(payload, use_base64=False)
            hmac_key = None
        message = TuyaMessage(seqno, cmd, 0, body, 0, True, frame_header.PREFIX_55AA_VALUE, None)
        return bytes(pack_message(message, hmac_key=hmac_key))

    # -- from the device -----------------------------------------------------------------------

    def feed(self, data: bytes) -> list[TuyaMessage]:
        """Every whole frame the stream now holds; a partial one waits for more bytes."""
        self._buffer += data
        messages: list[TuyaMessage] = []
        while len(self._buffer) >= _HEADER_SIZE:
            if self._buffer[:4] not in _PREFIXES:
                raise WireError("the stream lost its frame boundaries")
            try:
                header = parse_header(self._buffer)
            except DecodeError as err:
                raise WireError(str(err)) from err
            if len(self._buffer) < header.total_length:
                break
            data, self._buffer = (
                self._buffer[: header.total_length],
                self._buffer[header.total_length :],
            )
            messages.append(self._unpack(data, header))
        return messages

    def _unpack(self, data: bytes, header: Any) -> TuyaMessage:
        hmac_key = self._key if self._number >= 3.4 else None
        try:
            message = unpack_message(data, hmac_key=hmac_key, header=header, no_retcode=False)
        except (DecodeError, ValueError) as err:
            raise WireError(str(err)) from err
        if not message.crc_good:
            raise WireError("a frame failed its check: wrong local key or protocol version")
        return message

    def decode(self, message: TuyaMessage) -> Frame:
        """The frame's JSON body; empty payloads (acks, heartbeats) come back as `None`."""
        payload = bytes(message.payload)
        if not payload:
            return Frame(message.cmd, message.seqno, message.retcode, None)
        if self._number == 3.4:
            payload = self._ecb_decrypt(self._key, payload)
        if payload.startswith(self._header[:3]):
            payload = payload[len(self._header) :]
        if self._number == 3.3:
            payload = self._ecb_decrypt(self._key, payload)
        try:
            text = payload.decode()
        except UnicodeDecodeError as err:
            raise WireError("a payload that does not decrypt: wrong local key?") from err
        try:
            body = json.loads(text)
        except ValueError:
            # Readable text that is not JSON is the device speaking, not a wrong key: a gateway
            # asked without a cid answers "json obj data unvalid" (tinytuya `_register_child`).
            return Frame(message.cmd, message.seqno, message.retcode, None)
        if not isinstance(body, dict):
            return Frame(message.cmd, message.seqno, message.retcode, None)
        return Frame(message.cmd, message.seqno, message.retcode, body)

    @staticmethod
    def _ecb_decrypt(key: bytes, payload: bytes) -> bytes:
        try:
            return bytes(
                AESCipher(key).decrypt(
                    payload, use_base64=False, decode_text=False, verify_padding=True
                )
            )
        except ValueError as err:
            raise WireError("a payload that does not decrypt: wrong local key?") from err
