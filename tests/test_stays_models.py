"""Parsing of Stays records: what is read, what is tolerated, and what rejects a record."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from hypothesis import HealthCheck, event, given, settings, strategies as st
import pytest

from custom_components.smartlock_tuya.stays import (
    GUEST_TYPES,
    Batch,
    BookingSettings,
    Client,
    Guest,
    Listing,
    Reservation,
    ReservationType,
    StaysParseError,
)
from custom_components.smartlock_tuya.stays.models import parse_date, parse_time, record_id


def _reservation(**changes: Any) -> dict[str, Any]:
    """A full reservation record as Stays sends it for a single lookup."""
    record: dict[str, Any] = {
        "_id": "65f1c0ffee0000000000abcd",
        "id": "EV23J",
        "creationDate": "2026-02-01",
        "checkInDate": "2026-03-09",
        "checkInTime": "15:00",
        "checkOutDate": "2026-03-12",
        "checkOutTime": "11:00",
        "_idlisting": "L-beach",
        "_idclient": "C-maria",
        "type": "booked",
        "guests": 2,
        "guestsDetails": {
            "adults": 2,
            "list": [
                {
                    "type": "adult",
                    "name": "Maria Silva",
                    "primary": True,
                    "phones": [{"iso": "+5511999998888"}, {"iso": "+5511988887777"}],
                    "email": "maria@example.com",
                }
            ],
        },
        "partner": {"_id": "P1", "name": "API airbnb"},
        "partnerCode": "HMABCDEFGH",
        "price": {"currency": "BRL", "_f_total": 1319.7},
    }
    record.update(changes)
    return record


def _minimal(**changes: Any) -> dict[str, Any]:
    """The fewest fields a usable reservation can have."""
    record: dict[str, Any] = {
        "_id": "R-min",
        "_idlisting": "L-1",
        "type": "reserved",
        "checkInDate": "2026-03-10",
        "checkOutDate": "2026-03-10",
    }
    record.update(changes)
    return record


def test_reservation_full_record() -> None:
    """Every field the integration uses is read from a full record, the rest is ignored."""
    reservation = Reservation.from_json(_reservation())
    assert reservation == Reservation(
        id="65f1c0ffee0000000000abcd",
        code="EV23J",
        listing_id="L-beach",
        client_id="C-maria",
        type=ReservationType.BOOKED,
        check_in_date=date(2026, 3, 9),
        check_out_date=date(2026, 3, 12),
        check_in_time=time(15, 0),
        check_out_time=time(11, 0),
        guest=Guest(
            name="Maria Silva",
            phones=("+5511999998888", "+5511988887777"),
            email="maria@example.com",
        ),
        guests=2,
        channel="airbnb",
        partner_code="HMABCDEFGH",
        created=date(2026, 2, 1),
    )
    assert reservation.nights == 3
    assert reservation.expects_guest is True
    assert reservation.guest is not None
    assert reservation.guest.first_name == "Maria"


def test_reservation_minimal_record() -> None:
    """Optional fields default to None, and a same-day stay has zero nights."""
    reservation = Reservation.from_json(_minimal())
    assert reservation.id == "R-min"
    assert reservation.code is None
    assert reservation.client_id is None
    assert reservation.type is ReservationType.RESERVED
    assert reservation.check_in_time is None
    assert reservation.check_out_time is None
    assert reservation.guest is None
    assert reservation.guests is None
    assert reservation.channel is None
    assert reservation.partner_code is None
    assert reservation.created is None
    assert reservation.nights == 0


def test_reservation_trims_text_and_reads_numeric_ids() -> None:
    """Text is stripped, blank text counts as missing, and integer ids become strings."""
    reservation = Reservation.from_json(
        _minimal(_id="  R-1  ", id=4711, _idclient="   ", _idlisting=12)
    )
    assert reservation.id == "R-1"
    assert reservation.code == "4711"
    assert reservation.client_id is None
    assert reservation.listing_id == "12"


def test_reservation_reads_timestamps_as_dates() -> None:
    """A longer ISO timestamp keeps its date part."""
    reservation = Reservation.from_json(
        _minimal(
            checkInDate="2026-03-10T14:00:00.000Z",
            checkOutDate="2026-03-13T00:00:00Z",
            creationDate="2026-01-02T09:30:00-03:00",
        )
    )
    assert reservation.check_in_date == date(2026, 3, 10)
    assert reservation.check_out_date == date(2026, 3, 13)
    assert reservation.created == date(2026, 1, 2)
    assert reservation.nights == 3


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("9:05", time(9, 5)),
        ("09:05", time(9, 5)),
        ("15:00:00", time(15, 0)),
        (" 23:59 ", time(23, 59)),
        ("00:00", time(0, 0)),
        ("24:00", None),
        ("12:60", None),
        ("noon", None),
        ("15", None),
        ("1:2:3:4", None),
        ("15:0a", None),
        ("-1:30", None),
        ("", None),
        (1500, None),
        (None, None),
    ],
)
def test_parse_time(raw: object, expected: time | None) -> None:
    """`H:mm`, `HH:mm` and `HH:mm:ss` are read; anything else means no time was given."""
    assert parse_time(raw) == expected


@pytest.mark.parametrize(
    "raw", ["2026-03-1", "2026-13-01", "2026-02-30", "10/03/2026", 20260310, None]
)
def test_parse_date_rejects(raw: object) -> None:
    """Anything but an ISO date is a parse error, never a wrong date."""
    with pytest.raises(StaysParseError, match="not a date"):
        parse_date(raw)


def test_reservation_bad_times_are_absent() -> None:
    """Malformed check-in and check-out times fall back to "no time", keeping the record."""
    reservation = Reservation.from_json(_minimal(checkInTime="25:00", checkOutTime=1100))
    assert reservation.check_in_time is None
    assert reservation.check_out_time is None


def test_reservation_primary_guest_wins() -> None:
    """The guest flagged primary is the guest, even when listed after others."""
    details = {
        "list": [
            {"name": "Child One", "phones": [{"iso": "+551100"}]},
            {"name": "  Pedro   Alves ", "primary": True, "phones": "not a list"},
        ]
    }
    reservation = Reservation.from_json(_minimal(guestsDetails=details))
    assert reservation.guest == Guest(name="Pedro   Alves", phones=(), email=None)
    assert reservation.guest.first_name == "Pedro"


def test_reservation_first_named_guest_without_primary() -> None:
    """Without a primary flag (or with a non-boolean one) the first named person is the guest."""
    details = {
        "list": [
            "not a person",
            {"name": "   ", "primary": True},
            {"primary": True, "email": "nameless@example.com"},
            {"name": "Ana Costa", "primary": "yes", "email": " ana@example.com "},
            {"name": "Bruno Costa"},
        ]
    }
    reservation = Reservation.from_json(_minimal(guestsDetails=details))
    assert reservation.guest == Guest(name="Ana Costa", email="ana@example.com")


def test_reservation_phones_skip_unusable_entries() -> None:
    """Only phone entries with an `iso` number are kept, in order."""
    phones = [{"iso": "+1"}, "junk", {"number": "2"}, {"iso": " "}, {"iso": 5511}, {"iso": "+3"}]
    details = {"list": [{"name": "Maria", "phones": phones}]}
    guest = Reservation.from_json(_minimal(guestsDetails=details)).guest
    assert guest is not None
    assert guest.phones == ("+1", "5511", "+3")


@pytest.mark.parametrize(
    "details",
    [None, "x", {"list": "x"}, {"list": []}, {"list": [{"name": ""}, {"name": None}, 7]}],
)
def test_reservation_without_named_guest(details: object) -> None:
    """Missing or nameless guest details leave the reservation without a guest."""
    assert Reservation.from_json(_minimal(guestsDetails=details)).guest is None


def test_guest_first_name() -> None:
    """The first name is the first word; a name without words is kept as is."""
    assert Guest(name="Maria da Silva").first_name == "Maria"
    assert Guest(name="Cher").first_name == "Cher"
    assert Guest(name="").first_name == ""


@pytest.mark.parametrize(
    ("partner", "channel"),
    [
        ({"name": "API airbnb"}, "airbnb"),
        ({"name": "API booking.com"}, "booking.com"),
        ({"name": "Website"}, "Website"),
        ({"name": "API  airbnb "}, "airbnb"),
        ({"name": "   "}, None),
        ({"_id": "P1"}, None),
        ("API airbnb", None),
        (None, None),
    ],
)
def test_reservation_channel(partner: object, channel: str | None) -> None:
    """The channel is the partner label without Stays' "API " prefix."""
    assert Reservation.from_json(_minimal(partner=partner)).channel == channel


