"""Config subentry flow of type `lock`: add, test and reconfigure one Tuya lock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryFlow, SubentryFlowResult
from homeassistant.helpers.selector import (
    BooleanSelector,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .backends import async_load_profiles, build_backend, uses_cloud
from .const import (
    BACKEND_AUTO,
    BACKEND_CLOUD,
    BACKEND_LAN,
    CONF_BACKEND,
    CONF_CLOUD_ACCESS_ID,
    CONF_CLOUD_ACCESS_SECRET,
    CONF_CLOUD_OFFLINE,
    CONF_CLOUD_REGION,
    CONF_DEVICE_ID,
    CONF_HOST,
    CONF_LISTING_IDS,
    CONF_LOCAL_KEY,
    CONF_NAME,
    CONF_PROFILE,
    CONF_PROTOCOL_VERSION,
    DEFAULT_PROFILE,
    LOGGER,
    PROTOCOL_VERSIONS,
)
from .coordinator import SmartLockConfigEntry
from .tuya import LockAuthError, LockError, PinProfile
from .tuya.cloud import REGIONS

_SECRET = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
CLOUD_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_CLOUD_REGION, default="us"): SelectSelector(
            SelectSelectorConfig(options=list(REGIONS), translation_key=CONF_CLOUD_REGION)
        ),
        vol.Required(CONF_CLOUD_ACCESS_ID): str,
        vol.Required(CONF_CLOUD_ACCESS_SECRET): _SECRET,
    }
)


def _problem_with(lock: Mapping[str, Any], profiles: Mapping[str, PinProfile]) -> dict[str, str]:
    """Form errors that need no connection to find."""
    if lock.get(CONF_PROFILE) not in profiles:
        return {CONF_PROFILE: "unsupported_profile"}
    if not uses_cloud(lock):
        if not lock.get(CONF_HOST) or not lock.get(CONF_LOCAL_KEY):
            return {"base": "lan_details_missing"}
        if len(str(lock[CONF_LOCAL_KEY])) != 16:
            return {CONF_LOCAL_KEY: "invalid_key"}
    return {}


def _profile_mismatch(profile: PinProfile, dps: Mapping[str, Any]) -> bool:
    """Whether the lock's own report contradicts the profile (its state DP absent or odd)."""
    if not dps or profile.dps.state is None:
        return False
    state = dps.get(str(profile.dps.state))
    return not isinstance(state, bool)


