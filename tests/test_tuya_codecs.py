"""PIN payload codecs: published captures byte for byte, exact layouts, and garbage refused."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
import struct
from typing import Any

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.smartlock_tuya.tuya.codecs import (
    CODECS,
    LAST_INSTANT,
    AccessControlCodec,
    CredentialCodec,
    CredentialPayload,
    CredentialReport,
    LockProTempPasswordCodec,
    ReportStatus,
    ZigbeeCapturedLayoutCodec,
    ZigbeeDocLayoutCodec,
    check_window,
    decode_raw,
    describe_lengths,
    encode_raw,
)
from custom_components.smartlock_tuya.tuya.errors import CodecError, UnsupportedOperationError

VECTORS = Path(__file__).with_name("vectors")
START = 1773158400  # 2026-03-10 16:00 UTC
END = 1773417600
ZIGBEE_21 = ZigbeeDocLayoutCodec()
ZIGBEE_27 = ZigbeeCapturedLayoutCodec()
LOCK_PRO = LockProTempPasswordCodec()
PANEL = AccessControlCodec()


def _vectors() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted(VECTORS.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        # Codec vector files are lists; the simulator's captures file is an object of its own.
        if isinstance(document, list):
            found.extend(document)
    return found


ALL_VECTORS = _vectors()


def _vector_id(vector: dict[str, Any]) -> str:
    return f"{vector['codec']}-{vector['operation']}-{vector.get('hex', vector.get('value'))}"


def test_every_vector_names_its_source() -> None:
    """A vector without a source cannot be checked by anyone else."""
    assert len(ALL_VECTORS) >= 20
    kinds = {"capture", "hardware_tested", "documented", "source_code", "suggested"}
    for vector in ALL_VECTORS:
        assert vector["source"].strip()
        assert vector["kind"] in kinds
        assert vector["codec"] in CODECS
    assert sum(v["kind"] == "capture" for v in ALL_VECTORS) >= 3


@pytest.mark.parametrize("vector", ALL_VECTORS, ids=_vector_id)
def test_published_vector(vector: dict[str, Any]) -> None:
    """Exact bytes in, exact parse out; and where asked, our encoder writes the same bytes."""
    codec = CODECS[vector["codec"]]
    expect = vector["expect"]
    operation = vector["operation"]
    if operation == "unlock":
        assert codec.decode_unlock(vector["value"]) == expect["lock_side_id"]
        return
    data = bytes.fromhex(vector["hex"])
    decode = {
        "create": codec.decode_create,
        "create_report": codec.decode_create_report,
        "delete_report": codec.decode_delete_report,
        "modify_report": codec.decode_modify_report,
    }
    if expect.get("error"):
        with pytest.raises(CodecError):
            decode[operation](data)
        return
    if operation == "delete":
        assert (
            codec.encode_delete(ref=expect["lock_pin_id"], lock_pin_id=expect["lock_pin_id"])
            == data
        )
        return
    parsed = decode[operation](data)
    if isinstance(parsed, CredentialPayload):
        assert parsed == CredentialPayload(**expect)
        if vector.get("encode"):
            assert codec.encode_create(parsed) == data
        return
    assert (parsed.ref, parsed.lock_pin_id, parsed.status.value) == (
        expect["ref"],
        expect["lock_pin_id"],
        expect["status"],
    )
    if "reply_to" in vector:
        assert codec.is_reply_to(parsed, bytes.fromhex(vector["reply_to"]))


def test_zigbee_captures_carry_the_id_in_the_first_field() -> None:
    """Captured ids sit inside DP 3's 0-999 range; the others are constant, so ours follow."""
    captures = [
        bytes.fromhex(v["hex"])
        for v in ALL_VECTORS
        if v["kind"] == "capture" and v["codec"] == "zigbee_temp_password_27"
    ]
    heads = [struct.unpack(">HHH", data[:6]) for data in captures]
    assert {head[1:] for head in heads} == {(1, 0)}
    assert all(0 <= head[0] <= 999 for head in heads)
    assert len({head[0] for head in heads}) == len(heads)


