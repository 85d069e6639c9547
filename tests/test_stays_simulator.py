"""The Stays simulator itself: its control API, webhooks, fault injection, sample data and CLI."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
import re
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
import pytest

from simulators import stays_server
from simulators.stays import account
from simulators.stays.faults import Fault
from simulators.stays_server import (
    FaultKind,
    RecordedRequest,
    StaysSimulator,
    load_sample_account,
    main,
)

from .conftest import CLIENT_ID, CLIENT_SECRET, TODAY
from .helpers import serve_app

API = "/external/v1"
# HTTP Basic spelled out here, independent of the client under test.
AUTH = {
    "Authorization": "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
}
STAMP = re.compile(r"2026-03-10T15:\d\d:\d\d\.\d{3}Z")
OBJECT_ID = re.compile(r"[0-9a-f]{24}")
SHORT_ID = re.compile(r"[A-Z0-9]{5}")


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP session for the control API and raw API calls."""
    async with aiohttp.ClientSession() as http:
        yield http


@dataclass
class Receiver:
    """A webhook endpoint that records what it is sent."""

    url: str = ""
    status: int = 200
    bodies: list[Any] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)


@pytest.fixture
async def receiver(socket_enabled: None) -> AsyncIterator[Receiver]:
    """A webhook receiver on loopback."""
    hooks = Receiver()

    async def hook(request: web.Request) -> web.Response:
        hooks.content_types.append(request.content_type)
        hooks.bodies.append(await request.json())
        return web.Response(status=hooks.status)

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with serve_app(app) as url:
        hooks.url = f"{url}/hook"
        yield hooks


async def _call(
    session: aiohttp.ClientSession,
    stays: StaysSimulator,
    method: str,
    path: str,
    body: Any = None,
    *,
    data: bytes | str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """Call the simulator; returns the status and the decoded JSON body (None when empty)."""
    async with session.request(
        method,
        stays.url + path,
        json=body if data is None else None,
        data=data,
        headers=headers,
    ) as response:
        text = await response.text()
        return response.status, (None if not text else await response.json())


async def _state(session: aiohttp.ClientSession, stays: StaysSimulator) -> dict[str, Any]:
    status, state = await _call(session, stays, "GET", "/_sim/state")
    assert status == 200
    return dict(state)


async def _api(session: aiohttp.ClientSession, stays: StaysSimulator, path: str) -> tuple[int, Any]:
    return await _call(session, stays, "GET", API + path, headers=AUTH)


async def _ok(session: aiohttp.ClientSession, stays: StaysSimulator, path: str) -> Any:
    status, body = await _api(session, stays, path)
    assert status == 200, body
    return body


def _reservation_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "listing_id": "L-1",
        "check_in": "2026-03-12",
        "check_out": "2026-03-15",
        "guest_name": "Maria Silva",
        "reservation_id": "R-1",
        "short_id": "MS001",
    }
    body.update(changes)
    return body


# -- control API ------------------------------------------------------------------------------


async def test_control_add_listing(stays: StaysSimulator, session: aiohttp.ClientSession) -> None:
    """A listing made over HTTP is served by the API, with its booking settings."""
    status, listing = await _call(
        session,
        stays,
        "POST",
        "/_sim/listings",
        {
            "name": "Studio Copa",
            "listing_id": "L-copa",
            "short_id": "SC001",
            "check_in_time": "14:00",
            "check_out_time": "10:30",
            "city": "Rio de Janeiro",
        },
    )
    assert status == 201
    assert listing == {
        "_id": "L-copa",
        "id": "SC001",
        "internalName": "Studio Copa",
        "_mstitle": {"pt_BR": "Studio Copa", "en_US": "Studio Copa"},
        "status": "active",
        "address": {"city": "Rio de Janeiro", "state": "RJ", "countryCode": "BR"},
    }
    assert await _api(session, stays, "/content/listings/SC001") == (200, listing)
    assert await _api(session, stays, "/settings/listing/L-copa/booking") == (
        200,
        {"checkInTime": "14:00", "checkOutTime": "10:30"},
    )

    status, minimal = await _call(session, stays, "POST", "/_sim/listings", {"name": "Casa"})
    assert status == 201
    assert OBJECT_ID.fullmatch(minimal["_id"])
    assert SHORT_ID.fullmatch(minimal["id"])
    assert minimal["address"] == {"city": "Florianópolis", "state": "SC", "countryCode": "BR"}
    assert await _api(session, stays, f"/settings/listing/{minimal['id']}/booking") == (
        200,
        {"checkInTime": "15:00", "checkOutTime": "11:00"},
    )
    listings = await _ok(session, stays, "/content/listings")
    assert [item["_id"] for item in listings] == ["L-copa", minimal["_id"]]


