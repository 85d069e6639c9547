"""The lock subentry flow: add, test, detect, refuse, reconfigure and remove locks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
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
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartlock_tuya.const import (
    CONF_BACKEND,
    CONF_CLOUD_ACCESS_ID,
    CONF_CLOUD_ACCESS_SECRET,
    CONF_CLOUD_REGION,
    CONF_DEVICE_ID,
    CONF_GATEWAY_ID,
    CONF_HOST,
    CONF_LISTING_IDS,
    CONF_LOCAL_KEY,
    CONF_NAME,
    CONF_NODE_ID,
    CONF_PIN_LENGTHS,
    CONF_PROFILE,
    DOMAIN,
    SUBENTRY_LOCK,
)
from custom_components.smartlock_tuya.ha_compat import get_device
from custom_components.smartlock_tuya.profile_choice import length_for
from simulators.tuya_cloud import FakeTuyaCloud
from simulators.tuya_lock import SimulatedGateway, SimulatedLock, ZigbeeLock

from .conftest import (
    CLOUD_ACCESS_ID,
    CLOUD_SECRET,
    LOCAL_KEY,
    LOCK_SUBENTRY,
    WIFI,
    ZIGBEE,
    lan_lock_data,
)

GATEWAY_ID = "gateway-1"
CID = "a4c1380000000001"
CLOUD = {
    CONF_CLOUD_REGION: "eu",
    CONF_CLOUD_ACCESS_ID: CLOUD_ACCESS_ID,
    CONF_CLOUD_ACCESS_SECRET: CLOUD_SECRET,
}


async def _start(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_LOCK), context={"source": SOURCE_USER}
    )
    return dict(result)


async def _reconfigure(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_LOCK),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": LOCK_SUBENTRY},
    )
    return dict(result)


async def _submit(hass: HomeAssistant, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return dict(await hass.config_entries.subentries.async_configure(flow_id, data))


def _options(result: dict[str, Any], key: str = CONF_PROFILE) -> list[dict[str, str]]:
    options: list[dict[str, str]] = result["data_schema"].schema[key].config["options"]
    return options


@pytest.fixture
async def gateway(socket_enabled: None) -> AsyncIterator[SimulatedGateway]:
    """A Tuya gateway on loopback with one Zigbee lock (27-byte layout) as sub-device."""
    device = SimulatedGateway(
        device_id=GATEWAY_ID,
        local_key=LOCAL_KEY,
        version="3.4",
        clock=lambda: dt_util.utcnow().timestamp(),
    )
    device.add_lock(CID, layout=27)
    await device.start()
    yield device
    await device.stop()


def gateway_lock_data(gateway: SimulatedGateway, **changes: Any) -> dict[str, Any]:
    """Subentry data of the sub-device lock: the gateway's address and key, the lock's cid."""
    return {
        CONF_NAME: "Garden door",
        CONF_DEVICE_ID: "garden-door-1",
        CONF_BACKEND: "lan",
        CONF_HOST: f"127.0.0.1:{gateway.port}",
        CONF_LOCAL_KEY: LOCAL_KEY,
        "protocol_version": "auto",
        CONF_GATEWAY_ID: GATEWAY_ID,
        CONF_NODE_ID: CID,
        CONF_PROFILE: "auto",
        CONF_LISTING_IDS: ["L-beach"],
        **changes,
    }


@pytest.fixture
async def cloud_account(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake: FakeTuyaCloud
) -> AsyncIterator[MockConfigEntry]:
    """The loaded account with the fake cloud's credentials, its host patched in."""
    hass.config_entries.async_update_entry(
        init_integration, data={**init_integration.data, **CLOUD}
    )
    with patch.dict("custom_components.smartlock_tuya.backends.CLOUD_API_HOSTS", {"eu": fake.host}):
        yield init_integration