@pytest.mark.parametrize("codec", [ZIGBEE_21, ZIGBEE_27], ids=["21", "27"])
def test_zigbee_layouts(codec: ZigbeeDocLayoutCodec) -> None:
    """Id fields, window, reserved zeros (27 only), flag, ASCII digits; DP 26 as the create."""
    payload = CredentialPayload(ref=42, pin="048213", start=START, end=END, once=True)
    data = codec.encode_create(payload)
    assert len(data) == codec.create_size == (21 if codec is ZIGBEE_21 else 27)
    assert data[:14] == struct.pack(">HHHII", 42, 1, 0, START, END)
    assert data[-7:] == b"\x01048213"
    assert codec.decode_create(data) == payload
    assert codec.encode_modify(payload, lock_pin_id=42) == data
    assert codec.encode_delete(ref=42, lock_pin_id=42) == data[:6]
    assert codec.decode_unlock(42) == "42"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (0, ReportStatus.FAILED),
        (1, ReportStatus.DONE),
        (2, ReportStatus.DUPLICATE),
        (3, ReportStatus.FULL),
    ],
)
def test_zigbee_create_statuses(status: int, expected: ReportStatus) -> None:
    """Duplicate is a refusal of its own: the PIN is NOT on the lock."""
    command = ZIGBEE_27.encode_create(CredentialPayload(ref=7, pin="123456", start=START, end=END))
    report = ZIGBEE_27.decode_create_report(command[:6] + bytes((status,)))
    assert report == CredentialReport(ref=7, lock_pin_id=7, status=expected, echo=command[:6])
    assert ZIGBEE_27.is_reply_to(report, command)


def test_zigbee_reply_pairing() -> None:
    """A report echoing another PIN's id bytes never confirms ours."""
    ours = ZIGBEE_27.encode_create(CredentialPayload(ref=7, pin="123456", start=START, end=END))
    other = ZIGBEE_27.decode_create_report(struct.pack(">HHHB", 8, 1, 0, 1))
    foreign = ZIGBEE_27.decode_create_report(struct.pack(">HHHB", 7, 2, 0, 1))
    assert not ZIGBEE_27.is_reply_to(other, ours)
    assert not ZIGBEE_27.is_reply_to(foreign, ours)
    assert not ZIGBEE_27.is_reply_to(
        CredentialReport(ref=7, lock_pin_id=7, status=ReportStatus.DONE), ours
    )


def test_zigbee_delete_and_update_reports() -> None:
    """Delete and update answer only fail or ok; other bytes are not guessed at."""
    head = struct.pack(">HHH", 7, 1, 0)
    assert ZIGBEE_27.decode_delete_report(head + b"\x01").status is ReportStatus.DONE
    assert ZIGBEE_27.decode_modify_report(head + b"\x00").status is ReportStatus.FAILED
    for decode in (ZIGBEE_27.decode_delete_report, ZIGBEE_27.decode_modify_report):
        with pytest.raises(CodecError, match="unknown status"):
            decode(head + b"\x02")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (bytes(26), "27 bytes"),
        (struct.pack(">HHHII", 1, 1, 0, START, END) + b"\x00" * 5 + b"\x01\x00123456", "reserved"),
        (struct.pack(">HHHII", 1, 1, 0, START, END) + bytes(6) + b"\x02123456", "one-time"),
        (struct.pack(">HHHII", 1, 1, 0, START, END) + bytes(6) + b"\x0012345a", "ASCII"),
        (struct.pack(">HHHII", 1, 1, 0, END, START) + bytes(6) + b"\x00123456", "start before"),
    ],
)
def test_zigbee_create_decoder_refuses(data: bytes, message: str) -> None:
    """Only the exact layout decodes."""
    with pytest.raises(CodecError, match=message):
        ZIGBEE_27.decode_create(data)


def test_zigbee_ids_and_lengths() -> None:
    """Ids 1-999 (DP 3's range) and exactly six digits."""
    for ref in (0, 1000):
        with pytest.raises(CodecError, match="1-999"):
            ZIGBEE_27.encode_create(CredentialPayload(ref=ref, pin="123456", start=START, end=END))
        with pytest.raises(CodecError, match="1-999"):
            ZIGBEE_27.encode_delete(ref=ref, lock_pin_id=ref)
        with pytest.raises(CodecError, match="1-999"):
            ZIGBEE_27.encode_modify(
                CredentialPayload(ref=1, pin="123456", start=START, end=END), lock_pin_id=ref
            )
    for pin in ("12345", "1234567"):
        with pytest.raises(CodecError, match="6 digits"):
            ZIGBEE_21.encode_create(CredentialPayload(ref=1, pin=pin, start=START, end=END))
    assert ZIGBEE_27.decode_unlock(0) == "0"
    assert ZIGBEE_27.decode_unlock("5") is None
    assert ZIGBEE_27.decode_unlock(True) is None


