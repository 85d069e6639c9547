"""Async client for the Stays External API on an injected aiohttp session."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Iterable, Mapping
from datetime import date
import logging
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp

from .errors import (
    StaysAuthError,
    StaysConnectionError,
    StaysNotFoundError,
    StaysRateLimitError,
    StaysResponseError,
)
from .models import (
    GUEST_TYPES,
    Batch,
    BookingSettings,
    Client,
    DateType,
    Listing,
    Reservation,
    ReservationType,
    StaysParseError,
    record_id as record_id_of,
)

_LOGGER = logging.getLogger(__name__)

API_PATH = "/external/v1"
#: The largest page Stays serves for reservations, clients and listings.
PAGE_SIZE = 20
#: A server that ignores `skip` would otherwise page forever.
MAX_PAGES = 5000
MAX_RETRY_AFTER = 60.0

type Params = list[tuple[str, str]]


def api_root(base_url: str) -> str:
    """Return the API root for what a user typed as the account's address.

    Accepts the account domain (`https://acme.stays.net`) or the API root itself, with or
    without a trailing slash; raises `ValueError` for anything that is not an http(s) URL.
    """
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {base_url!r}")
    if parts.query or parts.fragment:
        raise ValueError("the address must not carry a query or fragment")
    path = parts.path.rstrip("/")
    if not path.endswith(API_PATH):
        path += API_PATH
    return f"{parts.scheme}://{parts.netloc}{path}"


def basic_authorization(client_id: str, client_secret: str) -> str:
    """The `Authorization` header value of HTTP Basic (RFC 7617), built here.

    aiohttp's `BasicAuth` and `auth=` are deprecated (gone in aiohttp 4). HTTP Basic carries
    Latin-1 only and cannot tell a ':' in the id from the separator, so such credentials are
    refused before anything is sent.
    """
    if ":" in client_id:
        raise StaysAuthError("a client id with ':' cannot be sent with HTTP Basic")
    try:
        raw = f"{client_id}:{client_secret}".encode("latin-1")
    except UnicodeEncodeError as err:
        raise StaysAuthError("these credentials cannot be sent with HTTP Basic") from err
    return "Basic " + base64.b64encode(raw).decode("ascii")


def account_host(base_url: str) -> str:
    """The account's host name, which identifies the account."""
    return str(urlsplit(api_root(base_url)).hostname).lower()


