"""Fuzzing Tuya Cloud answers: the cloud backend returns a result or raises a `LockError`.

The answers are handed to the real `CloudBackend` through its `run_blocking` hook, in place
of tinytuya's HTTP call, so every parsing path of the backend sees them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, strategies as st

from custom_components.smartlock_tuya.tuya import LockError, PinRequest, PinWindow
from custom_components.smartlock_tuya.tuya.cloud import CloudBackend, our_name, ref_of

from .profile import FUZZ, UNSHRUNK, anything_or, json_values, numbers

SECRET = "0123456789abcdef0123456789abcdef"


def _ticket_key() -> str:
    """A ticket key the real crypto accepts: a 16-byte key, AES-256-ECB under the secret."""
    padder = padding.PKCS7(128).padder()
    padded = padder.update(b"k" * 16) + padder.finalize()
    encryptor = Cipher(algorithms.AES(SECRET.encode()), modes.ECB()).encryptor()  # noqa: S305
    return (encryptor.update(padded) + encryptor.finalize()).hex()


def _answer(result: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A cloud answer around `result`: successes, failures with codes, and plain junk."""
    return anything_or(
        st.fixed_dictionaries(
            {"success": anything_or(st.booleans())},
            optional={
                "result": result,
                "code": anything_or(st.sampled_from([1004, 1010, 2001, 1000, 2008, 2304, 500])),
                "msg": json_values,
                "t": numbers,
            },
        )
    )


_items = st.lists(
    anything_or(
        st.fixed_dictionaries(
            {},
            optional={
                "id": anything_or(st.integers(0, 10**6)),
                "name": anything_or(st.sampled_from(["SLT00001 Maria", "SLT00002", "other"])),
                "phase": anything_or(st.integers(0, 4)),
                "effective_time": anything_or(numbers),
                "invalid_time": anything_or(numbers),
                "code": json_values,
                "value": json_values,
            },
        )
    ),
    max_size=4,
)
_tickets = st.fixed_dictionaries(
    {},
    optional={
        "ticket_key": anything_or(st.just(_ticket_key())),
        "ticket_id": json_values,
        "id": json_values,
        "offline_temp_password_id": json_values,
        "offline_temp_password": json_values,
    },
)
answers = st.lists(_answer(anything_or(_items) | _tickets), min_size=1, max_size=3)


class _Cloud:
    """tinytuya's Cloud object as the backend uses it, answering from a script."""

    error = None
    token = "token"

    def __init__(self, script: list[Any]) -> None:
        self.script = script

    def cloudrequest(self, url: str, action: str = "GET", post: Any = None) -> Any:
        return self.script.pop(0) if self.script else None


def _backend(script: list[Any], *, offline: bool = False) -> CloudBackend:
    cloud = _Cloud(script)

    async def run(job: Callable[[], Any]) -> Any:
        # The token fetch gets the scripted cloud; every API call reads the next answer.
        return cloud if getattr(job, "__name__", "") == "_make_cloud" else job()

    return CloudBackend(
        device_id="lock-1",
        region="us",
        access_id="access",
        access_secret=SECRET,
        run_blocking=run,
        offline_passwords=offline,
        timeout=5.0,
    )


_REQUEST = PinRequest(
    ref=7,
    pin="123456",
    window=PinWindow(
        starts=datetime(2026, 3, 10, 17, 30, tzinfo=UTC),
        ends=datetime(2026, 3, 10, 17, 30, tzinfo=UTC) + timedelta(days=2),
    ),
    name="Maria",
)


@UNSHRUNK
@given(script=answers, offline=st.booleans())
def test_cloud_answers(script: list[Any], offline: bool) -> None:
    """Status, listing, creating and deleting each end in a result or a `LockError`."""

    async def exercise() -> None:
        operations = (
            lambda backend: backend.status(),
            lambda backend: backend.list_pins(),
            lambda backend: backend.create_pin(_REQUEST),
            lambda backend: backend.delete_pin("42", 7),
        )
        for operation in operations:
            with contextlib.suppress(LockError):
                await operation(_backend(list(script), offline=offline))

    asyncio.run(exercise())


@FUZZ
@given(st.integers(0, 99_999), st.text(max_size=40), st.text(max_size=40))
def test_password_names(ref: int, label: str, other: str) -> None:
    """Our names read back as our reference; anyone else's name is never taken for ours."""
    assert ref_of(our_name(ref, label)) == ref
    found = ref_of(other)
    assert found is None or other.startswith(f"SLT{found:05d}")