@pytest.mark.parametrize(
    ("guests", "expected"), [(3, 3), (0, 0), (True, None), (False, None), ("2", None), (2.0, None)]
)
def test_reservation_guest_count(guests: object, expected: int | None) -> None:
    """Only a real integer is a guest count; booleans and strings are ignored."""
    assert Reservation.from_json(_minimal(guests=guests)).guests == expected


@pytest.mark.parametrize("kind", list(ReservationType))
def test_reservation_expects_guest(kind: ReservationType) -> None:
    """Only reserved, booked and contract reservations bring a guest."""
    reservation = Reservation.from_json(_minimal(type=kind.value))
    assert reservation.type is kind
    assert reservation.expects_guest is (kind in GUEST_TYPES)
    assert reservation.expects_guest is (
        kind in {ReservationType.RESERVED, ReservationType.BOOKED, ReservationType.CONTRACT}
    )


@pytest.mark.parametrize("created", [20260101, None, "", "yesterday", "2026-02-30", "01/02/2026"])
def test_reservation_unreadable_creation_date_is_absent(created: object) -> None:
    """The creation date is optional: when unreadable it is absent, and the record is kept.

    The module promises to reject a record only for a field it cannot do without; losing a
    guest's reservation (and PIN) over its creation date would break that promise.
    """
    reservation = Reservation.from_json(_minimal(creationDate=created))
    assert reservation.id == "R-min"
    assert reservation.created is None


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (None, "not an object"),
        ([_minimal()], "not an object"),
        ("R-min", "not an object"),
        (_minimal(_id=None), "missing _id"),
        (_minimal(_id="  "), "missing _id"),
        (_minimal(_id=True), "missing _id"),
        (_minimal(_idlisting=None), "missing _idlisting"),
        (_minimal(type=None), "unknown reservation type None"),
        (_minimal(type="vacation"), "unknown reservation type 'vacation'"),
        (_minimal(type="Booked"), "unknown reservation type 'Booked'"),
        (_minimal(type="cancelled"), "unknown reservation type 'cancelled'"),
        (_minimal(checkInDate=None), "not a date"),
        (_minimal(checkOutDate="2026-03-32"), "not a date"),
        (_minimal(checkInDate="2026-03-11", checkOutDate="2026-03-10"), "check-out before"),
    ],
)
def test_reservation_unusable(record: object, message: str) -> None:
    """Records without an id, listing, known type or valid dates are rejected."""
    with pytest.raises(StaysParseError, match=message):
        Reservation.from_json(record)


