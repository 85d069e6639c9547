"""Auto-detection with Tuya Cloud's word: category and specification, through the lock flow.

Each test adds a lock through the real flow, with a simulated lock on loopback and the fake
Tuya Cloud serving the device's details and its specification (`simulators/tuya_cloud_specs`,
which cites a public source per family). Tuya's word outranks what the lock reports; a cloud
that cannot answer leaves the decision to the lock's own report. A Zigbee lock's category is
`ms`, as a Wi-Fi residential lock's is, so for Zigbee there is no "category alone" case: only
its specification names the family.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartlock_tuya.const import CONF_PIN_LENGTHS, CONF_PROFILE
from simulators.tuya_cloud import FakeTuyaCloud
from simulators.tuya_cloud_http import DEVICE_NOT_SUPPORTED, PERMISSION_DENY
from simulators.tuya_cloud_specs import ACCESS_CONTROL, LOCK_PRO, WIFI_RESIDENTIAL, ZIGBEE_LOCK
from simulators.tuya_lock import SimulatedGateway, SimulatedLock

from .conftest import LOCAL_KEY, WIFI, ZIGBEE, lan_lock_data
from .test_lock_flow import (
    CID,
    CLOUD,
    GATEWAY_ID,
    _options,
    _start,
    _submit,
    cloud_lock,
    gateway_lock_data,
)

SPEC_PATH = "/v1.1/devices/{}/specifications"
#: What no family reports: detection from the DPs alone finds nothing.
MUTE_DPS = {"101": "idle"}


def _mute(lock: SimulatedLock) -> None:
    lock.family.dps.clear()
    lock.family.dps.update(MUTE_DPS)


async def _add(hass: HomeAssistant, entry: MockConfigEntry, data: dict[str, Any]) -> dict[str, Any]:
    result = await _start(hass, entry)
    return await _submit(hass, result["flow_id"], data)


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


@pytest.fixture
async def gateway(socket_enabled: None) -> AsyncIterator[SimulatedGateway]:
    """A gateway whose Zigbee lock reports nothing recognisable on first contact."""
    device = SimulatedGateway(
        device_id=GATEWAY_ID,
        local_key=LOCAL_KEY,
        version="3.4",
        clock=lambda: dt_util.utcnow().timestamp(),
    )
    lock = device.add_lock(CID, layout=27)
    lock.family.dps.clear()
    lock.family.dps.update(MUTE_DPS)
    await device.start()
    yield device
    await device.stop()


async def test_lock_pro_by_category_alone(
    hass: HomeAssistant,
    cloud_account: MockConfigEntry,
    lan_lock: SimulatedLock,
    fake: FakeTuyaCloud,
) -> None:
    """No specification (Tuya: device not supported), silent DPs: `jtmspro` decides."""
    _mute(lan_lock)
    fake.add_device(lan_lock.device_id)
    fake.inject_error(*DEVICE_NOT_SUPPORTED, path_prefix=SPEC_PATH.format(lan_lock.device_id))
    result = await _add(hass, cloud_account, lan_lock_data(lan_lock, "auto"))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PROFILE] == "lock_pro_dp51"
    assert ("GET", SPEC_PATH.format(lan_lock.device_id)) in fake.requests


async def test_lock_pro_by_specification_alone(
    hass: HomeAssistant,
    cloud_account: MockConfigEntry,
    lan_lock: SimulatedLock,
    fake: FakeTuyaCloud,
) -> None:
    """An unhelpful category (`ms`), silent DPs: the specification's DP 51 codes decide."""
    _mute(lan_lock)
    device = fake.add_device(lan_lock.device_id)
    device.category, device.family = "ms", LOCK_PRO
    result = await _add(hass, cloud_account, lan_lock_data(lan_lock, "auto"))
    assert result["data"][CONF_PROFILE] == "lock_pro_dp51"


