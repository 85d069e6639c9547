"""In-memory simulator of the Stays External API, so SmartLock Tuya runs without a real account.

It serves the read-only endpoints the integration uses (reservations, clients, listings,
listing booking settings), injects HTTP and transport faults on demand, and posts
Stays-style webhooks when its data changes through the Python or HTTP control API (``/_sim``).
The account's data is `simulators.stays.account`'s; this module serves it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
from dataclasses import dataclass
import ipaddress
import secrets

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from simulators.stays.account import RESERVATION_TYPES, StaysAccount, today
from simulators.stays.faults import Fault, FaultKind, fault_response
from simulators.stays.http import (
    API_ROOT,
    CONTROL_ROOT,
    DATE_TYPES,
    DEFAULT_TYPES,
    FAULT_SPEC,
    LISTING_SPEC,
    OPT,
    RESERVATION_SPEC,
    STR,
    HttpError,
    checked,
    error_response,
    json_response,
    matches,
    page,
    query_date,
    read_body,
    sort_key,
    without_contacts,
)
from simulators.stays.sample import load_sample_account

__all__ = [
    "API_ROOT",
    "CONTROL_ROOT",
    "RESERVATION_TYPES",
    "FaultKind",
    "RecordedRequest",
    "StaysSimulator",
    "load_sample_account",
    "main",
]


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


class StaysSimulator(StaysAccount):
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
        super().__init__(seed=seed)
        self.client_id = client_id
        self.client_secret = client_secret
        self.requests: list[RecordedRequest] = []
        self.timeout_delay = 30.0
        self._faults: list[Fault] = []
        self._runner: web.AppRunner | None = None

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
        self._faults.append(Fault(FaultKind(kind), count, prefix, retry_after))

    def clear_faults(self) -> None:
        """Drop all pending faults."""
        self._faults.clear()

    # -- internals ------------------------------------------------------------------------

    def _take_fault(self, relative_path: str) -> Fault | None:
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
        except HttpError as exc:
            return error_response(exc.status, exc.message)
        except web.HTTPException as exc:
            return error_response(exc.status, exc.reason)
        except (KeyError, ValueError, TypeError) as exc:
            if is_api:
                raise
            return error_response(404 if isinstance(exc, KeyError) else 400, str(exc).strip("'\""))

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
            return error_response(401, "Unauthorized")
        return await handler(request)

    async def _fault_response(
        self, request: web.Request, fault: Fault
    ) -> web.StreamResponse | None:
        """Response for ``fault``, or None to carry on normally after a TIMEOUT stall."""
        return await fault_response(request, fault, self.timeout_delay)

    # -- API handlers ---------------------------------------------------------------------

    async def _list_reservations(self, request: web.Request) -> web.Response:
        window = query_date(request, "from"), query_date(request, "to")
        date_type = request.query.get("dateType", "arrival")
        if date_type not in DATE_TYPES:
            raise HttpError(400, f"'dateType' must be one of {', '.join(DATE_TYPES)}")
        listings = request.query.getall("listingId", [])
        types = request.query.getall("type", []) or list(DEFAULT_TYPES)
        found = [
            record
            for record in self._reservations
            if matches(record, date_type=date_type, window=window, listings=listings, types=types)
        ]
        return json_response(
            [without_contacts(r) for r in page(request, sorted(found, key=sort_key))]
        )

    async def _get_reservation(self, request: web.Request) -> web.Response:
        record = self._find_reservation(request.match_info["key"])
        if record is None:
            raise HttpError(404, "Reservation not found")
        return json_response(record)

    async def _list_clients(self, request: web.Request) -> web.Response:
        return json_response(page(request, list(self._clients.values())))

    async def _get_client(self, request: web.Request) -> web.Response:
        client = self._clients.get(request.match_info["key"])
        if client is None:
            raise HttpError(404, "Client not found")
        return json_response(client)

    async def _list_listings(self, request: web.Request) -> web.Response:
        return json_response(page(request, list(self._listings.values())))

    async def _get_listing(self, request: web.Request) -> web.Response:
        listing = self._find_listing(request.match_info["key"])
        if listing is None:
            raise HttpError(404, "Listing not found")
        return json_response(listing)

    async def _get_booking_settings(self, request: web.Request) -> web.Response:
        listing = self._find_listing(request.match_info["key"])
        if listing is None:
            raise HttpError(404, "Listing not found")
        return json_response(self._booking_settings[listing["_id"]])

    # -- control handlers -----------------------------------------------------------------

    async def _ctl_add_listing(self, request: web.Request) -> web.Response:
        return json_response(
            self.add_listing(**checked(await read_body(request), LISTING_SPEC)), 201
        )

    async def _ctl_add_reservation(self, request: web.Request) -> web.Response:
        body = checked(await read_body(request), RESERVATION_SPEC)
        return json_response(await self.add_reservation(**body), 201)

    async def _ctl_change_reservation(self, request: web.Request) -> web.Response:
        fields = await read_body(request)
        return json_response(await self.change_reservation(request.match_info["key"], **fields))

    async def _ctl_action(self, request: web.Request) -> web.Response:
        key = request.match_info["key"]
        if request.match_info["action"] == "cancel":
            return json_response(await self.cancel_reservation(key))
        body = checked(await read_body(request), {"type": STR})
        return json_response(await self.reactivate_reservation(key, **body))

    async def _ctl_delete_reservation(self, request: web.Request) -> web.Response:
        await self.delete_reservation(request.match_info["key"])
        return web.Response(status=204)

    async def _ctl_add_fault(self, request: web.Request) -> web.Response:
        body = checked(await read_body(request), FAULT_SPEC)
        kind = str(body.pop("kind", "")).lower()
        if kind not in set(FaultKind):
            raise HttpError(400, f"'kind' must be one of {', '.join(FaultKind)}")
        self.inject_fault(FaultKind(kind), **body)
        return json_response({"pending_faults": len(self._faults)}, 201)

    async def _ctl_clear_faults(self, request: web.Request) -> web.Response:
        self.clear_faults()
        return web.Response(status=204)

    async def _ctl_set_webhook(self, request: web.Request) -> web.Response:
        body = await read_body(request)
        if "url" not in body or type(body["url"]) not in OPT:
            raise HttpError(400, 'body must be {"url": string or null}')
        self.webhook_url = body["url"] or None
        return json_response({"url": self.webhook_url})

    async def _ctl_state(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "listings": len(self._listings),
                "clients": len(self._clients),
                "reservations": len(self._reservations),
                "requests": len(self.requests),
                "pending_faults": len(self._faults),
                "webhook_url": self.webhook_url,
            }
        )


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
            await load_sample_account(sim, today())
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
