"""The Stays webhook, restarts at every point of the lifecycle, and what reaches the log."""

from __future__ import annotations

import asyncio
import base64
from datetime import timedelta
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smartlock_tuya.const import CONF_GATEWAY_ID, CONF_NODE_ID, SUBENTRY_LOCK
from custom_components.smartlock_tuya.scheduler import CredentialKey, CredentialState
from custom_components.smartlock_tuya.stays_webhook import webhook_url
from custom_components.smartlock_tuya.storage import CredentialStore
from simulators.stays_server import FaultKind, StaysSimulator
from simulators.tuya_lock import SimulatedGateway, SimulatedLock

from .conftest import (
    CLIENT_SECRET,
    FRONT_DOOR,
    LOCAL_KEY,
    LOCK_SUBENTRY,
    Clock,
    account_entry,
    lan_lock_data,
)
from .helpers import JOAO, MARIA, at, credential, pins_on, settle, travel

ZIGBEE_CID = "a4c1380000000001"


async def _post(
    hass_client: ClientSessionGenerator, entry: MockConfigEntry, body: Any, *, raw: bool = False
) -> tuple[int, Any]:
    client = await hass_client()
    url = f"/api/webhook/{entry.data['webhook_id']}"
    if raw:
        response = await client.post(url, data=body)
    else:
        response = await client.post(url, json=body)
    return response.status, await response.json()


async def test_webhook_cancellation_acts_at_once(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    hass_client: ClientSessionGenerator,
) -> None:
    """A cancellation's webhook is checked with Stays and the PIN leaves the lock at once."""
    maria = credential(started, MARIA)
    await account.cancel_reservation("R-maria")
    status, body = await _post(
        hass_client,
        started,
        {
            "action": "reservation.canceled",
            "_dt": "2026-03-10T15:00:00.000Z",
            "payload": {"_id": "R-maria"},
        },
    )
    await settle(hass)
    assert (status, body) == (200, {"message": "accepted"})
    assert maria.pin not in pins_on(lan_lock)
    assert credential(started, MARIA).state is CredentialState.REVOKED
    manager = started.runtime_data.manager
    assert manager is not None
    assert [w.event for w in manager.store.data.webhooks] == ["reservation.canceled"]


async def test_webhook_date_change_moves_the_window(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    hass_client: ClientSessionGenerator,
) -> None:
    """An extension's webhook moves the PIN's window without waiting for a poll."""
    maria = credential(started, MARIA)
    await account.change_reservation("R-maria", checkOutDate="2026-03-13")
    status, body = await _post(
        hass_client, started, {"action": "reservation.modified", "payload": {"_id": "R-maria"}}
    )
    await settle(hass)
    assert (status, body) == (200, {"message": "accepted"})
    assert pins_on(lan_lock)[maria.pin][1] == at(13, 11, 30)
    assert started.runtime_data.manager.store.data.webhooks[-1].detail == "applied"


async def test_two_webhooks_at_once(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    hass_client: ClientSessionGenerator,
) -> None:
    """The same news twice, at the same moment, makes one PIN."""
    await account.add_reservation(
        listing_id="L-beach",
        check_in=at(10, 0).date(),
        check_out=at(11, 0).date(),
        reservation_id="R-new",
        guest_name="Lia Prado",
    )
    body = {"action": "reservation.created", "payload": {"_id": "R-new"}}
    results = await asyncio.gather(
        _post(hass_client, started, body), _post(hass_client, started, body)
    )
    await settle(hass)
    assert [status for status, _ in results] == [200, 200]
    new = credential(started, CredentialKey("R-new", LOCK_SUBENTRY))
    assert list(pins_on(lan_lock)).count(new.pin) == 1
    assert len(lan_lock.pins) == 2  # Maria's and Lia's


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"action": "reservation.modified"}',
        b'{"action": 5, "payload": {}}',
        b'{"action": "reservation.modified", "payload": {"_id": ".."}}',
    ],
)
async def test_junk_gets_400(
    hass: HomeAssistant,
    started: MockConfigEntry,
    lan_lock: SimulatedLock,
    hass_client: ClientSessionGenerator,
    body: bytes,
) -> None:
    """Anything that is not a Stays notification is refused and changes nothing."""
    before = dict(lan_lock.pins)
    status, _ = await _post(hass_client, started, body, raw=True)
    assert status == 400
    assert lan_lock.pins == before


