"""A Stays account's data, as the External API's JSON holds it, and the webhooks it sends.

Kept apart from serving it (`simulators.stays_server`): tests, the demo and the HTTP control
API all change the account through these methods, and each change posts the webhook Stays
would post.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
import json
import random
import re
import string
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, hdrs

RESERVATION_TYPES = ("reserved", "booked", "contract", "blocked", "maintenance", "canceled")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_RE = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
_SHORT_ALPHABET = string.ascii_uppercase + string.digits
_STATES = {"Florianópolis": "SC", "Rio de Janeiro": "RJ", "São Paulo": "SP", "Salvador": "BA"}


def dumps(data: object) -> str:
    """JSON as Stays writes it (UTF-8 text, and junk records added by tests still serialise)."""
    return json.dumps(data, ensure_ascii=False, default=str)


def _new_object_id(rng: random.Random) -> str:
    return f"{rng.getrandbits(96):024x}"


def _random_code(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def today() -> date:
    """The local date, as a Stays account's dates are."""
    return datetime.now().astimezone().date()


def parse_date(value: object) -> date | None:
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


def _partner_code(rng: random.Random, partner: str) -> str:
    if "booking" in partner.lower():
        return _random_code(rng, string.digits, 10)
    return ("HM" if "airbnb" in partner.lower() else "") + _random_code(rng, _SHORT_ALPHABET, 8)


class StaysAccount:
    """Listings, clients and reservations of one account, changed as Stays would change them."""

    def __init__(self, *, seed: int = 0) -> None:
        """An empty account; generated ids and codes come from `seed`."""
        self._rng = random.Random(seed)
        self.webhook_deliveries: list[tuple[str, int]] = []
        self.webhook_url: str | None = None
        self._listings: dict[str, dict[str, Any]] = {}
        self._booking_settings: dict[str, dict[str, str]] = {}
        self._clients: dict[str, dict[str, Any]] = {}
        self._reservations: list[dict[str, Any]] = []
        self._short_ids: set[str] = set()
        self._partner_ids: dict[str, str] = {}
        #: Where the account is served, once it is (reservation links name it).
        self._url: str | None = None

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
            "creationDate": (created or min(today(), check_in)).isoformat(),
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
        body = dumps({"action": action, "_dt": stamp, "payload": payload})
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
