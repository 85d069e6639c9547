"""The guest's message: rendered from the user's template, sent through a notify action."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, TemplateError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.template import Template

from .const import DOMAIN, LOGGER


def missing_notify_issue_id(entry_id: str) -> str:
    """One repair per account whose notify action does not exist."""
    return f"notify_service_missing_{entry_id}"


def render_message(
    hass: HomeAssistant,
    template: str,
    *,
    guest_name: str | None,
    listing: str,
    pin: str,
    starts: datetime,
    ends: datetime,
    locks: Sequence[str],
    time_zone: tzinfo,
) -> str:
    """The message for one guest; times on the listing's wall clock."""
    return str(
        Template(template, hass).async_render(
            {
                "guest_name": guest_name or "",
                "listing": listing,
                "pin": pin,
                "starts": starts.astimezone(time_zone).strftime("%d/%m %H:%M"),
                "ends": ends.astimezone(time_zone).strftime("%d/%m %H:%M"),
                "locks": ", ".join(locks),
            },
            parse_result=False,
        )
    )


async def async_send(
    hass: HomeAssistant,
    *,
    entry_id: str,
    service: str,
    message: str,
    targets: Sequence[str],
    extra: Mapping[str, Any],
) -> bool:
    """Call the notify action; a missing action is a repair issue, a failure is logged."""
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
        return False
    ir.async_delete_issue(hass, DOMAIN, missing_notify_issue_id(entry_id))
    data: dict[str, Any] = {"message": message, "data": dict(extra)}
    if targets:
        data["target"] = list(targets)
    try:
        await hass.services.async_call(domain, name, data, blocking=True)
    except (HomeAssistantError, TemplateError, ValueError) as err:
        LOGGER.warning("Sending the guest message through %s failed: %s", service, err)
        return False
    return True