async def test_control_add_reservation(
    stays: StaysSimulator, session: aiohttp.ClientSession
) -> None:
    """A reservation made over HTTP has Stays' shape, a guest record and contact data."""
    stays.add_listing(name="Casa", listing_id="L-1")
    status, record = await _call(
        session,
        stays,
        "POST",
        "/_sim/reservations",
        _reservation_body(
            phone="+5511999998888",
            email="maria@example.com",
            check_in_time="16:00",
            check_out_time="10:00",
            partner="API booking.com",
            created="2026-02-01",
            guests=3,
        ),
    )
    assert status == 201
    assert record["_id"] == "R-1"
    assert record["id"] == "MS001"
    assert record["type"] == "booked"
    assert (record["checkInDate"], record["checkOutDate"]) == ("2026-03-12", "2026-03-15")
    assert (record["checkInTime"], record["checkOutTime"]) == ("16:00", "10:00")
    assert record["creationDate"] == "2026-02-01"
    assert record["_idlisting"] == "L-1"
    assert record["guests"] == 3
    assert record["guestsDetails"] == {
        "adults": 3,
        "children": 0,
        "infants": 0,
        "list": [
            {
                "type": "adult",
                "name": "Maria Silva",
                "primary": True,
                "phones": [{"iso": "+5511999998888"}],
                "email": "maria@example.com",
            }
        ],
    }
    assert record["partner"]["name"] == "API booking.com"
    assert re.fullmatch(r"\d{10}", record["partnerCode"])
    assert record["price"] == {"currency": "BRL", "_f_total": round(3 * 389.9 + 150, 2)}
    assert record["reservationUrl"] == f"{stays.url}/i/reservation/MS001"

    status, client = await _api(session, stays, f"/booking/clients/{record['_idclient']}")
    assert status == 200
    assert client == {
        "_id": record["_idclient"],
        "name": "Maria Silva",
        "fName": "Maria",
        "lName": "Silva",
        "email": "maria@example.com",
        "phones": [{"iso": "+5511999998888"}],
    }
    assert await _api(session, stays, "/booking/reservations/MS001") == (200, record)
    state = await _state(session, stays)
    assert (state["listings"], state["clients"], state["reservations"]) == (1, 1, 1)


async def test_reservation_defaults(stays: StaysSimulator) -> None:
    """Defaults: booked, airbnb, created today or at arrival if earlier, no times."""
    stays.add_listing(name="Casa", listing_id="L-1", short_id="CASA1")
    future = await stays.add_reservation(
        listing_id="CASA1", check_in=TODAY + timedelta(days=5), check_out=TODAY + timedelta(6)
    )
    past = await stays.add_reservation(
        listing_id="L-1",
        check_in=TODAY - timedelta(days=3),
        check_out=TODAY,
        partner="Website",
        phone=None,
        guest_name="Solo",
    )
    assert future["creationDate"] == TODAY.isoformat()
    assert past["creationDate"] == (TODAY - timedelta(days=3)).isoformat()
    assert future["_idlisting"] == "L-1"
    assert future["type"] == "booked"
    assert future["partner"]["name"] == "API airbnb"
    assert re.fullmatch(r"HM[A-Z0-9]{8}", future["partnerCode"])
    assert re.fullmatch(r"[A-Z0-9]{8}", past["partnerCode"])
    assert future["partner"]["_id"] != past["partner"]["_id"]
    assert "checkInTime" not in future
    assert "checkOutTime" not in future
    assert past["guestsDetails"]["list"][0]["phones"] == []
    assert "email" not in past["guestsDetails"]["list"][0]
    # A same-day stay still costs one night.
    same_day = await stays.add_reservation(listing_id="L-1", check_in=TODAY, check_out=TODAY)
    assert same_day["price"]["_f_total"] == round(389.9 + 150, 2)
    # The same partner keeps one id.
    again = await stays.add_reservation(
        listing_id="L-1", check_in=TODAY, check_out=TODAY, partner="Website"
    )
    assert again["partner"]["_id"] == past["partner"]["_id"]


async def test_control_change_cancel_reactivate_delete(
    stays: StaysSimulator, session: aiohttp.ClientSession
) -> None:
    """PATCH, cancel, reactivate and DELETE change what the API serves."""
    stays.add_listing(name="Casa", listing_id="L-1")
    await _call(session, stays, "POST", "/_sim/reservations", _reservation_body())

    status, changed = await _call(
        session, stays, "PATCH", "/_sim/reservations/MS001", {"checkOutDate": "2026-03-20"}
    )
    assert status == 200
    assert changed["checkOutDate"] == "2026-03-20"
    status, unchanged = await _call(session, stays, "PATCH", "/_sim/reservations/R-1")
    assert status == 200
    assert unchanged == changed

    status, canceled = await _call(session, stays, "POST", "/_sim/reservations/R-1/cancel")
    assert (status, canceled["type"]) == (200, "canceled")
    window = "/booking/reservations?from=2026-03-01&to=2026-03-31"
    assert await _api(session, stays, window) == (200, [])
    with_canceled = await _ok(session, stays, window + "&type=canceled")
    assert [r["_id"] for r in with_canceled] == ["R-1"]

    status, back = await _call(session, stays, "POST", "/_sim/reservations/R-1/reactivate")
    assert (status, back["type"]) == (200, "booked")
    status, back = await _call(
        session, stays, "POST", "/_sim/reservations/MS001/reactivate", {"type": "reserved"}
    )
    assert (status, back["type"]) == (200, "reserved")
    listed = await _ok(session, stays, window)
    assert [r["_id"] for r in listed] == ["R-1"]

    assert await _call(session, stays, "DELETE", "/_sim/reservations/R-1") == (204, None)
    status, body = await _api(session, stays, "/booking/reservations/R-1")
    assert (status, body) == (404, {"message": "Reservation not found"})
    assert (await _state(session, stays))["reservations"] == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/_sim/reservations/nope"),
        ("POST", "/_sim/reservations/nope/cancel"),
        ("POST", "/_sim/reservations/nope/reactivate"),
        ("DELETE", "/_sim/reservations/nope"),
    ],
)
async def test_control_unknown_reservation(
    stays: StaysSimulator, session: aiohttp.ClientSession, method: str, path: str
) -> None:
    """Changing a reservation that does not exist is a 404 with a message."""
    assert await _call(session, stays, method, path) == (
        404,
        {"message": "unknown reservation nope"},
    )