def test_reservation_ignores_unknown_fields() -> None:
    """Fields Stays adds later do not change the parsed reservation."""
    assert Reservation.from_json(
        _reservation(newField={"nested": [1, 2]}, another=None)
    ) == Reservation.from_json(_reservation())


def test_listing_full_record() -> None:
    """A listing's id, short code, internal name, status and city are read."""
    listing = Listing.from_json(
        {
            "_id": "L-beach",
            "id": "CP01",
            "internalName": "Casa da Praia",
            "_mstitle": {"pt_BR": "Título", "en_US": "Title"},
            "status": "active",
            "address": {"city": "Florianópolis", "state": "SC"},
            "unknown": [1],
        }
    )
    assert listing == Listing(
        id="L-beach", code="CP01", name="Casa da Praia", active=True, city="Florianópolis"
    )


@pytest.mark.parametrize(
    ("record", "name"),
    [
        ({"internalName": "Internal", "_mstitle": {"pt_BR": "PT", "en_US": "EN"}}, "Internal"),
        ({"internalName": " ", "_mstitle": {"pt_BR": "PT", "en_US": "EN"}}, "PT"),
        ({"_mstitle": {"pt_BR": "", "en_US": "EN", "es_ES": "ES"}}, "EN"),
        ({"_mstitle": {"fr_FR": None, "es_ES": "ES", "de_DE": "DE"}}, "ES"),
        ({"_mstitle": {"fr_FR": ""}, "id": "CP01"}, "CP01"),
        ({"_mstitle": "not an object", "id": 42}, "42"),
        ({}, "L-1"),
    ],
)
def test_listing_name_fallbacks(record: dict[str, Any], name: str) -> None:
    """The name falls back: internal name, Portuguese, English, any title, short id, long id."""
    assert Listing.from_json({"_id": "L-1", **record}).name == name


@pytest.mark.parametrize(
    ("status", "active"), [(None, True), ("active", True), ("inactive", False), ("hidden", False)]
)
def test_listing_status(status: str | None, active: bool) -> None:
    """A listing is active unless it has a status other than "active"."""
    assert Listing.from_json({"_id": "L-1", "status": status}).active is active


def test_listing_minimal_record() -> None:
    """Only the id is required; code and city are then absent."""
    listing = Listing.from_json({"_id": "L-1", "address": "somewhere"})
    assert listing == Listing(id="L-1", code=None, name="L-1", active=True, city=None)


@pytest.mark.parametrize("record", [None, [], "L-1", {"internalName": "No id"}, {"_id": ""}])
def test_listing_unusable(record: object) -> None:
    """A listing that is not an object or lacks an id is rejected."""
    with pytest.raises(StaysParseError):
        Listing.from_json(record)


def test_client_record() -> None:
    """A client's name, email and phones are read."""
    client = Client.from_json(
        {
            "_id": "C-1",
            "name": "Maria Silva",
            "fName": "Maria",
            "lName": "Silva",
            "email": "maria@example.com",
            "phones": [{"iso": "+5511999998888"}],
        }
    )
    assert client == Client(
        id="C-1", name="Maria Silva", email="maria@example.com", phones=("+5511999998888",)
    )


