"""Config flow: every way connecting an account can go, reauth, reconfigure and options."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartlock_tuya.const import (
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
    DOMAIN,
)
from simulators.stays_server import FaultKind, StaysSimulator

from .conftest import CLIENT_ID, CLIENT_SECRET


def _account(stays: StaysSimulator, **changes: str) -> dict[str, str]:
    return {
        CONF_BASE_URL: stays.url,
        CONF_CLIENT_ID: CLIENT_ID,
        CONF_CLIENT_SECRET: CLIENT_SECRET,
        **changes,
    }


async def _start(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return str(result["flow_id"])


async def test_user_creates_entry(hass: HomeAssistant, account: StaysSimulator) -> None:
    """Working credentials make one entry named after the account's host."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, _account(account))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "127.0.0.1"
    assert result["data"] == _account(account)
    assert result["result"].unique_id == "127.0.0.1"
    # The credentials were really tried against the account.
    assert any(r.path.endswith("/content/listings") for r in account.requests)


async def test_user_accepts_api_root(hass: HomeAssistant, account: StaysSimulator) -> None:
    """Pasting the API root instead of the account address works too."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, _account(account, **{CONF_BASE_URL: account.api_url + "/"})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (FaultKind.UNAUTHORIZED, {"base": "invalid_auth"}),
        (FaultKind.FORBIDDEN, {"base": "invalid_auth"}),
        (FaultKind.SERVER_ERROR, {"base": "cannot_connect"}),
        (FaultKind.BAD_GATEWAY, {"base": "cannot_connect"}),
        (FaultKind.RATE_LIMITED, {"base": "cannot_connect"}),
        (FaultKind.TIMEOUT, {"base": "cannot_connect"}),
        (FaultKind.DISCONNECT, {"base": "cannot_connect"}),
        (FaultKind.MALFORMED_JSON, {"base": "cannot_connect"}),
        (FaultKind.WRONG_SHAPE, {"base": "cannot_connect"}),
        (FaultKind.NOT_FOUND, {CONF_BASE_URL: "invalid_url"}),
    ],
)
async def test_user_errors_then_recovers(
    hass: HomeAssistant, account: StaysSimulator, fault: FaultKind, error: dict[str, str]
) -> None:
    """Each failure shows its form error; the same form then succeeds once Stays recovers."""
    flow_id = await _start(hass)
    account.inject_fault(fault, count=10)
    result = await hass.config_entries.flow.async_configure(flow_id, _account(account))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == error
    account.clear_faults()
    result = await hass.config_entries.flow.async_configure(flow_id, _account(account))
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    "changes", [{CONF_CLIENT_ID: "id:with:colons"}, {CONF_CLIENT_SECRET: "sênha✓"}]
)
async def test_user_credentials_http_basic_cannot_carry(
    hass: HomeAssistant, account: StaysSimulator, changes: dict[str, str]
) -> None:
    """An id with ':' or a secret outside Latin-1 cannot be right: said so before sending."""
    flow_id = await _start(hass)
    before = len(account.requests)
    result = await hass.config_entries.flow.async_configure(flow_id, _account(account, **changes))
    assert result["errors"] == {"base": "invalid_auth"}
    assert len(account.requests) == before


async def test_user_wrong_secret(hass: HomeAssistant, account: StaysSimulator) -> None:
    """A wrong secret is refused by the real auth check, not only by an injected fault."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, _account(account, **{CONF_CLIENT_SECRET: "wrong"})
    )
    assert result["errors"] == {"base": "invalid_auth"}


@pytest.mark.parametrize(
    "url", ["not a url", "ftp://acme.stays.net", "https://", "https://acme.stays.net/?a=1"]
)
async def test_user_invalid_url(hass: HomeAssistant, url: str) -> None:
    """Addresses that cannot be a Stays account are refused before any request."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_BASE_URL: url, CONF_CLIENT_ID: "a", CONF_CLIENT_SECRET: "b"}
    )
    assert result["errors"] == {CONF_BASE_URL: "invalid_url"}


async def test_user_nothing_listening(hass: HomeAssistant, socket_enabled: None) -> None:
    """A closed port is a connection error."""
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {CONF_BASE_URL: "http://127.0.0.1:9", CONF_CLIENT_ID: "a", CONF_CLIENT_SECRET: "b"}
    )
    assert result["errors"] == {"base": "cannot_connect"}


async def test_user_unexpected_error(
    hass: HomeAssistant, account: StaysSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug surfaces as "unknown" with the traceback in the log, not as a crashed form."""

    async def broken(*_: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("custom_components.smartlock_tuya.config_flow.StaysClient.listings", broken)
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, _account(account))
    assert result["errors"] == {"base": "unknown"}