class LockSubentryFlow(ConfigSubentryFlow):
    """Adds a Tuya lock to the account, after talking to it once."""

    def __init__(self) -> None:
        """Start with no lock details collected."""
        self._lock: dict[str, Any] = {}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the lock's details and the listings it opens."""
        entry: SmartLockConfigEntry = self._get_entry()
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="entry_not_loaded")
        errors: dict[str, str] = {}
        if user_input is not None:
            lock = _cleaned(user_input)
            if _device_taken(entry, lock[CONF_DEVICE_ID]):
                return self.async_abort(reason="already_configured")
            if uses_cloud(lock) and not entry.data.get(CONF_CLOUD_ACCESS_ID):
                self._lock = lock
                return await self.async_step_cloud()
            errors = await self._test(entry.data, lock)
            if not errors:
                return self.async_create_entry(
                    title=lock[CONF_NAME], data=lock, unique_id=lock[CONF_DEVICE_ID]
                )
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                await self._schema(entry), user_input or {}
            ),
            errors=errors,
        )

    async def async_step_cloud(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The account's Tuya Cloud project, asked once for all its cloud locks."""
        entry: SmartLockConfigEntry = self._get_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            account = {**entry.data, **user_input}
            errors = await self._test(account, self._lock)
            if not errors:
                self.hass.config_entries.async_update_entry(entry, data=account)
                return self.async_create_entry(
                    title=self._lock[CONF_NAME],
                    data=self._lock,
                    unique_id=self._lock[CONF_DEVICE_ID],
                )
        return self.async_show_form(
            step_id="cloud",
            data_schema=self.add_suggested_values_to_schema(CLOUD_SCHEMA, user_input or {}),
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a lock's details; the lock is tested again before they are saved."""
        entry: SmartLockConfigEntry = self._get_entry()
        subentry = self._get_reconfigure_subentry()
        if entry.state is not ConfigEntryState.LOADED:
            # The listings to choose from, and the running lock to step aside, come from setup.
            return self.async_abort(reason="entry_not_loaded_reconfigure")
        errors: dict[str, str] = {}
        if user_input is not None:
            lock = _cleaned(user_input)
            if _device_taken(entry, lock[CONF_DEVICE_ID], besides=subentry.subentry_id):
                return self.async_abort(reason="already_configured")
            running = entry.runtime_data.locks.get(subentry.subentry_id)
            if running is None:
                errors = await self._test(entry.data, lock)
            else:
                # The lock serves one local client: ours must step aside for the test.
                async with running.backend.released():
                    errors = await self._test(entry.data, lock)
            if not errors:
                return self.async_update_and_abort(
                    entry,
                    subentry,
                    title=lock[CONF_NAME],
                    data=lock,
                    unique_id=lock[CONF_DEVICE_ID],
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                await self._schema(entry), user_input or dict(subentry.data)
            ),
            errors=errors,
        )

    async def _schema(self, entry: SmartLockConfigEntry) -> vol.Schema:
        profiles = await async_load_profiles(self.hass)
        listings = entry.runtime_data.coordinator.data.listings
        return vol.Schema(
            {
                vol.Required(CONF_NAME): str,
                vol.Required(CONF_DEVICE_ID): str,
                vol.Required(CONF_BACKEND, default=BACKEND_AUTO): SelectSelector(
                    SelectSelectorConfig(
                        options=[BACKEND_AUTO, BACKEND_LAN, BACKEND_CLOUD],
                        translation_key=CONF_BACKEND,
                    )
                ),
                vol.Optional(CONF_HOST): str,
                vol.Optional(CONF_LOCAL_KEY): _SECRET,
                vol.Required(CONF_PROTOCOL_VERSION, default=BACKEND_AUTO): SelectSelector(
                    SelectSelectorConfig(
                        options=list(PROTOCOL_VERSIONS), translation_key=CONF_PROTOCOL_VERSION
                    )
                ),
                vol.Required(CONF_PROFILE, default=DEFAULT_PROFILE): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=key, label=profile.name)
                            for key, profile in sorted(profiles.items())
                        ]
                    )
                ),
                vol.Required(CONF_LISTING_IDS): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=listing_id, label=listing.name)
                            for listing_id, listing in sorted(
                                listings.items(), key=lambda item: item[1].name
                            )
                        ],
                        multiple=True,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
                vol.Optional(CONF_CLOUD_OFFLINE, default=False): BooleanSelector(),
            }
        )

    async def _test(self, account: Mapping[str, Any], lock: Mapping[str, Any]) -> dict[str, str]:
        """Talk to the lock once with these details; return form errors."""
        profiles = await async_load_profiles(self.hass)
        if errors := _problem_with(lock, profiles):
            return errors
        if not lock.get(CONF_LISTING_IDS):
            return {CONF_LISTING_IDS: "no_listing"}
        profile = profiles[lock[CONF_PROFILE]]
        cloud = uses_cloud(lock)
        try:
            backend = build_backend(self.hass, account, lock, profile)
        except ValueError:
            return {"base": "unknown"}
        except LockAuthError:
            return {"base": "invalid_cloud_auth"}
        try:
            await backend.connect()
            status = await backend.status()
        except LockAuthError:
            return {"base": "invalid_cloud_auth" if cloud else "invalid_key"}
        except LockError as err:
            LOGGER.debug("Lock %s did not answer: %s", lock[CONF_DEVICE_ID], err)
            return {"base": "cannot_connect"}
        except Exception:  # noqa: BLE001 - a form must answer whatever went wrong
            LOGGER.exception("Unexpected error testing lock %s", lock[CONF_DEVICE_ID])
            return {"base": "unknown"}
        finally:
            await backend.close()
        if not cloud and _profile_mismatch(profile, status.dps):
            return {CONF_PROFILE: "unsupported_profile"}
        return {}


def _device_taken(entry: SmartLockConfigEntry, device_id: str, besides: str | None = None) -> bool:
    """Whether another lock subentry of the account already names this device."""
    return any(
        sub.data.get(CONF_DEVICE_ID) == device_id
        for sub_id, sub in entry.subentries.items()
        if sub_id != besides
    )


def _cleaned(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Trimmed text, and nothing of LAN details for a cloud-only lock."""
    lock = {
        key: value.strip() if isinstance(value, str) else value for key, value in user_input.items()
    }
    lock[CONF_LISTING_IDS] = list(user_input.get(CONF_LISTING_IDS, []))
    if lock.get(CONF_BACKEND) == BACKEND_CLOUD:
        lock.pop(CONF_LOCAL_KEY, None)
    return lock
