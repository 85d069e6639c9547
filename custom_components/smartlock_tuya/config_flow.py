"""Config flow: connect a Stays account, re-authenticate, reconfigure, and tune options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import TemplateError
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .const import (
    CONF_BASE_URL,
    CONF_DEFAULT_CHECK_IN,
    CONF_DEFAULT_CHECK_OUT,
    CONF_GRACE,
    CONF_LEAD_TIME,
    CONF_MESSAGE_TEMPLATE,
    CONF_NOTIFY_SERVICE,
    CONF_PIN_LENGTH,
    CONF_PIN_SOURCE,
    CONF_POLL_INTERVAL,
    CONF_TIME_ZONE,
    CONF_WEBHOOK_ID,
    DEFAULT_CHECK_IN,
    DEFAULT_CHECK_OUT,
    DEFAULT_GRACE,
    DEFAULT_LEAD_TIME,
    DEFAULT_PIN_LENGTH,
    DEFAULT_PIN_SOURCE,
    DEFAULT_POLL_INTERVAL,
    DOMAIN,
    FLOW_ATTEMPTS,
    FLOW_REQUEST_TIMEOUT,
    LOGGER,
    MAX_BUFFER_MINUTES,
    MAX_PIN_LENGTH,
    MIN_PIN_LENGTH,
    PIN_SOURCE_PHONE,
    PIN_SOURCE_RANDOM,
    RETRY_BACKOFF,
    SUBENTRY_LOCK,
)
from .coordinator import SmartLockConfigEntry
from .lock_flow import LockSubentryFlow
from .messages import default_message_template
from .stays import (
    StaysAuthError,
    StaysClient,
    StaysConnectionError,
    StaysNotFoundError,
    StaysResponseError,
    account_host,
)
from .stays.models import parse_time
from .stays_webhook import webhook_url

_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_SECRET = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))

CREDENTIALS_SCHEMA = vol.Schema(
    {vol.Required(CONF_CLIENT_ID): str, vol.Required(CONF_CLIENT_SECRET): _SECRET}
)
ACCOUNT_SCHEMA = vol.Schema({vol.Required(CONF_BASE_URL): _URL}).extend(CREDENTIALS_SCHEMA.schema)


async def _test_account(hass: HomeAssistant, data: Mapping[str, Any]) -> dict[str, str]:
    """Read the account's listings with the given credentials; return form errors."""
    try:
        client = StaysClient(
            async_get_clientsession(hass),
            data[CONF_BASE_URL],
            data[CONF_CLIENT_ID],
            data[CONF_CLIENT_SECRET],
            request_timeout=FLOW_REQUEST_TIMEOUT,
            attempts=FLOW_ATTEMPTS,
            backoff=RETRY_BACKOFF,
        )
    except ValueError:
        return {CONF_BASE_URL: "invalid_url"}
    except StaysAuthError:
        return {"base": "invalid_auth"}
    try:
        await client.listings()
    except StaysAuthError:
        return {"base": "invalid_auth"}
    except StaysNotFoundError:
        # Something answered, but it has no Stays API at that address.
        return {CONF_BASE_URL: "invalid_url"}
    except (StaysConnectionError, StaysResponseError):
        return {"base": "cannot_connect"}
    except Exception:  # noqa: BLE001 - a form must answer whatever went wrong
        LOGGER.exception("Unexpected error testing the Stays account")
        return {"base": "unknown"}
    return {}


def _host_or_none(base_url: str) -> str | None:
    try:
        return account_host(base_url)
    except ValueError:
        return None


