"""The lifecycle on the real lock families: duplicates, PIN lengths per lock, id ranges, Cloud.

Through the real lifecycle, the simulated Stays, a simulated Tuya gateway with a Zigbee lock
(DP 24/25), and the fake Tuya Cloud with a Wi-Fi lock.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartlock_tuya.const import DOMAIN, SUBENTRY_LOCK
from custom_components.smartlock_tuya.owner_requests import RequestError
from custom_components.smartlock_tuya.scheduler import CredentialKey, CredentialState
from simulators.stays_server import StaysSimulator
from simulators.tuya_cloud import FakeTuyaCloud
from simulators.tuya_lock import SimulatedGateway, SimulatedLock, StoredPin, SubDevice

from .conftest import CLOUD_ACCESS_ID, LOCAL_KEY, WIFI, Clock, account_entry, lan_lock_data
from .helpers import at, pins_on, settle, travel

GATEWAY_ID = "gateway-1"
CID = "a4c1380000000001"
ZIGBEE_SUBENTRY = "01JLOCKSUBENTRY0000000011"
CLOUD_SUBENTRY = "01JLOCKSUBENTRY0000000012"
MARIA_ZIGBEE = CredentialKey("R-maria", ZIGBEE_SUBENTRY)
MARIA_CLOUD = CredentialKey("R-maria", CLOUD_SUBENTRY)
#: Maria's phone in the simulated Stays is +55 11 99999-8888.
PHONE_6, PHONE_7 = "998888", "9998888"


@pytest.fixture
async def gateway(socket_enabled: None) -> AsyncIterator[SimulatedGateway]:
    """A Tuya gateway on loopback with one Zigbee lock (27-byte DP 24 layout)."""
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


def _zigbee(gateway: SimulatedGateway) -> dict[str, Any]:
    return {
        "data": {
            "name": "Garden door",
            "device_id": "garden-door-1",
            "backend": "lan",
            "host": f"127.0.0.1:{gateway.port}",
            "local_key": LOCAL_KEY,
            "protocol_version": "auto",
            "gateway_id": GATEWAY_ID,
            "node_id": CID,
            "profile": "zigbee_gateway_27",
            "listing_ids": ["L-beach"],
        },
        "subentry_id": ZIGBEE_SUBENTRY,
        "subentry_type": SUBENTRY_LOCK,
        "title": "Garden door",
        "unique_id": "garden-door-1",
    }


def _cloud(**changes: Any) -> dict[str, Any]:
    return {
        "data": {
            "name": "Back door",
            "device_id": WIFI,
            "backend": "cloud",
            "profile": "lock_pro_dp51",
            "listing_ids": ["L-beach"],
            **changes,
        },
        "subentry_id": CLOUD_SUBENTRY,
        "subentry_type": SUBENTRY_LOCK,
        "title": "Back door",
        "unique_id": WIFI,
    }


async def _start(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    options: dict[str, Any],
    fake: FakeTuyaCloud | None = None,
) -> list[ServiceCall]:
    """Set the account up with a notify action recording the guest messages."""
    calls: list[ServiceCall] = []
    hass.services.async_register("notify", "guest_sms", calls.append)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        options={**entry.options, "notify_service": "notify.guest_sms", **options},
    )
    if fake is not None:
        hass.config_entries.async_update_entry(
            entry,
            data={
                **entry.data,
                "cloud_region": "eu",
                "cloud_access_id": CLOUD_ACCESS_ID,
                "cloud_access_secret": fake.access_secret,
            },
        )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    await settle(hass)
    return calls


def _manager(entry: MockConfigEntry) -> Any:
    return entry.runtime_data.manager


def _sub(gateway: SimulatedGateway) -> SubDevice:
    return gateway.subdevices[CID]


def _foreign_pin(sub: SubDevice, pin: str, unlock_id: int = 7) -> None:
    """A PIN someone set on the lock by hand (the app, the keypad): not ours."""
    start = at(1, 0).timestamp()
    sub.pins[99] = StoredPin(pin, int(start), int(start) + 90 * 86400, unlock_id=unlock_id)


async def test_duplicate_is_chosen_again_at_once_and_the_guest_told_it(
    hass: HomeAssistant, account: StaysSimulator, gateway: SimulatedGateway
) -> None:
    """A Zigbee lock refusing the phone's digits (status 2) gets other digits in the same sync."""
    sub = _sub(gateway)
    _foreign_pin(sub, PHONE_6)
    entry = account_entry(account, _zigbee(gateway))
    calls = await _start(
        hass, entry, {"pin_source": "phone", "message_template": "{{ locks }}: {{ pin }}"}
    )
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert maria.state is CredentialState.ACTIVE
    assert maria.attempts == 0  # not a failure with a backoff
    assert maria.pin != PHONE_6
    assert len(maria.pin) == 6
    assert set(pins_on(sub)) == {PHONE_6, maria.pin}
    assert 1 <= maria.ref <= 999  # a Zigbee lock's ids
    assert [call.data["message"] for call in calls] == [f"Garden door: {maria.pin}"]
    await hass.config_entries.async_unload(entry.entry_id)