def cloud_lock(device_id: str, **changes: Any) -> dict[str, Any]:
    """A cloud lock's form."""
    return {
        CONF_NAME: "Back door",
        CONF_DEVICE_ID: device_id,
        CONF_BACKEND: "cloud",
        "protocol_version": "auto",
        CONF_PROFILE: "auto",
        CONF_LISTING_IDS: ["L-loft"],
        **changes,
    }


async def test_add_lock_pro_detected(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    lan_lock: SimulatedLock,
    device_registry: dr.DeviceRegistry,
) -> None:
    """`auto` reads a Lock Pro's DPs, stores its profile and lengths, and the lock appears."""
    result = await _start(hass, init_integration)
    assert result["type"] is FlowResultType.FORM
    listing_options = _options(result, CONF_LISTING_IDS)
    assert [option["label"] for option in listing_options] == ["Casa da Praia", "Loft Centro"]
    profiles = {option["value"]: option["label"] for option in _options(result)}
    assert next(iter(profiles)) == "auto"
    assert profiles["mk_access_control"].endswith("unverified")
    assert profiles["zigbee_gateway_27"] == (
        "Zigbee lock via gateway, newer firmware — DP 24/25/26, 27-byte layout"
    )

    data = lan_lock_data(lan_lock, "auto", **{CONF_LISTING_IDS: ["L-beach", "L-loft"]})
    result = await _submit(hass, result["flow_id"], data)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Front door"
    assert result["data"][CONF_PROFILE] == "lock_pro_dp51"
    assert result["data"][CONF_PIN_LENGTHS] == [6, 7, 8, 9, 10]
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
        ({CONF_GATEWAY_ID: GATEWAY_ID}, {"base": "gateway_details_incomplete"}),
        (
            {CONF_GATEWAY_ID: GATEWAY_ID, CONF_NODE_ID: CID},
            {CONF_NODE_ID: "not_a_subdevice"},
        ),
        ({CONF_PROFILE: "zigbee_gateway_21"}, {CONF_NODE_ID: "subdevice_needs_gateway"}),
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
    good = lan_lock_data(lan_lock, "lock_pro_dp51")
    result = await _submit(hass, result["flow_id"], good | changes)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    result = await _submit(hass, result["flow_id"], good | {CONF_GATEWAY_ID: " ", CONF_NODE_ID: ""})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert CONF_GATEWAY_ID not in result["data"]
    assert CONF_NODE_ID not in result["data"]


async def test_zigbee_lock_behind_gateway(
    hass: HomeAssistant, init_integration: MockConfigEntry, gateway: SimulatedGateway
) -> None:
    """A Zigbee sub-device is reached by cid; its layout cannot be seen, so the user picks."""
    result = await _start(hass, init_integration)
    result = await _submit(hass, result["flow_id"], gateway_lock_data(gateway))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "choose_profile"
    assert result["description_placeholders"] == {"lock": "Garden door"}
    assert [o["value"] for o in _options(result)] == ["zigbee_gateway_27", "zigbee_gateway_21"]

    result = await _submit(hass, result["flow_id"], {CONF_PROFILE: "zigbee_gateway_27"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PROFILE] == "zigbee_gateway_27"
    assert result["data"][CONF_PIN_LENGTHS] == [6]
    assert (result["data"][CONF_GATEWAY_ID], result["data"][CONF_NODE_ID]) == (GATEWAY_ID, CID)
    await hass.async_block_till_done(wait_background_tasks=True)
    # DP 8 false: locked.
    assert hass.states.get("lock.garden_door").state == "locked"
    assert hass.states.get("sensor.garden_door_battery").state == "90"


async def test_zigbee_lock_without_its_gateway(
    hass: HomeAssistant, init_integration: MockConfigEntry, socket_enabled: None
) -> None:
    """A lock that shows Zigbee DPs but was given no node id is sent back for its gateway."""
    zigbee = SimulatedLock(device_id="zigbee-direct", local_key=LOCAL_KEY, family=ZigbeeLock())
    await zigbee.start()
    try:
        result = await _start(hass, init_integration)
        data = lan_lock_data(zigbee, "auto", **{CONF_DEVICE_ID: "zigbee-direct"})
        result = await _submit(hass, result["flow_id"], data)
        assert result["errors"] == {CONF_NODE_ID: "subdevice_needs_gateway"}
    finally:
        await zigbee.stop()


async def test_wifi_residential_lock_goes_to_cloud(
    hass: HomeAssistant, init_integration: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """DP 3 without a boolean DP 8 is a Wi-Fi lock whose passwords live in Tuya Cloud."""
    lan_lock.family.dps.clear()
    lan_lock.family.dps.update({"3": 0, "8": "alarm", "12": 80})
    result = await _start(hass, init_integration)
    result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "auto"))
    assert result["errors"] == {CONF_BACKEND: "use_cloud_backend"}


