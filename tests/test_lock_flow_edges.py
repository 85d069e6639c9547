"""The lock subentry flow's less travelled paths, and the config flow's guards, to the last line.

Everything goes through the flow manager against the simulators, except the guards the forms'
selectors make unreachable from the UI, which are checked as the functions they are.
"""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartlock_tuya.config_flow import _normalised, _test_account
from custom_components.smartlock_tuya.const import (
    CONF_BACKEND,
    CONF_BASE_URL,
    CONF_CLOUD_ACCESS_ID,
    CONF_CLOUD_ACCESS_SECRET,
    CONF_CLOUD_REGION,
    CONF_DEFAULT_CHECK_IN,
    CONF_DEFAULT_CHECK_OUT,
    CONF_DEVICE_ID,
    CONF_GRACE,
    CONF_LEAD_TIME,
    CONF_LISTING_IDS,
    CONF_NAME,
    CONF_PIN_LENGTH,
    CONF_POLL_INTERVAL,
    CONF_PROFILE,
    SUBENTRY_LOCK,
)
from custom_components.smartlock_tuya.lock_flow import _problem_with
from custom_components.smartlock_tuya.tuya import LanBackend, load_profiles
from simulators.stays_server import StaysSimulator
from simulators.tuya_lock import SimulatedLock

from .conftest import (
    CLIENT_ID,
    CLOUD_ACCESS_ID,
    CLOUD_SECRET,
    LOCK_SUBENTRY,
    WIFI,
    account_entry,
    lan_lock_data,
    set_up,
)

CLOUD_LOCK = {
    CONF_NAME: "Back door",
    CONF_DEVICE_ID: WIFI,
    CONF_BACKEND: "cloud",
    "protocol_version": "auto",
    CONF_PROFILE: "lock_pro_dp51",
    CONF_LISTING_IDS: ["L-loft"],
}


async def _start(hass: HomeAssistant, entry: MockConfigEntry, **context: Any) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_LOCK), context={"source": SOURCE_USER, **context}
    )
    return dict(result)


async def _submit(hass: HomeAssistant, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return dict(await hass.config_entries.subentries.async_configure(flow_id, data))


@pytest.fixture
def profiles_file(hass: HomeAssistant) -> Iterator[Path]:
    """The user's profile file beside configuration.yaml, removed after the test."""
    path = Path(hass.config.path("smartlock_tuya_profiles.json"))
    yield path
    path.unlink(missing_ok=True)


async def test_profile_without_state_dp_is_taken_on_trust(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    lan_lock: SimulatedLock,
    profiles_file: Path,
) -> None:
    """A profile that names no state DP has nothing the lock's report could contradict."""
    profiles = {
        "stateless": {
            "codec": "lock_pro_temp_password",
            "dps": {"create": 51, "delete": 52},
            "pin_lengths": [6],
        }
    }
    await hass.async_add_executor_job(profiles_file.write_text, json.dumps(profiles))
    result = await _start(hass, init_integration)
    result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "stateless"))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PROFILE] == "stateless"


async def test_reconfigure_a_lock_that_was_not_set_up(
    hass: HomeAssistant,
    request: pytest.FixtureRequest,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
) -> None:
    """A lock left out at start-up (its profile gone) is tested directly, then fixed."""
    entry = account_entry(
        account,
        {
            "data": lan_lock_data(lan_lock, "deleted_profile"),
            "subentry_id": LOCK_SUBENTRY,
            "subentry_type": SUBENTRY_LOCK,
            "title": "Front door",
            "unique_id": lan_lock.device_id,
        },
    )
    await set_up(request, hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert LOCK_SUBENTRY not in entry.runtime_data.locks

    result = await _start(hass, entry, source=SOURCE_RECONFIGURE, subentry_id=LOCK_SUBENTRY)
    assert result["step_id"] == "reconfigure"
    result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "lock_pro_dp51"))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.subentries[LOCK_SUBENTRY].data[CONF_PROFILE] == "lock_pro_dp51"
    assert LOCK_SUBENTRY in entry.runtime_data.locks


async def test_cloud_project_left_blank(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An empty access id is refused as Tuya Cloud credentials, before anything is sent."""
    result = await _start(hass, init_integration)
    result = await _submit(hass, result["flow_id"], CLOUD_LOCK)
    assert result["step_id"] == "cloud"
    result = await _submit(
        hass,
        result["flow_id"],
        {CONF_CLOUD_REGION: "eu", CONF_CLOUD_ACCESS_ID: "", CONF_CLOUD_ACCESS_SECRET: "x"},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_cloud_auth"}


async def test_cloud_region_unknown_to_this_version(
    hass: HomeAssistant, request: pytest.FixtureRequest, account: StaysSimulator
) -> None:
    """Stored cloud credentials naming a region this version lacks: the form says so, no crash."""
    entry = account_entry(account)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        data={
            **entry.data,
            CONF_CLOUD_REGION: "mars",
            CONF_CLOUD_ACCESS_ID: CLOUD_ACCESS_ID,
            CONF_CLOUD_ACCESS_SECRET: CLOUD_SECRET,
        },
    )
    await set_up(request, hass, entry)
    result = await _start(hass, entry)
    result = await _submit(hass, result["flow_id"], CLOUD_LOCK)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}


async def test_unexpected_failure_while_testing(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    lan_lock: SimulatedLock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A bug while talking to the lock still gets the form an answer, and the log a trace.

    A defect in our own code is what this guards against: it is injected, since no
    simulator misbehaviour can produce one.
    """
    result = await _start(hass, init_integration)
    with patch.object(LanBackend, "status", side_effect=RuntimeError("boom")):
        result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "lock_pro_dp51"))
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error testing lock front-door-1" in caplog.text
    # The lock was let go: it serves one local client and would refuse the next form.
    result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "lock_pro_dp51"))
    assert result["type"] is FlowResultType.CREATE_ENTRY


def test_unknown_profile_refused_before_connecting() -> None:
    """The profile selector offers known profiles only; the test refuses others all the same."""
    assert _problem_with({CONF_PROFILE: "gone"}, load_profiles()) == {
        CONF_PROFILE: "unsupported_profile"
    }


async def test_account_address_that_is_no_url(hass: HomeAssistant) -> None:
    """A stored address that is no URL (reauth reuses it) is a form error, not a crash."""
    data = {CONF_BASE_URL: "ftp://nowhere", CONF_CLIENT_ID: CLIENT_ID, CONF_CLIENT_SECRET: "x"}
    assert await _test_account(hass, data) == {CONF_BASE_URL: "invalid_url"}


def test_options_keep_times_they_cannot_read() -> None:
    """Validation refuses unreadable times first; normalising leaves them as typed."""
    options = {
        CONF_LEAD_TIME: 60.0,
        CONF_GRACE: 30.0,
        CONF_PIN_LENGTH: 6.0,
        CONF_POLL_INTERVAL: 10.0,
        CONF_DEFAULT_CHECK_IN: "9:5",
        CONF_DEFAULT_CHECK_OUT: "noon",
    }
    normalised = _normalised(options)
    assert normalised[CONF_LEAD_TIME] == 60
    assert isinstance(normalised[CONF_PIN_LENGTH], int)
    assert normalised[CONF_DEFAULT_CHECK_IN] == "09:05"
    assert normalised[CONF_DEFAULT_CHECK_OUT] == "noon"
