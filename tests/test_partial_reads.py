"""Case 5: one unreadable Stays record makes only its own reservation unknown.

Through the real coordinator, lifecycle, simulated Stays and simulated LAN lock: a record that
names its id holds back that reservation alone; a record that names none keeps the whole read
partial (fail closed).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartlock_tuya.scheduler import CredentialState
from simulators.stays_server import StaysSimulator
from simulators.tuya_lock import SimulatedLock

from .conftest import Clock
from .helpers import JOAO, MARIA, at, credential, manager_of, pins_on, settle, travel


async def _refresh(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Poll Stays now and let the lifecycle act on it."""
    await entry.runtime_data.coordinator.async_refresh()
    await settle(hass)


def _garble(account: StaysSimulator, reservation_id: str) -> None:
    """Turn one reservation's record unreadable while it keeps its id."""
    for record in account._reservations:
        if record["_id"] == reservation_id:
            record["checkInDate"] = "soon"


async def test_named_unreadable_record_leaves_the_rest_complete(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
    clock: Clock,
) -> None:
    """João's record turns unreadable: Maria's cancellation still goes, João's PIN is kept."""
    maria = credential(started, MARIA)
    joao = credential(started, JOAO)
    _garble(account, "R-joao")
    await account.cancel_reservation("R-maria")
    await _refresh(hass, started)
    data = started.runtime_data.coordinator.data
    assert data.complete
    assert data.unknown == frozenset({"R-joao"})
    manager = manager_of(started)
    assert manager.store.data.stays_complete
    # The cancellation is carried out although another record could not be read.
    assert maria.pin not in pins_on(lan_lock)
    assert credential(started, MARIA).state is CredentialState.REVOKED
    # João is unknown, not gone: his stored stay stands and his PIN still goes out on time.
    assert "R-joao" in manager.store.data.stays
    assert credential(started, JOAO).state is CredentialState.SCHEDULED
    await travel(hass, clock, at(13, 14, 1))
    assert pins_on(lan_lock) == {joao.pin: (at(14, 14), at(16, 11, 30))}
    assert credential(started, JOAO).state is CredentialState.ACTIVE


async def test_unnamed_unreadable_record_keeps_the_read_partial(
    hass: HomeAssistant,
    started: MockConfigEntry,
    account: StaysSimulator,
    lan_lock: SimulatedLock,
) -> None:
    """A record with no readable id could be anyone's: nothing unlisted is revoked."""
    maria = credential(started, MARIA)
    account.add_raw_reservation({"_id": ["not", "an", "id"], "checkInDate": "soon"})
    await account.cancel_reservation("R-maria")
    await _refresh(hass, started)
    data = started.runtime_data.coordinator.data
    assert not data.complete
    assert data.unknown == frozenset()
    assert not manager_of(started).store.data.stays_complete
    assert maria.pin in pins_on(lan_lock)
    assert credential(started, MARIA).state is CredentialState.ACTIVE