async def test_staff_pin_the_lock_holds_already_is_pin_in_use(
    hass: HomeAssistant, account: StaysSimulator, gateway: SimulatedGateway
) -> None:
    """A caller-given staff credential the lock refuses as a duplicate: a clear `pin_in_use`."""
    sub = _sub(gateway)
    _foreign_pin(sub, "482913")
    entry = account_entry(account, _zigbee(gateway))
    await _start(hass, entry, {})
    manager = _manager(entry)
    with pytest.raises(RequestError, match="pin_in_use"):
        await manager.requests.async_create_staff_credential(
            ZIGBEE_SUBENTRY, "Cleaner", at(10, 9), at(10, 17), "482913"
        )
    await settle(hass)
    assert list(pins_on(sub)).count("482913") == 1  # only the foreign one
    assert not manager.operations.rechoosable
    await hass.config_entries.async_unload(entry.entry_id)


async def test_generated_staff_pin_is_chosen_again_on_a_duplicate(
    hass: HomeAssistant, account: StaysSimulator, gateway: SimulatedGateway
) -> None:
    """A staff PIN we chose may change while its caller waits: the answer holds the new one."""
    sub = _sub(gateway)
    entry = account_entry(account, _zigbee(gateway))
    await _start(hass, entry, {})
    manager = _manager(entry)
    first = "481526"
    drawn = iter([first])
    real = manager.operations.pin_length

    def pick(*args: Any, **kwargs: Any) -> Any:
        from custom_components.smartlock_tuya import pins  # noqa: PLC0415

        pin = next(drawn, None)
        return (
            pins.GeneratedPin(pin, pins.PinSource.RANDOM) if pin else pins.generate(*args, **kwargs)
        )

    _foreign_pin(sub, first)
    with patch("custom_components.smartlock_tuya.owner_requests.generate", pick):
        staff = await manager.requests.async_create_staff_credential(
            ZIGBEE_SUBENTRY, "Cleaner", at(10, 9), at(10, 17), None
        )
    assert real(ZIGBEE_SUBENTRY) == 6
    assert staff.state is CredentialState.ACTIVE
    assert staff.pin != first
    assert staff.pin in pins_on(sub)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_each_door_its_own_pin_where_the_locks_share_no_length(
    hass: HomeAssistant,
    account: StaysSimulator,
    gateway: SimulatedGateway,
    fake: FakeTuyaCloud,
) -> None:
    """6 digits on the Zigbee lock, 7 on the Cloud Wi-Fi lock; the message names each door."""
    entry = account_entry(account, _zigbee(gateway), _cloud(pin_lengths=[7]))
    with patch.dict("custom_components.smartlock_tuya.backends.CLOUD_API_HOSTS", {"eu": fake.host}):
        calls = await _start(hass, entry, {"pin_source": "phone", "pin_length": 4}, fake)
        manager = _manager(entry)
        zigbee, cloud = manager.credentials[MARIA_ZIGBEE], manager.credentials[MARIA_CLOUD]
        assert (zigbee.pin, cloud.pin) == (PHONE_6, PHONE_7)  # the phone's tail, per lock
        assert zigbee.state is cloud.state is CredentialState.ACTIVE
        assert PHONE_6 in pins_on(_sub(gateway))
        assert [p.pin for p in fake.live(WIFI)] == [PHONE_7]
        assert len(calls) == 1
        message = calls[0].data["message"]
        assert f"Back door: {PHONE_7}, Garden door: {PHONE_6}" in message
        await hass.config_entries.async_unload(entry.entry_id)


