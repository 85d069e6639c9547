"""The webhook's limits: chunked bodies, junk actions, and answering before the work is done."""

from __future__ import annotations

from collections.abc import AsyncIterator
import json
import time
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smartlock_tuya.stays_webhook import (
    MAX_BODY,
    MAX_IGNORED,
    UNKNOWN_ACTION,
    action_summary,
)
from simulators.stays_server import FaultKind, StaysSimulator
from simulators.tuya_lock import SimulatedLock

from .helpers import MARIA, credential, manager_of, pins_on, settle


def _url(entry: MockConfigEntry) -> str:
    return f"/api/webhook/{entry.data['webhook_id']}"


async def _chunks(body: bytes, size: int) -> AsyncIterator[bytes]:
    """The body in pieces, sent without a Content-Length (chunked transfer encoding)."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def test_chunked_body_over_the_limit_is_refused(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    hass_client: ClientSessionGenerator,
) -> None:
    """A chunked body carries no Content-Length: the limit holds on what is read."""
    maria = credential(started, MARIA)
    await account.cancel_reservation("R-maria")
    padding = "x" * (2 * MAX_BODY)
    body = json.dumps(
        {"action": "reservation.canceled", "payload": {"_id": "R-maria", "pad": padding}}
    ).encode()
    client = await hass_client()
    response = await client.post(_url(started), data=_chunks(body, 8192))
    await settle(hass)
    assert response.status == 413
    assert maria.pin in pins_on(lan_lock)  # nothing acted on the oversized news
    assert list(manager_of(started).store.data.webhooks) == []


async def test_chunked_body_under_the_limit_is_read(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    hass_client: ClientSessionGenerator,
) -> None:
    """A normal notification sent in chunks is taken like any other."""
    maria = credential(started, MARIA)
    await account.cancel_reservation("R-maria")
    body = json.dumps({"action": "reservation.canceled", "payload": {"_id": "R-maria"}}).encode()
    client = await hass_client()
    response = await client.post(_url(started), data=_chunks(body, 7))
    await settle(hass)
    assert response.status == 200
    assert maria.pin not in pins_on(lan_lock)


async def test_unknown_actions_are_not_stored_verbatim(
    hass: HomeAssistant, started: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    """Junk actions leave a fixed word, and only a few lines, in the trail."""
    client = await hass_client()
    huge = "calendar." + "z" * 60_000
    for index in range(3 * MAX_IGNORED):
        action = huge if index % 2 else f"Calendar Rates {index}"
        response = await client.post(_url(started), json={"action": action, "payload": {}})
        assert response.status == 200
        assert await response.json() == {"message": "ignored"}
    response = await client.post(_url(started), json={"action": "calendar.rates", "payload": {}})
    assert await response.json() == {"message": "ignored"}
    trail = list(manager_of(started).store.data.webhooks)
    assert len(trail) == MAX_IGNORED
    assert {line.event for line in trail} == {UNKNOWN_ACTION, "calendar.rates"}
    assert trail[-1].event == "calendar.rates"
    assert sum(len(repr(line)) for line in trail) < 200 * MAX_IGNORED


async def test_unknown_actions_do_not_push_out_real_ones(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    hass_client: ClientSessionGenerator,
) -> None:
    """A flood of junk keeps the line that explains a cancellation."""
    client = await hass_client()
    await account.cancel_reservation("R-maria")
    await client.post(
        _url(started), json={"action": "reservation.canceled", "payload": {"_id": "R-maria"}}
    )
    await settle(hass)
    for _ in range(300):
        await client.post(_url(started), json={"action": "x" * 100, "payload": {}})
    trail = list(manager_of(started).store.data.webhooks)
    assert [line.event for line in trail if line.reservation_id] == ["reservation.canceled"]


async def test_overlong_reservation_id_is_refused(
    hass: HomeAssistant, started: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    """An id no reservation has is refused, not sent to Stays nor stored."""
    client = await hass_client()
    for bad in ("R" * 10_000, "R-\x00maria"):
        response = await client.post(
            _url(started), json={"action": "reservation.modified", "payload": {"_id": bad}}
        )
        assert response.status == 400
    assert list(manager_of(started).store.data.webhooks) == []


async def test_webhook_answers_before_stays_is_asked(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    hass_client: ClientSessionGenerator,
) -> None:
    """Stays is answered at once; the slow re-fetch and the revocation follow (issue 9, 26)."""
    maria = credential(started, MARIA)
    await account.cancel_reservation("R-maria")
    # The first fetch hangs until the client's timeout (1 s in tests), the retry answers.
    account.inject_fault(FaultKind.TIMEOUT, path_prefix="/booking/reservations/R-maria")
    client = await hass_client()
    began = time.monotonic()
    response = await client.post(
        _url(started), json={"action": "reservation.canceled", "payload": {"_id": "R-maria"}}
    )
    answered = time.monotonic() - began
    assert (response.status, await response.json()) == (200, {"message": "accepted"})
    assert answered < 0.8
    assert maria.pin in pins_on(lan_lock)  # not yet: the answer did not wait for the work
    assert list(manager_of(started).store.data.webhooks) == []
    await settle(hass)
    assert maria.pin not in pins_on(lan_lock)
    assert manager_of(started).store.data.webhooks[-1].detail == "applied"


def test_action_summary() -> None:
    """Stays' names are kept as they are; anything else becomes one fixed word."""
    cases: dict[str, Any] = {
        "reservation.modified": "reservation.modified",
        "listing.created": "listing.created",
        "reservation." + "a" * 100: UNKNOWN_ACTION,
        "<script>": UNKNOWN_ACTION,
        "": UNKNOWN_ACTION,
    }
    assert {action: action_summary(action) for action in cases} == cases
