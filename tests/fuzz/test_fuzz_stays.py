"""Fuzzing Stays' JSON: records, single answers and pages, through the real client on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import contextlib
from datetime import date
from typing import Any

import aiohttp
from aiohttp import web
from hypothesis import given, strategies as st
import pytest

from custom_components.smartlock_tuya.stays import (
    BookingSettings,
    Client,
    Listing,
    Reservation,
    StaysClient,
    StaysResponseError,
)
from custom_components.smartlock_tuya.stays.models import StaysParseError, parse_date, parse_time

from .profile import FUZZ, anything_or, as_json, date_texts, json_values, time_texts

_TYPES = ["booked", "reserved", "contract", "canceled", "blocked", "maintenance", "BOOKED"]
_guest = st.fixed_dictionaries(
    {},
    optional={
        "name": anything_or(st.text(max_size=20)),
        "primary": json_values,
        "email": json_values,
        "phones": anything_or(
            st.lists(st.fixed_dictionaries({}, optional={"iso": json_values}), max_size=3)
        ),
    },
)
reservations = st.fixed_dictionaries(
    {},
    optional={
        "_id": anything_or(st.text(min_size=1, max_size=12)),
        "id": json_values,
        "_idlisting": anything_or(st.text(min_size=1, max_size=12)),
        "_idclient": json_values,
        "type": anything_or(st.sampled_from(_TYPES)),
        "checkInDate": anything_or(date_texts),
        "checkOutDate": anything_or(date_texts),
        "checkInTime": anything_or(time_texts),
        "checkOutTime": anything_or(time_texts),
        "creationDate": anything_or(date_texts),
        "guests": json_values,
        "partner": anything_or(st.fixed_dictionaries({}, optional={"name": json_values})),
        "partnerCode": json_values,
        "guestsDetails": anything_or(
            st.fixed_dictionaries({}, optional={"list": anything_or(st.lists(_guest, max_size=3))})
        ),
    },
)
listings = st.fixed_dictionaries(
    {},
    optional={
        "_id": anything_or(st.text(min_size=1, max_size=12)),
        "id": json_values,
        "internalName": json_values,
        "_mstitle": anything_or(st.dictionaries(st.text(max_size=6), json_values, max_size=3)),
        "status": anything_or(st.sampled_from(["active", "inactive"])),
        "address": anything_or(st.fixed_dictionaries({}, optional={"city": json_values})),
    },
)
clients = st.fixed_dictionaries(
    {},
    optional={
        "_id": anything_or(st.text(min_size=1, max_size=12)),
        "name": json_values,
        "fName": json_values,
        "lName": json_values,
        "email": json_values,
        "phones": json_values,
    },
)
settings_records = st.fixed_dictionaries(
    {}, optional={"checkInTime": anything_or(time_texts), "checkOutTime": anything_or(time_texts)}
)


@FUZZ
@given(anything_or(reservations))
def test_reservation_records(record: Any) -> None:
    """A reservation record parses or raises `StaysParseError`; a parsed one is consistent."""
    try:
        reservation = Reservation.from_json(record)
    except StaysParseError:
        return
    assert reservation.id
    assert reservation.listing_id
    assert reservation.check_out_date >= reservation.check_in_date
    assert reservation.nights >= 0
    if reservation.guest is not None:
        assert isinstance(reservation.guest.first_name, str)


@FUZZ
@given(anything_or(listings), anything_or(clients), anything_or(settings_records))
def test_listing_client_and_settings_records(listing: Any, client: Any, booking: Any) -> None:
    """Listings, guest records and booking settings parse or raise `StaysParseError`."""
    for parse in (Listing.from_json, Client.from_json, BookingSettings.from_json):
        for record in (listing, client, booking):
            with contextlib.suppress(StaysParseError):
                parse(record)


def test_superscript_digits_are_no_time() -> None:
    """Regression: "²:30" passed `isdigit` and then crashed `int`, failing the whole poll."""
    assert parse_time("\u00b2:30") is None
    assert BookingSettings.from_json({"checkInTime": "\u00b2:30"}).check_in_time is None


@FUZZ
@given(anything_or(date_texts), anything_or(time_texts))
def test_dates_and_times(day: Any, moment: Any) -> None:
    """A date is read or refused with `StaysParseError`; a bad time means no time."""
    with contextlib.suppress(StaysParseError):
        parse_date(day)
    parsed = parse_time(moment)
    assert parsed is None or parsed.tzinfo is None


class _Server:
    """A loopback HTTP server answering every request with the body the example chose."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.body = b"[]"
        self.status = 200
        self.runner: web.AppRunner | None = None
        self.url = ""
        self.session: aiohttp.ClientSession | None = None

    async def _answer(self, request: web.Request) -> web.Response:
        # Only the first page carries the example: later pages end the listing.
        if request.query.get("skip", "0") != "0":
            return web.Response(body=b"[]", content_type="application/json")
        return web.Response(body=self.body, status=self.status, content_type="application/json")

    def start(self) -> None:
        async def start() -> None:
            app = web.Application()
            app.router.add_route("GET", "/{tail:.*}", self._answer)
            self.runner = web.AppRunner(app, access_log=None)
            await self.runner.setup()
            site = web.TCPSite(self.runner, "127.0.0.1", 0)
            await site.start()
            self.url = f"http://127.0.0.1:{self.runner.addresses[0][1]}/external/v1"
            self.session = aiohttp.ClientSession()

        self.loop.run_until_complete(start())

    def stop(self) -> None:
        async def stop() -> None:
            if self.session is not None:
                await self.session.close()
            if self.runner is not None:
                await self.runner.cleanup()

        self.loop.run_until_complete(stop())
        self.loop.close()

    def client(self) -> StaysClient:
        assert self.session is not None
        return StaysClient(self.session, self.url, "id", "secret", attempts=1, backoff=0)