async def test_without_the_cloud_the_same_lock_asks(
    hass: HomeAssistant, cloud_account: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """The same silent lock outside the Cloud project: nothing decides, so the flow asks."""
    _mute(lan_lock)
    result = await _add(hass, cloud_account, lan_lock_data(lan_lock, "auto"))
    assert result["step_id"] == "choose_profile"


async def test_zigbee_by_its_own_specification(
    hass: HomeAssistant,
    cloud_account: MockConfigEntry,
    gateway: SimulatedGateway,
    fake: FakeTuyaCloud,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A sub-device is described by its own device id; `password_creat` names Zigbee.

    Its category (`ms`) names no family and its DPs say nothing, so only the specification
    can name the family. The layout still cannot be seen, so the user picks it.
    """
    data = gateway_lock_data(gateway)
    fake.add_device(data["device_id"], kind="zigbee")
    with caplog.at_level(logging.DEBUG, logger="custom_components.smartlock_tuya"):
        result = await _add(hass, cloud_account, data)
    assert "its Tuya Cloud specification codes match this family" in caplog.text
    assert result["step_id"] == "choose_profile"
    assert [o["value"] for o in _options(result)] == ["zigbee_gateway_27", "zigbee_gateway_21"]
    assert ("GET", SPEC_PATH.format(data["device_id"])) in fake.requests
    assert not any(GATEWAY_ID in path for _, path in fake.requests)
    result = await _submit(hass, result["flow_id"], {CONF_PROFILE: "zigbee_gateway_21"})
    assert result["data"][CONF_PROFILE] == "zigbee_gateway_21"


async def test_zigbee_sub_device_outside_the_project(
    hass: HomeAssistant,
    cloud_account: MockConfigEntry,
    gateway: SimulatedGateway,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Tuya does not know the lock (permission deny): the DPs decide, here nothing.

    Detection then names every family a sub-device may be; the flow offers those whose
    profile fits a sub-device.
    """
    with caplog.at_level(logging.DEBUG, logger="custom_components.smartlock_tuya"):
        result = await _add(hass, cloud_account, gateway_lock_data(gateway))
    assert "nothing it shows names its lock family" in caplog.text
    assert [o["value"] for o in _options(result)] == [
        "zigbee_gateway_27",
        "zigbee_gateway_21",
    ]


async def test_specification_outranks_disagreeing_dps(
    hass: HomeAssistant,
    cloud_account: MockConfigEntry,
    lan_lock: SimulatedLock,
    fake: FakeTuyaCloud,
) -> None:
    """The lock reports Lock Pro DPs; Tuya's specification says access-control panel: Tuya wins."""
    device = fake.add_device(lan_lock.device_id)
    device.category, device.family = "", ACCESS_CONTROL
    result = await _add(hass, cloud_account, lan_lock_data(lan_lock, "auto"))
    assert result["data"][CONF_PROFILE] == "mk_access_control"


async def test_category_and_specification_agree(
    hass: HomeAssistant,
    cloud_account: MockConfigEntry,
    lan_lock: SimulatedLock,
    fake: FakeTuyaCloud,
) -> None:
    """Category `mk` and the panel's codes over the Lock Pro DPs: the panel's profile."""
    device = fake.add_device(lan_lock.device_id)
    device.category, device.family = "mk", ACCESS_CONTROL
    result = await _add(hass, cloud_account, lan_lock_data(lan_lock, "auto"))
    assert result["data"][CONF_PROFILE] == "mk_access_control"
    assert result["data"][CONF_PIN_LENGTHS] == [4, 5, 6, 7, 8, 9, 10]


async def test_cannot_decide_asks(
    hass: HomeAssistant,
    cloud_account: MockConfigEntry,
    lan_lock: SimulatedLock,
    fake: FakeTuyaCloud,
) -> None:
    """Category `ms`, no temporary-password code, silent DPs: the flow asks.

    That is a Wi-Fi residential lock's model; nothing in it names a LAN family, so the
    flow offers the directly reached ones.
    """
    _mute(lan_lock)
    device = fake.add_device(lan_lock.device_id)
    device.family = WIFI_RESIDENTIAL
    device.category = "ms"
    result = await _add(hass, cloud_account, lan_lock_data(lan_lock, "auto"))
    assert result["step_id"] == "choose_profile"
    assert [o["value"] for o in _options(result)] == ["lock_pro_dp51", "mk_access_control"]


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(lambda cloud: cloud.inject_http_status(502, count=3), id="http-502"),
        pytest.param(lambda cloud: cloud.inject_error(*PERMISSION_DENY, count=3), id="denied"),
    ],
)
async def test_cloud_unreachable_falls_back_to_the_dps(
    hass: HomeAssistant,
    cloud_account: MockConfigEntry,
    lan_lock: SimulatedLock,
    fake: FakeTuyaCloud,
    caplog: pytest.LogCaptureFixture,
    fault: Any,
) -> None:
    """Tuya cannot answer (or refuses): the lock's own DPs decide, the log says why."""
    fake.add_device(lan_lock.device_id)
    device = fake.devices[lan_lock.device_id]
    device.category = "mk"  # would have won, had Tuya answered
    fault(fake)
    with caplog.at_level(logging.INFO):
        result = await _add(hass, cloud_account, lan_lock_data(lan_lock, "auto"))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PROFILE] == "lock_pro_dp51"
    assert "detecting it from its own report" in caplog.text
    assert "fake-access" not in caplog.text


