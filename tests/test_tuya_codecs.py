"""PIN payload codecs and profiles: exact layouts, round trips, and garbage refused cleanly."""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path
import struct

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.smartlock_tuya.tuya.codecs import (
    CODECS,
    PinPayload,
    PinReport,
    ReportStatus,
    UnlockMethodCodec,
    ZigbeeTempPasswordCodec,
    decode_raw,
    encode_raw,
)
from custom_components.smartlock_tuya.tuya.errors import (
    CodecError,
    ProfileError,
    UnsupportedOperationError,
)
from custom_components.smartlock_tuya.tuya.profiles import (
    BUILTIN_PROFILES,
    load_profiles,
    parse_profile,
    read_profiles,
)

START = 1773158400  # 2026-03-10 16:00 UTC
END = 1773417600
ZIGBEE = ZigbeeTempPasswordCodec()
UNLOCK = UnlockMethodCodec()


def test_zigbee_create_layout() -> None:
    """Serials, window, flag and ASCII digits, exactly as the docs lay them out."""
    data = ZIGBEE.encode_create(PinPayload(ref=513, pin="482913", start=START, end=END))
    assert data == struct.pack(">HHHIIB", 0, 513, 0, START, END, 0) + b"482913"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (1, ReportStatus.DONE),
        (0, ReportStatus.FAILED),
        (2, ReportStatus.EXISTS),
        (3, ReportStatus.FULL),
    ],
)
def test_zigbee_create_report(status: int, expected: ReportStatus) -> None:
    """The echoed serials and the status byte."""
    report = ZIGBEE.decode_create_report(struct.pack(">HHHB", 0, 513, 0, status))
    assert report == PinReport(ref=513, slot=513, status=expected)


def test_zigbee_delete_round_trip() -> None:
    """A delete names the serial; its report may say the PIN was already gone."""
    assert ZIGBEE.encode_delete(ref=7, slot=7) == struct.pack(">HHH", 0, 7, 0)
    report = ZIGBEE.decode_delete_report(struct.pack(">HHHB", 0, 7, 0, 4))
    assert report.status is ReportStatus.MISSING
    with pytest.raises(CodecError):
        ZIGBEE.decode_delete_report(
            struct.pack(">HHHB", 0, 7, 0, 3)
        )  # "full" is not a delete answer


def test_zigbee_cannot_modify() -> None:
    """Zigbee locks change a window by delete and create."""
    assert not ZIGBEE.can_modify
    with pytest.raises(UnsupportedOperationError):
        ZIGBEE.encode_modify(PinPayload(ref=1, pin="123456", start=START, end=END), slot=1)
    with pytest.raises(UnsupportedOperationError):
        ZIGBEE.decode_modify_report(b"")


def test_unlock_method_create_layout() -> None:
    """Type, stage, admin, member, any slot, validity, times, length, digits, uuid."""
    data = UNLOCK.encode_create(
        PinPayload(ref=42, pin="0917", start=START, end=END, once=True, uuid=0xBEEF)
    )
    expected = (
        bytes((1, 0, 0))
        + (42).to_bytes(2, "big")
        + b"\xff\xff"
        + b"\x01"
        + START.to_bytes(4, "big")
        + END.to_bytes(4, "big")
        + bytes(8)
        + bytes((1, 4, 0, 9, 1, 7))
        + b"\xbe\xef"
    )
    assert data == expected
    assert len(data) == 7 + 17 + 2 + 4 + 2


def test_unlock_method_modify_and_delete() -> None:
    """Modify names the slot; delete carries member, slot and uuid."""
    payload = PinPayload(ref=42, pin="1234", start=START, end=END, uuid=9)
    modify = UNLOCK.encode_modify(payload, slot=3)
    assert modify[5:7] == b"\x00\x03"
    assert UNLOCK.encode_delete(ref=42, slot=3, uuid=9) == bytes((1, 0, 0, 0, 42, 0, 3, 0, 9))
    with pytest.raises(CodecError):
        UNLOCK.encode_modify(payload, slot=0xFFFF)
    with pytest.raises(CodecError):
        UNLOCK.encode_delete(ref=0, slot=3)


