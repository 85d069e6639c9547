"""Revoking from a Zigbee lock that answers "failure": an absent PIN, a refusal, a stubborn lock.

A Zigbee lock's DP 25 has no "absent" status (docs/tuya-payloads.md), so a delete of a PIN it
no longer holds reads as a refusal. Through the real lifecycle, simulated Stays and a simulated
gateway: an absent PIN counts as revoked once its id is proven free; a PIN refused once is
removed at the next attempt; a lock that always refuses gets a repair and ever rarer attempts,
and its PIN is never counted as gone.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest

from custom_components.smartlock_tuya.alerts import issue_id
from custom_components.smartlock_tuya.const import DOMAIN
from custom_components.smartlock_tuya.scheduler import CredentialState, refused_delay
from simulators.stays_server import StaysSimulator
from simulators.tuya_lock import SimulatedGateway

from .conftest import LOCAL_KEY, Clock, account_entry
from .helpers import pins_on, settle, travel
from .test_lifecycle_families import CID, GATEWAY_ID, MARIA_ZIGBEE, _manager, _start, _sub, _zigbee


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


async def _cancel_maria(hass: HomeAssistant, account: StaysSimulator, entry: object) -> None:
    await account.cancel_reservation("R-maria")
    reservation = await entry.runtime_data.client.reservation("R-maria")  # type: ignore[attr-defined]
    await _manager(entry).async_apply_reservation(reservation, "R-maria")  # the webhook
    await settle(hass)


def _deletes(gateway: SimulatedGateway) -> int:
    return sum("25" in command for command in _sub(gateway).commands)


async def test_absent_pin_counts_as_revoked(
    hass: HomeAssistant, account: StaysSimulator, gateway: SimulatedGateway, clock: Clock
) -> None:
    """The owner already removed the PIN by hand: the lock says "failure", the id is free."""
    entry = account_entry(account, _zigbee(gateway))
    await _start(hass, entry, {})
    assert _manager(entry).credentials[MARIA_ZIGBEE].state is CredentialState.ACTIVE
    _sub(gateway).pins.clear()

    await _cancel_maria(hass, account, entry)
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert maria.state is CredentialState.REVOKED
    assert maria.attempts == 0
    assert pins_on(_sub(gateway)) == {}
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id(MARIA_ZIGBEE)) is None
    await hass.config_entries.async_unload(entry.entry_id)


async def test_present_pin_refused_once_then_removed(
    hass: HomeAssistant, account: StaysSimulator, gateway: SimulatedGateway, clock: Clock
) -> None:
    """A refusal while the lock holds the PIN is not a revoke; the next attempt is."""
    entry = account_entry(account, _zigbee(gateway))
    await _start(hass, entry, {})
    pin = _manager(entry).credentials[MARIA_ZIGBEE].pin
    _sub(gateway).reject_next()

    await _cancel_maria(hass, account, entry)
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert maria.state is CredentialState.ACTIVE  # still on the lock: not revoked
    assert maria.last_error == "revoke: DeleteRefusedError"
    assert pin in pins_on(_sub(gateway))

    await travel(hass, clock, dt_util.utcnow() + timedelta(minutes=1), step=timedelta(seconds=20))
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert maria.state is CredentialState.REVOKED
    assert pins_on(_sub(gateway)) == {}
    await hass.config_entries.async_unload(entry.entry_id)


async def test_lock_that_always_refuses(
    hass: HomeAssistant, account: StaysSimulator, gateway: SimulatedGateway, clock: Clock
) -> None:
    """A repair after the quick attempts, then hourly doubling to daily; never "revoked"."""
    entry = account_entry(account, _zigbee(gateway))
    await _start(hass, entry, {})
    pin = _manager(entry).credentials[MARIA_ZIGBEE].pin
    _sub(gateway).reject_next(10_000)

    await _cancel_maria(hass, account, entry)
    await travel(hass, clock, dt_util.utcnow() + timedelta(hours=12), step=timedelta(minutes=5))
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert maria.state is CredentialState.ORPHANED
    assert pin in pins_on(_sub(gateway))
    # 4 within minutes (the quick backoff), then after 1 h, 2 h and 4 h: 7 in 12 h, where
    # a retry every 15 minutes would have made 50.
    assert maria.attempts == 7
    assert _deletes(gateway) == 7
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id(MARIA_ZIGBEE))
    assert issue is not None
    assert issue.translation_key == "pin_revoke_refused"

    _sub(gateway).accept_again()  # the lock gives in
    await travel(hass, clock, dt_util.utcnow() + timedelta(hours=9), step=timedelta(minutes=30))
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert maria.state is CredentialState.REVOKED
    assert pins_on(_sub(gateway)) == {}
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id(MARIA_ZIGBEE)) is None
    await hass.config_entries.async_unload(entry.entry_id)


def test_refused_delay() -> None:
    """Quick attempts as any failure, then 1 h doubling to a day at most."""
    assert [refused_delay(n) for n in (1, 2, 3)] == [
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
    ]
    hours = [refused_delay(n) / timedelta(hours=1) for n in range(4, 12)]
    assert hours == [1, 2, 4, 8, 16, 24, 24, 24]


async def test_offline_then_refusing_changes_the_repair(
    hass: HomeAssistant, account: StaysSimulator, gateway: SimulatedGateway, clock: Clock
) -> None:
    """Away first (the usual repair), then back and saying no: the repair says it refuses."""
    entry = account_entry(account, _zigbee(gateway))
    await _start(hass, entry, {})
    await gateway.set_offline("refuse")
    await _cancel_maria(hass, account, entry)
    await travel(hass, clock, dt_util.utcnow() + timedelta(minutes=10), step=timedelta(minutes=1))
    registry = ir.async_get(hass)
    issue = registry.async_get_issue(DOMAIN, issue_id(MARIA_ZIGBEE))
    assert issue is not None
    assert issue.translation_key == "pin_revoke_failed"

    _sub(gateway).reject_next(10_000)
    await gateway.set_offline(None)
    await travel(hass, clock, dt_util.utcnow() + timedelta(minutes=20), step=timedelta(minutes=5))
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert maria.state is CredentialState.ORPHANED
    assert maria.last_error == "revoke: DeleteRefusedError"
    issue = registry.async_get_issue(DOMAIN, issue_id(MARIA_ZIGBEE))
    assert issue is not None
    assert issue.translation_key == "pin_revoke_refused"
    assert maria.next_attempt is not None
    assert maria.next_attempt - dt_util.utcnow() > timedelta(minutes=30)
    await hass.config_entries.async_unload(entry.entry_id)


async def test_regenerate_refused_keeps_the_old_pin_counted(
    hass: HomeAssistant, account: StaysSimulator, gateway: SimulatedGateway, clock: Clock
) -> None:
    """A lock that refuses the old PIN's delete keeps it, and the credential says so."""
    entry = account_entry(account, _zigbee(gateway))
    await _start(hass, entry, {})
    old = _manager(entry).credentials[MARIA_ZIGBEE].pin
    _sub(gateway).reject_next(3)  # the delete, the probe's create, and nothing else

    await _manager(entry).requests.async_regenerate("R-maria")
    await settle(hass)
    maria = _manager(entry).credentials[MARIA_ZIGBEE]
    assert old in pins_on(_sub(gateway))
    assert maria.state is CredentialState.ACTIVE
    assert maria.pin == old
    await hass.config_entries.async_unload(entry.entry_id)
