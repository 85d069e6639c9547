"""Repair flows: let the user choose the PIN profile of a lock the migration could not place."""

from __future__ import annotations

from typing import Any

from homeassistant import data_entry_flow
from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant
from homeassistant.helpers.selector import SelectOptionDict, SelectSelector, SelectSelectorConfig
import voluptuous as vol

from .backends import async_load_profiles
from .const import CONF_PROFILE
from .profile_choice import is_subdevice, profile_label


class ChooseProfileFlow(RepairsFlow):
    """Asks which profile an old lock speaks, and saves it; the account then reloads."""

    def __init__(self, entry_id: str, subentry_id: str) -> None:
        """Remember which lock subentry the issue is about."""
        self._entry_id = entry_id
        self._subentry_id = subentry_id

    async def async_step_init(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """The flow starts with the issue's data, which is not an answer: ask first."""
        return await self.async_step_choose()

    async def async_step_choose(
        self, user_input: dict[str, Any] | None = None
    ) -> data_entry_flow.FlowResult:
        """Offer the profiles that fit the lock's shape (alone, or behind a gateway)."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        subentry = entry.subentries.get(self._subentry_id) if entry else None
        if entry is None or subentry is None:
            return self.async_abort(reason="lock_gone")
        profiles = await async_load_profiles(self.hass)
        if user_input is not None:
            self.hass.config_entries.async_update_subentry(
                entry, subentry, data={**subentry.data, CONF_PROFILE: user_input[CONF_PROFILE]}
            )
            return self.async_create_entry(data={})
        fitting = sorted(
            (key for key, p in profiles.items() if p.subdevice == is_subdevice(subentry.data)),
            key=lambda key: profiles[key].label,
        )
        options = [
            SelectOptionDict(value=key, label=profile_label(profiles[key])) for key in fitting
        ]
        return self.async_show_form(
            step_id="choose",
            data_schema=vol.Schema(
                {vol.Required(CONF_PROFILE): SelectSelector(SelectSelectorConfig(options=options))}
            ),
            description_placeholders={
                "lock": subentry.title,
                "profile": str(subentry.data.get(CONF_PROFILE)),
            },
        )


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """The flow that fixes one lock's missing profile."""
    data = data or {}
    return ChooseProfileFlow(str(data.get("entry_id")), str(data.get("subentry_id")))