class StaysClient:
    """Reads reservations, listings and guests of one Stays account.

    Transient failures (network errors, timeouts, 429 and 5xx) are retried with exponential
    backoff; other 4xx answers are final. Every list call pages by 20 until a short page.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        request_timeout: float = 30.0,
        attempts: int = 4,
        backoff: float = 1.0,
    ) -> None:
        """Bind the client to a session it does not own and will not close."""
        self._session = session
        self._root = api_root(base_url)
        self._headers = {"Authorization": basic_authorization(client_id, client_secret)}
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._attempts = max(1, attempts)
        self._backoff = backoff

    @property
    def api_root(self) -> str:
        """The URL every path is relative to."""
        return self._root

    async def reservations(
        self,
        start: date,
        end: date,
        *,
        date_type: DateType = DateType.ARRIVAL,
        types: Iterable[ReservationType] = GUEST_TYPES,
        listing_ids: Iterable[str] = (),
    ) -> Batch[Reservation]:
        """Reservations whose `date_type` date falls in [start, end], every page."""
        params: Params = [
            ("from", start.isoformat()),
            ("to", end.isoformat()),
            ("dateType", str(date_type)),
        ]
        params += [("type", str(kind)) for kind in sorted(types)]
        params += [("listingId", listing_id) for listing_id in listing_ids]
        return await self._paged("/booking/reservations", params, Reservation.from_json)

    async def reservation(self, reservation_id: str) -> Reservation:
        """One reservation by its long or short id, with the guest's contact data."""
        data = await self._get(f"/booking/reservations/{_segment(reservation_id)}")
        return _parse_one(Reservation.from_json, data)

    async def listings(self) -> Batch[Listing]:
        """Every listing of the account."""
        return await self._paged("/content/listings", [], Listing.from_json)

    async def listing(self, listing_id: str) -> Listing:
        """One listing by its long or short id."""
        data = await self._get(f"/content/listings/{_segment(listing_id)}")
        return _parse_one(Listing.from_json, data)

    async def clients(self) -> Batch[Client]:
        """Every guest record of the account."""
        return await self._paged("/booking/clients", [], Client.from_json)

    async def client(self, client_id: str) -> Client:
        """One guest record, where the guest's phone and email live."""
        data = await self._get(f"/booking/clients/{_segment(client_id)}")
        return _parse_one(Client.from_json, data)

    async def booking_settings(self, listing_id: str) -> BookingSettings:
        """A listing's own check-in and check-out times."""
        data = await self._get(f"/settings/listing/{_segment(listing_id)}/booking")
        return _parse_one(BookingSettings.from_json, data)

    async def _paged[T](self, path: str, params: Params, parse: Callable[[Any], T]) -> Batch[T]:
        items: list[T] = []
        skipped = 0
        skipped_ids: list[str] = []
        for page_number in range(MAX_PAGES):
            page = await self._get(
                path, [*params, ("skip", str(page_number * PAGE_SIZE)), ("limit", str(PAGE_SIZE))]
            )
            if not isinstance(page, list):
                raise StaysResponseError(f"{path} did not answer with a list")
            for record in page:
                try:
                    items.append(parse(record))
                except StaysParseError as err:
                    skipped += 1
                    record_id = record_id_of(record)
                    if record_id is not None:
                        skipped_ids.append(record_id)
                    _LOGGER.warning(
                        "Skipping unreadable record %s from %s: %s",
                        "without id" if record_id is None else repr(record_id),
                        path,
                        err,
                    )
            if len(page) < PAGE_SIZE:
                return Batch(items, skipped, tuple(skipped_ids))
        raise StaysResponseError(f"{path} kept returning full pages after {MAX_PAGES} pages")

    async def _get(self, path: str, params: Params | None = None) -> Any:
        """GET a path and decode its JSON, retrying what may succeed on a second try."""
        url = self._root + path
        for attempt in range(1, self._attempts + 1):
            last = attempt == self._attempts
            try:
                async with self._session.get(
                    url, params=params, headers=self._headers, timeout=self._timeout
                ) as response:
                    if response.status in (401, 403):
                        raise StaysAuthError(f"Stays refused the credentials ({response.status})")
                    if response.status == 429:
                        retry_after = _retry_after(response.headers)
                        if last:
                            raise StaysRateLimitError("Stays kept rate-limiting", retry_after)
                        await self._sleep(attempt, retry_after)
                        continue
                    if response.status >= 500:
                        if last:
                            raise StaysConnectionError(f"Stays answered {response.status}")
                        await self._sleep(attempt)
                        continue
                    if response.status == 404:
                        raise StaysNotFoundError(f"{path} not found", 404)
                    if response.status >= 400:
                        raise StaysResponseError(
                            f"Stays refused {path}: {await _message(response)}", response.status
                        )
                    try:
                        return await response.json(content_type=None)
                    except ValueError as err:
                        raise StaysResponseError(f"{path} did not answer with JSON") from err
            except (aiohttp.ClientError, TimeoutError) as err:
                if last:
                    raise StaysConnectionError(f"cannot reach Stays: {type(err).__name__}") from err
                _LOGGER.debug("Retrying %s after %s", path, type(err).__name__)
                await self._sleep(attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _sleep(self, attempt: int, retry_after: float | None = None) -> None:
        delay = self._backoff * 2 ** (attempt - 1)
        if retry_after is not None:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
        await asyncio.sleep(delay)


def _segment(identifier: str) -> str:
    """Quote an id for use as one path segment, so an id can never change the path.

    "." and ".." would be resolved away by URL normalisation, reaching another endpoint.
    """
    if not identifier:
        raise ValueError("empty id")
    if identifier in (".", ".."):
        raise ValueError(f"not a record id: {identifier!r}")
    return quote(identifier, safe="")


def _parse_one[T](parse: Callable[[Any], T], data: Any) -> T:
    try:
        return parse(data)
    except StaysParseError as err:
        raise StaysResponseError(f"unreadable record: {err}") from err


def _retry_after(headers: Mapping[str, str]) -> float | None:
    try:
        return max(0.0, float(headers["Retry-After"]))
    except (KeyError, ValueError):
        return None


async def _message(response: aiohttp.ClientResponse) -> str:
    """The `message` of a Stays error body, or the status reason."""
    try:
        body = await response.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        body = None
    if isinstance(body, Mapping) and isinstance(body.get("message"), str):
        return str(body["message"])[:200]
    return response.reason or str(response.status)