class SmartLockConfigFlow(ConfigFlow, domain=DOMAIN):
    """Connects one Stays account per host."""

    VERSION = 1
    MINOR_VERSION = 1

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: SmartLockConfigEntry) -> SmartLockOptionsFlow:
        """Options are edited by their own flow."""
        return SmartLockOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Locks are subentries of the account."""
        return {SUBENTRY_LOCK: LockSubentryFlow}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the account's address and API credentials, and test them."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await self._test_new_account(user_input, reconfigure=False)
            if not errors:
                return self.async_create_entry(title=self.unique_id or "", data=user_input)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(ACCOUNT_SCHEMA, user_input),
            errors=errors,
        )

    async def _test_new_account(
        self, user_input: dict[str, Any], *, reconfigure: bool
    ) -> dict[str, str]:
        """The errors of an account's address and credentials; the host is its unique id.

        A new account must not be configured yet; a reconfigured one must stay the same account.
        """
        host = _host_or_none(user_input[CONF_BASE_URL])
        if host is None:
            return {CONF_BASE_URL: "invalid_url"}
        await self.async_set_unique_id(host)
        if reconfigure:
            self._abort_if_unique_id_mismatch(reason="account_mismatch")
        else:
            self._abort_if_unique_id_configured()
        return await _test_account(self.hass, user_input)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Stays refused the stored credentials: ask for new ones."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Test the new credentials against the same account before storing them."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            errors = await _test_account(self.hass, data)
            if not errors:
                return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=self.add_suggested_values_to_schema(
                CREDENTIALS_SCHEMA, user_input or {CONF_CLIENT_ID: entry.data[CONF_CLIENT_ID]}
            ),
            description_placeholders={"host": entry.title},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address or credentials of the same account."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await self._test_new_account(user_input, reconfigure=True)
            if not errors:
                return self.async_update_reload_and_abort(entry, data_updates=user_input)
        suggested = user_input or {
            CONF_BASE_URL: entry.data[CONF_BASE_URL],
            CONF_CLIENT_ID: entry.data[CONF_CLIENT_ID],
        }
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(ACCOUNT_SCHEMA, suggested),
            errors=errors,
        )


def _minutes(maximum: int) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(
            min=0, max=maximum, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="min"
        )
    )


class SmartLockOptionsFlow(OptionsFlow):
    """How PINs are timed, made and sent; saving reloads the entry to apply them."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the options and refuse values that would only fail later."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors = await self._validate(user_input)
            if not errors:
                # The entry reloads itself when it sees its options change.
                return self.async_create_entry(data=_normalised(user_input))
        current = user_input or {**self._defaults(), **self.config_entry.options}
        webhook_id = self.config_entry.data.get(CONF_WEBHOOK_ID)
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(self._schema(), current),
            errors=errors,
            description_placeholders={
                "webhook_url": webhook_url(self.hass, webhook_id) if webhook_id else "-"
            },
        )

    def _defaults(self) -> dict[str, Any]:
        return {
            CONF_LEAD_TIME: DEFAULT_LEAD_TIME,
            CONF_GRACE: DEFAULT_GRACE,
            CONF_PIN_LENGTH: DEFAULT_PIN_LENGTH,
            CONF_PIN_SOURCE: DEFAULT_PIN_SOURCE,
            CONF_POLL_INTERVAL: DEFAULT_POLL_INTERVAL,
            CONF_DEFAULT_CHECK_IN: DEFAULT_CHECK_IN,
            CONF_DEFAULT_CHECK_OUT: DEFAULT_CHECK_OUT,
            CONF_TIME_ZONE: self.hass.config.time_zone,
            CONF_MESSAGE_TEMPLATE: default_message_template(self.hass.config.language),
        }

    @staticmethod
    def _schema() -> vol.Schema:
        return vol.Schema(
            {
                vol.Required(CONF_LEAD_TIME): _minutes(MAX_BUFFER_MINUTES),
                vol.Required(CONF_GRACE): _minutes(MAX_BUFFER_MINUTES),
                vol.Required(CONF_PIN_LENGTH): NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_PIN_LENGTH, max=MAX_PIN_LENGTH, step=1, mode=NumberSelectorMode.BOX
                    )
                ),
                vol.Required(CONF_PIN_SOURCE): SelectSelector(
                    SelectSelectorConfig(
                        options=[PIN_SOURCE_RANDOM, PIN_SOURCE_PHONE],
                        translation_key=CONF_PIN_SOURCE,
                    )
                ),
                vol.Required(CONF_POLL_INTERVAL): NumberSelector(
                    NumberSelectorConfig(
                        min=1,
                        max=1440,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="min",
                    )
                ),
                vol.Required(CONF_DEFAULT_CHECK_IN): str,
                vol.Required(CONF_DEFAULT_CHECK_OUT): str,
                vol.Required(CONF_TIME_ZONE): str,
                vol.Optional(CONF_NOTIFY_SERVICE): str,
                vol.Required(CONF_MESSAGE_TEMPLATE): TextSelector(
                    TextSelectorConfig(multiline=True)
                ),
            }
        )

    async def _validate(self, options: Mapping[str, Any]) -> dict[str, str]:
        errors: dict[str, str] = {}
        for key in (CONF_DEFAULT_CHECK_IN, CONF_DEFAULT_CHECK_OUT):
            if parse_time(options[key]) is None:
                errors[key] = "invalid_time"
        if await dt_util.async_get_time_zone(options[CONF_TIME_ZONE]) is None:
            errors[CONF_TIME_ZONE] = "invalid_time_zone"
        if service := options.get(CONF_NOTIFY_SERVICE):
            domain, _, name = str(service).partition(".")
            if not name or not self.hass.services.has_service(domain, name):
                errors[CONF_NOTIFY_SERVICE] = "unknown_notify_service"
        try:
            Template(options[CONF_MESSAGE_TEMPLATE], self.hass).ensure_valid()
        except TemplateError:
            errors[CONF_MESSAGE_TEMPLATE] = "invalid_template"
        return errors


def _normalised(options: Mapping[str, Any]) -> dict[str, Any]:
    """Store whole minutes and digits as integers and times as `HH:MM`."""
    result = dict(options)
    for key in (CONF_LEAD_TIME, CONF_GRACE, CONF_PIN_LENGTH, CONF_POLL_INTERVAL):
        result[key] = int(options[key])
    for key in (CONF_DEFAULT_CHECK_IN, CONF_DEFAULT_CHECK_OUT):
        if (parsed := parse_time(options[key])) is not None:
            result[key] = parsed.strftime("%H:%M")
    return result
