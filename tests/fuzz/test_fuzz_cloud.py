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
import pytest

from custom_components.smartlock_tuya.tuya import CredentialRequest, CredentialWindow, LockError
from custom_components.smartlock_tuya.tuya.cloud import (
    CloudBackend,
    OfflineCredentialStillValidError,
    our_name,
    ref_of,
)

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


_REQUEST = CredentialRequest(
    ref=7,
    pin="123456",
    window=CredentialWindow(
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
            lambda backend: backend.list_credentials(),
            lambda backend: backend.create_credential(_REQUEST),
            lambda backend: backend.delete_credential("42", 7),
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


def _ok(result: Any) -> dict[str, Any]:
    return {"success": True, "result": result}


_GATEWAY_LOCK = _ok({"sub": True, "category": "ms"})
_OUR_RECORD = {
    "name": our_name(7, "Maria"),
    "effective_time": _REQUEST.window.start_ts,
    "invalid_time": _REQUEST.window.end_ts,
    "phase": 1,
}


async def _outcome(operation: Callable[[CloudBackend], Any], script: list[Any]) -> Any:
    """What the operation returns, or the error it raises, on these answers."""
    try:
        return await operation(_backend(script))
    except Exception as err:  # noqa: BLE001 - the error itself is what is checked
        return err


@pytest.mark.parametrize(
    ("operation", "script"),
    [
        # Found by the long run (2026-12-07): a "success" whose list is a number.
        pytest.param(lambda b: b.list_credentials(), [_ok(-6801)], id="list-is-a-number"),
        pytest.param(
            lambda b: b.create_credential(_REQUEST),
            [_GATEWAY_LOCK, _ok("x")],
            id="create-list-is-text",
        ),
        pytest.param(
            lambda b: b.create_credential(_REQUEST),
            [_GATEWAY_LOCK, _ok([]), _ok(None)],
            id="ticket-is-null",
        ),
        pytest.param(
            lambda b: b.create_credential(_REQUEST),
            [_GATEWAY_LOCK, _ok([]), _ok({"ticket_key": _ticket_key()})],
            id="ticket-without-id",
        ),
        pytest.param(
            lambda b: b.create_credential(_REQUEST),
            [_GATEWAY_LOCK, _ok([]), _ok({"ticket_key": _ticket_key(), "ticket_id": "t"}), _ok({})],
            id="created-without-id",
        ),
        pytest.param(
            lambda b: b.create_credential(_REQUEST),
            [_GATEWAY_LOCK, _ok([]), _ok({"ticket_key": _ticket_key(), "ticket_id": "t"}), _ok(3)],
            id="created-is-a-number",
        ),
        pytest.param(lambda b: b.delete_credential("abc", 7), [], id="stored-id-not-a-number"),
    ],
)
def test_malformed_answers_are_lock_errors(
    operation: Callable[[CloudBackend], Any], script: list[Any]
) -> None:
    """Lists, tickets and ids of the wrong shape are typed lock errors, not crashes."""
    assert isinstance(asyncio.run(_outcome(operation, script)), LockError)


@pytest.mark.parametrize("bad_id", [None, "abc", True, [1], -3], ids=repr)
def test_passwords_without_a_usable_id_are_passed_over(bad_id: Any) -> None:
    """Ours by name but with no id to delete it by: not listed, and never adopted."""
    record = {**_OUR_RECORD, "id": bad_id}
    assert asyncio.run(_outcome(lambda b: b.list_credentials(), [_ok([record])])) == []
    created = asyncio.run(
        _outcome(
            lambda b: b.create_credential(_REQUEST),
            [
                _GATEWAY_LOCK,
                _ok([record]),
                _ok({"ticket_key": _ticket_key(), "ticket_id": "t"}),
                _ok({"id": 81}),
                _ok({"delivery_status": 2}),
            ],
        )
    )
    assert not isinstance(created, Exception)
    assert created.lock_pin_id == "81"  # a new password, not the unusable one


@pytest.mark.parametrize("end", ["\u00b2", "9" * 30, ""], ids=["superscript", "huge", "none"])
def test_offline_ids_with_an_unreadable_end_still_refuse_the_revoke(end: str) -> None:
    """A stored offline id whose end cannot be read counts as still working: no crash."""
    outcome = asyncio.run(
        _outcome(lambda b: b.delete_credential(f"offline:77:{end}", 7), [_ok(None)])
    )
    assert isinstance(outcome, OfflineCredentialStillValidError)
