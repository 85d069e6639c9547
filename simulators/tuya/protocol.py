"""One client connection as the lock sees it: keys, negotiation, version headers, JSON shapes.

The rules here were checked frame by frame against tinytuya 1.20.0:

- 3.3 encrypts payloads with AES-ECB under the local key. Commands other than 3/4/5/9/10/16/18
  carry the ``3.3`` + 12 zero bytes version header in clear in front of the ciphertext; so do
  the lock's status pushes, but not its query replies.
- 3.4 and 3.5 first negotiate a session key (commands 3, 4, 5; the lock does not answer 5) and
  put the version header inside the encryption. 3.4 signs frames with HMAC-SHA256 and encrypts
  with AES-ECB; 3.5 uses 6699 frames with AES-GCM.
- Query replies are ``{"dps": ..}``; pushes on 3.4/3.5 are
  ``{"protocol": 4, "t": .., "data": {"dps": ..}}``; 3.3 uses flat ``{"devId", "dps", "t"}``.
- A gateway tags what concerns a sub-device with its ``cid``. Captured gateway traffic shows the
  shapes: a 3.5 query reply ``{"dps": .., "cid": ..}`` (jasonacox/tinytuya issue #266), a 3.3
  push ``{"dps": .., "cid": .., "t": ..}`` (rospogrigio/localtuya pull request #318), a 3.4 push
  ``{"protocol": 4, "t": .., "data": {"dps": .., "cid": ..}}`` (leeyuentuen/localtuya issue #35).
  tinytuya routes a reply to its child by ``cid`` at the top level or under ``data``
  (tinytuya/core/XenonDevice.py, ``_process_message``).

Anything that does not decrypt or authenticate raises `ProtocolError`: the server then hangs
up, which tinytuya reports as an error, as it does with a real lock and a wrong key.
"""

from collections.abc import Mapping
import json
import os
from typing import Any

from .crypto import NONCE_SIZE, CryptoError, ecb_decrypt, ecb_encrypt, hmac_sha256, session_key
from .frames import Command, Frame, FrameError, pack_55aa, pack_6699, unpack_55aa, unpack_6699

VERSIONS = ("3.3", "3.4", "3.5")
NEGOTIATION = frozenset({Command.SESS_KEY_NEG_START, Command.SESS_KEY_NEG_FINISH})
# Commands whose payload has no version header, either way.
NO_HEADER = frozenset(
    {
        Command.SESS_KEY_NEG_START,
        Command.SESS_KEY_NEG_RESP,
        Command.SESS_KEY_NEG_FINISH,
        Command.HEART_BEAT,
        Command.DP_QUERY,
        Command.DP_QUERY_NEW,
        Command.UPDATEDPS,
        Command.LAN_EXT_STREAM,  # tinytuya/core/header.py, NO_PROTOCOL_HEADER_CMDS
    }
)
HEADER_PADDING = bytes(12)


class ProtocolError(ValueError):
    """A frame this connection cannot accept: bad key, bad order, bad JSON."""


