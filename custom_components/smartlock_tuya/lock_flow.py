"""Config subentry flow of type `lock`: add, test and reconfigure one Tuya lock.

The lock is always reached once before it is saved; `auto` then picks its PIN profile from
what it showed (`profile_choice.detect`), and asks the user only when the evidence fits more
than one profile. The PIN lengths the lock takes are stored with it, and a lock that can take
no PIN the integration can make is refused here rather than failing at every push.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntryState,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
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
from .cloud_description import CloudFacts, async_describe, specification_of
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
    CONF_GATEWAY_ID,
    CONF_HOST,
    CONF_LISTING_IDS,
    CONF_LOCAL_KEY,
    CONF_NAME,
    CONF_NODE_ID,
    CONF_PIN_LENGTH,
    CONF_PIN_LENGTHS,
    CONF_PROFILE,
    CONF_PROTOCOL_VERSION,
    DEFAULT_PIN_LENGTH,
    LOGGER,
    PROFILE_AUTO,
    PROTOCOL_VERSIONS,
)
from .coordinator import SmartLockConfigEntry
from .profile_choice import (
    allowed_lengths,
    contradicts,
    detect,
    probe_profile,
    profile_label,
    shape_problem,
    store_lengths,
    wanted_profile,
)
from .tuya import CloudBackend, LockAuthError, LockError, PinProfile
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


@dataclass(kw_only=True)
class _Contact:
    """What talking to the lock once taught: form errors, or its DPs and Tuya's description."""

    errors: dict[str, str] = field(default_factory=dict)
    dps: dict[str, Any] = field(default_factory=dict)
    cloud: CloudFacts = field(default_factory=CloudFacts)
    cloud_lengths: tuple[int, ...] | None = None
    """The lengths Tuya Cloud says the lock takes; `None` for a lock on the local network."""


def _problem_with(lock: Mapping[str, Any], profiles: Mapping[str, PinProfile]) -> dict[str, str]:
    """Form errors that need no connection to find."""
    chosen = wanted_profile(lock)
    if chosen != PROFILE_AUTO and chosen not in profiles:
        return {CONF_PROFILE: "unsupported_profile"}
    if errors := shape_problem(lock, profiles.get(chosen)):
        return errors
    if not uses_cloud(lock):
        if not lock.get(CONF_HOST) or not lock.get(CONF_LOCAL_KEY):
            return {"base": "lan_details_missing"}
        if len(str(lock[CONF_LOCAL_KEY])) != 16:
            return {CONF_LOCAL_KEY: "invalid_key"}
    if not lock.get(CONF_LISTING_IDS):
        return {CONF_LISTING_IDS: "no_listing"}
    return {}


