"""Who may hand out door codes, and what a staff credential's caller learns from the lock.

Through the real actions, the simulated Stays and the simulated LAN lock.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
import random
from typing import Any

from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError, Unauthorized
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.smartlock_tuya import lifecycle, pins
from custom_components.smartlock_tuya.const import DOMAIN, EVENT_STAFF_UNLOCKED
from custom_components.smartlock_tuya.scheduler import CredentialKey, CredentialState
from simulators.stays_server import StaysSimulator
from simulators.tuya_lock import SimulatedLock

from .conftest import set_up
from .helpers import MARIA, at, manager_of, pins_on, settle

LOCK = "lock.front_door"
STAFF = {"lock": LOCK, "name": "Cleaner", "starts": at(10, 13), "ends": at(10, 17)}


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


@pytest.mark.parametrize(
    ("service", "data", "response"),
    [
        ("create_pin", STAFF, True),
        ("create_pin", STAFF, False),
        ("revoke_pin", {"reservation_id": "R-maria"}, False),
        ("regenerate_pin", {"reservation_id": "R-maria"}, False),
        ("send_pin", {"reservation_id": "R-maria"}, False),
        ("retry_failed", {}, False),
    ],
)
async def test_door_code_actions_are_for_administrators(
    hass: HomeAssistant,
    started: MockConfigEntry,
    lan_lock: SimulatedLock,
    hass_read_only_user: User,
    service: str,
    data: dict[str, Any],
    response: bool,
) -> None:
    """Case 18: a read-only user can neither mint, change, send nor remove a door code."""
    before = dict(pins_on(lan_lock))
    with pytest.raises(Unauthorized):
        await call(
            hass,
            service,
            data,
            response=response,
            context=Context(user_id=hass_read_only_user.id),
        )
    assert pins_on(lan_lock) == before


async def test_administrator_may_create(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock, hass_admin_user: User
) -> None:
    """An administrator gets the code, confirmed on the lock."""
    answer = await call(
        hass, "create_pin", STAFF, response=True, context=Context(user_id=hass_admin_user.id)
    )
    assert answer["state"] == "active"
    assert pins_on(lan_lock)[answer["pin"]] == (at(10, 13), at(10, 17))


async def test_refused_staff_pin_is_an_error(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """Case 17: a PIN the lock refuses is an error, not a success that never opens the door."""
    lan_lock.reject_next(1)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "create_pin", STAFF, response=True)
    assert err.value.translation_key == "pin_refused"
    assert err.value.translation_placeholders == {"lock": "Front door"}
    staff = [c for c in manager_of(started).credentials.values() if c.staff]
    assert [c.state for c in staff] == [CredentialState.REVOKED]
    assert set(pins_on(lan_lock)) == {manager_of(started).credentials[MARIA].pin}


async def test_unanswered_staff_pin_is_pending(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """Case 17: a lock that does not answer in time gives an explicit pending state."""
    await lan_lock.set_offline("silent")
    answer = await call(hass, "create_pin", STAFF, response=True)
    assert answer["state"] == "pending"
    assert answer["pin"] not in pins_on(lan_lock)


async def test_window_past_2106_refused(hass: HomeAssistant, started: MockConfigEntry) -> None:
    """Case 16: no lock can hold a window ending after 2106: a clear error, at once."""
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "create_pin", {**STAFF, "ends": "2107-01-01T00:00:00+00:00"})
    assert err.value.translation_key == "window_too_late"


async def test_concurrent_staff_pins_differ(
    hass: HomeAssistant,
    started: MockConfigEntry,
    lan_lock: SimulatedLock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Case 26: PINs are chosen under the lock: two calls at once never get the same one.

    Every draw starts from the same seed, so only what is already taken tells them apart.
    """
    monkeypatch.setattr(pins.secrets, "SystemRandom", lambda: random.Random(7))  # noqa: S311 - a fixed draw on purpose
    answers = await asyncio.gather(
        *(
            call(hass, "create_pin", {**STAFF, "name": f"Cleaner {n}"}, response=True)
            for n in range(4)
        )
    )
    chosen = [answer["pin"] for answer in answers]
    assert len(set(chosen)) == 4
    assert set(chosen) <= set(pins_on(lan_lock))


async def test_staff_unlock_fires_an_event(
    hass: HomeAssistant, started: MockConfigEntry, lan_lock: SimulatedLock
) -> None:
    """Case 28: every use of a staff PIN fires `staff_unlocked`, with the guest event's fields."""
    arrived = async_capture_events(hass, EVENT_STAFF_UNLOCKED)
    answer = await call(hass, "create_pin", {**STAFF, "starts": at(10, 11)}, response=True)
    for _ in range(2):
        assert await lan_lock.keypad(answer["pin"])
        await lan_lock.set_locked(True)
    async with asyncio.timeout(15):  # pushes arrive as the lock sends them
        while len(arrived) < 2:
            await asyncio.sleep(0.1)
            await settle(hass)
    key = CredentialKey.parse(answer["credential_id"])
    assert arrived[0].data == {
        "reservation_id": key.reservation_id,
        "lock_entity_id": LOCK,
        "credential_id": answer["credential_id"],
        "listing_id": "",
    }
    assert answer["pin"] not in repr(arrived[0].data)


async def test_one_timer_for_many_credentials(
    hass: HomeAssistant,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 11: however many credentials wait, the account holds one armed timer."""
    armed: set[int] = set()
    real = lifecycle.async_track_point_in_utc_time

    def track(hass: HomeAssistant, action: Any, when: Any) -> Any:
        cancel = real(hass, action, when)
        armed.add(id(cancel))

        def cancelled() -> None:
            armed.discard(id(cancel))
            cancel()

        return cancelled

    monkeypatch.setattr(lifecycle, "async_track_point_in_utc_time", track)
    for n in range(40):
        await account.add_reservation(
            listing_id="L-beach",
            check_in=date(2026, 4, 1) + timedelta(days=2 * n),
            check_out=date(2026, 4, 2) + timedelta(days=2 * n),
            reservation_id=f"R-{n}",
        )
    entry = await set_up(request, hass, lock_entry)
    await settle(hass)
    manager = manager_of(entry)
    assert len(manager.credentials) > 40
    assert manager.timers == 1
    assert len(armed) == 1
