"""Typed views of Stays records, parsed tolerantly.

Stays adds fields without notice and old records miss some, so parsing reads only what it needs,
ignores the rest, and rejects a record (with `StaysParseError`) only when a field it cannot do
without is missing or malformed. The caller skips such a record instead of losing the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from enum import StrEnum
from typing import Any, Self


class StaysParseError(ValueError):
    """A record lacks a field it cannot do without, or has it in an unknown form."""


class ReservationType(StrEnum):
    """What Stays calls a reservation's type; `canceled` is spelled with one "l"."""

    RESERVED = "reserved"
    BOOKED = "booked"
    CONTRACT = "contract"
    BLOCKED = "blocked"
    MAINTENANCE = "maintenance"
    CANCELED = "canceled"


#: Types for which a guest is actually coming: the ones that get a PIN.
GUEST_TYPES: frozenset[ReservationType] = frozenset(
    {ReservationType.RESERVED, ReservationType.BOOKED, ReservationType.CONTRACT}
)


class DateType(StrEnum):
    """Which of a reservation's dates a search window applies to."""

    ARRIVAL = "arrival"
    DEPARTURE = "departure"
    CREATION = "creation"
    INCLUDED = "included"


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _required_text(data: Mapping[str, Any], key: str) -> str:
    if (value := _text(data, key)) is None:
        raise StaysParseError(f"missing {key}")
    return value


def record_id(data: Any) -> str | None:
    """The id a record names, read as a readable record's id is, or `None` when it names none.

    A record skipped as unreadable is then unknown under the same id it would have had.
    """
    return _text(data, "_id") if isinstance(data, Mapping) else None