def test_lock_pro_layout() -> None:
    """Type 0, window, nine schedule zeros, uses, length, one byte per digit."""
    payload = CredentialPayload(ref=0, pin="0917334", start=START, end=END, once=True)
    data = LOCK_PRO.encode_create(payload)
    assert data == (
        b"\x00"
        + struct.pack(">II", START, END)
        + bytes(9)
        + b"\x01\x07"
        + bytes((0, 9, 1, 7, 3, 3, 4))
    )
    assert LOCK_PRO.decode_create(data) == payload
    assert LOCK_PRO.encode_modify(payload, lock_pin_id=3) == b"\x03" + data
    assert LOCK_PRO.encode_delete(ref=0, lock_pin_id=3) == b"\x03"
    assert LOCK_PRO.decode_unlock(3) == "3"
    assert LOCK_PRO.decode_unlock(255) is None


def test_lock_pro_pairing() -> None:
    """Deletes and modifies pair by hardware id; a create's reply names nothing to pair by."""
    create = LOCK_PRO.encode_create(CredentialPayload(ref=0, pin="123456", start=START, end=END))
    created = LOCK_PRO.decode_create_report(b"\x04\x00")
    assert (created.lock_pin_id, created.status, created.echo) == (4, ReportStatus.DONE, b"")
    assert LOCK_PRO.is_reply_to(created, create)
    deleted = LOCK_PRO.decode_delete_report(b"\x04\x02")
    assert deleted.status is ReportStatus.MISSING
    assert LOCK_PRO.is_reply_to(deleted, b"\x04")
    assert not LOCK_PRO.is_reply_to(deleted, b"\x05")
    assert LOCK_PRO.decode_modify_report(b"\x04\x00").status is ReportStatus.DONE
    with pytest.raises(CodecError, match="unknown status"):
        LOCK_PRO.decode_modify_report(b"\x04\x02")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00" * 10, "too short"),
        (b"\x01" + bytes(17) + b"\x00\x06" + bytes(6), "type"),
        (
            b"\x00" + struct.pack(">II", START, END) + b"\x01" + bytes(8) + b"\x00\x06" + bytes(6),
            "schedule",
        ),
        (b"\x00" + struct.pack(">II", START, END) + bytes(9) + b"\x02\x06" + bytes(6), "uses"),
        (b"\x00" + struct.pack(">II", START, END) + bytes(9) + b"\x00\x07" + bytes(6), "length"),
        (
            b"\x00" + struct.pack(">II", START, END) + bytes(9) + b"\x00\x06" + b"\x0a" + bytes(5),
            "digits",
        ),
        (b"\x00" + struct.pack(">II", START, END) + bytes(9) + b"\x00\x05" + bytes(5), "6 to 10"),
    ],
)
def test_lock_pro_create_decoder_refuses(data: bytes, message: str) -> None:
    """Only the exact layout, with no weekly schedule, decodes."""
    with pytest.raises(CodecError, match=message):
        LOCK_PRO.decode_create(data)


def test_lock_pro_refuses_what_does_not_fit() -> None:
    """PINs of 6-10 digits, hardware ids 0-254."""
    for pin in ("12345", "12345678901"):
        with pytest.raises(CodecError, match="6 to 10"):
            LOCK_PRO.encode_create(CredentialPayload(ref=0, pin=pin, start=START, end=END))
    for lock_pin_id in (-1, 255):
        with pytest.raises(CodecError, match="0-254"):
            LOCK_PRO.encode_delete(ref=0, lock_pin_id=lock_pin_id)
        with pytest.raises(CodecError, match="0-254"):
            LOCK_PRO.encode_modify(
                CredentialPayload(ref=0, pin="123456", start=START, end=END),
                lock_pin_id=lock_pin_id,
            )


