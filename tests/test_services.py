"""The actions, against the simulated Stays account and the simulated LAN lock.

The beach house's lock (`lock.front_door`) holds Maria's PIN from start-up (she is in the
house, 9-12 March); João's (14-16 March) is scheduled, not yet on the lock. It is noon of
10 March in São Paulo. Every step that touches a lock checks the PINs the lock itself holds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
import json
from pathlib import Path
from typing import Any

from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
import voluptuous as vol
import yaml

from custom_components.smartlock_tuya.const import CONF_NOTIFY_SERVICE, DOMAIN
from custom_components.smartlock_tuya.pins import mask
from custom_components.smartlock_tuya.scheduler import CredentialKey, CredentialState
from simulators.stays_server import FaultKind, StaysSimulator
from simulators.tuya_lock import SimulatedLock

from .conftest import LOCK_SUBENTRY, Clock
from .helpers import JOAO, MARIA, SP, at, manager_of, pins_on, settle

LOCK = "lock.front_door"
PACKAGE = Path(__file__).parent.parent / "custom_components" / DOMAIN
# Read at import, off the event loop.
SERVICES = yaml.safe_load((PACKAGE / "services.yaml").read_text(encoding="utf-8"))
STRINGS = json.loads((PACKAGE / "strings.json").read_text(encoding="utf-8"))
PT_BR = json.loads((PACKAGE / "translations" / "pt-BR.json").read_text(encoding="utf-8"))
ICONS = json.loads((PACKAGE / "icons.json").read_text(encoding="utf-8"))


async def tick(hass: HomeAssistant, clock: Clock, delta: timedelta) -> None:
    """Move the clock on and fire what fell due."""
    clock.tick(delta)
    async_fire_time_changed(hass)
    await settle(hass)


async def call(
    hass: HomeAssistant,
    service: str,
    data: dict[str, Any] | None = None,
    *,
    response: bool = False,
    context: Context | None = None,
) -> Any:
    return await hass.services.async_call(
        DOMAIN, service, data or {}, blocking=True, return_response=response, context=context
    )


@pytest.fixture
def sent(hass: HomeAssistant) -> list[ServiceCall]:
    """A notify action that records what it is asked to send."""
    calls: list[ServiceCall] = []

    async def handler(service_call: ServiceCall) -> None:
        calls.append(service_call)

    hass.services.async_register("notify", "guest_sms", handler)
    return calls


@pytest.fixture
async def notifying(
    hass: HomeAssistant, account: StaysSimulator, lock_entry: MockConfigEntry, sent: Any
) -> MockConfigEntry:
    """The integration with the lock, sending guests' messages through `notify.guest_sms`."""
    lock_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        lock_entry, options={**lock_entry.options, CONF_NOTIFY_SERVICE: "notify.guest_sms"}
    )
    await hass.config_entries.async_setup(lock_entry.entry_id)
    await settle(hass)
    return lock_entry


def test_actions_are_described_translated_and_have_icons() -> None:
    """Every action in services.yaml has its texts in both languages and an icon."""
    assert set(SERVICES) == {
        "sync",
        "create_pin",
        "revoke_pin",
        "regenerate_pin",
        "send_pin",
        "list_credentials",
        "retry_failed",
    }
    for strings in (STRINGS, PT_BR):
        assert set(strings["services"]) == set(SERVICES)
        for service, description in SERVICES.items():
            texts = strings["services"][service]
            assert texts["name"]
            assert texts["description"]
            assert set(texts.get("fields", {})) == set(description.get("fields") or {})
            for field in texts.get("fields", {}).values():
                assert field["name"]
                assert field["description"]
    assert set(PT_BR["exceptions"]) == set(STRINGS["exceptions"])
    assert set(ICONS["services"]) == set(SERVICES)


async def test_actions_registered(hass: HomeAssistant, started: MockConfigEntry) -> None:
    """The actions exist once the integration is set up, as services.yaml lists them."""
    assert set(hass.services.async_services_for_domain(DOMAIN)) == set(SERVICES)