async def test_control_faults(stays: StaysSimulator, session: aiohttp.ClientSession) -> None:
    """Faults added over HTTP hit only their path prefix, count down, and can be cleared."""
    stays.add_listing(name="Casa", listing_id="L-1")
    status, body = await _call(
        session,
        stays,
        "POST",
        "/_sim/faults",
        {"kind": "SERVER_ERROR", "count": 2, "path_prefix": f"{API}/content/listings/"},
    )
    assert (status, body) == (201, {"pending_faults": 1})
    status, body = await _call(
        session, stays, "POST", "/_sim/faults", {"kind": "rate_limited", "retry_after": 1.5}
    )
    assert (status, body) == (201, {"pending_faults": 2})

    assert (await _api(session, stays, "/content/listings"))[0] == 429  # second fault, any path
    assert await _api(session, stays, "/content/listings/L-1") == (
        500,
        {"message": "Internal Server Error"},
    )
    assert (await _api(session, stays, "/content/listings/L-1"))[0] == 500
    assert (await _api(session, stays, "/content/listings/L-1"))[0] == 200
    assert (await _state(session, stays))["pending_faults"] == 0

    await _call(session, stays, "POST", "/_sim/faults", {"kind": "timeout", "count": 5})
    assert (await _state(session, stays))["pending_faults"] == 1
    assert await _call(session, stays, "DELETE", "/_sim/faults") == (204, None)
    assert (await _state(session, stays))["pending_faults"] == 0
    assert (await _api(session, stays, "/content/listings"))[0] == 200


async def test_rate_limit_header(stays: StaysSimulator, session: aiohttp.ClientSession) -> None:
    """Only a 429 carries Retry-After, formatted as a plain number."""
    stays.inject_fault(FaultKind.RATE_LIMITED, retry_after=2.0)
    stays.inject_fault(FaultKind.RATE_LIMITED)
    stays.inject_fault(FaultKind.SERVER_ERROR, retry_after=3.0)
    for expected_status, expected_header in [(429, "2"), (429, None), (500, None)]:
        async with session.get(stays.api_url + "/content/listings", headers=AUTH) as response:
            assert response.status == expected_status
            assert response.headers.get("Retry-After") == expected_header
            assert (await response.json())["message"]


@pytest.mark.parametrize(
    ("kind", "status", "content_type"),
    [
        (FaultKind.UNAUTHORIZED, 401, "application/json"),
        (FaultKind.FORBIDDEN, 403, "application/json"),
        (FaultKind.NOT_FOUND, 404, "application/json"),
        (FaultKind.BAD_GATEWAY, 502, "text/html"),
        (FaultKind.MALFORMED_JSON, 200, "application/json"),
    ],
)
async def test_fault_responses(
    stays: StaysSimulator,
    session: aiohttp.ClientSession,
    kind: FaultKind,
    status: int,
    content_type: str,
) -> None:
    """Each HTTP fault looks like what a real server or proxy would send."""
    stays.inject_fault(kind, path_prefix="booking")
    async with session.get(stays.api_url + "/booking/clients", headers=AUTH) as response:
        assert response.status == status
        assert response.content_type == content_type
        text = await response.text()
    if kind is FaultKind.BAD_GATEWAY:
        assert "502 Bad Gateway" in text
    elif kind is FaultKind.MALFORMED_JSON:
        assert text == '{"_id": '
    else:
        assert '"message"' in text
    assert stays.requests[-1] == RecordedRequest("GET", f"{API}/booking/clients", ())
    assert stays.requests[-1].api_path == "/booking/clients"


async def test_wrong_shape_fault(stays: StaysSimulator, session: aiohttp.ClientSession) -> None:
    """A wrong shape is an object for list paths and a list for single records."""
    stays.add_listing(name="Casa", listing_id="L-1")
    stays.inject_fault(FaultKind.WRONG_SHAPE, count=3)
    assert await _api(session, stays, "/content/listings/") == (200, {"unexpected": True})
    assert await _api(session, stays, "/booking/reservations") == (200, {"unexpected": True})
    assert await _api(session, stays, "/content/listings/L-1") == (200, [{"unexpected": True}])


async def test_timeout_fault_then_answers(
    stays: StaysSimulator, session: aiohttp.ClientSession
) -> None:
    """A stalled request still gets its normal answer if the caller waits long enough."""
    stays.add_listing(name="Casa", listing_id="L-1")
    stays.timeout_delay = 0.05
    stays.inject_fault(FaultKind.TIMEOUT)
    status, listings = await _api(session, stays, "/content/listings")
    assert status == 200
    assert [item["_id"] for item in listings] == ["L-1"]


async def test_disconnect_fault(stays: StaysSimulator, socket_enabled: None) -> None:
    """A dropped connection reaches the caller as a disconnect, not as a response."""
    stays.inject_fault(FaultKind.DISCONNECT, count=2)
    async with aiohttp.ClientSession() as fresh:
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await _api(fresh, stays, "/content/listings")
    assert len(stays.requests) == 2


async def test_disconnect_without_connection(stays: StaysSimulator) -> None:
    """A dropped connection whose transport is already gone is still handled quietly."""
    request = make_mocked_request("GET", f"{API}/content/listings")
    request.protocol.transport = None  # the peer hung up before the fault was served
    fault = Fault(FaultKind.DISCONNECT, remaining=1, path_prefix="", retry_after=None)
    response = await stays._fault_response(request, fault)
    assert response is not None
    assert response.status == 200


async def test_api_handler_bug_is_a_server_error(
    stays: StaysSimulator, session: aiohttp.ClientSession
) -> None:
    """An inconsistency inside an API handler is a 500, not disguised as a client error."""
    stays.add_listing(name="Casa", listing_id="L-1")
    del stays._booking_settings["L-1"]
    async with session.get(f"{stays.api_url}/settings/listing/L-1/booking", headers=AUTH) as answer:
        assert answer.status == 500