async def test_unknown_lock_asks(
    hass: HomeAssistant, init_integration: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """Nothing recognisable: the user chooses among the profiles of locks that speak alone."""
    lan_lock.family.dps.clear()
    lan_lock.family.dps.update({"101": "idle"})
    result = await _start(hass, init_integration)
    result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "auto"))
    assert result["step_id"] == "choose_profile"
    assert [o["value"] for o in _options(result)] == ["lock_pro_dp51", "mk_access_control"]
    assert _options(result)[1]["label"].endswith("unverified")
    result = await _submit(hass, result["flow_id"], {CONF_PROFILE: "mk_access_control"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PIN_LENGTHS] == [4, 5, 6, 7, 8, 9, 10]


async def test_cloud_category_outranks_dps(
    hass: HomeAssistant,
    cloud_account: MockConfigEntry,
    lan_lock: SimulatedLock,
    fake: FakeTuyaCloud,
) -> None:
    """With Tuya Cloud credentials, a LAN lock's category from Tuya decides its family."""
    fake.add_device(lan_lock.device_id)
    with patch.dict("simulators.tuya_cloud._CATEGORY", {"wifi": "mk"}):
        result = await _start(hass, cloud_account)
        result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "auto"))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PROFILE] == "mk_access_control"


async def test_cloud_does_not_know_the_lan_lock(
    hass: HomeAssistant, cloud_account: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """A LAN lock outside the Cloud project is detected from its DPs alone."""
    result = await _start(hass, cloud_account)
    result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "auto"))
    assert result["data"][CONF_PROFILE] == "lock_pro_dp51"


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
    profiles = {
        "odd": {
            "codec": "lock_pro_temp_password",
            "dps": {"create": 51, "delete": 52, "state": 99},
            "pin_lengths": [6],
        }
    }
    await hass.async_add_executor_job(profiles_file.write_text, json.dumps(profiles))
    result = await _start(hass, init_integration)
    result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "odd"))
    assert result["errors"] == {CONF_PROFILE: "unsupported_profile"}


async def test_profile_removed_while_the_form_was_open(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    lan_lock: SimulatedLock,
    profiles_file: Path,
) -> None:
    """A user profile deleted from the file before the form is sent is no longer accepted."""
    profiles = {
        "mine": {
            "codec": "lock_pro_temp_password",
            "dps": {"create": 51, "delete": 52},
            "pin_lengths": [6],
        }
    }
    await hass.async_add_executor_job(profiles_file.write_text, json.dumps(profiles))
    result = await _start(hass, init_integration)
    await hass.async_add_executor_job(profiles_file.unlink)
    result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "mine"))
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
    assert [o["value"] for o in _options(result)] == [
        "auto",
        "mk_access_control",
        "lock_pro_dp51",
        "zigbee_gateway_21",
        "zigbee_gateway_27",
    ]
    assert "Ignoring the PIN profiles" in caplog.text