def test_access_control_layout() -> None:
    """Tuya's unlock_method_create head, our validity block, digits, then the uuid."""
    payload = CredentialPayload(ref=42, pin="0917", start=START, end=END, once=True, uuid=0xBEEF)
    data = PANEL.encode_create(payload)
    assert data == (
        bytes((1, 0, 0, 0, 42, 0xFF, 0xFF))
        + struct.pack(">II", START, END)
        + bytes(9)
        + bytes((1, 4, 0, 9, 1, 7))
        + b"\xbe\xef"
    )
    assert PANEL.decode_create(data) == payload
    assert PANEL.encode_modify(payload, lock_pin_id=3)[5:7] == b"\x00\x03"
    assert PANEL.encode_delete(ref=42, lock_pin_id=3, uuid=9) == bytes((1, 0, 0, 0, 42, 0, 3, 0, 9))
    report = PANEL.decode_create_report(struct.pack(">BBHHBH", 1, 0, 42, 5, 0, 0xBEEF))
    assert report == CredentialReport(
        ref=42, lock_pin_id=5, status=ReportStatus.DONE, uuid=0xBEEF, echo=b"\xbe\xef"
    )
    assert PANEL.is_reply_to(report, data)
    assert not PANEL.is_reply_to(report, data[:-1] + b"\x00")
    missing = PANEL.decode_delete_report(struct.pack(">BBHHBH", 1, 0, 42, 5, 4, 9))
    assert missing.status is ReportStatus.MISSING
    assert PANEL.decode_modify_report(struct.pack(">BBHHBH", 1, 0, 42, 5, 3, 9)).status is (
        ReportStatus.FULL
    )
    assert PANEL.decode_unlock("12") == PANEL.decode_unlock(12) == "12"
    assert PANEL.decode_unlock("x") is None


def test_access_control_refusals() -> None:
    """Wrong types, ids and uuids are refused."""
    with pytest.raises(CodecError, match="not a password"):
        PANEL.decode_create_report(struct.pack(">BBHHBH", 2, 0, 42, 5, 0, 77))
    with pytest.raises(CodecError, match="too short"):
        PANEL.decode_create(b"\x01\x00")
    bad = PANEL.encode_create(CredentialPayload(ref=1, pin="1234", start=START, end=END))
    with pytest.raises(CodecError, match="not a password"):
        PANEL.decode_create(b"\x02" + bad[1:])
    with pytest.raises(CodecError, match="length"):
        PANEL.decode_create(bad[:-3] + bad[-2:])
    with pytest.raises(CodecError, match="0-65534"):
        PANEL.encode_modify(
            CredentialPayload(ref=1, pin="1234", start=START, end=END), lock_pin_id=0xFFFF
        )
    with pytest.raises(CodecError, match="uuid"):
        PANEL.encode_create(CredentialPayload(ref=1, pin="1234", start=START, end=END, uuid=70000))
    with pytest.raises(CodecError, match="out of range"):
        PANEL.encode_delete(ref=0, lock_pin_id=3)


def test_window_after_2106_is_refused_up_front() -> None:
    """Issue 9 case 16: a window the 4-byte times cannot hold fails once, clearly, not forever."""
    with pytest.raises(CodecError, match="2106-02-07"):
        check_window(START, 2**32)
    assert f"{LAST_INSTANT:%Y}" == "2106"
    check_window(START, 2**32 - 1)
    with pytest.raises(CodecError, match="1970"):
        check_window(-1, END)
    with pytest.raises(CodecError, match="start before it ends"):
        check_window(END, END)
    for codec in CODECS.values():
        with pytest.raises(CodecError, match="2106"):
            codec.encode_create(CredentialPayload(ref=1, pin="123456", start=START, end=2**32))


@pytest.mark.parametrize("pin", ["12a456", "", "\uff11\uff12\uff13\uff14\uff15\uff16"])
@pytest.mark.parametrize("codec", list(CODECS.values()), ids=list(CODECS))
def test_encoders_refuse_non_digits(pin: str, codec: CredentialCodec) -> None:
    """Values the layouts cannot carry are refused, never truncated."""
    with pytest.raises(CodecError):
        codec.encode_create(CredentialPayload(ref=1, pin=pin, start=START, end=END))


def test_reply_pairing_and_statuses_named() -> None:
    """No "already exists counts as success" meaning survives."""
    assert {status.name for status in ReportStatus} == {
        "DONE",
        "FAILED",
        "DUPLICATE",
        "FULL",
        "MISSING",
    }


