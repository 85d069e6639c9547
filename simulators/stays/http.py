"""How the simulated API reads its queries and control bodies, and writes its answers.

Stays answers errors as ``{"message": ...}``; pages hold at most `MAX_LIMIT` records; a
reservation list filters by one of `DATE_TYPES`. Control bodies are checked field by field, so
a bad one gets a 400 instead of a crash.
"""

from __future__ import annotations

import copy
from datetime import date
from types import NoneType
from typing import Any

from aiohttp import web

from .account import dumps, parse_date

API_ROOT = "/external/v1"
CONTROL_ROOT = "/_sim"
MAX_LIMIT = 20
DEFAULT_TYPES = ("reserved", "booked", "contract")
_DATE_FIELDS = {"arrival": "checkInDate", "departure": "checkOutDate", "creation": "creationDate"}
DATE_TYPES = (*_DATE_FIELDS, "included")


class HttpError(Exception):
    """Ends a handler with a Stays-style ``{"message": ...}`` error."""

    def __init__(self, status: int, message: str) -> None:
        """The status to answer and the message to put in the body."""
        super().__init__(message)
        self.status = status
        self.message = message


def json_response(data: object, status: int = 200) -> web.Response:
    """JSON written as Stays writes it."""
    return web.json_response(data, status=status, dumps=dumps)


def error_response(status: int, message: str) -> web.Response:
    """A Stays-style error."""
    return json_response({"message": message}, status)


def query_date(request: web.Request, name: str) -> date:
    """A required ``YYYY-MM-DD`` query parameter."""
    parsed = parse_date(request.query.get(name))
    if parsed is None:
        raise HttpError(400, f"'{name}' is required as YYYY-MM-DD")
    return parsed


def query_int(request: web.Request, name: str, default: int) -> int:
    """A non-negative whole-number query parameter."""
    raw = request.query.get(name, str(default))
    if not (raw.isascii() and raw.isdigit()):
        raise HttpError(400, f"'{name}' must be a non-negative integer")
    return int(raw)


def page(request: web.Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records of the page `skip` and `limit` ask for."""
    skip = query_int(request, "skip", 0)
    limit = query_int(request, "limit", MAX_LIMIT)
    if not 1 <= limit <= MAX_LIMIT:
        raise HttpError(400, f"'limit' must be between 1 and {MAX_LIMIT}")
    return items[skip : skip + limit]


def matches(
    record: dict[str, Any],
    *,
    date_type: str,
    window: tuple[date, date],
    listings: list[str],
    types: list[str],
) -> bool:
    """Whether a reservation answers a list query (uncomparable junk always does)."""
    if date_type == "included":
        first = parse_date(record.get("checkInDate"))
        last = parse_date(record.get("checkOutDate"))
    else:
        first = last = parse_date(record.get(_DATE_FIELDS[date_type]))
    if first is None or last is None:
        return True  # uncomparable junk stays visible: clients must cope with it
    if listings and record.get("_idlisting") not in listings:
        return False
    return record.get("type") in types and first <= window[1] and last >= window[0]


def sort_key(record: dict[str, Any]) -> tuple[str, str]:
    """Reservations are listed by check-in date, then id."""
    return str(record.get("checkInDate", "")), str(record.get("_id", ""))


def without_contacts(record: dict[str, Any]) -> dict[str, Any]:
    """Copy minus guests' phones and e-mails, which Stays only gives per reservation."""
    result = copy.deepcopy(record)
    details = result.get("guestsDetails")
    if isinstance(details, dict) and isinstance(details.get("list"), list):
        for guest in details["list"]:
            if isinstance(guest, dict):
                guest.pop("phones", None)
                guest.pop("email", None)
    return result


# Control bodies are checked against these before calling the Python API, so a bad body
# gets a 400 instead of a crash (values are exact JSON types; dates arrive as strings).
STR, OPT = (str,), (str, NoneType)
# fmt: off
LISTING_SPEC = {"name": STR, "listing_id": OPT, "short_id": OPT, "check_in_time": STR,
                 "check_out_time": STR, "city": STR}
RESERVATION_SPEC = {"listing_id": STR, "check_in": STR, "check_out": STR, "guest_name": STR,
                     "phone": OPT, "email": OPT, "check_in_time": OPT, "check_out_time": OPT,
                     "type": STR, "partner": STR, "reservation_id": OPT, "short_id": OPT,
                     "created": OPT, "guests": (int,)}
FAULT_SPEC = {"kind": STR, "count": (int,), "path_prefix": STR,
               "retry_after": (int, float, NoneType)}
# fmt: on


def checked(body: dict[str, Any], spec: dict[str, tuple[type, ...]]) -> dict[str, Any]:
    """A control body whose fields all have the types `spec` names; dates are parsed."""
    for key, value in body.items():
        if key not in spec:
            raise HttpError(400, f"unknown field {key!r}")
        if type(value) not in spec[key]:
            raise HttpError(400, f"field {key!r} has the wrong type")
    for key in ("check_in", "check_out", "created"):
        if body.get(key) is not None:
            body[key] = parse_date(body[key])
            if body[key] is None:
                raise HttpError(400, f"{key!r} must be YYYY-MM-DD")
    return body


async def read_body(request: web.Request) -> dict[str, Any]:
    """A control request's JSON object (empty when it has no body)."""
    if not request.body_exists:
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise HttpError(400, "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise HttpError(400, "body must be a JSON object")
    return data
