"""The lock subentry flow: add, test, refuse, reconfigure and remove locks."""

from __future__ import annotations

from collections.abc import Iterator
import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentry,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartlock_tuya.const import (
    CONF_BACKEND,
    CONF_CLOUD_ACCESS_ID,
    CONF_CLOUD_ACCESS_SECRET,
    CONF_CLOUD_REGION,
    CONF_DEVICE_ID,
    CONF_HOST,
    CONF_LISTING_IDS,
    CONF_LOCAL_KEY,
    CONF_NAME,
    CONF_PROFILE,
    DOMAIN,
    SUBENTRY_LOCK,
)
from custom_components.smartlock_tuya.ha_compat import get_device
from simulators.tuya_cloud import FakeTuyaCloud
from simulators.tuya_lock import SimulatedLock

from .conftest import CLOUD_ACCESS_ID, CLOUD_SECRET, LOCK_SUBENTRY, WIFI, lan_lock_data


async def _start(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_LOCK), context={"source": SOURCE_USER}
    )
    return dict(result)


async def _submit(hass: HomeAssistant, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return dict(await hass.config_entries.subentries.async_configure(flow_id, data))


@pytest.mark.parametrize("lock_profile", ["zigbee_dp24"])
async def test_add_lan_lock(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    lan_lock: SimulatedLock,
    device_registry: dr.DeviceRegistry,
) -> None:
    """A reachable lock is tested, saved, and appears after the entry reloads by itself."""
    result = await _start(hass, init_integration)
    assert result["type"] is FlowResultType.FORM
    listing_options = result["data_schema"].schema[CONF_LISTING_IDS].config["options"]
    assert [option["label"] for option in listing_options] == ["Casa da Praia", "Loft Centro"]

    data = lan_lock_data(lan_lock, "zigbee_dp24", **{CONF_LISTING_IDS: ["L-beach", "L-loft"]})
    result = await _submit(hass, result["flow_id"], data)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Front door"
    await hass.async_block_till_done(wait_background_tasks=True)

    assert init_integration.state is ConfigEntryState.LOADED
    [subentry] = init_integration.subentries.values()
    assert subentry.unique_id == "front-door-1"
    assert subentry.data[CONF_LISTING_IDS] == ["L-beach", "L-loft"]
    assert hass.states.get("lock.front_door").state == "locked"
    assert get_device(device_registry, (DOMAIN, "lock_front-door-1"), init_integration.entry_id)


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_HOST: ""}, {"base": "lan_details_missing"}),
        ({CONF_LOCAL_KEY: "short"}, {CONF_LOCAL_KEY: "invalid_key"}),
        ({CONF_LOCAL_KEY: "fedcba9876543210"}, {"base": "invalid_key"}),
        ({CONF_HOST: "127.0.0.1:9"}, {"base": "cannot_connect"}),
        ({CONF_LISTING_IDS: []}, {CONF_LISTING_IDS: "no_listing"}),
    ],
)
async def test_lan_errors(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    lan_lock: SimulatedLock,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """Each problem has its own error, and fixing it lets the same form through."""
    result = await _start(hass, init_integration)
    good = lan_lock_data(lan_lock, "unlock_method")
    result = await _submit(hass, result["flow_id"], good | changes)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    result = await _submit(hass, result["flow_id"], good)
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.fixture
def profiles_file(hass: HomeAssistant) -> Iterator[Path]:
    """The user's profile file beside configuration.yaml, removed after the test."""
    path = Path(hass.config.path("smartlock_tuya_profiles.json"))
    yield path
    path.unlink(missing_ok=True)


async def test_profile_that_does_not_fit(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    lan_lock: SimulatedLock,
    profiles_file: Path,
) -> None:
    """A user profile whose state DP the lock does not have is refused after talking to it."""
    profiles = {"odd": {"codec": "unlock_method", "dps": {"create": 1, "delete": 2, "state": 99}}}
    await hass.async_add_executor_job(profiles_file.write_text, json.dumps(profiles))
    result = await _start(hass, init_integration)
    result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "odd"))
    assert result["errors"] == {CONF_PROFILE: "unsupported_profile"}


async def test_bad_user_profile_file(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    profiles_file: Path,
) -> None:
    """A broken profile file is logged and skipped; the shipped profiles stay usable."""
    await hass.async_add_executor_job(profiles_file.write_text, "{broken")
    result = await _start(hass, init_integration)
    options = [o["value"] for o in result["data_schema"].schema[CONF_PROFILE].config["options"]]
    assert options == ["unlock_method", "zigbee_dp24"]
    assert "Ignoring the PIN profiles" in caplog.text


