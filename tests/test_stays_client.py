"""The Stays client against the simulator: paging, filters, lookups, tolerance and every fault."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from datetime import date, time, timedelta
import logging
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.smartlock_tuya.stays import (
    GUEST_TYPES,
    DateType,
    ReservationType,
    StaysAuthError,
    StaysClient,
    StaysConnectionError,
    StaysError,
    StaysNotFoundError,
    StaysRateLimitError,
    StaysResponseError,
    account_host,
    api_root,
    client as client_module,
)
from custom_components.smartlock_tuya.stays.client import basic_authorization
from simulators.stays_server import FaultKind, StaysSimulator

from .conftest import CLIENT_ID, CLIENT_SECRET
from .helpers import serve_app

API = "/external/v1"
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
CLIENT_LOGGER = "custom_components.smartlock_tuya.stays.client"
# Short enough that stalled requests give up quickly, long enough for loopback under load.
QUICK_TIMEOUT = 0.5

type Sleeps = list[float]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A real HTTP session, closed after the test; the client never owns it."""
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
def client(stays: StaysSimulator, session: aiohttp.ClientSession) -> StaysClient:
    """A client of the simulated account that retries quickly."""
    return StaysClient(
        session,
        stays.url,
        CLIENT_ID,
        CLIENT_SECRET,
        request_timeout=1.0,
        attempts=3,
        backoff=0,
    )


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    """Record the client's back-off delays instead of waiting them out.

    Only the client module's view of `asyncio` is replaced, so the simulator and aiohttp keep
    the real `asyncio.sleep`.
    """
    delays: Sleeps = []

    async def record(delay: float) -> None:
        delays.append(delay)

    class _Asyncio:
        sleep = staticmethod(record)

    monkeypatch.setattr(client_module, "asyncio", _Asyncio)
    return delays


def _raw_reservation(reservation_id: str, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "_id": reservation_id,
        "_idlisting": "L-1",
        "type": "booked",
        "checkInDate": "2026-03-10",
        "checkOutDate": "2026-03-12",
    }
    record.update(changes)
    return record


async def _fill(stays: StaysSimulator, count: int) -> list[str]:
    """Add `count` March reservations on listing L-1; returns their ids in API order.

    Arrivals repeat every 28 days, so the simulator's order (arrival, then id) differs from
    the order of creation and paging is checked against a real sort.
    """
    stays.add_listing(name="Casa", listing_id="L-1")
    added: list[tuple[date, str]] = []
    for number in range(count):
        arrival = date(2026, 3, 1) + timedelta(days=number % 28)
        await stays.add_reservation(
            listing_id="L-1",
            check_in=arrival,
            check_out=arrival + timedelta(days=2),
            reservation_id=f"R-{number:03d}",
        )
        added.append((arrival, f"R-{number:03d}"))
    return [reservation_id for _, reservation_id in sorted(added)]


def _paging(stays: StaysSimulator) -> list[tuple[str | None, str | None]]:
    return [(dict(r.query).get("skip"), dict(r.query).get("limit")) for r in stays.requests]


# -- paging -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "skips"),
    [
        (0, ["0"]),
        (5, ["0"]),
        (19, ["0"]),
        (20, ["0", "20"]),
        (45, ["0", "20", "40"]),
        (60, ["0", "20", "40", "60"]),
    ],
)
async def test_reservations_page_until_short_page(
    client: StaysClient, stays: StaysSimulator, count: int, skips: list[str]
) -> None:
    """Pages of 20 are fetched until one comes back short, and every record is returned once."""
    expected = await _fill(stays, count)
    batch = await client.reservations(*MARCH)
    assert [r.id for r in batch.items] == expected
    assert batch.skipped == 0
    assert batch.complete
    assert _paging(stays) == [(skip, "20") for skip in skips]
    assert {r.path for r in stays.requests} == {f"{API}/booking/reservations"}


async def test_listings_and_clients_page(client: StaysClient, stays: StaysSimulator) -> None:
    """Listings and clients page by 20 with skip and limit too."""
    for number in range(25):
        stays.add_listing(name=f"Casa {number:02d}", listing_id=f"L-{number:02d}")
    for number in range(40):
        stays.add_client(name=f"Guest {number:02d}", client_id=f"C-{number:02d}")

    listings = await client.listings()
    assert [item.name for item in listings.items] == [f"Casa {n:02d}" for n in range(25)]
    assert _paging(stays) == [("0", "20"), ("20", "20")]
    assert {r.path for r in stays.requests} == {f"{API}/content/listings"}

    stays.requests.clear()
    clients = await client.clients()
    assert [item.id for item in clients.items] == [f"C-{n:02d}" for n in range(40)]
    assert _paging(stays) == [("0", "20"), ("20", "20"), ("40", "20")]
    assert {r.path for r in stays.requests} == {f"{API}/booking/clients"}


