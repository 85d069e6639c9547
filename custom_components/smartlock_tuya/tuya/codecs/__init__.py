"""Raw payload codecs for temporary PINs, one module per lock family.

Layouts and their sources are in `docs/tuya-payloads.md`; the published captures they must
reproduce are in `tests/vectors/`. Encoders refuse values that do not fit; decoders refuse any
report that is not exactly a known layout with `CodecError`, so a garbled or foreign report is
never mistaken for a confirmation.
"""

from __future__ import annotations

from typing import Final

from .access_control import AccessControlCodec
from .base import (
    LAST_INSTANT,
    MAX_TIME,
    CredentialCodec,
    CredentialPayload,
    CredentialReport,
    ReportStatus,
    check_window,
    decode_raw,
    describe_lengths,
    encode_raw,
)
from .lock_pro import LockProTempPasswordCodec
from .zigbee import ZigbeeCapturedLayoutCodec, ZigbeeDocLayoutCodec, ZigbeeTempPasswordCodec

CODECS: Final[dict[str, CredentialCodec]] = {
    codec.name: codec
    for codec in (
        ZigbeeDocLayoutCodec(),
        ZigbeeCapturedLayoutCodec(),
        LockProTempPasswordCodec(),
        AccessControlCodec(),
    )
}

__all__ = [
    "CODECS",
    "LAST_INSTANT",
    "MAX_TIME",
    "AccessControlCodec",
    "CredentialCodec",
    "CredentialPayload",
    "CredentialReport",
    "LockProTempPasswordCodec",
    "ReportStatus",
    "ZigbeeCapturedLayoutCodec",
    "ZigbeeDocLayoutCodec",
    "ZigbeeTempPasswordCodec",
    "check_window",
    "decode_raw",
    "describe_lengths",
    "encode_raw",
]