def test_base_modify_is_unsupported() -> None:
    """A family without a modify DP says so."""

    class NoModify(LockProTempPasswordCodec):
        name = "no_modify"

    codec = NoModify()
    with pytest.raises(UnsupportedOperationError):
        CredentialCodec.encode_modify(
            codec, CredentialPayload(ref=1, pin="123456", start=START, end=END), lock_pin_id=1
        )
    with pytest.raises(UnsupportedOperationError):
        CredentialCodec.decode_modify_report(codec, b"")


def test_describe_lengths() -> None:
    """Lengths read as people write them."""
    assert describe_lengths(frozenset({6})) == "6"
    assert describe_lengths(frozenset({6, 7, 8})) == "6 to 8"
    assert describe_lengths(frozenset({4, 6, 8})) == "4, 6 or 8"


def test_raw_round_trip() -> None:
    """Raw DP values are base64 text; bytes pass through; anything else is refused."""
    assert decode_raw(encode_raw(b"\x00\x01\xff")) == b"\x00\x01\xff"
    assert decode_raw(b"\x01") == b"\x01"
    for bad in ("not base64!", 12, None):
        with pytest.raises(CodecError):
            decode_raw(bad)


digits = st.text(alphabet="0123456789", min_size=6, max_size=6)
windows = st.tuples(st.integers(0, 2**32 - 2), st.integers(1, 10**7)).map(
    lambda pair: (pair[0], min(pair[0] + pair[1], 2**32 - 1))
)


@given(ref=st.integers(1, 999), pin=digits, window=windows, once=st.booleans())
@pytest.mark.parametrize("codec", [ZIGBEE_21, ZIGBEE_27], ids=["21", "27"])
def test_zigbee_round_trip(
    codec: ZigbeeDocLayoutCodec, ref: int, pin: str, window: tuple[int, int], once: bool
) -> None:
    """What we encode decodes to the same fields, and a report echoing it pairs with it."""
    payload = CredentialPayload(ref=ref, pin=pin, start=window[0], end=window[1], once=once)
    data = codec.encode_create(payload)
    assert codec.decode_create(data) == payload
    report = codec.decode_create_report(data[:6] + b"\x01")
    assert codec.is_reply_to(report, data)
    assert codec.decode_unlock(report.lock_pin_id) == str(ref)


@given(
    pin=st.text(alphabet="0123456789", min_size=6, max_size=10),
    window=windows,
    once=st.booleans(),
    lock_pin_id=st.integers(0, 254),
)
def test_lock_pro_round_trip(
    pin: str, window: tuple[int, int], once: bool, lock_pin_id: int
) -> None:
    """Create and modify decode back; the modify's hardware id pairs with its reply."""
    payload = CredentialPayload(ref=0, pin=pin, start=window[0], end=window[1], once=once)
    assert LOCK_PRO.decode_create(LOCK_PRO.encode_create(payload)) == payload
    modify = LOCK_PRO.encode_modify(payload, lock_pin_id=lock_pin_id)
    assert LOCK_PRO.decode_create(modify[1:]) == payload
    assert LOCK_PRO.is_reply_to(LOCK_PRO.decode_modify_report(bytes((lock_pin_id, 0))), modify)


@settings(max_examples=300)
@given(data=st.binary(max_size=64))
@pytest.mark.parametrize("codec", list(CODECS.values()), ids=list(CODECS))
def test_decoders_on_random_bytes(codec: CredentialCodec, data: bytes) -> None:
    """Any bytes decode to a report or a payload, or a CodecError: never a crash."""
    for decode in (
        codec.decode_create,
        codec.decode_create_report,
        codec.decode_delete_report,
        codec.decode_modify_report,
    ):
        with contextlib.suppress(CodecError):
            assert isinstance(decode(data), CredentialReport | CredentialPayload)


@settings(max_examples=200)
@given(value=st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6)))
@pytest.mark.parametrize("codec", list(CODECS.values()), ids=list(CODECS))
def test_unlock_decoders_on_anything(codec: CredentialCodec, value: object) -> None:
    """An unlock DP value is a lock-side id or nothing."""
    result = codec.decode_unlock(value)
    assert result is None or result.isdigit()