async def test_busy_lock(
    hass: HomeAssistant, init_lock: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """The same lock cannot be added twice; a second device id on its address finds it busy."""
    result = await _start(hass, init_lock)
    result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "unlock_method"))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await _start(hass, init_lock)
    result = await _submit(
        hass,
        result["flow_id"],
        lan_lock_data(lan_lock, "unlock_method", **{CONF_DEVICE_ID: "other", CONF_NAME: "Gate"}),
    )
    assert result["errors"] == {"base": "invalid_key"}


async def test_cloud_lock(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake: FakeTuyaCloud
) -> None:
    """A cloud lock asks once for the Tuya project, tests it, and keeps it on the account."""
    lock = {
        CONF_NAME: "Back door",
        CONF_DEVICE_ID: WIFI,
        CONF_BACKEND: "cloud",
        "protocol_version": "auto",
        CONF_PROFILE: "unlock_method",
        CONF_LISTING_IDS: ["L-loft"],
    }
    with patch.dict("custom_components.smartlock_tuya.backends.CLOUD_API_HOSTS", {"eu": fake.host}):
        result = await _start(hass, init_integration)
        result = await _submit(hass, result["flow_id"], lock)
        assert result["step_id"] == "cloud"
        cloud = {
            CONF_CLOUD_REGION: "eu",
            CONF_CLOUD_ACCESS_ID: CLOUD_ACCESS_ID,
            CONF_CLOUD_ACCESS_SECRET: "f" * 32,
        }
        result = await _submit(hass, result["flow_id"], cloud)
        assert result["errors"] == {"base": "invalid_cloud_auth"}
        result = await _submit(
            hass, result["flow_id"], cloud | {CONF_CLOUD_ACCESS_SECRET: CLOUD_SECRET}
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        await hass.async_block_till_done(wait_background_tasks=True)
        assert init_integration.data[CONF_CLOUD_ACCESS_SECRET] == CLOUD_SECRET
        assert hass.states.get("lock.back_door").state == "locked"
        assert hass.states.get("sensor.back_door_battery").state == "80"

        # The next cloud lock needs no credentials: the account has them.
        result = await _start(hass, init_integration)
        result = await _submit(
            hass, result["flow_id"], lock | {CONF_NAME: "Gate", CONF_DEVICE_ID: "unknown"}
        )
        assert result["errors"] == {"base": "invalid_cloud_auth"}


async def test_reconfigure(
    hass: HomeAssistant, init_lock: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """A lock's name and listings change after it is tested again."""
    result = await hass.config_entries.subentries.async_init(
        (init_lock.entry_id, SUBENTRY_LOCK),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": LOCK_SUBENTRY},
    )
    assert result["step_id"] == "reconfigure"
    changed = lan_lock_data(
        lan_lock, "unlock_method", **{CONF_NAME: "Main door", CONF_LISTING_IDS: ["L-loft"]}
    )
    result = await _submit(hass, result["flow_id"], changed | {CONF_LOCAL_KEY: "fedcba9876543210"})
    assert result["errors"] == {"base": "invalid_key"}
    result = await _submit(hass, result["flow_id"], changed)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    subentry = init_lock.subentries[LOCK_SUBENTRY]
    assert (subentry.title, subentry.data[CONF_LISTING_IDS]) == ("Main door", ["L-loft"])
    assert init_lock.state is ConfigEntryState.LOADED


async def test_reconfigure_onto_another_lock(
    hass: HomeAssistant, init_lock: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """Two subentries can never name the same device."""
    hass.config_entries.async_add_subentry(
        init_lock,
        ConfigSubentry(
            data={CONF_DEVICE_ID: "gate"},
            subentry_type=SUBENTRY_LOCK,
            title="Gate",
            unique_id="gate",
        ),
    )
    await hass.async_block_till_done()
    result = await hass.config_entries.subentries.async_init(
        (init_lock.entry_id, SUBENTRY_LOCK),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": LOCK_SUBENTRY},
    )
    result = await _submit(
        hass,
        result["flow_id"],
        lan_lock_data(lan_lock, "unlock_method", **{CONF_DEVICE_ID: "gate"}),
    )
    assert result["reason"] == "already_configured"


async def test_remove_lock_removes_device(
    hass: HomeAssistant, init_lock: MockConfigEntry, device_registry: dr.DeviceRegistry
) -> None:
    """Deleting the lock's subentry deletes its device and entities."""
    lock = (DOMAIN, "lock_front-door-1")
    assert get_device(device_registry, lock, init_lock.entry_id)
    hass.config_entries.async_remove_subentry(init_lock, LOCK_SUBENTRY)
    await hass.async_block_till_done()
    assert get_device(device_registry, lock, init_lock.entry_id) is None
    assert hass.states.get("lock.front_door") is None
    assert init_lock.state is ConfigEntryState.LOADED


async def test_entry_not_loaded(hass: HomeAssistant, mock_config_entry: MockConfigEntry) -> None:
    """Locks are added to a working account only."""
    mock_config_entry.add_to_hass(hass)
    result = await _start(hass, mock_config_entry)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded"


async def test_reconfigure_while_account_not_loaded(
    hass: HomeAssistant, account: Any, lock_entry: MockConfigEntry
) -> None:
    """Changing a lock of an account that is not loaded gives a clear abort, not a crash."""
    lock_entry.add_to_hass(hass)  # never set up: no runtime data
    result = await hass.config_entries.subentries.async_init(
        (lock_entry.entry_id, SUBENTRY_LOCK),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": LOCK_SUBENTRY},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_loaded_reconfigure"


async def test_profile_gone_before_submit(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    lan_lock: SimulatedLock,
    profiles_file: Path,
) -> None:
    """A user profile shown in the form but deleted before submitting is refused, not used."""
    profiles = {"mine": {"codec": "unlock_method", "dps": {"create": 1, "delete": 2}}}
    await hass.async_add_executor_job(profiles_file.write_text, json.dumps(profiles))
    result = await _start(hass, init_integration)
    await hass.async_add_executor_job(profiles_file.unlink)
    result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "mine"))
    assert result["errors"] == {CONF_PROFILE: "unsupported_profile"}


async def test_profile_without_state_dp(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    lan_lock: SimulatedLock,
    profiles_file: Path,
) -> None:
    """A profile that names no state DP cannot be contradicted by the lock's report."""
    profiles = {"mine": {"codec": "unlock_method", "dps": {"create": 1, "delete": 2}}}
    await hass.async_add_executor_job(profiles_file.write_text, json.dumps(profiles))
    result = await _start(hass, init_integration)
    result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "mine"))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_reconfigure_a_lock_that_failed_to_set_up(
    hass: HomeAssistant, init_lock: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """A lock not running (its profile vanished) is tested directly and fixed by reconfiguring."""
    subentry = init_lock.subentries[LOCK_SUBENTRY]
    good = dict(subentry.data)
    hass.config_entries.async_update_subentry(init_lock, subentry, data={**good, CONF_PROFILE: "x"})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert init_lock.runtime_data.locks == {}
    result = await hass.config_entries.subentries.async_init(
        (init_lock.entry_id, SUBENTRY_LOCK),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": LOCK_SUBENTRY},
    )
    result = await _submit(hass, result["flow_id"], good)
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert LOCK_SUBENTRY in init_lock.runtime_data.locks


async def test_reconfigure_cloud_lock_with_bad_account_details(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Cloud details the account lacks, or a region Tuya does not have, are form errors."""
    cloud_lock = {
        CONF_NAME: "Back door",
        CONF_DEVICE_ID: WIFI,
        CONF_BACKEND: "cloud",
        "protocol_version": "auto",
        CONF_PROFILE: "unlock_method",
        CONF_LISTING_IDS: ["L-loft"],
    }
    hass.config_entries.async_add_subentry(
        init_integration,
        ConfigSubentry(
            data=cloud_lock, subentry_type=SUBENTRY_LOCK, title="Back door", unique_id=WIFI
        ),
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    subentry_id = next(iter(init_integration.subentries))
    result = await hass.config_entries.subentries.async_init(
        (init_integration.entry_id, SUBENTRY_LOCK),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
    )
    result = await _submit(hass, result["flow_id"], cloud_lock)
    assert result["errors"] == {"base": "invalid_cloud_auth"}  # no cloud project yet
    hass.config_entries.async_update_entry(
        init_integration,
        data={
            **init_integration.data,
            CONF_CLOUD_REGION: "mars",
            CONF_CLOUD_ACCESS_ID: CLOUD_ACCESS_ID,
            CONF_CLOUD_ACCESS_SECRET: CLOUD_SECRET,
        },
    )
    result = await _submit(hass, result["flow_id"], cloud_lock)
    assert result["errors"] == {"base": "unknown"}


async def test_unexpected_error_while_testing(
    hass: HomeAssistant, init_integration: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """Whatever goes wrong talking to the lock, the form answers with an error."""
    result = await _start(hass, init_integration)
    with patch(
        "custom_components.smartlock_tuya.tuya.lan.LanBackend.connect",
        side_effect=RuntimeError("boom"),
    ):
        result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "unlock_method"))
    assert result["errors"] == {"base": "unknown"}