async def test_webhook_for_unknown_reservation(
    hass: HomeAssistant,
    started: MockConfigEntry,
    lan_lock: SimulatedLock,
    hass_client: ClientSessionGenerator,
) -> None:
    """A reservation Stays does not know is recorded and ignored."""
    before = dict(lan_lock.pins)
    status, body = await _post(
        hass_client, started, {"action": "reservation.modified", "payload": {"_id": "R-ghost"}}
    )
    await settle(hass)
    assert (status, body) == (200, {"message": "accepted"})
    assert lan_lock.pins == before
    assert started.runtime_data.manager.store.data.webhooks[-1].detail == "not found"


async def test_other_webhooks(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    hass_client: ClientSessionGenerator,
) -> None:
    """Listing news refresh the listings; calendar or rate news are recorded and ignored."""
    account.add_listing(name="Chalé", listing_id="L-chale")
    status, body = await _post(
        hass_client, started, {"action": "listing.created", "payload": {"_id": "L-chale"}}
    )
    await settle(hass)
    assert (status, body) == (200, {"message": "accepted"})
    assert "L-chale" in started.runtime_data.coordinator.data.listings
    status, body = await _post(hass_client, started, {"action": "calendar.rates", "payload": {}})
    assert (status, body) == (200, {"message": "ignored"})


async def _restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Stop and start the integration, as a Home Assistant restart does."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)


async def test_restart_before_push(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock, clock: Clock
) -> None:
    """Restarted while João waits for his push time: pushed once, on time."""
    await _restart(hass, started)
    joao = credential(started, JOAO)
    assert joao.state is CredentialState.SCHEDULED
    await travel(hass, clock, at(13, 14, 1))
    assert list(pins_on(lan_lock)).count(credential(started, JOAO).pin) == 1
    assert credential(started, JOAO).pin == joao.pin  # the stored PIN, not a new one


async def test_restart_after_push_before_save(
    hass: HomeAssistant,
    started: MockConfigEntry,
    lan_lock: SimulatedLock,
    clock: Clock,
    issue_registry: ir.IssueRegistry,
) -> None:
    """A Lock Pro took the PIN, the save of its answer was lost: never sent a second time.

    The answer alone named the hardware id the lock chose, so nothing can find that copy
    again: the credential stays "maybe on the lock", the owner is told (door and holder,
    not the PIN), and the lock itself stops the PIN at its window's end.
    """
    await travel(hass, clock, at(13, 13, 59))
    joao_pin = credential(started, JOAO).pin
    real_save = CredentialStore.async_save

    async def dies_once_the_lock_holds_it(self: CredentialStore) -> None:
        if not lan_lock.pins:  # the "maybe" before the create reaches the disk; nothing after
            await real_save(self)

    with patch.object(CredentialStore, "async_save", dies_once_the_lock_holds_it):
        await travel(hass, clock, at(13, 14, 1))  # pushed, but the answer's save is lost
    assert joao_pin in pins_on(lan_lock)
    await _restart(hass, started)
    await travel(hass, clock, at(14, 15), step=timedelta(hours=1))
    joao = credential(started, JOAO)
    assert joao.unconfirmed
    assert joao.state is CredentialState.FAILED
    assert len(lan_lock.pins) == 1  # one copy: nothing was sent twice
    issue = issue_registry.async_get_issue("smartlock_tuya", f"pin_R-joao_{LOCK_SUBENTRY}")
    assert issue is not None
    assert issue.translation_key == "pin_maybe_on_lock"
    placeholders = issue.translation_placeholders or {}
    assert placeholders["lock"] == "Front door"
    assert placeholders["guest"] == "João"
    assert joao_pin not in str(placeholders)
    # The window travels with the PIN: the lock opens for it inside, and stops by itself.
    assert await lan_lock.keypad(joao_pin)
    await travel(hass, clock, at(16, 11, 31), step=timedelta(hours=6))
    assert not await lan_lock.keypad(joao_pin)
    assert credential(started, JOAO).state is CredentialState.REVOKED
    assert issue_registry.async_get_issue("smartlock_tuya", f"pin_R-joao_{LOCK_SUBENTRY}") is None
    assert len(lan_lock.pins) == 1  # never found, so never deleted: expired in place