async def test_create_pin(
    hass: HomeAssistant,
    started: MockConfigEntry,
    lan_lock: SimulatedLock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A staff credential goes on the lock at once, with its window; only the response shows it."""
    response = await call(
        hass,
        "create_pin",
        {"lock": LOCK, "name": "Cleaner", "starts": "2026-03-10 13:00", "ends": "2026-03-10 17:00"},
        response=True,
    )
    # Times without a zone are on the account's clock (São Paulo).
    assert response == {
        "credential_id": response["credential_id"],
        "lock": LOCK,
        "name": "Cleaner",
        "starts": "2026-03-10T13:00:00-03:00",
        "ends": "2026-03-10T17:00:00-03:00",
        "state": "active",
        "pin": response["pin"],
    }
    key = CredentialKey.parse(response["credential_id"])
    assert key.lock_id == LOCK_SUBENTRY
    assert key.reservation_id.startswith("adhoc-")
    pin = response["pin"]
    assert len(pin) == 6
    assert pin.isdigit()
    assert pins_on(lan_lock)[pin] == (at(10, 13), at(10, 17))
    credential = manager_of(started).credentials[key]
    assert credential.staff
    assert credential.state is CredentialState.ACTIVE

    # The caller's own digits, with time zones given; no response asked for.
    assert (
        await call(
            hass,
            "create_pin",
            {
                "lock": LOCK,
                "name": "Plumber",
                "starts": "2026-03-11T08:00:00+00:00",
                "ends": "2026-03-11T10:00:00+00:00",
                "pin": "482913",
            },
        )
        is None
    )
    assert pins_on(lan_lock)["482913"] == (
        datetime(2026, 3, 11, 8, tzinfo=dt_util.UTC),
        datetime(2026, 3, 11, 10, tzinfo=dt_util.UTC),
    )
    assert len(lan_lock.pins) == 3  # Maria's, the cleaner's, the plumber's

    ours = [r for r in caplog.records if r.name.startswith(("custom_components", "homeassistant"))]
    assert not [r for r in ours if pin in r.getMessage() or "482913" in r.getMessage()]


async def test_create_pin_rejected(
    hass: HomeAssistant,
    started: MockConfigEntry,
    lan_lock: SimulatedLock,
    entity_registry: er.EntityRegistry,
) -> None:
    """Bad input is refused with a translated reason, and nothing reaches the lock."""
    maria = manager_of(started).credentials[MARIA]
    other = entity_registry.async_get_or_create("lock", "demo", "front", suggested_object_id="demo")
    commands = len(lan_lock.commands)
    today = {"lock": LOCK, "name": "Cleaner", "starts": at(10, 13), "ends": at(10, 17)}
    cases: list[tuple[dict[str, Any], str]] = [
        ({**today, "lock": "lock.nowhere"}, "unknown_lock"),
        ({**today, "lock": other.entity_id}, "unknown_lock"),
        ({**today, "lock": "sensor.front_door_battery"}, "unknown_lock"),
        ({**today, "ends": at(10, 13)}, "ends_before_starts"),
        ({**today, "starts": at(9, 8), "ends": at(9, 9)}, "ends_in_past"),
        ({**today, "pin": "12ab56"}, "invalid_pin"),
        ({**today, "pin": "１２３４５６"}, "invalid_pin"),  # full-width digits  # noqa: RUF001
        ({**today, "pin": maria.pin}, "pin_in_use"),
        ({**today, "pin": "12345678901"}, "pin_does_not_fit"),  # the lock takes 4-10 digits
    ]
    for data, key in cases:
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "create_pin", data, response=True)
        assert err.value.translation_domain == DOMAIN
        assert err.value.translation_key == key, data
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "create_pin", {**today, "pin": maria.pin})
    assert err.value.translation_placeholders == {"lock": "Front door"}

    # The schema: missing or empty fields, unreadable times.
    for data in (
        {"lock": LOCK, "name": "Cleaner", "starts": at(10, 13)},
        {**today, "name": "  "},
        {**today, "starts": "tomorrow"},
    ):
        with pytest.raises(vol.Invalid):
            await call(hass, "create_pin", data)
    assert len(lan_lock.commands) == commands

    # Maria's PIN is free again once her window is over: a staff credential goes to the lock at
    # once.
    response = await call(
        hass,
        "create_pin",
        {**today, "starts": at(12, 12), "ends": at(12, 13), "pin": maria.pin},
        response=True,
    )
    assert response["state"] == "active"


async def test_revoke_pin(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock, clock: Clock
) -> None:
    """By credential, or every PIN of a reservation; revoked PINs stay off; twice is fine."""
    manager = manager_of(started)
    maria, joao = manager.credentials[MARIA], manager.credentials[JOAO]
    response = await call(
        hass,
        "create_pin",
        {"lock": LOCK, "name": "Cleaner", "starts": at(10, 13), "ends": at(10, 17)},
        response=True,
    )
    assert set(pins_on(lan_lock)) == {maria.pin, response["pin"]}

    await call(hass, "revoke_pin", {"credential_id": response["credential_id"]})
    assert set(pins_on(lan_lock)) == {maria.pin}
    key = CredentialKey.parse(response["credential_id"])
    assert manager.credentials[key].state is CredentialState.REVOKED
    commands = len(lan_lock.commands)
    await call(hass, "revoke_pin", {"credential_id": response["credential_id"]})
    assert len(lan_lock.commands) == commands  # nothing asked of the lock the second time

    await call(hass, "revoke_pin", {"reservation_id": "R-maria"})
    assert pins_on(lan_lock) == {}
    assert maria.state is CredentialState.REVOKED
    # João's PIN was never on the lock: it is dropped without a word to the lock.
    await call(hass, "revoke_pin", {"reservation_id": "R-joao"})
    assert joao.state is CredentialState.REVOKED
    assert len(lan_lock.commands) == commands + 1

    # Stays still lists both: the next polls and syncs do not bring them back.
    await tick(hass, clock, timedelta(minutes=10))
    await call(hass, "sync")
    await tick(hass, clock, timedelta(days=3, hours=2))  # past João's push time
    assert pins_on(lan_lock) == {}
    assert maria.state is joao.state is CredentialState.REVOKED


async def test_revoke_pin_rejected(hass: HomeAssistant, started: MockConfigEntry) -> None:
    """Exactly one of credential and reservation, and one that exists."""
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "credential_or_reservation"),
        ({"credential_id": str(MARIA), "reservation_id": "R-maria"}, "credential_or_reservation"),
        ({"credential_id": "", "reservation_id": ""}, "credential_or_reservation"),
        ({"credential_id": "R-maria"}, "unknown_credential"),
        ({"credential_id": f"R-nobody|{LOCK_SUBENTRY}"}, "unknown_credential"),
        ({"credential_id": "R-maria|another-lock"}, "unknown_credential"),
        ({"reservation_id": "R-nobody"}, "unknown_reservation"),
        ({"reservation_id": "R-gone"}, "unknown_reservation"),  # cancelled: never had a PIN
    ]
    for data, key in cases:
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "revoke_pin", data)
        assert err.value.translation_key == key, data
    assert manager_of(started).credentials[MARIA].state is CredentialState.ACTIVE


async def test_revoke_pin_lock_refuses(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """A revocation the lock refused is an error: the PIN may still open the door."""
    maria = manager_of(started).credentials[MARIA]
    lan_lock.reject_next()
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "revoke_pin", {"credential_id": str(MARIA)})
    assert err.value.translation_key == "not_revoked"
    assert err.value.translation_placeholders == {"locks": "Front door"}
    assert maria.pin in pins_on(lan_lock)
    assert maria.last_error is not None


async def test_failed_revocation_is_retried(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock, clock: Clock
) -> None:
    """The owner revoked Maria's PIN while the lock refused: it must still leave the lock."""
    maria = manager_of(started).credentials[MARIA]
    lan_lock.reject_next()
    with pytest.raises(HomeAssistantError):
        await call(hass, "revoke_pin", {"reservation_id": "R-maria"})
    for _ in range(4):  # well past the first quick retry (30 s)
        await tick(hass, clock, timedelta(minutes=1))
    assert maria.pin not in pins_on(lan_lock)


async def test_regenerate_pin(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """Maria gets a new PIN on the lock; the old one is gone from it."""
    manager = manager_of(started)
    old = manager.credentials[MARIA].pin
    await call(hass, "regenerate_pin", {"reservation_id": "R-maria"})
    maria = manager.credentials[MARIA]
    assert maria.pin != old
    assert maria.state is CredentialState.ACTIVE
    assert pins_on(lan_lock) == {maria.pin: (at(9, 14), at(12, 11, 30))}

    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "regenerate_pin", {"reservation_id": "R-nobody"})
    assert err.value.translation_key == "unknown_reservation"
    assert err.value.translation_placeholders == {"reservation_id": "R-nobody"}

    # The lock refuses to drop the old PIN: it is not replaced, and the caller hears so.
    lan_lock.reject_next()
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "regenerate_pin", {"reservation_id": "R-maria"})
    assert err.value.translation_key == "not_regenerated"
    assert set(pins_on(lan_lock)) == {maria.pin}


