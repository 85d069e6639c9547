"""Fuzzing DP reports: every codec decodes a report or raises `CodecError`."""

from __future__ import annotations

import base64
import contextlib

from hypothesis import given, strategies as st
import pytest

from custom_components.smartlock_tuya.tuya import CodecError, UnsupportedOperationError
from custom_components.smartlock_tuya.tuya.cloud_crypto import decrypt_ticket_key
from custom_components.smartlock_tuya.tuya.codecs import (
    CODECS,
    CredentialCodec,
    ReportStatus,
    decode_raw,
)

from .profile import FUZZ, json_values

#: Reports of the right length get past the size check to the fields themselves.
reports = st.one_of(
    st.binary(max_size=24),
    st.binary(min_size=2, max_size=2),
    st.binary(min_size=7, max_size=7),
    st.binary(min_size=9, max_size=9),
)


@pytest.mark.parametrize("codec", CODECS.values(), ids=list(CODECS))
@FUZZ
@given(data=reports)
def test_reports(codec: CredentialCodec, data: bytes) -> None:
    """Create, delete and modify reports decode to a sane report or raise `CodecError`."""
    for decode in (codec.decode_create_report, codec.decode_delete_report):
        try:
            report = decode(data)
        except CodecError:
            continue
        assert 0 <= report.ref <= 0xFFFF
        assert report.lock_pin_id >= 0
        assert isinstance(report.status, ReportStatus)
    with contextlib.suppress(CodecError, UnsupportedOperationError):
        codec.decode_modify_report(data)


@FUZZ
@given(
    st.one_of(
        json_values,
        st.binary(max_size=24).map(lambda raw: base64.b64encode(raw).decode()),
        st.binary(max_size=24),
    )
)
def test_raw_dp_values(value: object) -> None:
    """Whatever tinytuya hands over as a raw DP value is bytes or a `CodecError`."""
    with contextlib.suppress(CodecError):
        assert isinstance(decode_raw(value), bytes)


@FUZZ
@given(st.text(max_size=80) | st.binary(max_size=48).map(bytes.hex))
def test_cloud_ticket_keys(ticket_key: str) -> None:
    """A ticket key from the cloud yields a 16-byte key or a `CodecError`."""
    try:
        key = decrypt_ticket_key(ticket_key, "0123456789abcdef0123456789abcdef")
    except CodecError:
        return
    assert len(key) == 16
