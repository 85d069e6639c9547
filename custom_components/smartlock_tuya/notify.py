"""The guest's message: rendered from the user's template, sent through a notify action or entity.

Where the PIN goes: a notify *action* (`notify.smtp`, `notify.mobile_app_x`) is called like any
action, so Home Assistant fires a `call_service` event holding the message (with the PIN) and
the guest's e-mail and phone, and the recorder stores that event. A notify *entity*
(`notify.guest_whatsapp`, the newer kind) is given the message directly, with no
`call_service` event, so nothing of it is recorded. The owner chooses by the name set in the
options; the README says the same.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from homeassistant.components.notify import DATA_COMPONENT
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.template import Template

from .const import DOMAIN


class NotifyError(Exception):
    """The message did not go out; `str()` is a short reason, never the message itself."""


@dataclass(frozen=True, kw_only=True)
class Door:
    """One lock a guest may open, and the PIN that opens it."""

    lock: str
    pin: str = field(repr=False)


def missing_notify_issue_id(entry_id: str) -> str:
    """One repair per account whose notify action does not exist."""
    return f"notify_service_missing_{entry_id}"


def render_message(
    hass: HomeAssistant,
    template: str,
    *,
    guest_name: str | None,
    listing: str,
    doors: Sequence[Door],
    starts: datetime,
    ends: datetime,
    time_zone: tzinfo,
    activate_by: datetime | None = None,
    every_door: bool = True,
) -> str:
    """The message for one guest, listing every door; times on the listing's wall clock.

    `pin` is the PIN alone when it opens every door of the stay (the usual case), else each
    door with its own: also when a door of the stay is not in `doors` (`every_door` false,
    its PIN not confirmed there), so that a bare PIN never reads as one for that door too.
    `activate_by` is when a Tuya Cloud offline PIN must have been typed once (it never starts
    working otherwise), empty when no door needs that. Raises whatever the template raises.
    """
    pins = {door.pin for door in doors}
    pin = (
        next(iter(pins))
        if len(pins) == 1 and every_door
        else ", ".join(f"{door.lock}: {door.pin}" for door in doors)
    )
    return str(
        Template(template, hass).async_render(
            {
                "guest_name": guest_name or "",
                "listing": listing,
                "pin": pin,
                "starts": starts.astimezone(time_zone).strftime("%d/%m %H:%M"),
                "ends": ends.astimezone(time_zone).strftime("%d/%m %H:%M"),
                "locks": ", ".join(door.lock for door in doors),
                "doors": [{"lock": door.lock, "pin": door.pin} for door in doors],
                "activate_by": (
                    activate_by.astimezone(time_zone).strftime("%d/%m %H:%M") if activate_by else ""
                ),
            },
            parse_result=False,
        )
    )


def needs_target(hass: HomeAssistant, service: str) -> bool:
    """Whether the message goes through an action, which must be told whom to reach."""
    return _entity(hass, service) is None


async def async_send(
    hass: HomeAssistant,
    *,
    entry_id: str,
    service: str,
    message: str,
    targets: Sequence[str],
    extra: Mapping[str, Any],
) -> None:
    """Send through the notify entity or action; raise `NotifyError` when it does not go out."""
    if (entity := _entity(hass, service)) is not None:
        ir.async_delete_issue(hass, DOMAIN, missing_notify_issue_id(entry_id))
        try:
            await entity._async_send_message(message=message)  # noqa: SLF001 - what the action calls
        except Exception as err:
            raise NotifyError(type(err).__name__) from err
        return
    domain, _, name = service.partition(".")
    if not name or not hass.services.has_service(domain, name):
        ir.async_create_issue(
            hass,
            DOMAIN,
            missing_notify_issue_id(entry_id),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="notify_service_missing",
            translation_placeholders={"service": service},
        )
        raise NotifyError("notify_service_missing")
    ir.async_delete_issue(hass, DOMAIN, missing_notify_issue_id(entry_id))
    data: dict[str, Any] = {"message": message, "data": dict(extra), "target": list(targets)}
    try:
        await hass.services.async_call(domain, name, data, blocking=True)
    except Exception as err:
        raise NotifyError(type(err).__name__) from err


def _entity(hass: HomeAssistant, service: str) -> Any:
    """The notify entity named `service`, if it is one."""
    if not service.startswith("notify.") or (component := hass.data.get(DATA_COMPONENT)) is None:
        return None
    return component.get_entity(service)