def test_unlock_method_report() -> None:
    """The slot the lock chose, the status and the uuid that pairs it with the command."""
    report = UNLOCK.decode_create_report(struct.pack(">BBHHBH", 1, 0, 42, 5, 0, 77))
    assert report == PinReport(ref=42, slot=5, status=ReportStatus.DONE, uuid=77)
    assert UNLOCK.decode_delete_report(struct.pack(">BBHHBH", 1, 0, 42, 5, 4, 78)).status is (
        ReportStatus.MISSING
    )
    with pytest.raises(CodecError, match="not a password"):
        UNLOCK.decode_create_report(struct.pack(">BBHHBH", 2, 0, 42, 5, 0, 77))
    with pytest.raises(CodecError, match="unknown status"):
        UNLOCK.decode_modify_report(struct.pack(">BBHHBH", 1, 0, 42, 5, 9, 77))


@pytest.mark.parametrize(
    "payload",
    [
        PinPayload(ref=0, pin="123456", start=START, end=END),
        PinPayload(ref=70000, pin="123456", start=START, end=END),
        PinPayload(ref=1, pin="12a456", start=START, end=END),
        PinPayload(ref=1, pin="", start=START, end=END),
        PinPayload(ref=1, pin="123456", start=END, end=START),
        PinPayload(ref=1, pin="123456", start=START, end=2**32),
        PinPayload(ref=1, pin="123456", start=START, end=END, uuid=70000),
    ],
)
@pytest.mark.parametrize("codec", list(CODECS.values()), ids=list(CODECS))
def test_encoders_refuse_what_does_not_fit(payload: PinPayload, codec: object) -> None:
    """Values the layouts cannot carry are refused, never truncated."""
    with pytest.raises(CodecError):
        codec.encode_create(payload)  # type: ignore[attr-defined]


def test_raw_round_trip() -> None:
    """Raw DP values are base64 text; bytes pass through; anything else is refused."""
    assert decode_raw(encode_raw(b"\x00\x01\xff")) == b"\x00\x01\xff"
    assert decode_raw(b"\x01") == b"\x01"
    for bad in ("not base64!", 12, None):
        with pytest.raises(CodecError):
            decode_raw(bad)


digits = st.text(alphabet="0123456789", min_size=1, max_size=16)


@given(
    ref=st.integers(1, 0xFFFF),
    pin=digits,
    start=st.integers(0, 2**32 - 2),
    length=st.integers(1, 10**6),
    once=st.booleans(),
    uuid=st.integers(0, 0xFFFF),
)
def test_unlock_method_round_trip(
    ref: int, pin: str, start: int, length: int, once: bool, uuid: int
) -> None:
    """What the encoder writes, a lock echoing it in a report reads back the same."""
    end = min(start + length, 2**32 - 1)
    data = UNLOCK.encode_create(
        PinPayload(ref=ref, pin=pin, start=start, end=end, once=once, uuid=uuid)
    )
    # A lock's answer echoes type, stage, member and uuid around the slot it picked.
    echoed = data[0:2] + data[3:5] + b"\x00\x07" + b"\x00" + data[-2:]
    report = UNLOCK.decode_create_report(echoed)
    assert (report.ref, report.slot, report.uuid) == (ref, 7, uuid)
    assert list(data[-2 - len(pin) : -2]) == [int(c) for c in pin]


@given(ref=st.integers(1, 0xFFFF), pin=digits, start=st.integers(0, 2**31))
def test_zigbee_round_trip(ref: int, pin: str, start: int) -> None:
    """The serials written in a create come back in the lock's report."""
    data = ZIGBEE.encode_create(PinPayload(ref=ref, pin=pin, start=start, end=start + 60))
    assert data[15:].decode() == pin
    report = ZIGBEE.decode_create_report(data[:6] + b"\x01")
    assert report.ref == ref


@settings(max_examples=400)
@given(data=st.binary(max_size=64))
@pytest.mark.parametrize("codec", list(CODECS.values()), ids=list(CODECS))
def test_decoders_on_random_bytes(codec: object, data: bytes) -> None:
    """Any bytes decode to a report or a CodecError: never a crash."""
    for decode in ("decode_create_report", "decode_delete_report", "decode_modify_report"):
        try:
            report = getattr(codec, decode)(data)
        except (CodecError, UnsupportedOperationError):
            continue
        assert isinstance(report, PinReport)