@pytest.mark.parametrize(
    "header",
    [
        {},
        {"Authorization": "Bearer abc"},
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Basic ÿÿ"},
        {"Authorization": "Basic dGVzdC1jbGllbnQ6d3Jvbmc="},  # test-client:wrong
    ],
)
async def test_api_requires_credentials(
    stays: StaysSimulator, session: aiohttp.ClientSession, header: dict[str, str]
) -> None:
    """Anything but the account's Basic credentials is a 401, and is still recorded."""
    async with session.get(stays.api_url + "/content/listings", headers=header) as response:
        assert response.status == 401
        assert await response.json() == {"message": "Unauthorized"}
    assert len(stays.requests) == 1


async def test_credentials_can_be_rotated(
    stays: StaysSimulator, session: aiohttp.ClientSession
) -> None:
    """Changing the secret revokes the old one, as a revoked key would."""
    assert (await _api(session, stays, "/content/listings"))[0] == 200
    stays.client_secret = "rotated"
    assert (await _api(session, stays, "/content/listings"))[0] == 401


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "'from' is required as YYYY-MM-DD"),
        ("from=2026-03-01", "'to' is required as YYYY-MM-DD"),
        ("from=2026-03-01&to=2026-3-31", "'to' is required as YYYY-MM-DD"),
        ("from=2026-02-30&to=2026-03-31", "'from' is required as YYYY-MM-DD"),
        ("from=2026-03-01&to=2026-03-31&dateType=soon", "'dateType' must be one of"),
        ("from=2026-03-01&to=2026-03-31&skip=x", "'skip' must be a non-negative integer"),
        ("from=2026-03-01&to=2026-03-31&skip=%C2%B2", "'skip' must be a non-negative integer"),
        ("from=2026-03-01&to=2026-03-31&limit=0", "'limit' must be between 1 and 20"),
        ("from=2026-03-01&to=2026-03-31&limit=21", "'limit' must be between 1 and 20"),
    ],
)
async def test_api_bad_queries(
    stays: StaysSimulator, session: aiohttp.ClientSession, query: str, message: str
) -> None:
    """Bad list queries are a 400 with Stays' `{"message"}` body."""
    status, body = await _api(session, stays, f"/booking/reservations?{query}")
    assert status == 400
    assert body["message"].startswith(message)


async def test_api_unknown_path_and_method(
    stays: StaysSimulator, session: aiohttp.ClientSession
) -> None:
    """Unknown paths and methods answer JSON errors, under the API and the control API."""
    assert await _api(session, stays, "/no/such/thing") == (404, {"message": "Not Found"})
    assert await _call(session, stays, "GET", "/_sim/nothing") == (404, {"message": "Not Found"})
    assert await _call(session, stays, "GET", "/_sim/faults") == (
        405,
        {"message": "Method Not Allowed"},
    )


async def test_api_lists_hide_contacts(
    stays: StaysSimulator, session: aiohttp.ClientSession
) -> None:
    """Lists drop guests' phones and e-mails but keep everything else, even in odd records."""
    stays.add_listing(name="Casa", listing_id="L-1")
    await stays.add_reservation(
        listing_id="L-1",
        check_in=date(2026, 3, 10),
        check_out=date(2026, 3, 12),
        email="maria@example.com",
        reservation_id="R-1",
    )
    odd = {"_id": "R-odd", "checkInDate": "junk", "guestsDetails": {"list": ["text", {"a": 1}]}}
    stays.add_raw_reservation(odd)
    stays.add_raw_reservation({"_id": "R-odd2", "guestsDetails": "none"})
    status, listed = await _api(
        session, stays, "/booking/reservations?from=2026-03-01&to=2026-03-31"
    )
    assert status == 200
    by_id = {r["_id"]: r for r in listed}
    assert by_id["R-1"]["guestsDetails"]["list"] == [
        {"type": "adult", "name": "Maria Silva", "primary": True}
    ]
    assert by_id["R-odd"] == odd
    assert by_id["R-odd2"] == {"_id": "R-odd2", "guestsDetails": "none"}
    # The stored record keeps its contacts.
    single = await _ok(session, stays, "/booking/reservations/R-1")
    assert single["guestsDetails"]["list"][0]["email"] == "maria@example.com"


async def test_api_lists_sort_and_filter(
    stays: StaysSimulator, session: aiohttp.ClientSession
) -> None:
    """Lists are sorted by arrival then id, and paged with skip and limit."""
    stays.add_listing(name="Casa", listing_id="L-1")
    for reservation_id, day in [("R-c", 12), ("R-b", 10), ("R-a", 12), ("R-d", 1)]:
        await stays.add_reservation(
            listing_id="L-1",
            check_in=date(2026, 3, day),
            check_out=date(2026, 3, day + 1),
            reservation_id=reservation_id,
        )
    base = "/booking/reservations?from=2026-03-05&to=2026-03-31"
    listed = await _ok(session, stays, base)
    assert [r["_id"] for r in listed] == ["R-b", "R-a", "R-c"]
    listed = await _ok(session, stays, base + "&skip=1&limit=1")
    assert [r["_id"] for r in listed] == ["R-a"]
    listed = await _ok(session, stays, base + "&listingId=L-2")
    assert listed == []
    listed = await _ok(session, stays, base + "&dateType=creation")
    assert [r["_id"] for r in listed] == ["R-b", "R-a", "R-c"]  # R-d was created Mar 1
    assert stays.requests[1].query == (
        ("from", "2026-03-05"),
        ("to", "2026-03-31"),
        ("skip", "1"),
        ("limit", "1"),
    )