class Session:
    """Keys and counters of one connection; opens client frames and seals the lock's."""

    def __init__(self, version: str, local_key: bytes) -> None:
        """Start a connection; 3.4 and 3.5 must negotiate before anything else."""
        if version not in VERSIONS:
            raise ValueError(f"unsupported protocol version {version!r}")
        self.version = version
        self._local_key = local_key
        self._header = version.encode() + HEADER_PADDING
        self._key: bytes | None = local_key if version == "3.3" else None
        self._client_nonce = b""
        self._device_nonce = b""
        self._seq = 0

    @property
    def ready(self) -> bool:
        """Whether commands may flow: always on 3.3, after negotiation on 3.4/3.5."""
        return self._key is not None

    def open(self, data: bytes) -> Frame:
        """Check and decrypt one whole client frame; the payload comes back in clear."""
        cmd = int.from_bytes(data[8:12] if data[:4] != b"\x00\x00\x66\x99" else data[10:14])
        key = self._local_key if cmd in NEGOTIATION else self._key
        if key is None:
            raise ProtocolError(f"command {cmd} before session-key negotiation")
        try:
            if self.version == "3.5":
                if data[:4] != b"\x00\x00\x66\x99":
                    raise ProtocolError("3.5 expects 6699 frames")
                frame = unpack_6699(data, key)
                payload = frame.payload
            else:
                frame = unpack_55aa(data, key if self.version == "3.4" else None)
                payload = self._decrypt_ecb(key, frame.payload)
        except (FrameError, CryptoError) as err:
            raise ProtocolError(str(err)) from err
        if self.version != "3.3" and payload.startswith(self._header[:3]):
            payload = payload[len(self._header) :]
        return Frame(frame.seq, frame.cmd, payload)

    def _decrypt_ecb(self, key: bytes, payload: bytes) -> bytes:
        if self.version == "3.3" and payload.startswith(self._header[:3]):
            payload = payload[len(self._header) :]
        return ecb_decrypt(key, payload) if payload else b""

    def negotiate(self, frame: Frame) -> bytes | None:
        """Answer command 3 with the lock's nonce; on command 5 switch to the session key."""
        if self.version == "3.3":
            raise ProtocolError("3.3 has no session-key negotiation")
        if frame.cmd == Command.SESS_KEY_NEG_START:
            if len(frame.payload) != NONCE_SIZE:
                raise ProtocolError("client nonce must be 16 bytes")
            self._key = None
            self._client_nonce = frame.payload
            self._device_nonce = os.urandom(NONCE_SIZE)
            proof = hmac_sha256(self._local_key, self._client_nonce)
            return self.seal(Command.SESS_KEY_NEG_RESP, self._device_nonce + proof, frame.seq)
        if not self._device_nonce:
            raise ProtocolError("negotiation finished before it started")
        if frame.payload[:32] != hmac_sha256(self._local_key, self._device_nonce):
            raise ProtocolError("client proof of the lock nonce does not match")
        self._key = session_key(
            self.version, self._local_key, self._client_nonce, self._device_nonce
        )
        return None

    def seal(self, cmd: int, body: bytes, reply_to: int | None = None) -> bytes:
        """One lock-to-client frame with return code 0.

        Replies echo the client's sequence number below 3.5; 3.5 locks, and every push, count
        on from their own number instead. An empty body (an ack) stays empty: tinytuya treats
        only a zero-length payload as an ack.
        """
        self._seq += 1
        seq = reply_to if reply_to is not None and self.version != "3.5" else self._seq
        key = self._local_key if cmd == Command.SESS_KEY_NEG_RESP else self._key
        if key is None:
            raise ProtocolError("no key to seal with before negotiation")
        header = self._header if body and cmd not in NO_HEADER else b""
        if self.version == "3.3":
            payload = header + ecb_encrypt(key, body) if body else b""
            return pack_55aa(Frame(seq, cmd, payload, 0))
        plaintext = header + body
        if self.version == "3.4":
            payload = ecb_encrypt(key, plaintext) if plaintext else b""
            return pack_55aa(Frame(seq, cmd, payload, 0), key)
        return pack_6699(Frame(seq, cmd, plaintext, 0), key)


def encode(message: Mapping[str, Any]) -> bytes:
    """Compact JSON, as Tuya devices send it."""
    return json.dumps(message, separators=(",", ":")).encode()


def decode(payload: bytes) -> dict[str, Any]:
    """A command's JSON object; anything else is a `ProtocolError`."""
    try:
        message = json.loads(payload) if payload else {}
    except ValueError as err:
        raise ProtocolError(f"payload is not JSON: {err}") from err
    if not isinstance(message, dict):
        raise ProtocolError("payload is not a JSON object")
    return message


def control_dps(message: Mapping[str, Any]) -> dict[str, Any]:
    """The DPs a CONTROL asks to set: top-level on 3.3, under ``data`` on 3.4/3.5."""
    data = message.get("data")
    dps = data.get("dps") if isinstance(data, Mapping) else message.get("dps")
    if not isinstance(dps, Mapping):
        raise ProtocolError("control without dps")
    return {str(dp): value for dp, value in dps.items()}


def message_cid(message: Mapping[str, Any]) -> str | None:
    """The sub-device a command addresses, None for the device itself.

    tinytuya puts a child's ``cid`` at the top level of every command, and also under ``data``
    on 3.4/3.5 CONTROL_NEW (tinytuya/core/XenonDevice.py, ``generate_payload``).
    """
    cid = message.get("cid")
    data = message.get("data")
    if cid is None and isinstance(data, Mapping):
        cid = data.get("cid")
    return None if cid is None else str(cid)


def query_reply(
    version: str, device_id: str, dps: Mapping[str, Any], cid: str | None = None
) -> bytes:
    """The answer to DP_QUERY / DP_QUERY_NEW, tagged with the sub-device's cid if any."""
    if cid is not None:
        return encode({"dps": dict(dps), "cid": cid})
    if version == "3.3":
        return encode({"devId": device_id, "dps": dict(dps)})
    return encode({"dps": dict(dps)})


def status_push(
    version: str, device_id: str, dps: Mapping[str, Any], t: int, cid: str | None = None
) -> bytes:
    """A STATUS (8) report of changed DPs, tagged with the sub-device's cid if any."""
    if version == "3.3":
        if cid is not None:
            return encode({"dps": dict(dps), "cid": cid, "t": t})
        return encode({"devId": device_id, "dps": dict(dps), "t": t})
    data: dict[str, Any] = {"dps": dict(dps)}
    if cid is not None:
        data["cid"] = cid
    return encode({"protocol": 4, "t": t, "data": data})