async def test_regenerate_pin_not_yet_on_the_lock(
    hass: HomeAssistant, started: MockConfigEntry
) -> None:
    """João's PIN is scheduled, not pushed: regenerating it must still change it."""
    manager = manager_of(started)
    joao = manager.credentials[JOAO]
    old = joao.pin
    await manager.requests.async_regenerate("R-joao")  # returns without error...
    assert joao.pin != old  # ...but the PIN is the same, so the action reports not_regenerated
    await call(hass, "regenerate_pin", {"reservation_id": "R-joao"})


async def test_send_pin(
    hass: HomeAssistant,
    notifying: MockConfigEntry,
    sent: list[ServiceCall],
    lan_lock: SimulatedLock,
) -> None:
    """The guest's message goes out again with the PIN the lock holds."""
    maria = manager_of(notifying).credentials[MARIA]
    assert len(sent) == 1  # when her PIN reached the lock at start-up
    await call(hass, "send_pin", {"reservation_id": "R-maria"})
    assert len(sent) == 2
    message = sent[-1].data
    assert maria.pin in message["message"]
    assert maria.pin in pins_on(lan_lock)
    assert "+5511999998888" in message["target"]
    assert message["data"] == {"reservation_id": "R-maria"}

    # João's PIN is not on a lock yet: there is nothing to send.
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "send_pin", {"reservation_id": "R-joao"})
    assert err.value.translation_key == "not_sent"
    assert err.value.translation_placeholders == {"reservation_id": "R-joao"}
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "send_pin", {"reservation_id": "R-nobody"})
    assert err.value.translation_key == "unknown_reservation"

    # The notify action fails.
    async def broken(service_call: ServiceCall) -> None:
        raise HomeAssistantError("gateway down")

    hass.services.async_register("notify", "guest_sms", broken)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "send_pin", {"reservation_id": "R-maria"})
    assert err.value.translation_key == "not_sent"
    assert len(sent) == 2