async def test_user_duplicate_account(
    hass: HomeAssistant, account: StaysSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """The same account host cannot be added twice, however its address is written."""
    mock_config_entry.add_to_hass(hass)
    flow_id = await _start(hass)
    requests_before = len(account.requests)
    result = await hass.config_entries.flow.async_configure(
        flow_id, _account(account, **{CONF_BASE_URL: account.api_url})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(account.requests) == requests_before


async def test_reauth(
    hass: HomeAssistant, init_integration: MockConfigEntry, account: StaysSimulator
) -> None:
    """New credentials are tested, stored, and the entry reloads with them."""
    account.client_secret = "rotated"
    result = await init_integration.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: CLIENT_ID, CONF_CLIENT_SECRET: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_CLIENT_ID: CLIENT_ID, CONF_CLIENT_SECRET: "rotated"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert init_integration.data[CONF_CLIENT_SECRET] == "rotated"
    assert init_integration.data[CONF_BASE_URL] == account.url


async def test_reconfigure(
    hass: HomeAssistant, init_integration: MockConfigEntry, account: StaysSimulator
) -> None:
    """The address and credentials can change as long as the account stays the same."""
    result = await init_integration.start_reconfigure_flow(hass)
    assert result["step_id"] == "reconfigure"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _account(account, **{CONF_BASE_URL: "nonsense"})
    )
    assert result["errors"] == {CONF_BASE_URL: "invalid_url"}

    account.inject_fault(FaultKind.SERVER_ERROR, count=5)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], _account(account))
    assert result["errors"] == {"base": "cannot_connect"}
    account.clear_faults()

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _account(account, **{CONF_BASE_URL: account.api_url})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert init_integration.data[CONF_BASE_URL] == account.api_url


async def test_reconfigure_other_account(
    hass: HomeAssistant, init_integration: MockConfigEntry, account: StaysSimulator
) -> None:
    """Pointing the entry at another account's host is refused."""
    result = await init_integration.start_reconfigure_flow(hass)
    port = account.url.rsplit(":", 1)[1]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _account(account, **{CONF_BASE_URL: f"http://127.0.0.2:{port}"})
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "account_mismatch"
    assert init_integration.data[CONF_BASE_URL] == account.url


def _options(**changes: Any) -> dict[str, Any]:
    return {
        CONF_LEAD_TIME: 90.0,
        CONF_GRACE: 15.0,
        CONF_PIN_LENGTH: 7.0,
        CONF_PIN_SOURCE: "phone",
        CONF_POLL_INTERVAL: 5.0,
        CONF_DEFAULT_CHECK_IN: "15:00",
        CONF_DEFAULT_CHECK_OUT: "10:30",
        CONF_TIME_ZONE: "America/Sao_Paulo",
        CONF_MESSAGE_TEMPLATE: "Hi {{ guest_name }}, your PIN is {{ pin }}",
        **changes,
    }


async def test_options_saved_and_applied(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Valid options are stored normalised and the entry reloads to apply them."""
    hass.services.async_register("notify", "guest_sms", lambda call: None)
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    schema_defaults = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert schema_defaults[CONF_LEAD_TIME] == 60
    webhook_id = init_integration.data["webhook_id"]
    assert result["description_placeholders"]["webhook_url"].endswith(f"/api/webhook/{webhook_id}")
    assert "{{ pin }}" in schema_defaults[CONF_MESSAGE_TEMPLATE]

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options(**{CONF_NOTIFY_SERVICE: "notify.guest_sms"})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert init_integration.options[CONF_LEAD_TIME] == 90
    assert init_integration.options[CONF_DEFAULT_CHECK_OUT] == "10:30"
    assert init_integration.options[CONF_PIN_LENGTH] == 7
    coordinator = init_integration.runtime_data.coordinator
    assert coordinator.update_interval.total_seconds() == 300


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_DEFAULT_CHECK_IN: "25:00"}, {CONF_DEFAULT_CHECK_IN: "invalid_time"}),
        ({CONF_DEFAULT_CHECK_OUT: "noon"}, {CONF_DEFAULT_CHECK_OUT: "invalid_time"}),
        ({CONF_TIME_ZONE: "Mars/Olympus"}, {CONF_TIME_ZONE: "invalid_time_zone"}),
        ({CONF_NOTIFY_SERVICE: "notify.nobody"}, {CONF_NOTIFY_SERVICE: "unknown_notify_service"}),
        ({CONF_NOTIFY_SERVICE: "smtp"}, {CONF_NOTIFY_SERVICE: "unknown_notify_service"}),
        ({CONF_MESSAGE_TEMPLATE: "{{ pin "}, {CONF_MESSAGE_TEMPLATE: "invalid_template"}),
    ],
)
async def test_options_refused(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    changes: dict[str, str],
    errors: dict[str, str],
) -> None:
    """Bad values get a form error and leave the stored options untouched."""
    before = dict(init_integration.options)
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], _options(**changes)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert dict(init_integration.options) == before


async def test_options_default_template_in_portuguese(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """A Brazilian Home Assistant gets the Portuguese guest message by default."""
    hass.config.language = "pt-BR"
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested[CONF_MESSAGE_TEMPLATE].startswith("Olá")