@pytest.mark.parametrize(
    ("record", "name"),
    [
        ({"fName": "Maria", "lName": "Silva"}, "Maria Silva"),
        ({"name": " ", "fName": "Maria", "lName": "Silva"}, "Maria Silva"),
        ({"fName": "Maria"}, "Maria"),
        ({"lName": "Silva", "fName": ""}, "Silva"),
        ({}, ""),
    ],
)
def test_client_name_from_parts(record: dict[str, Any], name: str) -> None:
    """Without a full name the name is first plus last name, or empty."""
    client = Client.from_json({"_id": "C-1", **record})
    assert client.name == name
    assert client.email is None
    assert client.phones == ()


@pytest.mark.parametrize("record", [None, ["C-1"], {"name": "No id"}])
def test_client_unusable(record: object) -> None:
    """A client that is not an object or lacks an id is rejected."""
    with pytest.raises(StaysParseError):
        Client.from_json(record)


def test_booking_settings() -> None:
    """A listing's own times are read; missing or malformed ones are not set."""
    assert BookingSettings.from_json(
        {"checkInTime": "16:00", "checkOutTime": "10:30", "other": 1}
    ) == BookingSettings(check_in_time=time(16, 0), check_out_time=time(10, 30))
    assert BookingSettings.from_json({"checkInTime": "late"}) == BookingSettings(
        check_in_time=None, check_out_time=None
    )


@pytest.mark.parametrize("record", [None, [], "16:00"])
def test_booking_settings_unusable(record: object) -> None:
    """Settings that are not an object are rejected."""
    with pytest.raises(StaysParseError, match="not an object"):
        BookingSettings.from_json(record)


def test_batch_complete() -> None:
    """A batch is complete only when nothing was skipped."""
    assert Batch([1, 2]).complete is True
    assert Batch([1, 2]).skipped == 0
    assert Batch([], 0).complete is True
    incomplete = Batch([1], 1)
    assert incomplete.complete is False
    assert incomplete.complete_but_named is False
    assert incomplete.items == [1]
    named = Batch([1], 2, ("R-a", "R-b"))
    assert named.complete is False
    assert named.complete_but_named is True


def test_record_id() -> None:
    """A skipped record is named by the id a readable one would carry, or not at all."""
    assert record_id({"_id": " R-1 "}) == "R-1"
    assert record_id({"_id": 7}) == "7"
    assert record_id({"_id": ""}) is None
    assert record_id({"_id": True}) is None
    assert record_id(["R-1"]) is None


def test_parse_error_is_a_value_error() -> None:
    """Callers catching ValueError also catch parse errors."""
    assert issubclass(StaysParseError, ValueError)


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
# Values that look like what Stays sends, so generated records often get deep into parsing.
_plausible = st.one_of(
    _json_values,
    st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)).map(date.isoformat),
    st.sampled_from([*ReservationType, "cancelled", "9:05", "25:00", "15:00:00", "API airbnb"]),
    st.fixed_dictionaries(
        {},
        optional={
            "list": st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "name": _json_values,
                        "primary": _json_values,
                        "phones": st.lists(
                            st.fixed_dictionaries({}, optional={"iso": _json_values})
                            | _json_values,
                            max_size=3,
                        ),
                        "email": _json_values,
                    },
                )
                | _json_values,
                max_size=3,
            ),
            "name": _json_values,
        },
    ),
)
_KEYS = (
    "_id",
    "id",
    "_idlisting",
    "_idclient",
    "type",
    "checkInDate",
    "checkOutDate",
    "checkInTime",
    "checkOutTime",
    "creationDate",
    "guests",
    "guestsDetails",
    "partner",
    "partnerCode",
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    record=st.one_of(
        _json_values,
        st.fixed_dictionaries({}, optional=dict.fromkeys(_KEYS, _plausible)),
        # A usable record with a few fields replaced, so many examples parse all the way.
        st.dictionaries(st.sampled_from(_KEYS), _plausible, max_size=3).map(
            lambda changes: {**_reservation(), **changes}
        ),
    )
)
def test_reservation_from_json_never_crashes(record: object) -> None:
    """Whatever JSON arrives, parsing yields a reservation or a `StaysParseError`, nothing else."""
    try:
        reservation = Reservation.from_json(record)
    except StaysParseError:
        event("rejected")
        return
    event("parsed")
    assert isinstance(reservation, Reservation)
    assert reservation.id
    assert reservation.listing_id
    assert reservation.check_out_date >= reservation.check_in_date
    assert reservation.nights >= 0