async def test_send_pin_without_notify_action(
    hass: HomeAssistant, started: MockConfigEntry
) -> None:
    """With no notify action in the options, nothing can be sent."""
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "send_pin", {"reservation_id": "R-maria"})
    assert err.value.translation_key == "not_sent"


async def test_list_credentials(
    hass: HomeAssistant,
    started: MockConfigEntry,
    hass_admin_user: User,
    hass_read_only_user: User,
) -> None:
    """Masked by default, with no PIN anywhere in the answer; revealed to administrators."""
    manager = manager_of(started)
    maria, joao = manager.credentials[MARIA], manager.credentials[JOAO]
    listed = await call(hass, "list_credentials", response=True)
    assert listed == {
        "credentials": [
            {
                "credential_id": f"R-maria|{LOCK_SUBENTRY}",
                "reservation_id": "R-maria",
                "lock": LOCK,
                "listing_id": "L-beach",
                "guest": "Maria",
                "starts": "2026-03-09T14:00:00-03:00",
                "ends": "2026-03-12T11:30:00-03:00",
                "state": "active",
                "attempts": 0,
                "last_error": None,
                "notified": False,
                "checked_in": False,
                "adhoc": False,
                "pin": "\u2022" * 6,
            },
            {
                "credential_id": f"R-joao|{LOCK_SUBENTRY}",
                "reservation_id": "R-joao",
                "lock": LOCK,
                "listing_id": "L-beach",
                "guest": "João",
                "starts": "2026-03-14T14:00:00-03:00",
                "ends": "2026-03-16T11:30:00-03:00",
                "state": "scheduled",
                "attempts": 0,
                "last_error": None,
                "notified": False,
                "checked_in": False,
                "adhoc": False,
                "pin": "\u2022" * 6,
            },
        ]
    }
    text = json.dumps(listed)
    assert maria.pin not in text
    assert joao.pin not in text

    # Revealed, for one reservation, for one account; by an administrator or an automation.
    for context in (None, Context(user_id=hass_admin_user.id)):
        revealed = await call(
            hass,
            "list_credentials",
            {"reservation_id": "R-joao", "reveal": True, "config_entry_id": started.entry_id},
            response=True,
            context=context,
        )
        assert [(c["credential_id"], c["pin"]) for c in revealed["credentials"]] == [
            (str(JOAO), joao.pin)
        ]
    with pytest.raises(Unauthorized):
        await call(
            hass,
            "list_credentials",
            {"reveal": True},
            response=True,
            context=Context(user_id=hass_read_only_user.id),
        )
    # A user who is not an administrator still sees the masked list.
    masked = await call(
        hass, "list_credentials", response=True, context=Context(user_id=hass_read_only_user.id)
    )
    assert [c["pin"] for c in masked["credentials"]] == [mask(maria.pin), mask(joao.pin)]
    assert await call(hass, "list_credentials", {"reservation_id": "R-x"}, response=True) == {
        "credentials": []
    }