async def test_control_state_and_webhook_url(
    stays: StaysSimulator, session: aiohttp.ClientSession
) -> None:
    """The state counts everything, and PUT /_sim/webhook sets or clears the URL."""
    stays.add_listing(name="Casa", listing_id="L-1")
    stays.add_client(name="Someone")
    await _api(session, stays, "/content/listings")
    assert await _state(session, stays) == {
        "listings": 1,
        "clients": 1,
        "reservations": 0,
        "requests": 1,
        "pending_faults": 0,
        "webhook_url": None,
    }
    assert await _call(session, stays, "PUT", "/_sim/webhook", {"url": "http://127.0.0.1:1/x"}) == (
        200,
        {"url": "http://127.0.0.1:1/x"},
    )
    assert stays.webhook_url == "http://127.0.0.1:1/x"
    assert (await _state(session, stays))["webhook_url"] == "http://127.0.0.1:1/x"
    assert await _call(session, stays, "PUT", "/_sim/webhook", {"url": ""}) == (200, {"url": None})
    await _call(session, stays, "PUT", "/_sim/webhook", {"url": "http://127.0.0.1:1/x"})
    assert await _call(session, stays, "PUT", "/_sim/webhook", {"url": None}) == (
        200,
        {"url": None},
    )
    assert stays.webhook_url is None
    assert stays.requests == [RecordedRequest("GET", f"{API}/content/listings", ())]


BAD_BODIES: list[tuple[str, str, Any]] = [
    # (method, path, body: dict/list = JSON, bytes/str = raw data, None = no body)
    ("POST", "/_sim/listings", b"{"),
    ("POST", "/_sim/listings", b"\xff\xfe"),
    ("POST", "/_sim/listings", [{"name": "x"}]),
    ("POST", "/_sim/listings", "null"),
    ("POST", "/_sim/listings", None),
    ("POST", "/_sim/listings", {}),
    ("POST", "/_sim/listings", {"name": 5}),
    ("POST", "/_sim/listings", {"name": "x", "bogus": 1}),
    ("POST", "/_sim/listings", {"name": "x", "check_in_time": "25:00"}),
    ("POST", "/_sim/listings", {"name": "x", "check_out_time": "9:00"}),
    ("POST", "/_sim/listings", {"name": "x", "check_in_time": None}),
    ("POST", "/_sim/listings", {"name": "x", "listing_id": "L-1"}),
    ("POST", "/_sim/listings", {"name": "x", "city": ["Rio"]}),
    ("POST", "/_sim/reservations", {}),
    ("POST", "/_sim/reservations", {"listing_id": "L-1"}),
    ("POST", "/_sim/reservations", _reservation_body(listing_id="nope")),
    ("POST", "/_sim/reservations", _reservation_body(check_in="2026-3-12")),
    ("POST", "/_sim/reservations", _reservation_body(check_in="2026-02-30")),
    ("POST", "/_sim/reservations", _reservation_body(check_in=20260312)),
    ("POST", "/_sim/reservations", _reservation_body(check_out="2026-03-11")),
    ("POST", "/_sim/reservations", _reservation_body(created="yesterday")),
    ("POST", "/_sim/reservations", _reservation_body(guests=-1)),
    ("POST", "/_sim/reservations", _reservation_body(guests="2")),
    ("POST", "/_sim/reservations", _reservation_body(guests=True)),
    ("POST", "/_sim/reservations", _reservation_body(guests=2.0)),
    ("POST", "/_sim/reservations", _reservation_body(type="vacation")),
    ("POST", "/_sim/reservations", _reservation_body(check_in_time="9:00")),
    ("POST", "/_sim/reservations", _reservation_body(check_out_time="11h")),
    ("POST", "/_sim/reservations", _reservation_body(reservation_id="R-0")),
    ("POST", "/_sim/reservations", _reservation_body(reservation_id="SHORT")),
    ("POST", "/_sim/reservations", _reservation_body(reservation_id="R-9", short_id="SHORT")),
    ("POST", "/_sim/listings", {"name": "x", "listing_id": "L-9", "short_id": "SHORT"}),
    ("POST", "/_sim/reservations", _reservation_body(phone=5511)),
    ("POST", "/_sim/reservations", _reservation_body(unknown="x")),
    ("PATCH", "/_sim/reservations/R-0", [1, 2]),
    ("PATCH", "/_sim/reservations/R-0", b"not json"),
    ("POST", "/_sim/reservations/R-0/reactivate", {"type": "canceled"}),
    ("POST", "/_sim/reservations/R-0/reactivate", {"type": "vacation"}),
    ("POST", "/_sim/reservations/R-0/reactivate", {"type": 5}),
    ("POST", "/_sim/reservations/R-0/reactivate", {"kind": "booked"}),
    ("POST", "/_sim/faults", None),
    ("POST", "/_sim/faults", {}),
    ("POST", "/_sim/faults", {"kind": "meteor"}),
    ("POST", "/_sim/faults", {"kind": 5}),
    ("POST", "/_sim/faults", {"kind": "timeout", "count": 0}),
    ("POST", "/_sim/faults", {"kind": "timeout", "count": -2}),
    ("POST", "/_sim/faults", {"kind": "timeout", "count": True}),
    ("POST", "/_sim/faults", {"kind": "timeout", "count": 1.5}),
    ("POST", "/_sim/faults", {"kind": "rate_limited", "retry_after": -1}),
    ("POST", "/_sim/faults", {"kind": "rate_limited", "retry_after": "5"}),
    ("POST", "/_sim/faults", {"kind": "timeout", "path_prefix": None}),
    ("POST", "/_sim/faults", {"kind": "timeout", "extra": 1}),
    ("PUT", "/_sim/webhook", None),
    ("PUT", "/_sim/webhook", {}),
    ("PUT", "/_sim/webhook", {"url": 5}),
    ("PUT", "/_sim/webhook", {"url": ["http://x"]}),
    ("PUT", "/_sim/webhook", ["http://x"]),
]