async def test_busy_lock(
    hass: HomeAssistant, init_lock: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """The same lock cannot be added twice; a second device id on its address finds it busy."""
    result = await _start(hass, init_lock)
    result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "lock_pro_dp51"))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    result = await _start(hass, init_lock)
    result = await _submit(
        hass,
        result["flow_id"],
        lan_lock_data(lan_lock, "lock_pro_dp51", **{CONF_DEVICE_ID: "other", CONF_NAME: "Gate"}),
    )
    assert result["errors"] == {"base": "invalid_key"}


async def test_cloud_lock(
    hass: HomeAssistant, init_integration: MockConfigEntry, fake: FakeTuyaCloud
) -> None:
    """A cloud lock asks once for the Tuya project, is detected by category, takes 7 digits."""
    lock = cloud_lock(WIFI)
    with patch.dict("custom_components.smartlock_tuya.backends.CLOUD_API_HOSTS", {"eu": fake.host}):
        result = await _start(hass, init_integration)
        result = await _submit(hass, result["flow_id"], lock)
        assert result["step_id"] == "cloud"
        result = await _submit(
            hass, result["flow_id"], CLOUD | {CONF_CLOUD_ACCESS_SECRET: "f" * 32}
        )
        assert result["errors"] == {"base": "invalid_cloud_auth"}
        result = await _submit(hass, result["flow_id"], CLOUD)
        assert result["type"] is FlowResultType.CREATE_ENTRY
        # Tuya calls it a Lock Pro (jtmspro), a Wi-Fi lock: exactly 7 digits through the cloud.
        assert result["data"][CONF_PROFILE] == "lock_pro_dp51"
        assert result["data"][CONF_PIN_LENGTHS] == [7]
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


async def test_cloud_zigbee_lock_needs_no_profile(
    hass: HomeAssistant, cloud_account: MockConfigEntry
) -> None:
    """A Zigbee lock through Tuya Cloud keeps `auto`: Tuya's device kind gives its 6 digits."""
    result = await _start(hass, cloud_account)
    result = await _submit(hass, result["flow_id"], cloud_lock(ZIGBEE))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert (result["data"][CONF_PROFILE], result["data"][CONF_PIN_LENGTHS]) == ("auto", [6])
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get("lock.back_door").state == "locked"


async def test_cloud_access_control_by_category(
    hass: HomeAssistant, cloud_account: MockConfigEntry
) -> None:
    """Category `mk` is an access-control panel: its (unverified) profile is taken."""
    with patch.dict("simulators.tuya_cloud._CATEGORY", {"wifi": "mk"}):
        result = await _start(hass, cloud_account)
        result = await _submit(hass, result["flow_id"], cloud_lock(WIFI))
    assert result["data"][CONF_PROFILE] == "mk_access_control"


async def test_lock_that_takes_no_pin_is_refused(
    hass: HomeAssistant, cloud_account: MockConfigEntry
) -> None:
    """A Wi-Fi cloud lock (7 digits) on a 6-digit profile could never take a PIN: refused."""
    result = await _start(hass, cloud_account)
    result = await _submit(
        hass, result["flow_id"], cloud_lock(WIFI, **{CONF_PROFILE: "zigbee_gateway_27"})
    )
    assert result["errors"] == {"base": "no_pin_length"}