async def test_restart_after_push_before_save_zigbee(
    hass: HomeAssistant, account: StaysSimulator, socket_enabled: None, clock: Clock
) -> None:
    """A Zigbee lock behind a gateway took the PIN, the save was lost: adopted after restart.

    The create sent again comes back "duplicate"; the id in it is ours, so rewriting that id
    with the same PIN and window proves the lock holds it: one PIN, no other digits chosen.
    """
    gateway = SimulatedGateway(
        device_id="gateway-1",
        local_key=LOCAL_KEY,
        version="3.4",
        clock=lambda: dt_util.utcnow().timestamp(),
    )
    sub = gateway.add_lock(ZIGBEE_CID, layout=27)
    await gateway.start()
    try:
        entry = account_entry(
            account,
            {
                "data": lan_lock_data(
                    gateway,
                    "zigbee_gateway_27",
                    **{CONF_GATEWAY_ID: "gateway-1", CONF_NODE_ID: ZIGBEE_CID},
                ),
                "subentry_id": LOCK_SUBENTRY,
                "subentry_type": SUBENTRY_LOCK,
                "title": "Front door",
                "unique_id": FRONT_DOOR,
            },
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await settle(hass)
        await travel(hass, clock, at(13, 13, 59))
        with patch.object(CredentialStore, "async_save", _lost_write):
            await travel(hass, clock, at(13, 14, 1))  # pushed, but the save is lost
        joao_pin = credential(entry, JOAO).pin
        assert joao_pin in pins_on(sub)  # type: ignore[arg-type]
        await _restart(hass, entry)
        assert credential(entry, JOAO).state is CredentialState.ACTIVE
        assert credential(entry, JOAO).pin == joao_pin
        assert list(pins_on(sub)).count(joao_pin) == 1  # type: ignore[arg-type]
        assert await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await gateway.stop()


async def test_restart_during_revoke(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock, clock: Clock
) -> None:
    """The lock dropped the PIN but the save was lost: after restart none is left behind."""
    await travel(hass, clock, at(12, 11, 29))
    with patch.object(CredentialStore, "async_save", _lost_write):
        await travel(hass, clock, at(12, 11, 31))  # revoked on the lock, save lost
    assert pins_on(lan_lock) == {}
    await _restart(hass, started)
    assert credential(started, MARIA).state is CredentialState.REVOKED
    assert pins_on(lan_lock) == {}


async def test_restart_with_overdue_revocation(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock, clock: Clock
) -> None:
    """Home Assistant was off through Maria's check-out: her PIN goes first thing at start."""
    assert await hass.config_entries.async_unload(started.entry_id)
    await hass.async_block_till_done()
    clock.tick(timedelta(days=2, hours=1))  # 12 March, 13:00: past her window
    assert await hass.config_entries.async_setup(started.entry_id)
    await settle(hass)
    assert pins_on(lan_lock) == {}
    assert credential(started, MARIA).state is CredentialState.REVOKED


async def _lost_write(self: CredentialStore) -> None:
    """A save that never reaches the disk (the process died)."""


async def test_log_holds_no_secret(
    hass: HomeAssistant,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    lan_lock: SimulatedLock,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every log line of a full run, at debug level, is free of PINs, keys and secrets."""
    caplog.set_level(logging.DEBUG)
    lock_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(lock_entry.entry_id)
    await settle(hass)
    await travel(hass, clock, at(13, 14, 1))  # Maria revoked, João pushed
    await lan_lock.set_offline("refuse")
    await travel(hass, clock, at(15, 12), step=timedelta(minutes=30))  # failures logged
    manager = lock_entry.runtime_data.manager
    assert manager is not None
    pins = {c.pin for c in manager.credentials.values()}
    assert len(pins) == 2
    secrets = {
        LOCAL_KEY,
        CLIENT_SECRET,
        base64.b64encode(f"test-client:{CLIENT_SECRET}".encode()).decode(),
    }
    # The test harness's own storage mock prints what it writes; Home Assistant's Store does not.
    text = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith("pytest_homeassistant_custom_component")
    )
    assert "Front door" in text  # the run did log
    for secret in pins | secrets:
        assert secret not in text


async def test_webhook_while_stays_is_down(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    hass_client: ClientSessionGenerator,
) -> None:
    """Stays unreachable when the webhook comes: nothing changes; the poll catches up later."""
    before = dict(lan_lock.pins)
    account.inject_fault(FaultKind.SERVER_ERROR, count=100, path_prefix="/booking/reservations")
    status, body = await _post(
        hass_client, started, {"action": "reservation.canceled", "payload": {"_id": "R-maria"}}
    )
    await settle(hass)
    assert (status, body) == (200, {"message": "accepted"})
    assert lan_lock.pins == before
    manager = started.runtime_data.manager
    assert manager is not None
    assert manager.store.data.webhooks[-1].detail == "deferred: Stays unreachable"


async def test_webhook_too_large(
    hass: HomeAssistant, started: MockConfigEntry, hass_client: ClientSessionGenerator
) -> None:
    """A body no Stays notification comes near is refused unread."""
    status, _ = await _post(hass_client, started, b"x" * 70_000, raw=True)
    assert status == 413


def test_webhook_url_without_a_home_assistant_url(hass: HomeAssistant) -> None:
    """With no URL configured, the path is shown: the user knows their own address."""
    with patch(
        "custom_components.smartlock_tuya.stays_webhook.webhook.async_generate_url",
        side_effect=NoURLAvailableError,
    ):
        assert webhook_url(hass, "abc") == "/api/webhook/abc"


async def test_webhook_during_start_up_keeps_the_store(
    hass: HomeAssistant,
    started: MockConfigEntry,
    lan_lock: SimulatedLock,
    hass_client: ClientSessionGenerator,
) -> None:
    """Case 12: a webhook arriving while the store still loads never replaces it."""
    maria = credential(started, MARIA)
    assert await hass.config_entries.async_unload(started.entry_id)
    await hass.async_block_till_done()
    real = Store.async_load

    async def slow_load(self: Store[Any]) -> Any:
        await asyncio.sleep(0.5)  # a big file, a busy disk
        return await real(self)

    with patch.object(Store, "async_load", slow_load):
        setup = hass.async_create_task(hass.config_entries.async_setup(started.entry_id))
        async with asyncio.timeout(10):
            while started.data["webhook_id"] not in hass.data.get("webhook", {}):  # noqa: ASYNC110 - Home Assistant's registry, no event to wait on
                await asyncio.sleep(0.01)
        status, _ = await _post(
            hass_client,
            started,
            {"action": "reservation.modified", "payload": {"_id": "R-joao"}},
        )
        assert status == 200
        await setup
    await settle(hass)
    again = credential(started, MARIA)
    assert (again.ref, again.pin, again.lock_pin_id) == (maria.ref, maria.pin, maria.lock_pin_id)
    assert again.state is CredentialState.ACTIVE
    assert len(lan_lock.pins) == 1