@pytest.fixture
def server(socket_enabled: None) -> Iterator[_Server]:
    """One server for all of a fuzzer's examples."""
    served = _Server()
    served.start()
    yield served
    served.stop()


pages = st.lists(reservations | json_values, max_size=19)  # one page: Stays' pages hold 20


def _parses(record: Any) -> Reservation | None:
    try:
        return Reservation.from_json(record)
    except StaysParseError:
        return None


@FUZZ
@given(page=pages)
def test_pages_keep_every_readable_record(server: _Server, page: list[Any]) -> None:
    """A page's unreadable records are skipped alone: every readable one comes through."""
    server.body, server.status = as_json(page), 200
    client = server.client()
    batch = server.loop.run_until_complete(
        client.reservations(date(2026, 1, 1), date(2026, 12, 31))
    )
    readable = [parsed for record in page if (parsed := _parses(record)) is not None]
    assert batch.items == readable
    assert batch.skipped == len(page) - len(readable)
    assert batch.complete is (len(readable) == len(page))


@FUZZ
@given(
    body=st.one_of(json_values.map(as_json), anything_or(reservations).map(as_json), st.binary()),
    status=st.sampled_from([200, 200, 200, 204, 404, 418]),
)
def test_any_answer_over_http(server: _Server, body: bytes, status: int) -> None:
    """Whatever Stays answers, the client returns records or raises `StaysResponseError`."""
    server.body, server.status = body, status
    client = server.client()

    async def read() -> None:
        calls = (
            lambda: client.reservations(date(2026, 1, 1), date(2026, 12, 31)),
            client.listings,
            lambda: client.reservation("R-1"),
            lambda: client.listing("L-1"),
            lambda: client.client("C-1"),
            lambda: client.booking_settings("L-1"),
        )
        for call in calls:
            with contextlib.suppress(StaysResponseError):
                await call()

    server.loop.run_until_complete(read())