async def test_entry_must_be_loaded(
    hass: HomeAssistant, started: MockConfigEntry, account: StaysSimulator
) -> None:
    """An account named by id must be one of ours and loaded."""
    other = MockConfigEntry(domain="demo", title="Demo")
    other.add_to_hass(hass)
    for entry_id in ("nonexistent", other.entry_id):
        for service, response in (
            ("sync", False),
            ("list_credentials", True),
            ("retry_failed", True),
        ):
            with pytest.raises(ServiceValidationError) as err:
                await call(hass, service, {"config_entry_id": entry_id}, response=response)
            assert err.value.translation_key == "entry_not_loaded"

    assert await hass.config_entries.async_unload(started.entry_id)
    await hass.async_block_till_done()
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "sync", {"config_entry_id": started.entry_id})
    assert err.value.translation_key == "entry_not_loaded"
    assert err.value.translation_placeholders == {"entry": "127.0.0.1"}
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "create_pin",
            {"lock": LOCK, "name": "Cleaner", "starts": at(10, 13), "ends": at(10, 17)},
        )
    assert err.value.translation_key == "unknown_lock"
    # With no account named, the actions act on the loaded ones: none.
    assert await call(hass, "list_credentials", response=True) == {"credentials": []}
    assert await call(hass, "retry_failed", response=True) == {"retried": 0}
    await call(hass, "sync")


async def test_sync(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
) -> None:
    """A booking made a minute ago is on the lock at once, without waiting for the poll."""
    await account.add_reservation(
        listing_id="L-beach",
        check_in=dt_util.now(SP).date() + timedelta(days=2),
        check_out=dt_util.now(SP).date() + timedelta(days=3),
        guest_name="Pedro Lima",
        reservation_id="R-pedro",
    )
    manager = manager_of(started)
    assert CredentialKey("R-pedro", LOCK_SUBENTRY) not in manager.credentials
    await call(hass, "sync", {"config_entry_id": started.entry_id})
    pedro = manager.credentials[CredentialKey("R-pedro", LOCK_SUBENTRY)]
    assert pedro.guest_name == "Pedro"
    assert pedro.state is CredentialState.SCHEDULED  # pushed a day ahead of its window

    # Stays down: the locks follow the last good reading, and the caller is told.
    account.inject_fault(FaultKind.SERVER_ERROR, count=100)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "sync")
    assert err.value.translation_key == "stays_unreachable"
    assert err.value.translation_placeholders == {"entries": "127.0.0.1"}
    assert manager.credentials[MARIA].pin in pins_on(lan_lock)
    assert manager.credentials[MARIA].state is CredentialState.ACTIVE


async def test_retry_failed(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock, clock: Clock
) -> None:
    """A PIN an offline lock missed through the quick attempts goes on at once when asked."""
    await lan_lock.set_offline("refuse")
    response = await call(
        hass,
        "create_pin",
        {"lock": LOCK, "name": "Cleaner", "starts": at(10, 13), "ends": at(10, 17)},
        response=True,
    )
    assert response["state"] == "pending"
    key = CredentialKey.parse(response["credential_id"])
    credential = manager_of(started).credentials[key]
    for delay in (timedelta(seconds=40), timedelta(seconds=70)):  # the quick attempts
        await tick(hass, clock, delay)
    assert credential.state is CredentialState.FAILED
    assert credential.attempts == 3
    assert response["pin"] not in pins_on(lan_lock)
    listed = await call(
        hass, "list_credentials", {"reservation_id": key.reservation_id}, response=True
    )
    assert listed["credentials"][0]["state"] == "failed"
    assert listed["credentials"][0]["last_error"] is not None

    # The next slow attempt is 15 minutes away; the owner fixed the lock and asks now.
    await lan_lock.set_offline(None)
    assert await call(hass, "retry_failed", response=True) == {"retried": 1}
    assert credential.state is CredentialState.ACTIVE
    assert pins_on(lan_lock)[response["pin"]] == (at(10, 13), at(10, 17))
    assert await call(hass, "retry_failed") is None
    assert await call(hass, "retry_failed", response=True) == {"retried": 0}