class LockSubentryFlow(ConfigSubentryFlow):
    """Adds a Tuya lock to the account, after talking to it once."""

    def __init__(self) -> None:
        """Start with no lock details collected."""
        self._lock: dict[str, Any] = {}
        self._candidates: tuple[str, ...] = ()

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
            contact = await self._test(entry.data, lock)
            if (result := await self._decide(entry, lock, contact)) is not None:
                return result
            errors = contact.errors
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
            contact = await self._test(account, self._lock)
            if not contact.errors:
                self.hass.config_entries.async_update_entry(entry, data=account)
            if (result := await self._decide(entry, self._lock, contact)) is not None:
                return result
            errors = contact.errors
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
                contact = await self._test(entry.data, lock)
            else:
                # The lock serves one local client: ours must step aside for the test.
                async with running.backend.released():
                    contact = await self._test(entry.data, lock)
            if (result := await self._decide(entry, lock, contact)) is not None:
                return result
            errors = contact.errors
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                await self._schema(entry), user_input or dict(subentry.data)
            ),
            errors=errors,
        )

    async def async_step_choose_profile(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The lock answered, but what it showed fits several profiles: the user picks one."""
        profiles = await async_load_profiles(self.hass)
        if user_input is not None:
            # Every family's codec carries lengths the generator makes: no length check here.
            lock = {**self._lock, CONF_PROFILE: user_input[CONF_PROFILE]}
            lock[CONF_PIN_LENGTHS] = sorted(allowed_lengths(lock, profiles))
            return self._save(lock)
        options = [
            SelectOptionDict(value=key, label=profile_label(profiles[key]))
            for key in self._candidates
        ]
        return self.async_show_form(
            step_id="choose_profile",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_PROFILE, default=self._candidates[0]): SelectSelector(
                        SelectSelectorConfig(options=options)
                    )
                }
            ),
            description_placeholders={"lock": self._lock[CONF_NAME]},
        )

    async def _decide(
        self, entry: SmartLockConfigEntry, lock: dict[str, Any], contact: _Contact
    ) -> SubentryFlowResult | None:
        """Save the lock, or ask for its profile; `None` when the form must show errors."""
        if contact.errors:
            return None
        profiles = await async_load_profiles(self.hass)
        if contact.cloud_lengths is not None:
            lock[CONF_PIN_LENGTHS] = list(contact.cloud_lengths)
        if wanted_profile(lock) == PROFILE_AUTO:
            detection = detect(
                lock,
                profiles,
                dps=contact.dps,
                category=contact.cloud.category,
                codes=contact.cloud.codes,
            )
            LOGGER.debug("Profile of lock %s: %s", lock[CONF_DEVICE_ID], detection.reason)
            if detection.decided:
                lock[CONF_PROFILE] = detection.profile
                contact.errors = shape_problem(lock, profiles[str(detection.profile)])
            elif uses_cloud(lock):
                pass  # Tuya Cloud needs no LAN profile: the device kind gives the lengths
            elif fitting := tuple(
                key for key in detection.candidates if not shape_problem(lock, profiles[key])
            ):
                self._lock, self._candidates = lock, fitting
                return await self.async_step_choose_profile()
            elif detection.candidates:
                contact.errors = shape_problem(lock, profiles[detection.candidates[0]])
            else:  # only Wi-Fi residential locks have no LAN profile at all
                contact.errors = {CONF_BACKEND: "use_cloud_backend"}
        if not contact.errors:
            preferred = int(entry.options.get(CONF_PIN_LENGTH, DEFAULT_PIN_LENGTH))
            contact.errors = store_lengths(lock, profiles, preferred)
        return None if contact.errors else self._save(lock)

    def _save(self, lock: dict[str, Any]) -> SubentryFlowResult:
        """Create the subentry, or update the one being reconfigured."""
        if self.source == SOURCE_RECONFIGURE:
            return self.async_update_and_abort(
                self._get_entry(),
                self._get_reconfigure_subentry(),
                title=lock[CONF_NAME],
                data=lock,
                unique_id=lock[CONF_DEVICE_ID],
            )
        return self.async_create_entry(
            title=lock[CONF_NAME], data=lock, unique_id=lock[CONF_DEVICE_ID]
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
                vol.Optional(CONF_GATEWAY_ID): str,
                vol.Optional(CONF_NODE_ID): str,
                vol.Required(CONF_PROFILE, default=PROFILE_AUTO): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(value=PROFILE_AUTO, label="Automatic"),
                            *(
                                SelectOptionDict(value=key, label=profile_label(profile))
                                for key, profile in sorted(
                                    profiles.items(), key=lambda item: item[1].label
                                )
                            ),
                        ],
                        translation_key=CONF_PROFILE,
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

    async def _test(self, account: Mapping[str, Any], lock: Mapping[str, Any]) -> _Contact:
        """Talk to the lock once with these details: what it showed, or form errors."""
        profiles = await async_load_profiles(self.hass)
        if errors := _problem_with(lock, profiles):
            return _Contact(errors=errors)
        cloud = uses_cloud(lock)
        chosen = profiles.get(wanted_profile(lock))
        try:
            backend = build_backend(
                self.hass, account, lock, chosen if cloud else probe_profile(lock, profiles)
            )
        except LockAuthError:
            return _Contact(errors={"base": "invalid_cloud_auth"})
        except ValueError:
            # A region this version does not know: the account's details, not the lock's.
            LOGGER.exception("Lock %s cannot be built", lock[CONF_DEVICE_ID])
            return _Contact(errors={"base": "unknown"})
        facts = CloudFacts()
        try:
            await backend.connect()
            status = await backend.status()
            if isinstance(backend, CloudBackend):
                facts = await specification_of(backend)
        except LockAuthError:
            return _Contact(errors={"base": "invalid_cloud_auth" if cloud else "invalid_key"})
        except LockError as err:
            LOGGER.debug("Lock %s did not answer: %s", lock[CONF_DEVICE_ID], err)
            return _Contact(errors={"base": "cannot_connect"})
        except Exception:  # noqa: BLE001 - a form must answer whatever went wrong
            LOGGER.exception("Unexpected error testing lock %s", lock[CONF_DEVICE_ID])
            return _Contact(errors={"base": "unknown"})
        finally:
            await backend.close()
        if isinstance(backend, CloudBackend):
            return _Contact(dps=status.dps, cloud=facts, cloud_lengths=backend.pin_lengths)
        if chosen is not None and contradicts(chosen, status.dps):
            return _Contact(errors={CONF_PROFILE: "unsupported_profile"})
        if chosen is None and account.get(CONF_CLOUD_ACCESS_ID):
            facts = await async_describe(self.hass, account, lock)
        return _Contact(dps=status.dps, cloud=facts)


def _device_taken(entry: SmartLockConfigEntry, device_id: str, besides: str | None = None) -> bool:
    """Whether another lock subentry of the account already names this device."""
    return any(
        sub.data.get(CONF_DEVICE_ID) == device_id
        for sub_id, sub in entry.subentries.items()
        if sub_id != besides
    )


def _cleaned(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Trimmed text, nothing of LAN details for a cloud-only lock, no empty gateway fields."""
    lock = {
        key: value.strip() if isinstance(value, str) else value for key, value in user_input.items()
    }
    lock[CONF_LISTING_IDS] = list(user_input.get(CONF_LISTING_IDS, []))
    for key in (CONF_GATEWAY_ID, CONF_NODE_ID, CONF_PIN_LENGTHS):
        if not lock.get(key):
            lock.pop(key, None)
    if lock.get(CONF_BACKEND) == BACKEND_CLOUD:
        for key in (CONF_LOCAL_KEY, CONF_GATEWAY_ID, CONF_NODE_ID):
            lock.pop(key, None)
    return lock
