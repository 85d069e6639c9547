"""The Stays webhook: a hint that a reservation changed, checked with Stays before acting.

Stays signs nothing, so the URL's random id is the secret, and the body is only a hint: the
reservation is fetched again by id and that answer is what the lifecycle acts on. Junk gets a
400 and changes nothing. Stays is answered at once; the re-fetch runs after the answer, so a
slow Stays or a long sync never makes Stays' delivery time out and send the news again.
"""

from __future__ import annotations

from http import HTTPStatus
import json
import re
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError

from .const import CONF_WEBHOOK_ID, DOMAIN, LOGGER
from .stays import StaysError, StaysNotFoundError

if TYPE_CHECKING:
    from .coordinator import SmartLockConfigEntry
    from .lifecycle import CredentialManager

MAX_BODY: Final = 64 * 1024
#: Stays' actions are short dotted names ("reservation.modified"); anything else is not stored.
_ACTION: Final = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_-]+){0,3}")
MAX_ACTION: Final = 64
MAX_RESERVATION_ID: Final = 128
#: Webhooks nobody acts on keep this many lines of the trail at most, so junk cannot push out
#: the lines that explain a PIN.
MAX_IGNORED: Final = 20
IGNORED: Final = "ignored"
UNKNOWN_ACTION: Final = "unknown"


def webhook_url(hass: HomeAssistant, webhook_id: str) -> str:
    """The address to paste into Stays (the path alone when Home Assistant has no URL)."""
    try:
        return webhook.async_generate_url(hass, webhook_id)
    except NoURLAvailableError:
        return webhook.async_generate_path(webhook_id)


def async_register(hass: HomeAssistant, entry: SmartLockConfigEntry) -> None:
    """Listen on the entry's webhook until it unloads."""
    webhook_id = entry.data[CONF_WEBHOOK_ID]

    async def handle(hass: HomeAssistant, _: str, request: web.Request) -> web.Response:
        return await _handle(hass, entry, request)

    webhook.async_register(
        hass,
        DOMAIN,
        f"SmartLock Tuya ({entry.title})",
        webhook_id,
        handle,
        local_only=False,
        allowed_methods=("POST",),
    )
    entry.async_on_unload(lambda: webhook.async_unregister(hass, webhook_id))


def action_summary(action: str) -> str:
    """What the trail keeps of an action: Stays' own short names, or a fixed word for junk."""
    if len(action) <= MAX_ACTION and _ACTION.fullmatch(action):
        return action
    return UNKNOWN_ACTION


def reservation_id_of(payload: dict[str, Any]) -> str | None:
    """The reservation's id, where Stays puts it; None for anything that cannot be one."""
    for key in ("_id", "id", "reservationId", "_idreservation"):
        value = payload.get(key)
        if not isinstance(value, str):
            continue
        value = value.strip()
        if (
            value
            and value not in (".", "..")
            and len(value) <= MAX_RESERVATION_ID
            and value.isprintable()
        ):
            return value
    return None


async def read_capped(request: web.Request) -> bytes | None:
    """The body, read no further than the limit; None when it is longer.

    Content-Length alone does not bound a chunked body, so the stream itself is cut off.
    """
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None
    body = bytearray()
    while chunk := await request.content.read(MAX_BODY + 1 - len(body)):
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


def parse_body(raw: bytes) -> tuple[str, dict[str, Any]] | str:
    """The action and payload of a notification, or why it is refused."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        return "not JSON"
    if not isinstance(body, dict):
        return "not an object"
    action, payload = body.get("action"), body.get("payload")
    if not isinstance(action, str) or not isinstance(payload, dict):
        return "action and payload are required"
    return action, payload


async def _handle(
    hass: HomeAssistant, entry: SmartLockConfigEntry, request: web.Request
) -> web.Response:
    raw = await read_capped(request)
    if raw is None:
        return _answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too large")
    parsed = parse_body(raw)
    if isinstance(parsed, str):
        return _answer(HTTPStatus.BAD_REQUEST, parsed)
    action, payload = parsed
    manager = entry.runtime_data.manager
    if manager is None:  # pragma: no cover - set up before the webhook is registered
        return _answer(HTTPStatus.SERVICE_UNAVAILABLE, "starting")
    if action.startswith("listing."):
        entry.async_create_background_task(
            hass,
            _refresh_listings(entry, manager, action_summary(action)),
            f"{DOMAIN} webhook listings",
        )
        return _answer(HTTPStatus.OK, "accepted")
    if action.startswith("reservation."):
        reservation_id = reservation_id_of(payload)
        if reservation_id is None:
            return _answer(HTTPStatus.BAD_REQUEST, "no reservation id")
        entry.async_create_background_task(
            hass,
            _apply_reservation(entry, manager, action_summary(action), reservation_id),
            f"{DOMAIN} webhook reservation",
        )
        return _answer(HTTPStatus.OK, "accepted")
    _record_ignored(manager, action_summary(action))
    return _answer(HTTPStatus.OK, IGNORED)


async def _refresh_listings(
    entry: SmartLockConfigEntry, manager: CredentialManager, action: str
) -> None:
    """A listing changed: read the account again."""
    await entry.runtime_data.coordinator.async_request_refresh()
    _record(manager, action, None, "listings refreshed")


async def _apply_reservation(
    entry: SmartLockConfigEntry, manager: CredentialManager, action: str, reservation_id: str
) -> None:
    """Fetch the reservation by id and let the lifecycle act on Stays' answer."""
    try:
        reservation = await entry.runtime_data.client.reservation(reservation_id)
    except StaysNotFoundError:
        reservation = None
    except StaysError as err:
        LOGGER.debug(
            "Webhook for %s: Stays unreachable (%s); the poll will catch up", reservation_id, err
        )
        _record(manager, action, reservation_id, "deferred: Stays unreachable")
        return
    await manager.async_apply_reservation(reservation, reservation_id)
    _record(manager, action, reservation_id, "applied" if reservation is not None else "not found")


def _record(
    manager: CredentialManager, action: str, reservation_id: str | None, outcome: str
) -> None:
    """Keep the outcome in the trail, saved with the lifecycle's next save.

    The webhook never saves by itself: a save before the Store has loaded would replace it.
    """
    manager.store.record_webhook(action, reservation_id, outcome)


def _record_ignored(manager: CredentialManager, action: str) -> None:
    """Keep a short, bounded trace of news nobody acts on (saved with the next save)."""
    trail = manager.store.data.webhooks
    ignored = [line for line in trail if line.detail == IGNORED]
    for line in ignored[: max(0, len(ignored) - MAX_IGNORED + 1)]:
        trail.remove(line)
    manager.store.record_webhook(action, None, IGNORED)


def _answer(status: HTTPStatus, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)
