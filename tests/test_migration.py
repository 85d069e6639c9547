"""Old lock subentries: moved once to today's profiles, repairs raised and cleared."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import patch

from homeassistant.components.lock import LockState
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import SOURCE_RECONFIGURE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartlock_tuya.backends import build_backend
from custom_components.smartlock_tuya.const import (
    CONF_DEVICE_ID,
    CONF_GATEWAY_ID,
    CONF_NODE_ID,
    CONF_PROFILE,
    DOMAIN,
    SUBENTRY_LOCK,
)
from custom_components.smartlock_tuya.migration import (
    ISSUE_GATEWAY,
    ISSUE_PROFILE,
    issue_id,
    needs_profile,
)
from custom_components.smartlock_tuya.profile_choice import allowed_lengths
from custom_components.smartlock_tuya.tuya import load_profiles
from simulators.stays_server import StaysSimulator
from simulators.tuya_cloud import FakeTuyaCloud
from simulators.tuya_lock import SimulatedGateway, SimulatedLock, ZigbeeLock

from .conftest import (
    CLOUD_ACCESS_ID,
    CLOUD_SECRET,
    FRONT_DOOR,
    LOCAL_KEY,
    LOCK_SUBENTRY,
    WIFI,
    account_entry,
    lan_lock_data,
)

ENTRY_ID = "01JSTAYSACCOUNTENTRY00001"
LOCK = "lock.front_door"


def _old(data: dict[str, Any]) -> dict[str, Any]:
    """A lock subentry as an earlier version stored it."""
    return {
        "data": data,
        "subentry_id": LOCK_SUBENTRY,
        "subentry_type": SUBENTRY_LOCK,
        "title": "Front door",
        "unique_id": data[CONF_DEVICE_ID],
    }


async def _load(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def _reload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


def _issue(hass: HomeAssistant, kind: str) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id(kind, ENTRY_ID, LOCK_SUBENTRY))


@pytest.fixture
async def zigbee_lock(socket_enabled: None) -> AsyncIterator[SimulatedLock]:
    """A Zigbee lock answering for itself, as the old direct set-up reached it; door open."""
    lock = SimulatedLock(
        device_id=FRONT_DOOR,
        local_key=LOCAL_KEY,
        family=ZigbeeLock(layout=21, locked=False),
        clock=lambda: dt_util.utcnow().timestamp(),
    )
    await lock.start()
    yield lock
    await lock.stop()


async def test_zigbee_dp24_moves_to_the_reference_layout(
    hass: HomeAssistant,
    account: StaysSimulator,
    zigbee_lock: SimulatedLock,
    entity_registry: er.EntityRegistry,
) -> None:
    """The old Zigbee profile becomes `zigbee_gateway_21`, once; the same entity shows DP 8."""
    entry = account_entry(account, _old(lan_lock_data(zigbee_lock, "zigbee_dp24")))
    entry.add_to_hass(hass)
    # The entity the earlier version registered.
    old = entity_registry.async_get_or_create(
        "lock", DOMAIN, f"lock_{FRONT_DOOR}", config_entry=entry, suggested_object_id="front_door"
    )
    await _load(hass, entry)

    data = entry.subentries[LOCK_SUBENTRY].data
    assert data[CONF_PROFILE] == "zigbee_gateway_21"
    # The same entity, its unique id now naming the account (two accounts may share a lock).
    assert (
        entity_registry.async_get_entity_id("lock", DOMAIN, f"127.0.0.1_lock_{FRONT_DOOR}")
        == old.entity_id
    )
    # The old profile read DP 47 as "true = locked"; the lock says DP 8 true: the door is open.
    assert zigbee_lock.dps["8"] is True
    assert hass.states.get(old.entity_id).state == LockState.UNLOCKED
    await zigbee_lock.set_locked(True)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert hass.states.get(old.entity_id).state == LockState.LOCKED

    # Running as before, but the user is asked for the gateway it really sits behind.
    issue = _issue(hass, ISSUE_GATEWAY)
    assert issue is not None
    assert not issue.is_fixable
    assert issue.translation_placeholders == {"lock": "Front door", "profile": "zigbee_gateway_21"}
    assert _issue(hass, ISSUE_PROFILE) is None

    # Migrated once: the next start leaves the data alone.
    before = dict(entry.subentries[LOCK_SUBENTRY].data)
    await _reload(hass, entry)
    assert dict(entry.subentries[LOCK_SUBENTRY].data) == before


async def test_gateway_details_clear_the_issue(
    hass: HomeAssistant, account: StaysSimulator, zigbee_lock: SimulatedLock
) -> None:
    """Once the lock names its gateway and node, the gateway issue goes away."""
    entry = account_entry(account, _old(lan_lock_data(zigbee_lock, "zigbee_dp24")))
    await _load(hass, entry)
    assert _issue(hass, ISSUE_GATEWAY) is not None
    gateway = SimulatedGateway(device_id="gateway-1", local_key=LOCAL_KEY)
    gateway.add_lock("a4c1380000000001")
    await gateway.start()
    try:
        subentry = entry.subentries[LOCK_SUBENTRY]
        hass.config_entries.async_update_subentry(
            entry,
            subentry,
            data={
                **subentry.data,
                "host": f"127.0.0.1:{gateway.port}",
                CONF_GATEWAY_ID: "gateway-1",
                CONF_NODE_ID: "a4c1380000000001",
            },
        )
        await hass.async_block_till_done(wait_background_tasks=True)
        assert _issue(hass, ISSUE_GATEWAY) is None
        assert hass.states.get(LOCK).state == LockState.LOCKED
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await gateway.stop()


async def test_unlock_method_lan_lock_waits_for_a_choice(
    hass: HomeAssistant, account: StaysSimulator, lan_lock: SimulatedLock
) -> None:
    """No real family had the old `unlock_method` layout: the lock waits, the repair asks."""
    entry = account_entry(account, _old(lan_lock_data(lan_lock, "unlock_method")))
    await _load(hass, entry)
    assert entry.subentries[LOCK_SUBENTRY].data[CONF_PROFILE] == "unlock_method"
    assert entry.runtime_data.locks == {}
    assert hass.states.get(LOCK) is None
    assert hass.states.get("calendar.casa_da_praia") is not None  # the account still runs
    issue = _issue(hass, ISSUE_PROFILE)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {"lock": "Front door", "profile": "unlock_method"}

    assert await async_setup_component(hass, "repairs", {})
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    assert result["type"] is FlowResultType.FORM
    assert result["description_placeholders"] == {"lock": "Front door", "profile": "unlock_method"}
    options = result["data_schema"].schema[CONF_PROFILE].config["options"]
    assert [option["value"] for option in options] == ["mk_access_control", "lock_pro_dp51"]
    result = await manager.async_configure(result["flow_id"], {CONF_PROFILE: "lock_pro_dp51"})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done(wait_background_tasks=True)

    assert entry.subentries[LOCK_SUBENTRY].data[CONF_PROFILE] == "lock_pro_dp51"
    assert _issue(hass, ISSUE_PROFILE) is None
    assert hass.states.get(LOCK).state == LockState.LOCKED


async def test_reconfigure_a_lock_that_is_not_set_up(
    hass: HomeAssistant, account: StaysSimulator, lan_lock: SimulatedLock
) -> None:
    """Reconfiguring the waiting lock works as well as the repair, and clears it."""
    entry = account_entry(account, _old(lan_lock_data(lan_lock, "unlock_method")))
    await _load(hass, entry)
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_LOCK),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": LOCK_SUBENTRY},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], lan_lock_data(lan_lock, "auto")
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.subentries[LOCK_SUBENTRY].data[CONF_PROFILE] == "lock_pro_dp51"
    assert _issue(hass, ISSUE_PROFILE) is None


async def test_repair_of_a_removed_lock(
    hass: HomeAssistant, account: StaysSimulator, lan_lock: SimulatedLock
) -> None:
    """A lock removed before its repair is run: the flow says so, the issue goes."""
    entry = account_entry(account, _old(lan_lock_data(lan_lock, "unlock_method")))
    await _load(hass, entry)
    issue = _issue(hass, ISSUE_PROFILE)
    assert issue is not None
    assert await async_setup_component(hass, "repairs", {})
    manager = repairs_flow_manager(hass)
    assert manager is not None
    hass.config_entries.async_remove_subentry(entry, LOCK_SUBENTRY)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert _issue(hass, ISSUE_PROFILE) is None  # the reload dropped it
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue.issue_id,
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key=ISSUE_PROFILE,
        data={"entry_id": ENTRY_ID, "subentry_id": LOCK_SUBENTRY},
    )
    result = await manager.async_init(DOMAIN, data={"issue_id": issue.issue_id})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "lock_gone"


async def test_unlock_method_cloud_lock_keeps_running(
    hass: HomeAssistant, account: StaysSimulator, fake: FakeTuyaCloud
) -> None:
    """A Cloud lock needs no LAN profile: it moves to `auto` and keeps working, no repair."""
    entry = account_entry(
        account,
        _old(
            {
                "name": "Front door",
                CONF_DEVICE_ID: WIFI,
                "backend": "cloud",
                CONF_PROFILE: "unlock_method",
                "listing_ids": ["L-beach"],
            }
        ),
    )
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        data={
            **entry.data,
            "cloud_region": "eu",
            "cloud_access_id": CLOUD_ACCESS_ID,
            "cloud_access_secret": CLOUD_SECRET,
        },
    )
    with patch.dict("custom_components.smartlock_tuya.backends.CLOUD_API_HOSTS", {"eu": fake.host}):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        data = entry.subentries[LOCK_SUBENTRY].data
        assert data[CONF_PROFILE] == "auto"
        assert allowed_lengths(data) == {6, 7}  # until the flow stores Tuya's answer
        assert _issue(hass, ISSUE_PROFILE) is None
        assert hass.states.get(LOCK).state == LockState.LOCKED
        assert await hass.config_entries.async_unload(entry.entry_id)


def test_allowed_lengths_of_old_subentries() -> None:
    """Without stored lengths, a LAN lock takes its profile's, a Cloud lock Tuya's two kinds."""
    profiles = load_profiles()
    lan = {"backend": "lan", "host": "h", "local_key": "k"}
    assert allowed_lengths({**lan, CONF_PROFILE: "zigbee_gateway_27"}, profiles) == {6}
    assert allowed_lengths({**lan, CONF_PROFILE: "unknown"}, profiles) == frozenset()
    cloud = {"backend": "cloud", CONF_PROFILE: "zigbee_gateway_27"}
    assert allowed_lengths(cloud, profiles) == {6}
    assert allowed_lengths({**cloud, "pin_lengths": [7]}, profiles) == {7}


def test_profiles_a_lock_can_run_with() -> None:
    """A Cloud lock runs on `auto` or a loaded profile; a LAN lock only on a loaded one."""
    profiles = load_profiles()
    assert needs_profile({"backend": "cloud", CONF_PROFILE: "gone"}, profiles)
    assert not needs_profile({"backend": "cloud", CONF_PROFILE: "auto"}, profiles)
    assert needs_profile({"backend": "lan", "host": "h", "local_key": "k"}, profiles)


async def test_lan_backend_needs_a_profile(hass: HomeAssistant) -> None:
    """Only Tuya Cloud can do without a profile."""
    lock = {CONF_DEVICE_ID: "d", "backend": "lan", "host": "h", "local_key": "k" * 16}
    with pytest.raises(ValueError, match="needs a PIN profile"):
        build_backend(hass, {}, lock, None)


async def test_other_subentries_are_left_alone(
    hass: HomeAssistant, account: StaysSimulator
) -> None:
    """Only lock subentries are migrated; a subentry of another kind keeps its data."""
    entry = account_entry(
        account,
        {
            "data": {CONF_PROFILE: "zigbee_dp24"},
            "subentry_id": "01JOTHERSUBENTRY000000001",
            "subentry_type": "note",
            "title": "Note",
            "unique_id": None,
        },
    )
    await _load(hass, entry)
    assert entry.subentries["01JOTHERSUBENTRY000000001"].data == {CONF_PROFILE: "zigbee_dp24"}