@pytest.mark.parametrize(("method", "path", "body"), BAD_BODIES)
async def test_control_bad_bodies(
    stays: StaysSimulator, session: aiohttp.ClientSession, method: str, path: str, body: Any
) -> None:
    """A bad control body is a 400 with a message, and changes nothing."""
    stays.add_listing(name="Casa", listing_id="L-1")
    await stays.add_reservation(
        listing_id="L-1",
        check_in=date(2026, 3, 1),
        check_out=date(2026, 3, 2),
        reservation_id="R-0",
        short_id="SHORT",
        type="canceled",
    )
    before = await _state(session, stays)
    reservation_before = await _api(session, stays, "/booking/reservations/R-0")
    if isinstance(body, bytes | str):
        status, answer = await _call(
            session, stays, method, path, data=body, headers={"Content-Type": "application/json"}
        )
    else:
        status, answer = await _call(session, stays, method, path, body)
    assert status == 400
    assert isinstance(answer["message"], str)
    assert answer["message"]
    after = await _state(session, stays)
    assert {k: v for k, v in after.items() if k != "requests"} == {
        k: v for k, v in before.items() if k != "requests"
    }
    assert await _api(session, stays, "/booking/reservations/R-0") == reservation_before


# -- webhooks ---------------------------------------------------------------------------------


async def test_webhooks_for_every_change(
    stays: StaysSimulator, session: aiohttp.ClientSession, receiver: Receiver
) -> None:
    """Every change over the control API posts one Stays-style webhook with the new state."""
    stays.add_listing(name="Casa", listing_id="L-1")
    await _call(session, stays, "PUT", "/_sim/webhook", {"url": receiver.url})

    _, created = await _call(session, stays, "POST", "/_sim/reservations", _reservation_body())
    _, modified = await _call(
        session, stays, "PATCH", "/_sim/reservations/R-1", {"checkOutDate": "2026-03-16"}
    )
    _, canceled = await _call(session, stays, "POST", "/_sim/reservations/R-1/cancel")
    _, reactivated = await _call(
        session, stays, "POST", "/_sim/reservations/R-1/reactivate", {"type": "contract"}
    )
    await _call(session, stays, "DELETE", "/_sim/reservations/R-1")

    assert [body["action"] for body in receiver.bodies] == [
        "reservation.created",
        "reservation.modified",
        "reservation.canceled",
        "reservation.reactivated",
        "reservation.deleted",
    ]
    for body in receiver.bodies:
        assert set(body) == {"action", "_dt", "payload"}
        assert STAMP.fullmatch(body["_dt"]), body["_dt"]
    assert set(receiver.content_types) == {"application/json"}
    payloads = [body["payload"] for body in receiver.bodies]
    assert payloads[:4] == [created, modified, canceled, reactivated]
    assert payloads[1]["checkOutDate"] == "2026-03-16"
    assert payloads[2]["type"] == "canceled"
    assert payloads[3]["type"] == "contract"
    assert payloads[4] == {
        "_id": "R-1",
        "_idlisting": "L-1",
        "from": "2026-03-12",
        "to": "2026-03-16",
    }
    assert stays.webhook_deliveries == [
        ("reservation.created", 200),
        ("reservation.modified", 200),
        ("reservation.canceled", 200),
        ("reservation.reactivated", 200),
        ("reservation.deleted", 200),
    ]


async def test_no_webhooks_without_url(stays: StaysSimulator, receiver: Receiver) -> None:
    """Without a URL nothing is posted, and send_webhook refuses to guess one."""
    stays.add_listing(name="Casa", listing_id="L-1")
    record = await stays.add_reservation(
        listing_id="L-1", check_in=TODAY, check_out=TODAY, reservation_id="R-1"
    )
    await stays.cancel_reservation("R-1")
    await stays.delete_reservation("R-1")
    assert receiver.bodies == []
    assert stays.webhook_deliveries == []
    with pytest.raises(ValueError, match="no webhook URL"):
        await stays.send_webhook("reservation.created", record)


async def test_webhook_payload_is_a_copy(stays: StaysSimulator, receiver: Receiver) -> None:
    """What the caller gets back is a copy; changing it does not change the account."""
    stays.add_listing(name="Casa", listing_id="L-1")
    stays.webhook_url = receiver.url
    record = await stays.add_reservation(
        listing_id="L-1", check_in=TODAY, check_out=TODAY, reservation_id="R-1"
    )
    record["type"] = "blocked"
    record["guestsDetails"]["list"][0]["name"] = "Changed"
    changed = await stays.change_reservation("R-1", guests=4)
    assert changed["type"] == "booked"
    assert changed["guestsDetails"]["list"][0]["name"] == "Maria Silva"
    assert receiver.bodies[1]["payload"] == changed


async def test_webhook_delivery_statuses(stays: StaysSimulator, receiver: Receiver) -> None:
    """The receiver's status is recorded; an unreachable one is recorded as 0."""
    receiver.status = 500
    assert await stays.send_webhook("reservation.modified", {"_id": "R-1"}, receiver.url) == 500
    receiver.status = 204
    assert await stays.send_webhook("reservation.modified", {"_id": "R-1"}, receiver.url) == 204
    async with serve_app(web.Application()) as gone:
        pass
    assert await stays.send_webhook("reservation.modified", {"_id": "R-1"}, gone + "/hook") == 0
    assert await stays.send_webhook("reservation.modified", {"_id": "R-1"}, "not a url") == 0
    assert stays.webhook_deliveries == [
        ("reservation.modified", 500),
        ("reservation.modified", 204),
        ("reservation.modified", 0),
        ("reservation.modified", 0),
    ]
    assert [body["payload"] for body in receiver.bodies] == [{"_id": "R-1"}, {"_id": "R-1"}]


async def test_webhook_url_given_overrides_configured(
    stays: StaysSimulator, receiver: Receiver
) -> None:
    """An explicit URL wins over the configured one; non-JSON values are sent as text."""
    stays.webhook_url = "http://127.0.0.1:1/unused"
    status = await stays.send_webhook("reservation.created", {"when": TODAY}, receiver.url)
    assert status == 200
    assert receiver.bodies[0]["payload"] == {"when": "2026-03-10"}


