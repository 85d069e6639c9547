"""The ways a Stays API call can fail, and the answer each fault gives.

Tests and the demo inject them (`StaysSimulator.inject_fault`, or the control API) to see the
integration cope with what a real account does on a bad day.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import hdrs, web

from .http import API_ROOT, error_response, json_response

_LIST_PATHS = frozenset({"/booking/reservations", "/booking/clients", "/content/listings"})

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


@dataclass
class Fault:
    """A fault waiting for the next `remaining` requests under `path_prefix`."""

    kind: FaultKind
    remaining: int
    path_prefix: str
    retry_after: float | None


async def fault_response(
    request: web.Request, fault: Fault, timeout_delay: float
) -> web.StreamResponse | None:
    """Response for ``fault``, or None to carry on normally after a TIMEOUT stall."""
    if fault.kind in _STATUS_FAULTS:
        response = error_response(*_STATUS_FAULTS[fault.kind])
        if fault.retry_after is not None and fault.kind is FaultKind.RATE_LIMITED:
            response.headers[hdrs.RETRY_AFTER] = f"{fault.retry_after:g}"
        return response
    if fault.kind is FaultKind.BAD_GATEWAY:
        return web.Response(status=502, text=_BAD_GATEWAY_HTML, content_type="text/html")
    if fault.kind is FaultKind.MALFORMED_JSON:
        return web.Response(body=b'{"_id": ', content_type="application/json")
    if fault.kind is FaultKind.WRONG_SHAPE:
        is_list = request.path.removeprefix(API_ROOT).rstrip("/") in _LIST_PATHS
        return json_response({"unexpected": True} if is_list else [{"unexpected": True}])
    if fault.kind is FaultKind.DISCONNECT:
        if request.transport is not None:
            request.transport.close()
        return web.Response()  # cannot reach the client; aiohttp drops it
    await asyncio.sleep(timeout_delay)  # TIMEOUT: the client should give up first
    return None