def _mapping(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def parse_date(value: Any) -> date:
    """Read a `YYYY-MM-DD` date (a longer ISO timestamp keeps its date part)."""
    if not isinstance(value, str) or len(value) < 10:
        raise StaysParseError(f"not a date: {value!r}")
    try:
        return date.fromisoformat(value[:10])
    except ValueError as err:
        raise StaysParseError(f"not a date: {value!r}") from err


def _optional_date(value: Any) -> date | None:
    """A date the record can do without: unreadable means absent, not a rejected record."""
    try:
        return parse_date(value)
    except StaysParseError:
        return None


def parse_time(value: Any) -> time | None:
    """Read `HH:mm` (or `H:mm`, `HH:mm:ss`); anything else means "no time given"."""
    if not isinstance(value, str):
        return None
    parts = value.strip().split(":")
    # ASCII digits only: `isdigit` also accepts "²", which `int` then refuses.
    if len(parts) not in (2, 3) or not all(part.isascii() and part.isdigit() for part in parts):
        return None
    hour, minute = int(parts[0]), int(parts[1])
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _phones(raw: Any) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    phones = []
    for entry in raw:
        number = _text(entry, "iso") if isinstance(entry, Mapping) else None
        if number:
            phones.append(number)
    return tuple(phones)


@dataclass(frozen=True, kw_only=True)
class Guest:
    """The primary guest as the reservation names them; contact data may be absent."""

    name: str
    phones: tuple[str, ...] = ()
    email: str | None = None

    @property
    def first_name(self) -> str:
        """What a calendar may show without exposing the guest's full name."""
        return self.name.split()[0] if self.name.split() else self.name


@dataclass(frozen=True, kw_only=True)
class Reservation:
    """One Stays reservation, as far as door access cares."""

    id: str
    code: str | None
    listing_id: str
    client_id: str | None
    type: ReservationType
    check_in_date: date
    check_out_date: date
    check_in_time: time | None = None
    check_out_time: time | None = None
    guest: Guest | None = None
    guests: int | None = None
    channel: str | None = None
    partner_code: str | None = None
    created: date | None = None

    @classmethod
    def from_json(cls, data: Any) -> Self:
        """Parse a reservation record; raise `StaysParseError` if it is unusable."""
        if not isinstance(data, Mapping):
            raise StaysParseError("reservation is not an object")
        try:
            kind = ReservationType(_required_text(data, "type"))
        except ValueError as err:
            raise StaysParseError(f"unknown reservation type {data.get('type')!r}") from err
        check_in = parse_date(data.get("checkInDate"))
        check_out = parse_date(data.get("checkOutDate"))
        if check_out < check_in:
            raise StaysParseError("check-out before check-in")
        created = data.get("creationDate")
        guests = data.get("guests")
        return cls(
            id=_required_text(data, "_id"),
            code=_text(data, "id"),
            listing_id=_required_text(data, "_idlisting"),
            client_id=_text(data, "_idclient"),
            type=kind,
            check_in_date=check_in,
            check_out_date=check_out,
            check_in_time=parse_time(data.get("checkInTime")),
            check_out_time=parse_time(data.get("checkOutTime")),
            guest=_primary_guest(data),
            guests=guests if isinstance(guests, int) and not isinstance(guests, bool) else None,
            channel=_channel(_text(_mapping(data, "partner"), "name")),
            partner_code=_text(data, "partnerCode"),
            created=_optional_date(created),
        )

    @property
    def nights(self) -> int:
        """Nights of the stay, counted by calendar dates as Stays does."""
        return (self.check_out_date - self.check_in_date).days

    @property
    def expects_guest(self) -> bool:
        """Whether someone is coming: blocks, maintenance and cancellations are not guests."""
        return self.type in GUEST_TYPES


def _primary_guest(data: Mapping[str, Any]) -> Guest | None:
    entries = _mapping(data, "guestsDetails").get("list")
    if not isinstance(entries, list):
        return None
    people = [entry for entry in entries if isinstance(entry, Mapping) and _text(entry, "name")]
    if not people:
        return None
    primary = next((entry for entry in people if entry.get("primary") is True), people[0])
    return Guest(
        name=_required_text(primary, "name"),
        phones=_phones(primary.get("phones")),
        email=_text(primary, "email"),
    )


def _channel(partner_name: str | None) -> str | None:
    """Turn Stays' partner label ("API airbnb") into a channel name ("airbnb")."""
    if partner_name is None:
        return None
    name = partner_name.removeprefix("API ").strip()
    return name or None


@dataclass(frozen=True, kw_only=True)
class Listing:
    """A rentable unit; its door locks are mapped to it by id."""

    id: str
    code: str | None
    name: str
    active: bool = True
    city: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Self:
        """Parse a listing; the name falls back through internal name, title and code."""
        if not isinstance(data, Mapping):
            raise StaysParseError("listing is not an object")
        listing_id = _required_text(data, "_id")
        titles = _mapping(data, "_mstitle")
        name = (
            _text(data, "internalName")
            or _text(titles, "pt_BR")
            or _text(titles, "en_US")
            or next((_text(titles, key) for key in titles if _text(titles, key)), None)
            or _text(data, "id")
            or listing_id
        )
        status = _text(data, "status")
        return cls(
            id=listing_id,
            code=_text(data, "id"),
            name=name,
            active=status is None or status == "active",
            city=_text(_mapping(data, "address"), "city"),
        )


@dataclass(frozen=True, kw_only=True)
class Client:
    """A guest's record in Stays' address book, where contact data lives."""

    id: str
    name: str
    email: str | None = None
    phones: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_json(cls, data: Any) -> Self:
        """Parse a client; the name falls back to first plus last name."""
        if not isinstance(data, Mapping):
            raise StaysParseError("client is not an object")
        full = " ".join(part for part in (_text(data, "fName"), _text(data, "lName")) if part)
        return cls(
            id=_required_text(data, "_id"),
            name=_text(data, "name") or full,
            email=_text(data, "email"),
            phones=_phones(data.get("phones")),
        )


@dataclass(frozen=True, kw_only=True)
class BookingSettings:
    """A listing's own check-in and check-out times, when it sets them."""

    check_in_time: time | None
    check_out_time: time | None

    @classmethod
    def from_json(cls, data: Any) -> Self:
        """Parse the settings; a missing or malformed time means "not set"."""
        if not isinstance(data, Mapping):
            raise StaysParseError("booking settings are not an object")
        return cls(
            check_in_time=parse_time(data.get("checkInTime")),
            check_out_time=parse_time(data.get("checkOutTime")),
        )


@dataclass(frozen=True)
class Batch[T]:
    """Records of a paged listing, and which were skipped as unreadable.

    A batch with skipped records is incomplete: a caller must not conclude that a record it
    does not see is gone. `skipped_ids` names the skipped records that carry a readable id
    (one entry per record), so a caller can hold only those as unknown; a skipped record
    without one could be any record, so only `complete_but_named` tells the rest apart.
    """

    items: list[T]
    skipped: int = 0
    skipped_ids: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether every record Stays sent could be read."""
        return self.skipped == 0

    @property
    def complete_but_named(self) -> bool:
        """Whether every record was read, or skipped under an id that names it."""
        return self.skipped == len(self.skipped_ids)
