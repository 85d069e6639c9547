"""Lock subentries written by earlier versions: move them to today's profiles, once.

Profile ids of earlier versions go to the closest verified profile (`LEGACY_PROFILES`). Where
none fits, a Cloud lock keeps running (Tuya Cloud needs no LAN profile), and a LAN lock is not
set up: a repair issue asks the user to choose its profile, and its fix flow (`repairs`) saves
the choice. A Zigbee lock moved to a gateway profile without its gateway and node id keeps
running as before, and a repair issue asks for them. Issues go away once the subentry is fine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .backends import uses_cloud
from .const import CONF_PROFILE, DOMAIN, LOGGER, PROFILE_AUTO, SUBENTRY_LOCK
from .coordinator import SmartLockConfigEntry
from .profile_choice import is_subdevice
from .tuya import PinProfile
from .tuya.profiles import LEGACY_PROFILES

ISSUE_PROFILE = "lock_profile_needed"
ISSUE_GATEWAY = "lock_gateway_needed"


def issue_id(kind: str, entry_id: str, subentry_id: str) -> str:
    """One issue per kind and lock subentry."""
    return f"{kind}_{entry_id}_{subentry_id}"


def migrated_data(
    data: Mapping[str, Any], profiles: Mapping[str, PinProfile]
) -> dict[str, Any] | None:
    """The subentry's data on today's profile ids, or `None` when nothing changes."""
    old = data.get(CONF_PROFILE)
    if old not in LEGACY_PROFILES:
        return None
    new = LEGACY_PROFILES[str(old)]
    if new is not None and new in profiles:
        return {**data, CONF_PROFILE: new}
    if uses_cloud(data):
        return {**data, CONF_PROFILE: PROFILE_AUTO}
    return None


def needs_profile(data: Mapping[str, Any], profiles: Mapping[str, PinProfile]) -> bool:
    """Whether the subentry names no profile it can run with."""
    profile = data.get(CONF_PROFILE, PROFILE_AUTO)
    if uses_cloud(data):
        return profile != PROFILE_AUTO and profile not in profiles
    return profile not in profiles


def needs_gateway(data: Mapping[str, Any], profiles: Mapping[str, PinProfile]) -> bool:
    """Whether a LAN lock on a sub-device profile lacks the gateway and node ids."""
    profile = profiles.get(str(data.get(CONF_PROFILE)))
    return (
        profile is not None
        and profile.subdevice
        and not uses_cloud(data)
        and not is_subdevice(data)
    )


@callback
def async_migrate_locks(
    hass: HomeAssistant, entry: SmartLockConfigEntry, profiles: Mapping[str, PinProfile]
) -> None:
    """Rewrite old lock subentries, then raise or clear each lock's repair issues."""
    wanted: set[str] = set()
    for subentry in list(entry.subentries.values()):
        if subentry.subentry_type != SUBENTRY_LOCK:
            continue
        if (data := migrated_data(subentry.data, profiles)) is not None:
            LOGGER.info(
                "Lock %s moves from PIN profile %s to %s",
                subentry.title,
                subentry.data.get(CONF_PROFILE),
                data[CONF_PROFILE],
            )
            hass.config_entries.async_update_subentry(entry, subentry, data=data)
        data = dict(entry.subentries[subentry.subentry_id].data)
        placeholders = {"lock": subentry.title, "profile": str(data.get(CONF_PROFILE))}
        if needs_profile(data, profiles):
            wanted.add(issue_id(ISSUE_PROFILE, entry.entry_id, subentry.subentry_id))
            ir.async_create_issue(
                hass,
                DOMAIN,
                issue_id(ISSUE_PROFILE, entry.entry_id, subentry.subentry_id),
                is_fixable=True,
                is_persistent=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=ISSUE_PROFILE,
                translation_placeholders=placeholders,
                data={"entry_id": entry.entry_id, "subentry_id": subentry.subentry_id},
            )
        if needs_gateway(data, profiles):
            wanted.add(issue_id(ISSUE_GATEWAY, entry.entry_id, subentry.subentry_id))
            ir.async_create_issue(
                hass,
                DOMAIN,
                issue_id(ISSUE_GATEWAY, entry.entry_id, subentry.subentry_id),
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_GATEWAY,
                translation_placeholders=placeholders,
            )
    for domain, existing in list(ir.async_get(hass).issues):
        if (
            domain == DOMAIN
            and existing.startswith(
                (f"{ISSUE_PROFILE}_{entry.entry_id}_", f"{ISSUE_GATEWAY}_{entry.entry_id}_")
            )
            and existing not in wanted
        ):
            ir.async_delete_issue(hass, DOMAIN, existing)
