"""Removing a lock or the account: its PINs go first, what stays is named; devices and ids last."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartlock_tuya.const import CONF_HOST, CONF_PROFILE, DOMAIN, SUBENTRY_LOCK
from custom_components.smartlock_tuya.removal import ISSUE_PINS_LEFT
from custom_components.smartlock_tuya.scheduler import CredentialState
from custom_components.smartlock_tuya.storage import CredentialStore
from simulators.stays_server import FaultKind, StaysSimulator
from simulators.tuya_lock import SimulatedLock

from .conftest import LOCK_SUBENTRY, Clock, lan_lock_data
from .helpers import MARIA, at, credential, pins_on, settle, travel

LOCK_DEVICE = (DOMAIN, "lock_front-door-1")


def _device(
    registry: dr.DeviceRegistry, entry: MockConfigEntry, identifier: tuple[str, str]
) -> dr.DeviceEntry | None:
    """A device of the entry by identifier, in a way every supported Home Assistant allows."""
    return next(
        (
            device
            for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
            if identifier in device.identifiers
        ),
        None,
    )


def _issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"{ISSUE_PINS_LEFT}_{entry.entry_id}_{LOCK_SUBENTRY}"
    )


async def _stored_state(hass: HomeAssistant, entry: MockConfigEntry) -> CredentialState:
    data = await CredentialStore(hass, entry.entry_id).async_load()
    return data.credentials[MARIA].state


async def test_removing_a_lock_revokes_its_pins(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """The lock's subentry goes: Maria's PIN leaves the door, and the account keeps running."""
    assert credential(started, MARIA).pin in pins_on(lan_lock)
    hass.config_entries.async_remove_subentry(started, LOCK_SUBENTRY)
    await settle(hass)
    assert pins_on(lan_lock) == {}
    assert started.state is ConfigEntryState.LOADED
    assert started.runtime_data.locks == {}
    assert await _stored_state(hass, started) is CredentialState.REVOKED
    assert _issue(hass, started) is None


async def test_removing_an_offline_lock_says_what_stayed(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """An unreachable lock keeps its PINs: a repair issue names the door and the holders."""
    pin = credential(started, MARIA).pin
    await lan_lock.set_offline("refuse")
    hass.config_entries.async_remove_subentry(started, LOCK_SUBENTRY)
    await settle(hass)
    assert pin in pins_on(lan_lock)
    issue = _issue(hass, started)
    assert issue is not None
    assert issue.translation_key == ISSUE_PINS_LEFT
    placeholders = issue.translation_placeholders or {}
    assert placeholders["lock"] == "Front door"
    assert "R-maria" in placeholders["holders"]
    assert "Maria" in placeholders["holders"]
    assert pin not in repr(issue)
    assert started.state is ConfigEntryState.LOADED


async def test_removing_a_lock_of_an_account_not_running(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
) -> None:
    """Stays refuses the account (it waits for new credentials): the lock's PINs still go."""
    assert await hass.config_entries.async_unload(started.entry_id)
    account.inject_fault(FaultKind.UNAUTHORIZED, count=1000)
    await hass.config_entries.async_setup(started.entry_id)
    await hass.async_block_till_done()
    assert started.state is ConfigEntryState.SETUP_ERROR
    hass.config_entries.async_remove_subentry(started, LOCK_SUBENTRY)
    await settle(hass)
    assert pins_on(lan_lock) == {}
    assert await _stored_state(hass, started) is CredentialState.REVOKED