# -- Python API -------------------------------------------------------------------------------


async def test_python_api_refusals(stays: StaysSimulator) -> None:
    """The Python API refuses what the control API maps to 400 and 404."""
    stays.add_listing(name="Casa", listing_id="L-1")
    stays.add_client(name="Ana", client_id="C-1")
    with pytest.raises(ValueError, match="already exists"):
        stays.add_listing(name="Again", listing_id="L-1")
    with pytest.raises(ValueError, match="HH:mm"):
        stays.add_listing(name="Late", check_out_time="24:00")
    with pytest.raises(ValueError, match="already exists"):
        stays.add_client(name="Ana", client_id="C-1")
    with pytest.raises(ValueError, match="unknown listing"):
        await stays.add_reservation(listing_id="L-2", check_in=TODAY, check_out=TODAY)
    with pytest.raises(ValueError, match="nor guests be negative"):
        await stays.add_reservation(listing_id="L-1", check_in=TODAY, check_out=TODAY, guests=-1)
    with pytest.raises(KeyError):
        await stays.change_reservation("R-none", type="booked")
    with pytest.raises(ValueError, match="cannot reactivate"):
        await stays.reactivate_reservation("R-none", type="canceled")
    with pytest.raises(ValueError, match="count must be positive"):
        stays.inject_fault(FaultKind.TIMEOUT, count=0)
    with pytest.raises(ValueError, match="retry_after not negative"):
        stays.inject_fault(FaultKind.RATE_LIMITED, retry_after=-0.5)
    with pytest.raises(ValueError, match="is not a valid FaultKind"):
        stays.inject_fault("meteor")  # type: ignore[arg-type]


async def test_lifecycle(socket_enabled: None) -> None:
    """A simulator starts once, has no URL before, and stops twice without complaint."""
    sim = StaysSimulator()
    assert (sim.client_id, sim.client_secret) == ("demo-client", "demo-secret")
    with pytest.raises(RuntimeError, match="not started"):
        _ = sim.url
    await sim.start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", sim.url)
        assert sim.api_url == sim.url + API
        with pytest.raises(RuntimeError, match="already started"):
            await sim.start()
    finally:
        await sim.stop()
    await sim.stop()


async def test_ipv6_url(socket_enabled: None) -> None:
    """An IPv6 host is bracketed in the URL."""
    sim = StaysSimulator()
    try:
        await sim.start("::1")
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        assert re.fullmatch(r"http://\[::1\]:\d+", sim.url)
    finally:
        await sim.stop()


def test_short_ids_never_collide(monkeypatch: pytest.MonkeyPatch) -> None:
    """A random short id already taken is drawn again; a wanted one is used as given."""
    draws = iter(["AAAAA", "AAAAA", "AAAAA", "BBBBB"])
    monkeypatch.setattr(account, "_random_code", lambda *_: next(draws))
    sim = StaysSimulator()
    assert sim.add_listing(name="One")["id"] == "AAAAA"
    assert sim.add_listing(name="Two")["id"] == "BBBBB"
    assert sim.add_listing(name="Three", short_id="CCCCC")["id"] == "CCCCC"


async def _generated(seed: int) -> list[Any]:
    sim = StaysSimulator(seed=seed)
    listing = sim.add_listing(name="Casa")
    record = await sim.add_reservation(
        listing_id=listing["_id"], check_in=TODAY, check_out=TODAY, partner="API booking.com"
    )
    return [listing["_id"], listing["id"], record["_id"], record["id"], record["partnerCode"]]


async def test_seed_makes_accounts_repeatable() -> None:
    """The same seed gives the same generated ids and codes; another seed gives others."""
    first = await _generated(7)
    assert await _generated(7) == first
    other = await _generated(8)
    assert all(a != b for a, b in zip(first, other, strict=True))
    assert OBJECT_ID.fullmatch(first[0])
    assert SHORT_ID.fullmatch(first[1])
    assert re.fullmatch(r"\d{10}", first[4])


async def test_remove_listing(stays: StaysSimulator, session: aiohttp.ClientSession) -> None:
    """A removed listing and its settings are gone from the API; its reservations stay."""
    stays.add_listing(name="Casa", listing_id="L-1", short_id="CASA1")
    stays.add_listing(name="Loft", listing_id="L-2")
    await stays.add_reservation(
        listing_id="L-1", check_in=TODAY, check_out=TODAY, reservation_id="R-1"
    )
    stays.remove_listing("L-1")
    listings = await _ok(session, stays, "/content/listings")
    assert [item["_id"] for item in listings] == ["L-2"]
    assert (await _api(session, stays, "/content/listings/CASA1"))[0] == 404
    assert await _api(session, stays, "/settings/listing/L-1/booking") == (
        404,
        {"message": "Listing not found"},
    )
    assert (await _api(session, stays, "/booking/reservations/R-1"))[0] == 200
    with pytest.raises(KeyError):
        stays.remove_listing("L-1")
    with pytest.raises(ValueError, match="unknown listing"):
        await stays.add_reservation(listing_id="L-1", check_in=TODAY, check_out=TODAY)