async def test_server_ignoring_paging_is_an_error(
    session: aiohttp.ClientSession, socket_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that always answers a full page ends in an error, not an endless loop."""
    monkeypatch.setattr(client_module, "MAX_PAGES", 3)
    seen: list[dict[str, str]] = []

    async def always_full(request: web.Request) -> web.Response:
        seen.append(dict(request.query))
        return web.json_response([{"_id": f"L-{n}"} for n in range(20)])

    app = web.Application()
    app.router.add_get(f"{API}/content/listings", always_full)
    async with serve_app(app) as url:
        stays_client = StaysClient(session, url, "id", "secret", request_timeout=1.0, backoff=0)
        with pytest.raises(StaysResponseError, match="kept returning full pages after 3 pages"):
            await stays_client.listings()
    assert [(q["skip"], q["limit"]) for q in seen] == [("0", "20"), ("20", "20"), ("40", "20")]


# -- filters ----------------------------------------------------------------------------------


@pytest.fixture
async def bookings(stays: StaysSimulator) -> StaysSimulator:
    """Reservations of every kind around a window of March 9-16 on two listings."""
    stays.add_listing(name="A", listing_id="L-A")
    stays.add_listing(name="B", listing_id="L-B")
    for reservation_id, listing, arrival, departure, kind in [
        ("R-a1", "L-A", date(2026, 3, 5), date(2026, 3, 8), "booked"),
        ("R-a2", "L-A", date(2026, 3, 15), date(2026, 3, 18), "reserved"),
        ("R-b1", "L-B", date(2026, 3, 8), date(2026, 3, 12), "contract"),
        ("R-gone", "L-A", date(2026, 3, 10), date(2026, 3, 11), "canceled"),
        ("R-block", "L-B", date(2026, 3, 14), date(2026, 3, 25), "blocked"),
        ("R-fix", "L-A", date(2026, 3, 12), date(2026, 3, 13), "maintenance"),
    ]:
        await stays.add_reservation(
            listing_id=listing,
            check_in=arrival,
            check_out=departure,
            type=kind,
            reservation_id=reservation_id,
        )
    await stays.add_reservation(
        listing_id="L-A",
        check_in=date(2026, 2, 1),
        check_out=date(2026, 2, 3),
        created=date(2026, 1, 15),
        reservation_id="R-old",
    )
    return stays


WINDOW = (date(2026, 3, 9), date(2026, 3, 16))
CANCELED = {*GUEST_TYPES, ReservationType.CANCELED}


@pytest.mark.parametrize(
    ("window", "options", "expected"),
    [
        (WINDOW, {}, {"R-a2"}),
        (WINDOW, {"types": CANCELED}, {"R-a2", "R-gone"}),
        (WINDOW, {"date_type": DateType.DEPARTURE}, {"R-b1"}),
        (WINDOW, {"date_type": DateType.INCLUDED}, {"R-a2", "R-b1"}),
        (WINDOW, {"date_type": DateType.INCLUDED, "types": CANCELED}, {"R-a2", "R-b1", "R-gone"}),
        (WINDOW, {"date_type": DateType.INCLUDED, "listing_ids": ["L-B"]}, {"R-b1"}),
        (
            WINDOW,
            {"date_type": DateType.INCLUDED, "types": list(ReservationType)},
            {"R-a2", "R-b1", "R-gone", "R-block", "R-fix"},
        ),
        (
            WINDOW,
            {"date_type": DateType.INCLUDED, "types": [ReservationType.BLOCKED]},
            {"R-block"},
        ),
        (
            WINDOW,
            {
                "date_type": DateType.INCLUDED,
                "types": [ReservationType.BLOCKED, ReservationType.CONTRACT],
                "listing_ids": ["L-A", "L-B"],
            },
            {"R-block", "R-b1"},
        ),
        ((date(2026, 1, 1), date(2026, 1, 31)), {"date_type": DateType.CREATION}, {"R-old"}),
        ((date(2026, 4, 1), date(2026, 4, 30)), {"date_type": DateType.INCLUDED}, set()),
    ],
)
async def test_reservation_filters(
    client: StaysClient,
    bookings: StaysSimulator,
    window: tuple[date, date],
    options: dict[str, Any],
    expected: set[str],
) -> None:
    """Date window, date type, types and listings select exactly the matching reservations."""
    batch = await client.reservations(*window, **options)
    assert {r.id for r in batch.items} == expected
    assert batch.complete


async def test_reservation_default_query(client: StaysClient, stays: StaysSimulator) -> None:
    """By default the window applies to arrivals and only guest types are asked for."""
    await client.reservations(date(2026, 3, 9), date(2026, 3, 16))
    assert stays.requests[0].query == (
        ("from", "2026-03-09"),
        ("to", "2026-03-16"),
        ("dateType", "arrival"),
        ("type", "booked"),
        ("type", "contract"),
        ("type", "reserved"),
        ("skip", "0"),
        ("limit", "20"),
    )


async def test_reservation_query_repeats_type_and_listing(
    client: StaysClient, stays: StaysSimulator
) -> None:
    """Types and listings are sent as repeated parameters; cancellations only when asked."""
    await client.reservations(
        date(2026, 3, 1),
        date(2026, 4, 1),
        date_type=DateType.INCLUDED,
        types=[ReservationType.CANCELED, ReservationType.BOOKED],
        listing_ids=["L-1", "L/2&x=y"],
    )
    assert stays.requests[0].query == (
        ("from", "2026-03-01"),
        ("to", "2026-04-01"),
        ("dateType", "included"),
        ("type", "booked"),
        ("type", "canceled"),
        ("listingId", "L-1"),
        ("listingId", "L/2&x=y"),
        ("skip", "0"),
        ("limit", "20"),
    )


# -- single records ---------------------------------------------------------------------------


async def test_reservation_by_long_and_short_id(client: StaysClient, stays: StaysSimulator) -> None:
    """A lookup by either id carries the guest's phone and email, which lists leave out."""
    stays.add_listing(name="Casa", listing_id="L-1")
    await stays.add_reservation(
        listing_id="L-1",
        check_in=date(2026, 3, 10),
        check_out=date(2026, 3, 13),
        guest_name="Maria Silva",
        phone="+5511999998888",
        email="maria@example.com",
        check_in_time="16:00",
        check_out_time="10:00",
        partner="API booking.com",
        reservation_id="65f1c0ffee0000000000abcd",
        short_id="EV23J",
        guests=3,
    )

    by_long = await client.reservation("65f1c0ffee0000000000abcd")
    by_short = await client.reservation("EV23J")
    assert by_long == by_short
    assert by_long.id == "65f1c0ffee0000000000abcd"
    assert by_long.code == "EV23J"
    assert by_long.listing_id == "L-1"
    assert by_long.type is ReservationType.BOOKED
    assert (by_long.check_in_date, by_long.check_out_date) == (date(2026, 3, 10), date(2026, 3, 13))
    assert (by_long.check_in_time, by_long.check_out_time) == (time(16, 0), time(10, 0))
    assert by_long.guests == 3
    assert by_long.channel == "booking.com"
    assert by_long.partner_code is not None
    assert by_long.partner_code.isdigit()
    assert by_long.guest is not None
    assert by_long.guest.name == "Maria Silva"
    assert by_long.guest.phones == ("+5511999998888",)
    assert by_long.guest.email == "maria@example.com"
    assert by_long.client_id is not None
    assert [r.path for r in stays.requests] == [
        f"{API}/booking/reservations/65f1c0ffee0000000000abcd",
        f"{API}/booking/reservations/EV23J",
    ]

    listed = (await client.reservations(*MARCH)).items
    assert len(listed) == 1
    assert listed[0].guest is not None
    assert listed[0].guest.name == "Maria Silva"
    assert listed[0].guest.phones == ()
    assert listed[0].guest.email is None

    guest = await client.client(by_long.client_id)
    assert guest.name == "Maria Silva"
    assert guest.phones == ("+5511999998888",)
    assert guest.email == "maria@example.com"


@pytest.mark.parametrize(
    ("call", "path"),
    [
        (StaysClient.reservation, "/booking/reservations/nope"),
        (StaysClient.listing, "/content/listings/nope"),
        (StaysClient.client, "/booking/clients/nope"),
        (StaysClient.booking_settings, "/settings/listing/nope/booking"),
    ],
)
async def test_lookup_not_found(
    client: StaysClient,
    stays: StaysSimulator,
    call: Callable[[StaysClient, str], Awaitable[object]],
    path: str,
) -> None:
    """An unknown id is a not-found error after exactly one request."""
    with pytest.raises(StaysNotFoundError) as caught:
        await call(client, "nope")
    assert caught.value.status == 404
    assert str(caught.value) == f"{path} not found"
    assert [r.path for r in stays.requests] == [API + path]


async def test_ids_stay_one_path_segment(client: StaysClient, stays: StaysSimulator) -> None:
    """Slashes, query and fragment marks in an id are quoted: the id cannot change the path."""
    stays.add_listing(name="Casa", listing_id="L-1")
    await stays.add_reservation(
        listing_id="L-1",
        check_in=date(2026, 3, 10),
        check_out=date(2026, 3, 12),
        reservation_id="odd/id",
    )
    assert (await client.reservation("odd/id")).id == "odd/id"
    for tricky in ["x?type=canceled", "../../content/listings", "L-1/booking", "a#b", "%2F", "a b"]:
        stays.requests.clear()
        with pytest.raises(StaysNotFoundError):
            await client.reservation(tricky)
        assert [(r.path, r.query) for r in stays.requests] == [
            (f"{API}/booking/reservations/{tricky}", ())
        ]
    stays.requests.clear()
    with pytest.raises(StaysNotFoundError):
        await client.booking_settings("L-1/../../../booking/reservations?x=1")
    assert [(r.path, r.query) for r in stays.requests] == [
        (f"{API}/settings/listing/L-1/../../../booking/reservations?x=1/booking", ())
    ]


DOT_CALLS: list[tuple[Callable[[StaysClient, str], Awaitable[object]], str]] = [
    (StaysClient.reservation, "/booking/reservations/{}"),
    (StaysClient.listing, "/content/listings/{}"),
    (StaysClient.client, "/booking/clients/{}"),
    (StaysClient.booking_settings, "/settings/listing/{}/booking"),
]


async def test_dot_ids_stay_one_path_segment(client: StaysClient, stays: StaysSimulator) -> None:
    """An id of "." or ".." must not climb out of its segment to another endpoint.

    Either the client refuses such an id before sending anything, or the request reaches the
    path the id was meant for. Every lookup is tried; the failure lists each one that escaped.
    """
    escaped: list[tuple[str, str, str]] = []
    for call, template in DOT_CALLS:
        for dots in (".", ".."):
            stays.requests.clear()
            with contextlib.suppress(ValueError, StaysNotFoundError):
                await call(client, dots)
            paths = [r.path for r in stays.requests]
            if paths not in ([], [API + template.format(dots)]):
                escaped.append((call.__name__, dots, paths[0]))
    assert escaped == []


async def test_dot_id_reaches_list_endpoint(
    session: aiohttp.ClientSession, socket_enabled: None
) -> None:
    """On a server that ignores a trailing slash, reservation(".") must not read the list.

    Looking up the reservation "." has to ask for that reservation: at worst it is not found.
    """
    seen: list[str] = []

    async def reservations(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response([_raw_reservation("R-1"), _raw_reservation("R-2")])

    async def one(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response({"message": "Reservation not found"}, status=404)

    app = web.Application()
    app.router.add_get(f"{API}/booking/reservations", reservations)
    app.router.add_get(f"{API}/booking/reservations/", reservations)
    app.router.add_get(f"{API}/booking/reservations/{{key}}", one)
    async with serve_app(app) as url:
        stays_client = StaysClient(session, url, "id", "secret", backoff=0)
        with contextlib.suppress(ValueError, StaysError):
            await stays_client.reservation(".")
    assert seen in ([], [f"{API}/booking/reservations/."])


@pytest.mark.parametrize(
    "call",
    [
        StaysClient.reservation,
        StaysClient.listing,
        StaysClient.client,
        StaysClient.booking_settings,
    ],
)
async def test_empty_id_refused(
    client: StaysClient,
    stays: StaysSimulator,
    call: Callable[[StaysClient, str], Awaitable[object]],
) -> None:
    """An empty id is a programming error, refused before any request."""
    with pytest.raises(ValueError, match="empty id"):
        await call(client, "")
    assert stays.requests == []


async def test_listings_and_listing(client: StaysClient, stays: StaysSimulator) -> None:
    """Listings are read with name, short code and city; one is found by either id."""
    stays.add_listing(name="Casa da Praia", listing_id="L-beach", short_id="CP01")
    stays.add_listing(
        name="Studio Copa", listing_id="L-copa", short_id="SC02", city="Rio de Janeiro"
    )
    batch = await client.listings()
    assert [(x.id, x.code, x.name, x.city, x.active) for x in batch.items] == [
        ("L-beach", "CP01", "Casa da Praia", "Florianópolis", True),
        ("L-copa", "SC02", "Studio Copa", "Rio de Janeiro", True),
    ]
    assert await client.listing("SC02") == batch.items[1]
    assert await client.listing("L-beach") == batch.items[0]


async def test_clients_and_client(client: StaysClient, stays: StaysSimulator) -> None:
    """Guest records are read with their contact data."""
    stays.add_client(
        name="Ana Costa", phone="+5521999990000", email="ana@example.com", client_id="C-1"
    )
    stays.add_client(name="Bruno", client_id="C-2")
    batch = await client.clients()
    assert [(c.id, c.name, c.email, c.phones) for c in batch.items] == [
        ("C-1", "Ana Costa", "ana@example.com", ("+5521999990000",)),
        ("C-2", "Bruno", None, ()),
    ]
    assert await client.client("C-2") == batch.items[1]


async def test_booking_settings(client: StaysClient, stays: StaysSimulator) -> None:
    """A listing's own check-in and check-out times are read, by long or short id."""
    stays.add_listing(
        name="Loft",
        listing_id="L-loft",
        short_id="LC02",
        check_in_time="16:00",
        check_out_time="10:30",
    )
    settings = await client.booking_settings("L-loft")
    assert (settings.check_in_time, settings.check_out_time) == (time(16, 0), time(10, 30))
    assert await client.booking_settings("LC02") == settings
    assert stays.requests[0].path == f"{API}/settings/listing/L-loft/booking"


# -- tolerance --------------------------------------------------------------------------------


async def test_malformed_records_are_skipped(
    client: StaysClient, stays: StaysSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Unreadable records are counted and logged without personal data; the rest are kept."""
    caplog.set_level(logging.WARNING, logger=CLIENT_LOGGER)
    valid = await _fill(stays, 18)
    secret_guest = {"list": [{"name": "Secret Sarah", "phones": [{"iso": "+5548900000001"}]}]}
    junk = [
        {k: v for k, v in _raw_reservation("-").items() if k != "_id"},
        _raw_reservation("J-dates", checkInDate="10/03/2026", checkOutDate="12/03/2026"),
        _raw_reservation("J-type", type="vacation", checkInDate="soon"),
        _raw_reservation("J-order", checkInDate="2026-03-12", checkOutDate="2026-03-10"),
    ]
    for record in junk:
        stays.add_raw_reservation({**record, "guestsDetails": secret_guest})
    stays.add_raw_reservation(
        _raw_reservation("R-extra", brandNewField={"nested": [1, 2]}, guestsDetails=secret_guest)
    )

    batch = await client.reservations(*MARCH)
    assert sorted(r.id for r in batch.items) == sorted([*valid, "R-extra"])
    assert batch.skipped == 4
    assert not batch.complete
    # Three name their ids: only the one without an id could be any reservation.
    assert sorted(batch.skipped_ids) == ["J-dates", "J-order", "J-type"]
    assert not batch.complete_but_named
    assert len(stays.requests) == 2  # 23 records: the skipped ones still count for paging

    warnings = [r for r in caplog.records if r.name == CLIENT_LOGGER]
    assert all(r.levelno == logging.WARNING for r in warnings)
    messages = sorted(r.getMessage() for r in warnings)
    assert len(messages) == 4
    assert any("without id" in m and "missing _id" in m for m in messages)
    assert any("'J-dates'" in m and "not a date" in m for m in messages)
    assert any("'J-type'" in m and "unknown reservation type 'vacation'" in m for m in messages)
    assert any("'J-order'" in m and "check-out before check-in" in m for m in messages)
    for message in messages:
        assert "/booking/reservations" in message
        for private in ("Sarah", "Secret", "+5548900000001", "Maria", "+5511999998888"):
            assert private not in message


async def test_non_object_records_are_skipped(
    session: aiohttp.ClientSession, socket_enabled: None, caplog: pytest.LogCaptureFixture
) -> None:
    """List entries that are not objects at all are skipped like any unreadable record."""
    caplog.set_level(logging.WARNING, logger=CLIENT_LOGGER)

    async def mixed(request: web.Request) -> web.Response:
        return web.json_response(
            [_raw_reservation("R-ok"), "R-junk", 42, None, [], {"_id": 7, "type": "booked"}]
        )

    app = web.Application()
    app.router.add_get(f"{API}/booking/reservations", mixed)
    async with serve_app(app) as url:
        stays_client = StaysClient(session, url, "id", "secret", request_timeout=1.0, backoff=0)
        batch = await stays_client.reservations(*MARCH)
    assert [r.id for r in batch.items] == ["R-ok"]
    assert batch.skipped == 5
    assert batch.skipped_ids == ("7",)  # a number is an id, as a readable record's would be
    messages = [r.getMessage() for r in caplog.records if r.name == CLIENT_LOGGER]
    assert len(messages) == 5
    assert sum("Skipping unreadable record without id" in m for m in messages) == 4
    assert any("Skipping unreadable record '7'" in m for m in messages)


# -- faults -----------------------------------------------------------------------------------

# Fault kind -> (exact error raised when it never stops, requests made with 3 attempts).
# A dropped connection costs two requests per attempt: aiohttp quietly retries it once.
FAULT_OUTCOMES: dict[FaultKind, tuple[type[StaysError], int]] = {
    FaultKind.UNAUTHORIZED: (StaysAuthError, 1),
    FaultKind.FORBIDDEN: (StaysAuthError, 1),
    FaultKind.NOT_FOUND: (StaysNotFoundError, 1),
    FaultKind.RATE_LIMITED: (StaysRateLimitError, 3),
    FaultKind.SERVER_ERROR: (StaysConnectionError, 3),
    FaultKind.BAD_GATEWAY: (StaysConnectionError, 3),
    FaultKind.TIMEOUT: (StaysConnectionError, 3),
    FaultKind.DISCONNECT: (StaysConnectionError, 6),
    FaultKind.MALFORMED_JSON: (StaysResponseError, 1),
    FaultKind.WRONG_SHAPE: (StaysResponseError, 1),
}


def test_every_fault_kind_has_an_outcome() -> None:
    """The fault table below covers every way the simulator can fail."""
    assert set(FAULT_OUTCOMES) == set(FaultKind)


@pytest.mark.parametrize("kind", list(FaultKind))
@pytest.mark.parametrize("call", ["listings", "listing"])
async def test_persistent_fault(
    stays: StaysSimulator, session: aiohttp.ClientSession, kind: FaultKind, call: str
) -> None:
    """A fault that does not go away maps to its error after the expected number of tries."""
    stays.add_listing(name="Casa", listing_id="L-1")
    quick = StaysClient(
        session,
        stays.url,
        CLIENT_ID,
        CLIENT_SECRET,
        request_timeout=QUICK_TIMEOUT,
        attempts=3,
        backoff=0,
    )
    error, requests = FAULT_OUTCOMES[kind]
    stays.inject_fault(kind, count=100)
    with pytest.raises(StaysError) as caught:
        await (quick.listings() if call == "listings" else quick.listing("L-1"))
    assert type(caught.value) is error
    assert len(stays.requests) == requests

    stays.clear_faults()
    stays.requests.clear()
    await (quick.listings() if call == "listings" else quick.listing("L-1"))
    assert len(stays.requests) == 1


@pytest.mark.parametrize(
    ("kind", "count", "requests"),
    [
        (FaultKind.RATE_LIMITED, 2, 3),
        (FaultKind.SERVER_ERROR, 2, 3),
        (FaultKind.BAD_GATEWAY, 1, 2),
        (FaultKind.TIMEOUT, 2, 3),
        (FaultKind.DISCONNECT, 4, 5),
    ],
)
async def test_transient_fault_recovers(
    stays: StaysSimulator,
    session: aiohttp.ClientSession,
    kind: FaultKind,
    count: int,
    requests: int,
) -> None:
    """Fewer transient failures than attempts end in success, retrying the same page."""
    stays.add_listing(name="Casa", listing_id="L-1")
    quick = StaysClient(
        session,
        stays.url,
        CLIENT_ID,
        CLIENT_SECRET,
        request_timeout=QUICK_TIMEOUT,
        attempts=3,
        backoff=0,
    )
    stays.inject_fault(kind, count=count)
    batch = await quick.listings()
    assert [item.id for item in batch.items] == ["L-1"]
    assert len(stays.requests) == requests
    assert {r.query for r in stays.requests} == {(("skip", "0"), ("limit", "20"))}


@pytest.mark.parametrize(
    ("kind", "cause"),
    [
        (FaultKind.TIMEOUT, "TimeoutError"),
        (FaultKind.DISCONNECT, "ServerDisconnectedError"),
        (FaultKind.SERVER_ERROR, None),
        (FaultKind.BAD_GATEWAY, None),
    ],
)
async def test_connection_error_messages(
    stays: StaysSimulator, session: aiohttp.ClientSession, kind: FaultKind, cause: str | None
) -> None:
    """Connection errors name what went wrong, but never the credentials."""
    quick = StaysClient(
        session,
        stays.url,
        CLIENT_ID,
        CLIENT_SECRET,
        request_timeout=QUICK_TIMEOUT,
        attempts=1,
        backoff=0,
    )
    stays.inject_fault(kind, count=2)
    with pytest.raises(StaysConnectionError) as caught:
        await quick.listings()
    message = str(caught.value)
    if cause is None:
        assert message == f"Stays answered {500 if kind is FaultKind.SERVER_ERROR else 502}"
    else:
        assert message == f"cannot reach Stays: {cause}"
        assert type(caught.value.__cause__).__name__ == cause
    assert CLIENT_SECRET not in message


async def test_auth_errors_not_retried(client: StaysClient, stays: StaysSimulator) -> None:
    """401 and 403 fail at once with the status in the message."""
    stays.inject_fault(FaultKind.FORBIDDEN, count=5)
    with pytest.raises(StaysAuthError, match=r"refused the credentials \(403\)"):
        await client.listings()
    assert len(stays.requests) == 1


async def test_wrong_secret(stays: StaysSimulator, session: aiohttp.ClientSession) -> None:
    """The simulator's real credential check is an auth error, not a retry loop."""
    wrong = StaysClient(session, stays.url, CLIENT_ID, "wrong", attempts=3, backoff=0)
    with pytest.raises(StaysAuthError, match=r"\(401\)"):
        await wrong.listings()
    assert len(stays.requests) == 1


def test_basic_authorization_header() -> None:
    """HTTP Basic is built here, as RFC 7617 spells it (its own example), Latin-1 included."""
    assert basic_authorization("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    assert basic_authorization("joão", "pão") == "Basic am/jbzpw428="


@pytest.mark.parametrize(("client_id", "secret"), [("id:colon", "s"), ("id", "sênha✓")])
def test_basic_authorization_refuses_what_it_cannot_carry(client_id: str, secret: str) -> None:
    """A ':' in the id, or a character outside Latin-1, cannot travel in HTTP Basic."""
    with pytest.raises(StaysAuthError, match="cannot be sent with HTTP Basic"):
        basic_authorization(client_id, secret)


async def test_wrong_shape(client: StaysClient, stays: StaysSimulator) -> None:
    """An object where a list belongs, or a list where an object belongs, is a response error."""
    stays.add_listing(name="Casa", listing_id="L-1")
    stays.inject_fault(FaultKind.WRONG_SHAPE, path_prefix="content/listings")
    with pytest.raises(StaysResponseError, match="/content/listings did not answer with a list"):
        await client.listings()
    stays.inject_fault(FaultKind.WRONG_SHAPE, path_prefix="content/listings/L-1")
    with pytest.raises(StaysResponseError, match="unreadable record: listing is not an object"):
        await client.listing("L-1")
    assert len(stays.requests) == 2


async def test_malformed_json(client: StaysClient, stays: StaysSimulator) -> None:
    """A body that is not JSON is a response error without a status and is not retried."""
    stays.inject_fault(FaultKind.MALFORMED_JSON, count=3)
    with pytest.raises(StaysResponseError, match="did not answer with JSON") as caught:
        await client.reservations(*MARCH)
    assert caught.value.status is None
    assert len(stays.requests) == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ([("limit", "50")], "'limit' must be between 1 and 20"),
        ([("skip", "-1")], "'skip' must be a non-negative integer"),
        ([("dateType", "someday")], "'dateType' must be one of"),
    ],
)
async def test_bad_request_carries_server_message(
    client: StaysClient, stays: StaysSimulator, params: list[tuple[str, str]], message: str
) -> None:
    """A 400 is final and its error carries the status and the server's message."""
    window = [("from", "2026-03-01"), ("to", "2026-03-31")]
    with pytest.raises(StaysResponseError) as caught:
        await client._get("/booking/reservations", [*window, *params])
    assert type(caught.value) is StaysResponseError
    assert caught.value.status == 400
    assert str(caught.value).startswith(f"Stays refused /booking/reservations: {message}")
    assert len(stays.requests) == 1


async def test_unknown_api_path_is_not_found(client: StaysClient, stays: StaysSimulator) -> None:
    """A path the API does not have is a not-found error."""
    with pytest.raises(StaysNotFoundError):
        await client._get("/no/such/endpoint")
    assert len(stays.requests) == 1


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (lambda: web.Response(status=400, text="plain text"), "Bad Request"),
        (lambda: web.json_response({"message": 5}, status=409), "Conflict"),
        (lambda: web.json_response(["message"], status=422, reason="Nope"), "Nope"),
        (lambda: web.json_response({"message": "x" * 500}, status=400), "x" * 200),
        (lambda: web.Response(status=418, reason="Short And Stout"), "Short And Stout"),
    ],
)
async def test_client_error_message_fallbacks(
    session: aiohttp.ClientSession,
    socket_enabled: None,
    response: Callable[[], web.Response],
    message: str,
) -> None:
    """Without a usable `message`, the status reason is used; long messages are cut at 200."""

    async def handler(request: web.Request) -> web.Response:
        return response()

    app = web.Application()
    app.router.add_get(f"{API}/content/listings", handler)
    async with serve_app(app) as url:
        stays_client = StaysClient(session, url, "id", "secret", backoff=0)
        with pytest.raises(StaysResponseError) as caught:
            await stays_client.listings()
    assert str(caught.value) == f"Stays refused /content/listings: {message}"


async def test_nothing_listening(session: aiohttp.ClientSession, socket_enabled: None) -> None:
    """A closed port is a connection error after every attempt."""
    async with serve_app(web.Application()) as url:
        pass  # the port is free again once the app is gone
    stays_client = StaysClient(session, url, "id", "secret", attempts=2, backoff=0)
    with pytest.raises(StaysConnectionError, match="cannot reach Stays: ClientConnectorError"):
        await stays_client.listings()


async def test_at_least_one_attempt(stays: StaysSimulator, session: aiohttp.ClientSession) -> None:
    """Zero attempts still means one request."""
    once = StaysClient(session, stays.url, CLIENT_ID, CLIENT_SECRET, attempts=0, backoff=0)
    stays.inject_fault(FaultKind.SERVER_ERROR, count=5)
    with pytest.raises(StaysConnectionError):
        await once.listings()
    assert len(stays.requests) == 1


# -- back-off ---------------------------------------------------------------------------------


async def test_retry_after_honoured(
    client: StaysClient, stays: StaysSimulator, sleeps: Sleeps
) -> None:
    """The client waits as long as a 429 asks before trying again."""
    stays.inject_fault(FaultKind.RATE_LIMITED, count=2, retry_after=2.5)
    await client.listings()
    assert sleeps == [2.5, 2.5]
    assert len(stays.requests) == 3


async def test_rate_limit_exhausted_keeps_hint(
    client: StaysClient, stays: StaysSimulator, sleeps: Sleeps
) -> None:
    """Waits are capped at a minute, and the final error keeps the server's own hint."""
    stays.inject_fault(FaultKind.RATE_LIMITED, count=3, retry_after=600)
    with pytest.raises(StaysRateLimitError, match="kept rate-limiting") as caught:
        await client.listings()
    assert caught.value.retry_after == 600.0
    assert sleeps == [client_module.MAX_RETRY_AFTER] * 2
    assert client_module.MAX_RETRY_AFTER == 60.0


async def test_rate_limit_without_hint(
    client: StaysClient, stays: StaysSimulator, sleeps: Sleeps
) -> None:
    """A 429 without Retry-After falls back to the back-off and reports no hint."""
    stays.inject_fault(FaultKind.RATE_LIMITED, count=3)
    with pytest.raises(StaysRateLimitError) as caught:
        await client.listings()
    assert caught.value.retry_after is None
    assert sleeps == [0, 0]


async def test_exponential_backoff(
    stays: StaysSimulator, session: aiohttp.ClientSession, sleeps: Sleeps
) -> None:
    """Back-off doubles per attempt, and a shorter Retry-After never shortens it."""
    patient = StaysClient(session, stays.url, CLIENT_ID, CLIENT_SECRET, attempts=4, backoff=1.0)
    stays.inject_fault(FaultKind.SERVER_ERROR, count=4)
    with pytest.raises(StaysConnectionError):
        await patient.listings()
    assert sleeps == [1.0, 2.0, 4.0]

    sleeps.clear()
    stays.inject_fault(FaultKind.RATE_LIMITED, count=3, retry_after=3)
    await patient.listings()
    assert sleeps == [3.0, 3.0, 4.0]

    sleeps.clear()
    stays.inject_fault(FaultKind.DISCONNECT, count=2)
    await patient.listings()
    assert sleeps == [1.0]


@pytest.mark.parametrize(
    ("header", "hint", "delay"),
    [
        ("Wed, 21 Oct 2015 07:28:00 GMT", None, 0.5),
        ("-5", 0.0, 0.5),
        ("0.75", 0.75, 0.75),
        (None, None, 0.5),
    ],
)
async def test_retry_after_forms(
    session: aiohttp.ClientSession,
    socket_enabled: None,
    sleeps: Sleeps,
    header: str | None,
    hint: float | None,
    delay: float,
) -> None:
    """A Retry-After that is not a number is ignored; a negative one means no wait."""

    async def limited(request: web.Request) -> web.Response:
        headers = {"Retry-After": header} if header is not None else {}
        return web.json_response({"message": "slow down"}, status=429, headers=headers)

    app = web.Application()
    app.router.add_get(f"{API}/content/listings", limited)
    async with serve_app(app) as url:
        stays_client = StaysClient(session, url, "id", "secret", attempts=2, backoff=0.5)
        with pytest.raises(StaysRateLimitError) as caught:
            await stays_client.listings()
    assert caught.value.retry_after == hint
    assert sleeps == [delay]


# -- addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "root", "host"),
    [
        ("https://acme.stays.net", "https://acme.stays.net/external/v1", "acme.stays.net"),
        ("https://acme.stays.net/", "https://acme.stays.net/external/v1", "acme.stays.net"),
        ("  https://acme.stays.net  ", "https://acme.stays.net/external/v1", "acme.stays.net"),
        (
            "https://acme.stays.net/external/v1",
            "https://acme.stays.net/external/v1",
            "acme.stays.net",
        ),
        (
            "https://acme.stays.net/external/v1/",
            "https://acme.stays.net/external/v1",
            "acme.stays.net",
        ),
        ("https://ACME.Stays.NET", "https://ACME.Stays.NET/external/v1", "acme.stays.net"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765/external/v1", "127.0.0.1"),
        ("http://[::1]:8765/", "http://[::1]:8765/external/v1", "::1"),
        ("https://proxy.example/stays", "https://proxy.example/stays/external/v1", "proxy.example"),
    ],
)
def test_api_root_and_host(address: str, root: str, host: str) -> None:
    """The account address or the API root, however written, gives one root and one host."""
    assert api_root(address) == root
    assert account_host(address) == host
    assert api_root(root) == root


@pytest.mark.parametrize(
    "address",
    [
        "ftp://acme.stays.net",
        "acme.stays.net",
        "https://",
        "https:///external/v1",
        "https://acme.stays.net/?a=1",
        "https://acme.stays.net/external/v1?a=1",
        "https://acme.stays.net/#top",
        "",
        "not a url",
    ],
)
def test_api_root_refuses(address: str) -> None:
    """Anything but a plain http(s) address is refused."""
    with pytest.raises(ValueError, match=r"address must not|not an http"):
        api_root(address)
    with pytest.raises(ValueError, match=r"address must not|not an http"):
        account_host(address)


async def test_client_api_root(session: aiohttp.ClientSession) -> None:
    """The client exposes the normalised root and refuses a bad address up front."""
    stays_client = StaysClient(session, "https://Acme.stays.net/external/v1/", "id", "secret")
    assert stays_client.api_root == "https://Acme.stays.net/external/v1"
    with pytest.raises(ValueError, match="not an http"):
        StaysClient(session, "ftp://acme.stays.net", "id", "secret")