async def test_removing_the_account_revokes_its_pins(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """Deleting the account takes its PINs off the locks before forgetting them."""
    assert pins_on(lan_lock)
    await hass.config_entries.async_remove(started.entry_id)
    await settle(hass)
    assert pins_on(lan_lock) == {}
    assert _issue(hass, started) is None


async def test_removing_the_account_with_a_lock_offline(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """What could not be revoked is named, and stays named after the account is gone."""
    await lan_lock.set_offline("refuse")
    await hass.config_entries.async_remove(started.entry_id)
    await settle(hass)
    assert pins_on(lan_lock)
    issue = _issue(hass, started)
    assert issue is not None
    assert "R-maria" in (issue.translation_placeholders or {})["holders"]


async def test_lock_that_fails_to_set_up_keeps_its_device(
    hass: HomeAssistant,
    started: MockConfigEntry,
    lan_lock: SimulatedLock,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    area_registry: ar.AreaRegistry,
) -> None:
    """A lock whose profile is briefly unknown keeps its device, entities, names and areas."""
    area = area_registry.async_create("Entrance")
    device = _device(device_registry, started, LOCK_DEVICE)
    assert device is not None
    device_registry.async_update_device(device.id, area_id=area.id)
    entity_registry.async_update_entity("lock.front_door", name="Porta")
    subentry = started.subentries[LOCK_SUBENTRY]
    good = dict(subentry.data)
    hass.config_entries.async_update_subentry(
        started, subentry, data={**good, CONF_PROFILE: "gone"}
    )
    await settle(hass)  # reloaded: the lock is not set up this time
    assert started.runtime_data.locks == {}
    kept = _device(device_registry, started, LOCK_DEVICE)
    assert kept is not None
    assert kept.area_id == area.id
    hass.config_entries.async_update_subentry(started, started.subentries[LOCK_SUBENTRY], data=good)
    await settle(hass)
    registered = entity_registry.async_get("lock.front_door")
    assert registered is not None
    assert registered.name == "Porta"
    back = _device(device_registry, started, LOCK_DEVICE)
    assert back is not None
    assert (back.id, back.area_id) == (kept.id, area.id)


async def test_old_unique_ids_are_migrated(
    hass: HomeAssistant,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Entities made under the old `lock_<device>` ids keep their entity ids and names."""
    lock_entry.add_to_hass(hass)
    old = {
        ("lock", "lock_front-door-1"): "lock.my_door",
        ("sensor", "lock_front-door-1_battery"): "sensor.my_door_battery",
        ("event", "lock_front-door-1_pin_unlock"): "event.my_door_pins",
        ("sensor", "lock_front-door-1_next_check_in"): "sensor.my_door_next",
    }
    for (domain, unique_id), entity_id in old.items():
        entity_registry.async_get_or_create(
            domain,
            DOMAIN,
            unique_id,
            config_entry=lock_entry,
            config_subentry_id=LOCK_SUBENTRY,
            suggested_object_id=entity_id.split(".")[1],
        )
    entity_registry.async_update_entity("lock.my_door", name="Minha porta")
    assert await hass.config_entries.async_setup(lock_entry.entry_id)
    await settle(hass)
    for (domain, unique_id), entity_id in old.items():
        assert entity_registry.async_get_entity_id(domain, DOMAIN, unique_id) is None
        assert (
            entity_registry.async_get_entity_id(domain, DOMAIN, f"127.0.0.1_{unique_id}")
            == entity_id
        )
    assert hass.states.get("lock.my_door") is not None
    assert entity_registry.async_get("lock.my_door").name == "Minha porta"


async def test_two_accounts_share_a_lock(
    hass: HomeAssistant,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
    entity_registry: er.EntityRegistry,
) -> None:
    """A building gate serving two Stays accounts gets a lock entity under each."""
    lock_entry.add_to_hass(hass)
    other = MockConfigEntry(
        domain=DOMAIN,
        entry_id="01JSTAYSACCOUNTENTRY00002",
        title="second.example",
        unique_id="second.example",
        data=dict(lock_entry.data),
        options=dict(lock_entry.options),
        subentries_data=[
            {
                "data": lan_lock_data(lan_lock, "lock_pro_dp51"),
                "subentry_id": "01JLOCKSUBENTRY0000000002",
                "subentry_type": SUBENTRY_LOCK,
                "title": "Front door",
                "unique_id": "front-door-1",
            }
        ],
    )
    other.add_to_hass(hass)
    assert await hass.config_entries.async_setup(lock_entry.entry_id)  # sets up both
    await settle(hass)
    assert other.state is ConfigEntryState.LOADED
    locks = [
        registered.unique_id
        for registered in entity_registry.entities.values()
        if registered.domain == "lock" and registered.platform == DOMAIN
    ]
    assert sorted(locks) == ["127.0.0.1_lock_front-door-1", "second.example_lock_front-door-1"]


async def test_lock_refusing_the_delete(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """A lock that answers but refuses to delete keeps the PIN, and the issue says so."""
    pin = credential(started, MARIA).pin
    lan_lock.reject_next(10)
    hass.config_entries.async_remove_subentry(started, LOCK_SUBENTRY)
    await settle(hass)
    assert pin in pins_on(lan_lock)
    assert _issue(hass, started) is not None


async def test_lock_with_no_pin_on_it(
    hass: HomeAssistant,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
) -> None:
    """Nothing reached the lock: removing it needs no connection and raises no issue."""
    await lan_lock.set_offline("refuse")
    lock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(lock_entry.entry_id)
    await settle(hass)
    connections = lan_lock.connections
    hass.config_entries.async_remove_subentry(lock_entry, LOCK_SUBENTRY)
    await settle(hass)
    assert lan_lock.connections == connections
    assert _issue(hass, lock_entry) is None
    assert await _stored_state(hass, lock_entry) is CredentialState.REVOKED


@pytest.mark.parametrize(
    "broken", [{CONF_PROFILE: "gone"}, {CONF_HOST: None}], ids=["profile", "address"]
)
async def test_lock_that_cannot_be_reached_any_more(
    hass: HomeAssistant,
    started: MockConfigEntry,
    lan_lock: SimulatedLock,
    broken: dict[str, Any],
) -> None:
    """A lock whose settings no longer work: its PINs are named, not silently forgotten."""
    subentry = started.subentries[LOCK_SUBENTRY]
    data = {key: value for key, value in {**subentry.data, **broken}.items() if value is not None}
    hass.config_entries.async_update_subentry(started, subentry, data=data)
    await settle(hass)
    hass.config_entries.async_remove_subentry(started, LOCK_SUBENTRY)
    await settle(hass)
    assert pins_on(lan_lock)
    issue = _issue(hass, started)
    assert issue is not None
    assert "R-maria" in (issue.translation_placeholders or {})["holders"]


async def test_removal_from_an_account_that_cannot_start(
    hass: HomeAssistant, account: StaysSimulator, lock_entry: MockConfigEntry
) -> None:
    """An account refused by Stays is not restarted by a lock's removal."""
    account.client_secret = "rotated"
    lock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(lock_entry.entry_id)
    await hass.async_block_till_done()
    assert lock_entry.state is ConfigEntryState.SETUP_ERROR
    other = MockConfigEntry(domain="other_domain")
    other.add_to_hass(hass)
    hass.config_entries.async_update_entry(other, title="changed")  # not ours: ignored
    hass.config_entries.async_remove_subentry(lock_entry, LOCK_SUBENTRY)
    await settle(hass)
    assert lock_entry.state is ConfigEntryState.SETUP_ERROR
    assert _issue(hass, lock_entry) is None


async def test_removing_the_account_names_a_pin_that_may_be_on_the_lock(
    hass: HomeAssistant,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
    clock: Clock,
) -> None:
    """A create never confirmed is named as maybe left on the door; the account's repairs go."""
    lan_lock.lose_next_reply(1)  # the Lock Pro applies the create, its answer is lost
    lock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(lock_entry.entry_id)
    await settle(hass)
    assert credential(lock_entry, MARIA).unconfirmed
    await travel(hass, clock, at(10, 12, 1))  # the retry finds it may be on the lock
    own = f"pin_{MARIA}".replace("|", "_")
    assert ir.async_get(hass).async_get_issue(DOMAIN, own) is not None
    await hass.config_entries.async_remove(lock_entry.entry_id)
    await settle(hass)
    assert ir.async_get(hass).async_get_issue(DOMAIN, own) is None
    issue = _issue(hass, lock_entry)
    assert issue is not None
    assert "R-maria" in (issue.translation_placeholders or {})["holders"]