async def test_reconfigure(
    hass: HomeAssistant, init_lock: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """A lock's name and listings change after it is tested again."""
    result = await _reconfigure(hass, init_lock)
    assert result["step_id"] == "reconfigure"
    changed = lan_lock_data(
        lan_lock, "lock_pro_dp51", **{CONF_NAME: "Main door", CONF_LISTING_IDS: ["L-loft"]}
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


async def test_reconfigure_onto_its_gateway(
    hass: HomeAssistant,
    init_lock: MockConfigEntry,
    gateway: SimulatedGateway,
) -> None:
    """Reconfiguring a lock onto a gateway sub-device asks its layout, then saves in place."""
    result = await _reconfigure(hass, init_lock)
    data = gateway_lock_data(gateway, **{CONF_DEVICE_ID: "front-door-1"})
    result = await _submit(hass, result["flow_id"], data)
    assert result["step_id"] == "choose_profile"
    result = await _submit(hass, result["flow_id"], {CONF_PROFILE: "zigbee_gateway_21"})
    assert result["reason"] == "reconfigure_successful"
    subentry = init_lock.subentries[LOCK_SUBENTRY]
    assert subentry.data[CONF_PROFILE] == "zigbee_gateway_21"
    assert subentry.data[CONF_NODE_ID] == CID


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
    result = await _reconfigure(hass, init_lock)
    result = await _submit(
        hass,
        result["flow_id"],
        lan_lock_data(lan_lock, "lock_pro_dp51", **{CONF_DEVICE_ID: "gate"}),
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
    profiles = {
        "mine": {
            "codec": "lock_pro_temp_password",
            "dps": {"create": 51, "delete": 52},
            "pin_lengths": [6],
        }
    }
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
    profiles = {
        "mine": {
            "codec": "lock_pro_temp_password",
            "dps": {"create": 51, "delete": 52},
            "pin_lengths": [6],
        }
    }
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
        CONF_PROFILE: "lock_pro_dp51",
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
        result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "lock_pro_dp51"))
    assert result["errors"] == {"base": "unknown"}


async def test_profile_without_state_is_trusted(
    hass: HomeAssistant, init_integration: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """A chosen profile with no state DP cannot be contradicted by the lock's report."""
    result = await _start(hass, init_integration)
    result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "mk_access_control"))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PIN_LENGTHS] == [4, 5, 6, 7, 8, 9, 10]


async def test_reconfigure_to_cloud_without_credentials(
    hass: HomeAssistant, init_lock: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """Moving a lock to Tuya Cloud needs the account's Cloud project first."""
    result = await _reconfigure(hass, init_lock)
    result = await _submit(
        hass, result["flow_id"], lan_lock_data(lan_lock, "auto", **{CONF_BACKEND: "cloud"})
    )
    assert result["errors"] == {"base": "invalid_cloud_auth"}


async def test_unexpected_error(
    hass: HomeAssistant, init_integration: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """A bug while testing the lock is logged and answered, never a broken form."""
    result = await _start(hass, init_integration)
    with patch(
        "custom_components.smartlock_tuya.tuya.lan.LanBackend.status",
        side_effect=RuntimeError("bug"),
    ):
        result = await _submit(hass, result["flow_id"], lan_lock_data(lan_lock, "auto"))
    assert result["errors"] == {"base": "unknown"}


def test_preferred_length() -> None:
    """The account's length where the lock takes it, else the nearest (the longer on a tie)."""
    assert length_for({6, 7, 8}, 7) == 7
    assert length_for({6}, 8) == 6
    assert length_for({6, 8}, 7) == 8
    assert length_for({7}, 4) == 7
    assert length_for({12}, 6) is None


async def test_second_lock_behind_the_same_gateway(
    hass: HomeAssistant, init_integration: MockConfigEntry, gateway: SimulatedGateway
) -> None:
    """Two Zigbee locks behind one gateway: the second is added while the first runs.

    The gateway serves one local client: the flow's test joins the running lock's shared
    connection instead of being refused.
    """
    gateway.add_lock("a4c1380000000002", layout=21)
    result = await _start(hass, init_integration)
    result = await _submit(
        hass, result["flow_id"], gateway_lock_data(gateway, **{CONF_PROFILE: "zigbee_gateway_27"})
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)
    accepted = gateway.connections
    result = await _start(hass, init_integration)
    second = gateway_lock_data(
        gateway,
        **{
            CONF_NAME: "Pool gate",
            CONF_DEVICE_ID: "pool-gate-1",
            CONF_NODE_ID: "a4c1380000000002",
            CONF_PROFILE: "zigbee_gateway_21",
        },
    )
    result = await _submit(hass, result["flow_id"], second)
    assert result.get("errors") is None
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert gateway.connections == accepted  # no second connection to the gateway, ever
