"""In-memory simulator of the Stays External API, so SmartLock Tuya runs without a real account.

It serves the read-only endpoints the integration uses (reservations, clients, listings,
listing booking settings), injects HTTP and transport faults on demand, and posts
Stays-style webhooks when its data changes through the Python or HTTP control API (``/_sim``).
"""

import argparse
import asyncio
import base64
import contextlib
import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
import ipaddress
import json
import random
import re
import secrets
import string
from types import NoneType
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, hdrs, web
from aiohttp.typedefs import Handler

API_ROOT = "/external/v1"
CONTROL_ROOT = "/_sim"
MAX_LIMIT = 20
RESERVATION_TYPES = ("reserved", "booked", "contract", "blocked", "maintenance", "canceled")
DEFAULT_TYPES = ("reserved", "booked", "contract")
_DATE_FIELDS = {"arrival": "checkInDate", "departure": "checkOutDate", "creation": "creationDate"}
DATE_TYPES = (*_DATE_FIELDS, "included")
_LIST_PATHS = frozenset({"/booking/reservations", "/booking/clients", "/content/listings"})
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_RE = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
_SHORT_ALPHABET = string.ascii_uppercase + string.digits
_STATES = {"Florianópolis": "SC", "Rio de Janeiro": "RJ", "São Paulo": "SP", "Salvador": "BA"}
_BAD_GATEWAY_HTML = (
    "<html><head><title>502 Bad Gateway</title></head><body>"
    "<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)


class FaultKind(StrEnum):
    """Ways a Stays API call can fail, as the integration would observe them."""

    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    BAD_GATEWAY = "bad_gateway"
    TIMEOUT = "timeout"
    MALFORMED_JSON = "malformed_json"
    WRONG_SHAPE = "wrong_shape"
    DISCONNECT = "disconnect"


_STATUS_FAULTS = {
    FaultKind.UNAUTHORIZED: (401, "Unauthorized"),
    FaultKind.FORBIDDEN: (403, "Forbidden"),
    FaultKind.NOT_FOUND: (404, "Not Found"),
    FaultKind.RATE_LIMITED: (429, "Too Many Requests"),
    FaultKind.SERVER_ERROR: (500, "Internal Server Error"),
}


@dataclass(frozen=True)
class RecordedRequest:
    """One API request as received, so tests can count calls and check paging."""

    method: str
    path: str  # full path, e.g. "/external/v1/booking/reservations"
    query: tuple[tuple[str, str], ...]

    @property
    def api_path(self) -> str:
        """Path relative to the API root, as fault prefixes are."""
        return self.path.removeprefix(API_ROOT)


@dataclass
class _Fault:
    kind: FaultKind
    remaining: int
    path_prefix: str
    retry_after: float | None


class _HttpError(Exception):
    """Ends a handler with a Stays-style ``{"message": ...}`` error."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _dumps(data: object) -> str:
    # default=str keeps junk records added for tolerance tests serialisable.
    return json.dumps(data, ensure_ascii=False, default=str)


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _error(status: int, message: str) -> web.Response:
    return _json({"message": message}, status)


def _new_object_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(96):024x}"


def _random_code(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _today() -> date:
    return datetime.now().astimezone().date()


def _parse_date(value: object) -> date | None:
    """Strict ``YYYY-MM-DD``; None for anything else, so junk records never raise."""
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _require_time(value: str | None) -> None:
    if value is not None and not _TIME_RE.fullmatch(value):
        raise ValueError(f"time must be HH:mm, got {value!r}")


def _query_date(request: web.Request, name: str) -> date:
    parsed = _parse_date(request.query.get(name))
    if parsed is None:
        raise _HttpError(400, f"'{name}' is required as YYYY-MM-DD")
    return parsed


def _query_int(request: web.Request, name: str, default: int) -> int:
    raw = request.query.get(name, str(default))
    if not (raw.isascii() and raw.isdigit()):
        raise _HttpError(400, f"'{name}' must be a non-negative integer")
    return int(raw)


def _page(request: web.Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    skip = _query_int(request, "skip", 0)
    limit = _query_int(request, "limit", MAX_LIMIT)
    if not 1 <= limit <= MAX_LIMIT:
        raise _HttpError(400, f"'limit' must be between 1 and {MAX_LIMIT}")
    return items[skip : skip + limit]


def _matches(
    record: dict[str, Any],
    *,
    date_type: str,
    window: tuple[date, date],
    listings: list[str],
    types: list[str],
) -> bool:
    if date_type == "included":
        first = _parse_date(record.get("checkInDate"))
        last = _parse_date(record.get("checkOutDate"))
    else:
        first = last = _parse_date(record.get(_DATE_FIELDS[date_type]))
    if first is None or last is None:
        return True  # uncomparable junk stays visible: clients must cope with it
    if listings and record.get("_idlisting") not in listings:
        return False
    return record.get("type") in types and first <= window[1] and last >= window[0]


def _sort_key(record: dict[str, Any]) -> tuple[str, str]:
    return str(record.get("checkInDate", "")), str(record.get("_id", ""))


def _without_contacts(record: dict[str, Any]) -> dict[str, Any]:
    """Copy minus guests' phones and e-mails, which Stays only gives per reservation."""
    result = copy.deepcopy(record)
    details = result.get("guestsDetails")
    if isinstance(details, dict) and isinstance(details.get("list"), list):
        for guest in details["list"]:
            if isinstance(guest, dict):
                guest.pop("phones", None)
                guest.pop("email", None)
    return result


def _partner_code(rng: random.Random, partner: str) -> str:
    if "booking" in partner.lower():
        return _random_code(rng, string.digits, 10)
    return ("HM" if "airbnb" in partner.lower() else "") + _random_code(rng, _SHORT_ALPHABET, 8)


# Control bodies are checked against these before calling the Python API, so a bad body
# gets a 400 instead of a crash (values are exact JSON types; dates arrive as strings).
_STR, _OPT = (str,), (str, NoneType)
# fmt: off
_LISTING_SPEC = {"name": _STR, "listing_id": _OPT, "short_id": _OPT, "check_in_time": _STR,
                 "check_out_time": _STR, "city": _STR}
_RESERVATION_SPEC = {"listing_id": _STR, "check_in": _STR, "check_out": _STR, "guest_name": _STR,
                     "phone": _OPT, "email": _OPT, "check_in_time": _OPT, "check_out_time": _OPT,
                     "type": _STR, "partner": _STR, "reservation_id": _OPT, "short_id": _OPT,
                     "created": _OPT, "guests": (int,)}
_FAULT_SPEC = {"kind": _STR, "count": (int,), "path_prefix": _STR,
               "retry_after": (int, float, NoneType)}
# fmt: on


def _checked(body: dict[str, Any], spec: dict[str, tuple[type, ...]]) -> dict[str, Any]:
    for key, value in body.items():
        if key not in spec:
            raise _HttpError(400, f"unknown field {key!r}")
        if type(value) not in spec[key]:
            raise _HttpError(400, f"field {key!r} has the wrong type")
    for key in ("check_in", "check_out", "created"):
        if body.get(key) is not None:
            body[key] = _parse_date(body[key])
            if body[key] is None:
                raise _HttpError(400, f"{key!r} must be YYYY-MM-DD")
    return body


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        data = await request.json()
    except ValueError:
        raise _HttpError(400, "body is not valid JSON") from None
    if not isinstance(data, dict):
        raise _HttpError(400, "body must be a JSON object")
    return data


class StaysSimulator:
    """A fake Stays account served over HTTP; use one per test, demo or benchmark."""

    def __init__(
        self,
        *,
        client_id: str = "demo-client",
        client_secret: str = "demo-secret",  # noqa: S107 - a well-known demo credential
        seed: int = 0,
    ) -> None:
        """Create an empty account; credentials stay mutable to simulate a revoked key.

        Generated ids and codes come from `seed`, so the same calls give the same account.
        """
        self._rng = random.Random(seed)
        self.client_id = client_id
        self.client_secret = client_secret
        self.requests: list[RecordedRequest] = []
        self.webhook_deliveries: list[tuple[str, int]] = []
        self.webhook_url: str | None = None
        self.timeout_delay = 30.0
        self._listings: dict[str, dict[str, Any]] = {}
        self._booking_settings: dict[str, dict[str, str]] = {}
        self._clients: dict[str, dict[str, Any]] = {}
        self._reservations: list[dict[str, Any]] = []
        self._faults: list[_Fault] = []
        self._short_ids: set[str] = set()
        self._partner_ids: dict[str, str] = {}
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on ``host:port``; port 0 picks a free port (see ``url``)."""
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        # Handler cancellation and a short shutdown timeout keep stop() quick even while
        # a TIMEOUT fault is stalling a request.
        runner = web.AppRunner(
            self._build_app(),
            handle_signals=False,
            shutdown_timeout=0.25,
            handler_cancellation=True,
            access_log=None,
        )
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        self._url = f"http://{f'[{host}]' if ':' in host else host}:{runner.addresses[0][1]}"

    async def stop(self) -> None:
        """Stop serving; safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    @property
    def url(self) -> str:
        """Account domain, e.g. ``http://127.0.0.1:PORT``."""
        if self._url is None:
            raise RuntimeError("simulator not started")
        return self._url

    @property
    def api_url(self) -> str:
        """Root of the External API."""
        return self.url + API_ROOT

    # -- data -----------------------------------------------------------------------------

    def add_listing(
        self,
        *,
        name: str,
        listing_id: str | None = None,
        short_id: str | None = None,
        check_in_time: str = "15:00",
        check_out_time: str = "11:00",
        city: str = "Florianópolis",
    ) -> dict[str, Any]:
        """Add a listing and its booking settings; returns a copy of the listing JSON."""
        _require_time(check_in_time)
        _require_time(check_out_time)
        listing_id = listing_id or _new_object_id(self._rng)
        if listing_id in self._listings:
            raise ValueError(f"listing {listing_id} already exists")
        self._listings[listing_id] = listing = {
            "_id": listing_id,
            "id": self._short_id(short_id),
            "internalName": name,
            "_mstitle": {"pt_BR": name, "en_US": name},
            "status": "active",
            "address": {"city": city, "state": _STATES.get(city, ""), "countryCode": "BR"},
        }
        self._booking_settings[listing_id] = {
            "checkInTime": check_in_time,
            "checkOutTime": check_out_time,
        }
        return copy.deepcopy(listing)

    def remove_listing(self, listing_id: str) -> None:
        """Take a listing off the account, as when a property leaves the manager."""
        del self._listings[listing_id]
        self._booking_settings.pop(listing_id, None)

    def add_client(
        self,
        *,
        name: str,
        phone: str | None = None,
        email: str | None = None,
        client_id: str | None = None,
    ) -> dict[str, Any]:
        """Add a guest (a Stays "client"); returns a copy of its JSON."""
        client_id = client_id or _new_object_id(self._rng)
        if client_id in self._clients:
            raise ValueError(f"client {client_id} already exists")
        first, _, last = name.partition(" ")
        client: dict[str, Any] = {"_id": client_id, "name": name, "fName": first, "lName": last}
        if email:
            client["email"] = email
        client["phones"] = [{"iso": phone}] if phone else []
        self._clients[client_id] = client
        return copy.deepcopy(client)

    async def add_reservation(
        self,
        *,
        listing_id: str,
        check_in: date,
        check_out: date,
        guest_name: str = "Maria Silva",
        phone: str | None = "+5511999998888",
        email: str | None = None,
        check_in_time: str | None = None,
        check_out_time: str | None = None,
        type: str = "booked",  # noqa: A002 - the Stays field name
        partner: str = "API airbnb",
        reservation_id: str | None = None,
        short_id: str | None = None,
        created: date | None = None,
        guests: int = 2,
    ) -> dict[str, Any]:
        """Add a reservation plus its guest's client record; webhook ``reservation.created``."""
        listing = self._find_listing(listing_id)
        if listing is None:
            raise ValueError(f"unknown listing {listing_id}")
        if type not in RESERVATION_TYPES:
            raise ValueError(f"type must be one of {', '.join(RESERVATION_TYPES)}")
        if check_out < check_in or guests < 0:
            raise ValueError("check_out must not precede check_in, nor guests be negative")
        _require_time(check_in_time)
        _require_time(check_out_time)
        if reservation_id is not None and self._find_reservation(reservation_id) is not None:
            raise ValueError(f"reservation {reservation_id} already exists")
        short = self._short_id(short_id)  # may refuse: before anything is stored
        client = self.add_client(name=guest_name, phone=phone, email=email)
        guest = {"type": "adult", "name": guest_name, "primary": True, "phones": client["phones"]}
        if email:
            guest["email"] = email
        nights = max((check_out - check_in).days, 1)
        record: dict[str, Any] = {
            "_id": reservation_id or _new_object_id(self._rng),
            "id": short,
            "creationDate": (created or min(_today(), check_in)).isoformat(),
            "checkInDate": check_in.isoformat(),
            "checkOutDate": check_out.isoformat(),
            "_idlisting": listing["_id"],
            "_idclient": client["_id"],
            "type": type,
            "guests": guests,
            "guestsDetails": {"adults": guests, "children": 0, "infants": 0, "list": [guest]},
            "partner": {
                "_id": self._partner_ids.setdefault(partner, _new_object_id(self._rng)),
                "name": partner,
            },
            "partnerCode": _partner_code(self._rng, partner),
            "price": {"currency": "BRL", "_f_total": round(nights * 389.9 + 150, 2)},
            "reservationUrl": f"{self._url or 'http://localhost'}/i/reservation/{short}",
        }
        if check_in_time is not None:
            record["checkInTime"] = check_in_time
        if check_out_time is not None:
            record["checkOutTime"] = check_out_time
        self._reservations.append(record)
        return await self._changed("reservation.created", record)

    async def change_reservation(self, reservation_id: str, /, **fields: object) -> dict[str, Any]:
        """Overwrite raw JSON fields, e.g. ``checkOutDate="2026-01-09"``; webhook ``.modified``."""
        record = self._require_reservation(reservation_id)
        record.update(copy.deepcopy(fields))
        return await self._changed("reservation.modified", record)

    async def cancel_reservation(self, reservation_id: str) -> dict[str, Any]:
        """Mark canceled, hiding it from default lists; webhook ``reservation.canceled``."""
        record = self._require_reservation(reservation_id)
        record["type"] = "canceled"
        return await self._changed("reservation.canceled", record)

    async def reactivate_reservation(
        self,
        reservation_id: str,
        type: str = "booked",  # noqa: A002 - the Stays field name
    ) -> dict[str, Any]:
        """Undo a cancellation; webhook ``reservation.reactivated``."""
        if type not in RESERVATION_TYPES or type == "canceled":
            raise ValueError(f"cannot reactivate as {type!r}")
        record = self._require_reservation(reservation_id)
        record["type"] = type
        return await self._changed("reservation.reactivated", record)

    async def delete_reservation(self, reservation_id: str) -> None:
        """Remove entirely so lookups 404; webhook ``reservation.deleted``, partial payload."""
        record = self._require_reservation(reservation_id)
        self._reservations.remove(record)
        if self.webhook_url:
            partial = {"_id": record.get("_id"), "_idlisting": record.get("_idlisting")}
            partial |= {"from": record.get("checkInDate"), "to": record.get("checkOutDate")}
            await self.send_webhook("reservation.deleted", partial)

    def add_raw_reservation(self, record: dict[str, Any]) -> None:
        """Store ``record`` as-is; if its dates cannot be compared it shows up in every list."""
        self._reservations.append(record)

    async def send_webhook(
        self, action: str, payload: dict[str, Any], url: str | None = None
    ) -> int:
        """POST a Stays webhook; returns the HTTP status, or 0 when it could not be delivered."""
        target = url or self.webhook_url
        if target is None:
            raise ValueError("no webhook URL given or configured")
        stamp = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        body = _dumps({"action": action, "_dt": stamp, "payload": payload})
        headers = {hdrs.CONTENT_TYPE: "application/json"}
        try:
            async with (
                ClientSession(timeout=ClientTimeout(total=10)) as session,
                session.post(target, data=body, headers=headers) as response,
            ):
                status = response.status
        except (ClientError, TimeoutError):
            status = 0
        self.webhook_deliveries.append((action, status))
        return status

    # -- faults ---------------------------------------------------------------------------

    def inject_fault(
        self,
        kind: FaultKind,
        *,
        count: int = 1,
        path_prefix: str = "",
        retry_after: float | None = None,
    ) -> None:
        """Fail the next ``count`` API requests under ``path_prefix`` (relative to the API root)."""
        if count < 1 or (retry_after is not None and retry_after < 0):
            raise ValueError("count must be positive and retry_after not negative")
        prefix = path_prefix.removeprefix(API_ROOT).lstrip("/")
        self._faults.append(_Fault(FaultKind(kind), count, prefix, retry_after))

    def clear_faults(self) -> None:
        """Drop all pending faults."""
        self._faults.clear()

    # -- internals ------------------------------------------------------------------------

    def _short_id(self, wanted: str | None) -> str:
        """A short id no other record has: lookups by short id must find one record."""
        if wanted is not None and wanted in self._short_ids:
            raise ValueError(f"short id {wanted} already exists")
        short = wanted or _random_code(self._rng, _SHORT_ALPHABET, 5)
        while wanted is None and short in self._short_ids:
            short = _random_code(self._rng, _SHORT_ALPHABET, 5)
        self._short_ids.add(short)
        return short

    def _find_listing(self, key: str) -> dict[str, Any] | None:
        by_short_id = (item for item in self._listings.values() if item["id"] == key)
        return self._listings.get(key) or next(by_short_id, None)

    def _find_reservation(self, key: str) -> dict[str, Any] | None:
        return next((r for r in self._reservations if key in (r.get("_id"), r.get("id"))), None)

    def _require_reservation(self, key: str) -> dict[str, Any]:
        record = self._find_reservation(key)
        if record is None:
            raise KeyError(f"unknown reservation {key}")
        return record

    async def _changed(self, action: str, record: dict[str, Any]) -> dict[str, Any]:
        """Webhook the new state when a URL is set; returns a copy for the caller."""
        if self.webhook_url:
            await self.send_webhook(action, copy.deepcopy(record))
        return copy.deepcopy(record)

    def _take_fault(self, relative_path: str) -> _Fault | None:
        for fault in self._faults:
            if relative_path.lstrip("/").startswith(fault.path_prefix):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True)
        except ValueError:
            return False
        expected = f"{self.client_id}:{self.client_secret}".encode()
        return scheme.lower() == "basic" and secrets.compare_digest(decoded, expected)

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        api, ctl, add = API_ROOT, CONTROL_ROOT, app.router.add_route
        add("GET", f"{api}/booking/reservations", self._list_reservations)
        add("GET", f"{api}/booking/reservations/{{key}}", self._get_reservation)
        add("GET", f"{api}/booking/clients", self._list_clients)
        add("GET", f"{api}/booking/clients/{{key}}", self._get_client)
        add("GET", f"{api}/content/listings", self._list_listings)
        add("GET", f"{api}/content/listings/{{key}}", self._get_listing)
        add("GET", f"{api}/settings/listing/{{key}}/booking", self._get_booking_settings)
        add("POST", f"{ctl}/listings", self._ctl_add_listing)
        add("POST", f"{ctl}/reservations", self._ctl_add_reservation)
        add("PATCH", f"{ctl}/reservations/{{key}}", self._ctl_change_reservation)
        add("DELETE", f"{ctl}/reservations/{{key}}", self._ctl_delete_reservation)
        add("POST", f"{ctl}/reservations/{{key}}/{{action:cancel|reactivate}}", self._ctl_action)
        add("POST", f"{ctl}/faults", self._ctl_add_fault)
        add("DELETE", f"{ctl}/faults", self._ctl_clear_faults)
        add("PUT", f"{ctl}/webhook", self._ctl_set_webhook)
        add("GET", f"{ctl}/state", self._ctl_state)
        return app

    @web.middleware  # marks it new-style; unmarked ones get called as (app, handler)
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Turn every failure into a JSON ``{"message"}``; control-API input errors into 400/404."""
        is_api = request.path.startswith(API_ROOT + "/")
        try:
            return await (self._serve_api(request, handler) if is_api else handler(request))
        except _HttpError as exc:
            return _error(exc.status, exc.message)
        except web.HTTPException as exc:
            return _error(exc.status, exc.reason)
        except (KeyError, ValueError, TypeError) as exc:
            if is_api:
                raise
            return _error(404 if isinstance(exc, KeyError) else 400, str(exc).strip("'\""))

    async def _serve_api(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        relative = request.path.removeprefix(API_ROOT)
        query = tuple(request.query.items())
        self.requests.append(RecordedRequest(request.method, request.path, query))
        fault = self._take_fault(relative)
        if fault is not None:
            response = await self._fault_response(request, fault)
            if response is not None:
                return response
        if not self._authorized(request.headers.get(hdrs.AUTHORIZATION, "")):
            return _error(401, "Unauthorized")
        return await handler(request)

    async def _fault_response(
        self, request: web.Request, fault: _Fault
    ) -> web.StreamResponse | None:
        """Response for ``fault``, or None to carry on normally after a TIMEOUT stall."""
        if fault.kind in _STATUS_FAULTS:
            response = _error(*_STATUS_FAULTS[fault.kind])
            if fault.retry_after is not None and fault.kind is FaultKind.RATE_LIMITED:
                response.headers[hdrs.RETRY_AFTER] = f"{fault.retry_after:g}"
            return response
        if fault.kind is FaultKind.BAD_GATEWAY:
            return web.Response(status=502, text=_BAD_GATEWAY_HTML, content_type="text/html")
        if fault.kind is FaultKind.MALFORMED_JSON:
            return web.Response(body=b'{"_id": ', content_type="application/json")
        if fault.kind is FaultKind.WRONG_SHAPE:
            is_list = request.path.removeprefix(API_ROOT).rstrip("/") in _LIST_PATHS
            return _json({"unexpected": True} if is_list else [{"unexpected": True}])
        if fault.kind is FaultKind.DISCONNECT:
            if request.transport is not None:
                request.transport.close()
            return web.Response()  # cannot reach the client; aiohttp drops it
        await asyncio.sleep(self.timeout_delay)  # TIMEOUT: the client should give up first
        return None

    # -- API handlers ---------------------------------------------------------------------

    async def _list_reservations(self, request: web.Request) -> web.Response:
        window = _query_date(request, "from"), _query_date(request, "to")
        date_type = request.query.get("dateType", "arrival")
        if date_type not in DATE_TYPES:
            raise _HttpError(400, f"'dateType' must be one of {', '.join(DATE_TYPES)}")
        listings = request.query.getall("listingId", [])
        types = request.query.getall("type", []) or list(DEFAULT_TYPES)
        found = [
            record
            for record in self._reservations
            if _matches(record, date_type=date_type, window=window, listings=listings, types=types)
        ]
        return _json([_without_contacts(r) for r in _page(request, sorted(found, key=_sort_key))])

    async def _get_reservation(self, request: web.Request) -> web.Response:
        record = self._find_reservation(request.match_info["key"])
        if record is None:
            raise _HttpError(404, "Reservation not found")
        return _json(record)

    async def _list_clients(self, request: web.Request) -> web.Response:
        return _json(_page(request, list(self._clients.values())))

    async def _get_client(self, request: web.Request) -> web.Response:
        client = self._clients.get(request.match_info["key"])
        if client is None:
            raise _HttpError(404, "Client not found")
        return _json(client)

    async def _list_listings(self, request: web.Request) -> web.Response:
        return _json(_page(request, list(self._listings.values())))

    async def _get_listing(self, request: web.Request) -> web.Response:
        listing = self._find_listing(request.match_info["key"])
        if listing is None:
            raise _HttpError(404, "Listing not found")
        return _json(listing)

    async def _get_booking_settings(self, request: web.Request) -> web.Response:
        listing = self._find_listing(request.match_info["key"])
        if listing is None:
            raise _HttpError(404, "Listing not found")
        return _json(self._booking_settings[listing["_id"]])

    # -- control handlers -----------------------------------------------------------------

    async def _ctl_add_listing(self, request: web.Request) -> web.Response:
        return _json(self.add_listing(**_checked(await _body(request), _LISTING_SPEC)), 201)

    async def _ctl_add_reservation(self, request: web.Request) -> web.Response:
        body = _checked(await _body(request), _RESERVATION_SPEC)
        return _json(await self.add_reservation(**body), 201)

    async def _ctl_change_reservation(self, request: web.Request) -> web.Response:
        fields = await _body(request)
        return _json(await self.change_reservation(request.match_info["key"], **fields))

    async def _ctl_action(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        if request.match_info["action"] == "cancel":
            return _json(await self.cancel_reservation(key))
        body = _checked(await _body(request), {"type": _STR})
        return _json(await self.reactivate_reservation(key, **body))

    async def _ctl_delete_reservation(self, request: web.Request) -> web.Response:
        await self.delete_reservation(request.match_info["key"])
        return web.Response(status=204)

    async def _ctl_add_fault(self, request: web.Request) -> web.Response:
        body = _checked(await _body(request), _FAULT_SPEC)
        kind = str(body.pop("kind", "")).lower()
        if kind not in set(FaultKind):
            raise _HttpError(400, f"'kind' must be one of {', '.join(FaultKind)}")
        self.inject_fault(FaultKind(kind), **body)
        return _json({"pending_faults": len(self._faults)}, 201)

    async def _ctl_clear_faults(self, request: web.Request) -> web.Response:
        self.clear_faults()
        return web.Response(status=204)

    async def _ctl_set_webhook(self, request: web.Request) -> web.Response:
        body = await _body(request)
        if "url" not in body or type(body["url"]) not in _OPT:
            raise _HttpError(400, 'body must be {"url": string or null}')
        self.webhook_url = body["url"] or None
        return _json({"url": self.webhook_url})

    async def _ctl_state(self, request: web.Request) -> web.Response:
        return _json(
            {
                "listings": len(self._listings),
                "clients": len(self._clients),
                "reservations": len(self._reservations),
                "requests": len(self.requests),
                "pending_faults": len(self._faults),
                "webhook_url": self.webhook_url,
            }
        )


async def load_sample_account(sim: StaysSimulator, today: date) -> None:
    """Fill ``sim`` with a small, realistic account around ``today`` for the demo."""
    jurere = sim.add_listing(name="Apartamento Beira-Mar Jurerê", short_id="JU01A")["_id"]
    lagoa = sim.add_listing(name="Casa na Lagoa da Conceição", short_id="LG02B")["_id"]
    copa = sim.add_listing(
        name="Studio Copacabana Posto 5",
        short_id="CP03C",
        city="Rio de Janeiro",
        check_in_time="14:00",
    )["_id"]
    # (listing, arrival and departure relative to today, guest, phone, other fields)
    stays: list[tuple[str, int, int, str, str | None, dict[str, Any]]] = [
        (jurere, -2, 1, "Ana Beatriz Souza", "+5548991234567", {}),  # in progress
        (jurere, 1, 5, "Lucas Ferreira", "+5511987654321", {"check_in_time": "17:00"}),
        (lagoa, -5, 0, "Carla Mendes", "+5548999001122", {}),  # leaves today
        (lagoa, 0, 4, "João Pedro Oliveira", "+5521998877665", {"partner": "API booking.com"}),
        (copa, 0, 3, "Mariana Costa Lima", "+5521987001234", {"email": "mari@example.com"}),
        (copa, 4, 7, "Rafael Almeida", "+5531991112233", {}),  # canceled below
        (copa, 8, 12, "Fernanda Rodrigues", None, {"partner": "Website", "guests": 1}),
        (jurere, 10, 14, "Gabriel Santos", "+5541999887766", {"type": "reserved", "guests": 3}),
    ]
    for listing, arrive, leave, guest, phone, extra in stays:
        record = await sim.add_reservation(
            listing_id=listing,
            check_in=today + timedelta(days=arrive),
            check_out=today + timedelta(days=leave),
            guest_name=guest,
            phone=phone,
            created=today - timedelta(days=20),
            **extra,
        )
        if guest == "Rafael Almeida":
            await sim.cancel_reservation(record["_id"])


def _loopback_host(value: str) -> str:
    """Argparse type: the simulator has no real security, so it must not leave this machine."""
    with contextlib.suppress(ValueError):
        if value == "localhost" or ipaddress.ip_address(value).is_loopback:
            return value
    raise argparse.ArgumentTypeError(f"{value!r} is not loopback (127.x.x.x, ::1, localhost)")


async def _serve(args: argparse.Namespace) -> None:  # pragma: no cover - runs until Ctrl-C
    sim = StaysSimulator(client_id=args.client_id, client_secret=args.client_secret)
    await sim.start(args.host, args.port)
    try:
        if args.sample:
            await load_sample_account(sim, _today())
        print(f"Stays simulator: API {sim.api_url}, control API {sim.url}{CONTROL_ROOT}")
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description="Simulated Stays External API for SmartLock Tuya.")
    parser.add_argument("--host", type=_loopback_host, default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--client-id", default="demo-client")
    parser.add_argument("--client-secret", default="demo-secret")
    parser.add_argument("--sample", action="store_true", help="load a sample account around today")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