@settings(max_examples=200)
@given(text=st.text(max_size=40))
def test_raw_decoder_on_random_text(text: str) -> None:
    """Any text decodes to bytes or a CodecError."""
    with contextlib.suppress(CodecError):
        assert isinstance(decode_raw(text), bytes)


def test_builtin_profiles() -> None:
    """Both shipped profiles load, with their codecs and capabilities."""
    profiles = load_profiles()
    zigbee, unlock = profiles["zigbee_dp24"], profiles["unlock_method"]
    assert (zigbee.dps.create, zigbee.dps.delete, zigbee.can_modify, zigbee.can_control) == (
        24,
        25,
        False,
        False,
    )
    assert (unlock.dps.create, unlock.dps.modify, unlock.can_modify, unlock.can_control) == (
        1,
        3,
        True,
        True,
    )
    assert zigbee.check_pin("123456") is None
    assert zigbee.check_pin("1234") == "this lock takes PINs of 6 to 6 digits"
    assert unlock.check_pin("12a4") == "a PIN is digits only"
    assert json.loads(BUILTIN_PROFILES.read_text())  # the file users copy from is valid JSON


def test_user_profile_file(tmp_path: Path) -> None:
    """A profile added in a file of the same shape needs no code; it can replace a shipped one."""
    extra = tmp_path / "mine.json"
    extra.write_text(
        json.dumps(
            {
                "my_gate": {"codec": "unlock_method", "dps": {"create": 71, "delete": 72}},
                "zigbee_dp24": {
                    "codec": "zigbee_temp_password",
                    "dps": {"create": 24, "delete": 25},
                    "pin_length": {"min": 6, "max": 8},
                },
            }
        )
    )
    profiles = load_profiles(extra)
    assert profiles["my_gate"].dps.create == 71
    assert profiles["my_gate"].name == "my_gate"
    assert profiles["zigbee_dp24"].pin_max == 8
    assert "unlock_method" in profiles


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "not an object"),
        ({"codec": "enigma", "dps": {}}, "unknown codec"),
        ({"codec": "unlock_method"}, "has no dps"),
        ({"codec": "unlock_method", "dps": {"create": 1, "teleport": 9}}, "unknown DP roles"),
        ({"codec": "unlock_method", "dps": {"create": 1, "delete": 300}}, "1-255"),
        ({"codec": "unlock_method", "dps": {"create": 1, "delete": True}}, "1-255"),
        ({"codec": "unlock_method", "dps": {"create": 1}}, "needs create and delete"),
        (
            {
                "codec": "unlock_method",
                "dps": {"create": 1, "delete": 2},
                "pin_length": {"min": 8, "max": 4},
            },
            "bad pin_length",
        ),
        (
            {
                "codec": "unlock_method",
                "dps": {"create": 1, "delete": 2},
                "pin_length": {"min": "4"},
            },
            "whole number",
        ),
        ({"codec": "unlock_method", "dps": {"create": 1, "delete": 2}, "capacity": 0}, "capacity"),
        (
            {"codec": "unlock_method", "dps": {"create": 1, "delete": 2}, "locked_value": "yes"},
            "locked_value",
        ),
    ],
)
def test_bad_profiles(data: object, message: str) -> None:
    """Each mistake in a profile is named."""
    with pytest.raises(ProfileError, match=message):
        parse_profile("broken", data)


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"])
def test_bad_profile_files(tmp_path: Path, content: str) -> None:
    """An unreadable file is one clear error, not a crash."""
    path = tmp_path / "profiles.json"
    path.write_text(content)
    with pytest.raises(ProfileError, match="profiles"):
        read_profiles(path)
    with pytest.raises(ProfileError):
        read_profiles(tmp_path / "missing.json")


def test_base64_as_tinytuya_sends_it() -> None:
    """The raw value goes out as tinytuya would send any base64 string."""
    data = ZIGBEE.encode_create(PinPayload(ref=1, pin="000000", start=START, end=END))
    assert base64.b64decode(encode_raw(data)) == data
