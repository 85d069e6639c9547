"""The Stays webhook: a hint that a reservation changed, checked with Stays before acting.

Stays signs nothing, so the URL's random id is the secret, and the body is only a hint: the
reservation is fetched again by id and that answer is what the lifecycle acts on. Junk gets a
400 and changes nothing.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError

from .const import CONF_WEBHOOK_ID, DOMAIN, LOGGER
from .stays import StaysError, StaysNotFoundError

if TYPE_CHECKING:
    from .coordinator import SmartLockConfigEntry

MAX_BODY: int = 64 * 1024


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
        return await _handle(entry, request)

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


def _reservation_id(payload: dict[str, Any]) -> str | None:
    for key in ("_id", "id", "reservationId", "_idreservation"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip() and value.strip() not in (".", ".."):
            return value.strip()
    return None


async def _handle(entry: SmartLockConfigEntry, request: web.Request) -> web.Response:
    if request.content_length is not None and request.content_length > MAX_BODY:
        return _answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "too large")
    try:
        body = await request.json()
    except ValueError:
        return _answer(HTTPStatus.BAD_REQUEST, "not JSON")
    if not isinstance(body, dict):
        return _answer(HTTPStatus.BAD_REQUEST, "not an object")
    action, payload = body.get("action"), body.get("payload")
    if not isinstance(action, str) or not isinstance(payload, dict):
        return _answer(HTTPStatus.BAD_REQUEST, "action and payload are required")

    runtime = entry.runtime_data
    manager = runtime.manager
    store = manager.store if manager else None
    if action.startswith("listing."):
        await runtime.coordinator.async_request_refresh()
        outcome = "listings refreshed"
        reservation_id = None
    elif action.startswith("reservation.") and manager is not None:
        reservation_id = _reservation_id(payload)
        if reservation_id is None:
            return _answer(HTTPStatus.BAD_REQUEST, "no reservation id")
        try:
            reservation = await runtime.client.reservation(reservation_id)
        except StaysNotFoundError:
            reservation = None
        except StaysError as err:
            LOGGER.debug(
                "Webhook for %s: Stays unreachable (%s); the poll will catch up",
                reservation_id,
                err,
            )
            if store:
                store.record_webhook(action, reservation_id, "deferred: Stays unreachable")
                await store.async_save()
            return _answer(HTTPStatus.OK, "deferred")
        await manager.async_apply_reservation(reservation, reservation_id)
        outcome = "applied" if reservation is not None else "not found"
    else:
        reservation_id = None
        outcome = "ignored"
    if store:
        store.record_webhook(action, reservation_id, outcome)
        await store.async_save()
    return _answer(HTTPStatus.OK, outcome)


def _answer(status: HTTPStatus, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)