async def test_cloud_gone_falls_back_to_the_dps(
    hass: HomeAssistant,
    cloud_account: MockConfigEntry,
    lan_lock: SimulatedLock,
    fake: FakeTuyaCloud,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing answers at Tuya's address: the LAN lock is still added, from its own DPs."""
    await fake.stop()
    with caplog.at_level(logging.INFO):
        result = await _add(hass, cloud_account, lan_lock_data(lan_lock, "auto"))
    assert result["data"][CONF_PROFILE] == "lock_pro_dp51"
    assert "Tuya Cloud does not describe lock front-door-1 (LockOfflineError)" in caplog.text


async def test_cloud_credentials_refused_falls_back(
    hass: HomeAssistant,
    cloud_account: MockConfigEntry,
    lan_lock: SimulatedLock,
    fake: FakeTuyaCloud,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The account's Cloud secret no longer works: a warning, and the LAN lock is still added."""
    fake.access_secret = "e" * 32
    result = await _add(hass, cloud_account, lan_lock_data(lan_lock, "auto"))
    assert result["data"][CONF_PROFILE] == "lock_pro_dp51"
    assert "Tuya Cloud refused to describe lock" in caplog.text


async def test_cloud_lock_reads_its_specification(
    hass: HomeAssistant, cloud_account: MockConfigEntry, fake: FakeTuyaCloud
) -> None:
    """A Cloud-backend lock is described by category and specification in the same test."""
    fake.devices[WIFI].category = ""
    result = await _add(hass, cloud_account, cloud_lock(WIFI))
    assert result["data"][CONF_PROFILE] == "lock_pro_dp51"
    assert result["data"][CONF_PIN_LENGTHS] == [7]
    assert ("GET", SPEC_PATH.format(WIFI)) in fake.requests


async def test_cloud_wifi_residential_lock(
    hass: HomeAssistant, cloud_account: MockConfigEntry, fake: FakeTuyaCloud
) -> None:
    """A Wi-Fi residential lock (`ms`, no password DP) needs no LAN profile: 7 digits by Tuya."""
    fake.devices[WIFI].category, fake.devices[WIFI].family = "ms", WIFI_RESIDENTIAL
    result = await _add(hass, cloud_account, cloud_lock(WIFI))
    assert (result["data"][CONF_PROFILE], result["data"][CONF_PIN_LENGTHS]) == ("auto", [7])


async def test_cloud_lock_without_specification(
    hass: HomeAssistant,
    cloud_account: MockConfigEntry,
    fake: FakeTuyaCloud,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Tuya has no specification for the device: its category alone is used, and said so."""
    fake.devices[ZIGBEE].family = ZIGBEE_LOCK
    fake.inject_error(*DEVICE_NOT_SUPPORTED, path_prefix=SPEC_PATH.format(ZIGBEE))
    with caplog.at_level(logging.INFO):
        result = await _add(hass, cloud_account, cloud_lock(ZIGBEE))
    assert (result["data"][CONF_PROFILE], result["data"][CONF_PIN_LENGTHS]) == ("auto", [6])
    assert "its category alone is used" in caplog.text