async def test_one_pin_where_the_locks_share_a_length(
    hass: HomeAssistant, account: StaysSimulator, gateway: SimulatedGateway, lan_lock: SimulatedLock
) -> None:
    """A Lock Pro (6-10) and a Zigbee lock (6) with `pin_length` 8: one 6-digit PIN for both."""
    entry = account_entry(
        account,
        _zigbee(gateway),
        {
            "data": lan_lock_data(lan_lock, "lock_pro_dp51"),
            "subentry_id": "01JLOCKSUBENTRY0000000013",
            "subentry_type": SUBENTRY_LOCK,
            "title": "Front door",
            "unique_id": "front-door-1",
        },
    )
    await _start(hass, entry, {"pin_length": 8})
    pins = {
        c.pin for c in _manager(entry).credentials.values() if c.key.reservation_id == "R-maria"
    }
    assert len(pins) == 1
    (pin,) = pins
    assert len(pin) == 6
    assert pin in pins_on(_sub(gateway))
    assert pin in pins_on(lan_lock)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_offline_cloud_pin_is_revoked_at_its_end_and_the_owner_told(
    hass: HomeAssistant,
    account: StaysSimulator,
    fake: FakeTuyaCloud,
    clock: Clock,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A cancelled stay's offline PIN works on until its end: a repair says so, then it goes."""
    entry = account_entry(account, _cloud(cloud_offline_passwords=True))
    with patch.dict("custom_components.smartlock_tuya.backends.CLOUD_API_HOSTS", {"eu": fake.host}):
        calls = await _start(hass, entry, {}, fake)
        manager = _manager(entry)
        maria = manager.credentials[MARIA_CLOUD]
        assert maria.state is CredentialState.ACTIVE
        assert maria.lock_pin_id.startswith("offline")
        assert len(calls) == 1

        await account.cancel_reservation("R-maria")
        await entry.runtime_data.coordinator.async_refresh()
        await settle(hass)
        maria = manager.credentials[MARIA_CLOUD]
        assert maria.state is CredentialState.ACTIVE  # still opens the door
        assert maria.last_error == "revoke: offline_pin_still_valid"
        assert maria.next_attempt is not None
        issue = issue_registry.async_get_issue(DOMAIN, f"pin_R-maria_{CLOUD_SUBENTRY}")
        assert issue is not None
        assert issue.translation_key in ("offline_pin_clear_code", "offline_pin_still_valid")
        assert issue.translation_placeholders["lock"] == "Back door"
        assert maria.pin not in repr(issue.translation_placeholders)
        attempts = maria.attempts

        await travel(hass, clock, maria.next_attempt + timedelta(minutes=1))
        maria = manager.credentials[MARIA_CLOUD]
        assert maria.state is CredentialState.REVOKED
        assert attempts == 0
        assert issue_registry.async_get_issue(DOMAIN, f"pin_R-maria_{CLOUD_SUBENTRY}") is None
        await hass.config_entries.async_unload(entry.entry_id)


async def test_multiple_offline_pin_tells_the_guest_to_type_it_in_time(
    hass: HomeAssistant, account: StaysSimulator, fake: FakeTuyaCloud
) -> None:
    """A `multiple` offline password starts working only if typed within 24 h: the guest knows."""
    entry = account_entry(account, _cloud(cloud_offline_passwords=True))
    with patch.dict("custom_components.smartlock_tuya.backends.CLOUD_API_HOSTS", {"eu": fake.host}):
        calls = await _start(hass, entry, {}, fake)
        manager = _manager(entry)
        joao = manager.credentials[CredentialKey("R-joao", CLOUD_SUBENTRY)]
        maria = manager.credentials[MARIA_CLOUD]
        assert maria.activate_by is not None or joao.activate_by is not None
        assert any("Type it once before" in call.data["message"] for call in calls)
        await hass.config_entries.async_unload(entry.entry_id)


async def test_lengths_the_profile_refuses_wait_for_the_owner(
    hass: HomeAssistant,
    account: StaysSimulator,
    gateway: SimulatedGateway,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A subentry whose stored lengths (7) the profile (6) refuses: one alert, no push."""
    zigbee = _zigbee(gateway)
    zigbee["data"]["pin_lengths"] = [7]
    entry = account_entry(account, zigbee)
    await _start(hass, entry, {})
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert maria.state is CredentialState.FAILED
    assert maria.last_error == "create: pin_length"
    assert maria.next_attempt == maria.ends  # no hammering
    assert pins_on(_sub(gateway)) == {}
    issue = issue_registry.async_get_issue(DOMAIN, f"pin_R-maria_{ZIGBEE_SUBENTRY}")
    assert issue is not None
    # A restart looks again (the owner may have fixed the lock meanwhile), and still waits.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await settle(hass)
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert maria.last_error == "create: pin_length"
    assert pins_on(_sub(gateway)) == {}
    await hass.config_entries.async_unload(entry.entry_id)


async def test_new_dates_on_a_cloud_lock_delete_and_create_again(
    hass: HomeAssistant, account: StaysSimulator, fake: FakeTuyaCloud
) -> None:
    """Tuya Cloud cannot change a window: the PIN is deleted and created with the new one."""
    entry = account_entry(account, _cloud(pin_lengths=[7]))
    with patch.dict("custom_components.smartlock_tuya.backends.CLOUD_API_HOSTS", {"eu": fake.host}):
        await _start(hass, entry, {}, fake)
        manager = _manager(entry)
        pin = manager.credentials[MARIA_CLOUD].pin
        await account.change_reservation("R-maria", checkOutDate="2026-03-13")
        await entry.runtime_data.coordinator.async_refresh()
        await settle(hass)
        maria = manager.credentials[MARIA_CLOUD]
        assert maria.state is CredentialState.ACTIVE
        assert maria.pin == pin
        assert maria.ends == at(13, 11, 30)
        assert [p.pin for p in fake.live(WIFI)].count(pin) == 1
        await hass.config_entries.async_unload(entry.entry_id)


async def test_unconfirmed_zigbee_create_is_deleted_on_cancellation(
    hass: HomeAssistant, account: StaysSimulator, gateway: SimulatedGateway, clock: Clock
) -> None:
    """Case 2 on a Zigbee lock: a create the lock took but never confirmed is cleared by its id.

    Our id is the lock's id for the PIN, so the lifecycle learns nothing it did not choose:
    asking again with the same id, then deleting it, leaves the lock clean.
    """
    sub = _sub(gateway)
    sub.lose_next_reply(3)  # the create, then both deletes the backend clears it with: all lost
    entry = account_entry(account, _zigbee(gateway))
    await _start(hass, entry, {})
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert maria.unconfirmed  # no answer came: "maybe on the lock"
    assert maria.state is CredentialState.SCHEDULED

    await account.cancel_reservation("R-maria")
    reservation = await entry.runtime_data.client.reservation("R-maria")
    await _manager(entry).async_apply_reservation(reservation, "R-maria")  # the webhook
    await travel(hass, clock, at(10, 13), step=timedelta(minutes=5))  # past the backoffs
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert maria.state is CredentialState.REVOKED
    assert not maria.unconfirmed
    assert maria.pin not in pins_on(sub)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_unconfirmed_zigbee_create_is_cleared_before_it_is_sent_again(
    hass: HomeAssistant, account: StaysSimulator, gateway: SimulatedGateway, clock: Clock
) -> None:
    """A "maybe on the lock" PIN is cleared first; while its lock is away it just waits."""
    sub = _sub(gateway)
    sub.lose_next_reply(3)  # the create, then both deletes the backend clears it with: all lost
    entry = account_entry(account, _zigbee(gateway))
    await _start(hass, entry, {})
    assert _manager(entry).credentials[MARIA_ZIGBEE].unconfirmed

    await gateway.set_offline("refuse")
    await travel(hass, clock, at(10, 12, 10), step=timedelta(minutes=5))
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert maria.unconfirmed  # nothing could be cleared, so nothing is assumed
    assert maria.attempts >= 2

    await gateway.set_offline(None)
    await travel(hass, clock, at(10, 14), step=timedelta(minutes=5))
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert maria.state is CredentialState.ACTIVE
    assert not maria.unconfirmed
    assert set(pins_on(sub)) == {maria.pin}
    await hass.config_entries.async_unload(entry.entry_id)


async def test_zigbee_delete_whose_answer_was_lost_is_confirmed(
    hass: HomeAssistant, account: StaysSimulator, gateway: SimulatedGateway, clock: Clock
) -> None:
    """A cancellation's delete the lock applied without an answer ends revoked, not stuck.

    A Zigbee lock has no "absent" answer: the retried delete is refused. Its lock_pin_id is then
    asked for again with the same id (the lock makes it anew), and deleted.
    """
    sub = _sub(gateway)
    entry = account_entry(account, _zigbee(gateway))
    await _start(hass, entry, {})
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert maria.state is CredentialState.ACTIVE
    sub.lose_next_reply(2)  # the delete and tinytuya's resend: both applied, neither answered
    await account.cancel_reservation("R-maria")
    reservation = await entry.runtime_data.client.reservation("R-maria")
    await _manager(entry).async_apply_reservation(reservation, "R-maria")  # the webhook
    await travel(hass, clock, at(10, 13), step=timedelta(minutes=5))  # past the backoffs
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert maria.state is CredentialState.REVOKED
    assert pins_on(sub) == {}
    await hass.config_entries.async_unload(entry.entry_id)