async def test_wanted_short_ids_are_unique(
    stays: StaysSimulator, session: aiohttp.ClientSession
) -> None:
    """A short id asked for twice is refused, as a long id is, instead of shadowing the first.

    Lookups go by long or short id, so a second record with a taken short id could never be
    found by it. Every duplicate is tried; the failure lists each one that was accepted.
    """
    stays.add_listing(name="Casa", listing_id="L-1", short_id="CASA1")
    await stays.add_reservation(
        listing_id="L-1", check_in=TODAY, check_out=TODAY, reservation_id="R-1", short_id="DUP01"
    )
    before = await _state(session, stays)
    accepted: list[str] = []
    try:
        stays.add_listing(name="Other", listing_id="L-2", short_id="CASA1")
        accepted.append("listing CASA1")
    except ValueError:
        pass
    try:
        await stays.add_reservation(
            listing_id="L-1",
            check_in=TODAY,
            check_out=TODAY,
            reservation_id="R-2",
            short_id="DUP01",
        )
        accepted.append("reservation DUP01")
    except ValueError:
        pass
    status, _ = await _call(
        session,
        stays,
        "POST",
        "/_sim/reservations",
        _reservation_body(reservation_id="R-3", short_id="DUP01"),
    )
    if status != 400:
        accepted.append(f"control API reservation DUP01 ({status})")
    assert accepted == []
    assert (await _ok(session, stays, "/booking/reservations/DUP01"))["_id"] == "R-1"
    # A refused reservation leaves nothing behind, not even its guest's client record.
    after = await _state(session, stays)
    assert (after["listings"], after["clients"], after["reservations"]) == (
        before["listings"],
        before["clients"],
        before["reservations"],
    )


async def test_fault_prefix_with_api_root(stays: StaysSimulator) -> None:
    """A prefix may be given with or without the API root and leading slash."""
    stays.inject_fault(FaultKind.NOT_FOUND, path_prefix=f"{API}/booking/clients")
    stays.inject_fault(FaultKind.FORBIDDEN, path_prefix="/content")
    assert [(f.path_prefix, f.kind) for f in stays._faults] == [
        ("booking/clients", FaultKind.NOT_FOUND),
        ("content", FaultKind.FORBIDDEN),
    ]
    stays.clear_faults()
    assert stays._faults == []


# -- sample account and CLI -------------------------------------------------------------------


async def test_load_sample_account(stays: StaysSimulator, session: aiohttp.ClientSession) -> None:
    """The demo account has three listings and eight stays around today, one canceled."""
    await load_sample_account(stays, TODAY)
    state = await _state(session, stays)
    assert (state["listings"], state["clients"], state["reservations"]) == (3, 8, 8)

    listings = await _ok(session, stays, "/content/listings")
    assert [(item["id"], item["address"]["city"]) for item in listings] == [
        ("JU01A", "Florianópolis"),
        ("LG02B", "Florianópolis"),
        ("CP03C", "Rio de Janeiro"),
    ]
    assert await _api(session, stays, "/settings/listing/CP03C/booking") == (
        200,
        {"checkInTime": "14:00", "checkOutTime": "11:00"},
    )
    window = f"from={TODAY - timedelta(days=30)}&to={TODAY + timedelta(days=30)}"
    active = await _ok(session, stays, f"/booking/reservations?{window}")
    names = [r["guestsDetails"]["list"][0]["name"] for r in active]
    assert len(names) == 7
    assert "Rafael Almeida" not in names
    canceled = await _ok(session, stays, f"/booking/reservations?{window}&type=canceled")
    assert [r["guestsDetails"]["list"][0]["name"] for r in canceled] == ["Rafael Almeida"]
    arriving = await _ok(session, stays, f"/booking/reservations?from={TODAY}&to={TODAY}")
    assert sorted(r["guestsDetails"]["list"][0]["name"] for r in arriving) == [
        "João Pedro Oliveira",
        "Mariana Costa Lima",
    ]
    by_guest = {r["guestsDetails"]["list"][0]["name"]: r for r in active}
    assert by_guest["Lucas Ferreira"]["checkInTime"] == "17:00"
    assert by_guest["Gabriel Santos"]["type"] == "reserved"
    assert by_guest["Fernanda Rodrigues"]["guests"] == 1
    assert by_guest["Carla Mendes"]["checkOutDate"] == TODAY.isoformat()
    assert {r["creationDate"] for r in active} == {(TODAY - timedelta(days=20)).isoformat()}
    single = await _ok(
        session, stays, f"/booking/reservations/{by_guest['Mariana Costa Lima']['_id']}"
    )
    assert single["guestsDetails"]["list"][0]["email"] == "mari@example.com"


@pytest.mark.parametrize(
    "host",
    ["0.0.0.0", "192.168.1.10", "example.com", "::", ""],  # noqa: S104 - each must be refused
)
def test_cli_refuses_non_loopback(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI will not serve its credential-free API beyond this machine."""
    with pytest.raises(SystemExit) as caught:
        main(["--host", host])
    assert caught.value.code == 2
    assert "is not loopback" in capsys.readouterr().err


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Stand in for the blocking server loop, recording what it would serve."""
    calls: list[Any] = []

    async def fake_serve(args: Any) -> None:
        calls.append(args)
        if args.port == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(stays_server, "_serve", fake_serve)
    return calls


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "::1", "localhost"])
def test_cli_arguments(host: str, served: list[Any]) -> None:
    """Loopback hosts are accepted and the options reach the server loop."""
    main(
        ["--host", host, "--port", "9999", "--client-id", "me", "--client-secret", "pw", "--sample"]
    )
    assert len(served) == 1
    args = served[0]
    assert (args.host, args.port, args.client_id, args.client_secret, args.sample) == (
        host,
        9999,
        "me",
        "pw",
        True,
    )


def test_cli_defaults_and_ctrl_c(served: list[Any]) -> None:
    """Defaults match the docs, and Ctrl-C ends the CLI quietly."""
    main([])
    args = served[0]
    assert (args.host, args.port, args.client_id, args.client_secret, args.sample) == (
        "127.0.0.1",
        8765,
        "demo-client",
        "demo-secret",
        False,
    )
    main(["--port", "1"])  # the stand-in raises KeyboardInterrupt, which main swallows
    assert len(served) == 2
