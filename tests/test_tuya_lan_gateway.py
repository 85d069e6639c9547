"""Locks behind one gateway: one shared connection, commands and reports addressed by cid."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from homeassistant.util import dt as dt_util
import pytest

from custom_components.smartlock_tuya.backends import build_backend
from custom_components.smartlock_tuya.tuya import (
    ConnectionPool,
    CredentialRequest,
    CredentialUnlockEvent,
    CredentialWindow,
    LanBackend,
    LockAuthError,
    LockEvent,
    LockTimeoutError,
    load_profiles,
)
from custom_components.smartlock_tuya.tuya.codecs import CODECS, CredentialPayload
from custom_components.smartlock_tuya.tuya.lan import shared_pool
from simulators.tuya_lock import SimulatedGateway, StoredPin, SubDevice

KEY = "0123456789abcdef"
GATEWAY = "gateway-1"
CID_A, CID_B = "a4c1380000000001", "a4c1380000000002"
PROFILE = "zigbee_gateway_27"
PROFILES = load_profiles()


def _stored(sub: SubDevice, lock_pin_id: str) -> StoredPin:
    """The PIN a sub-device holds under the id it reports on DP 3 (our id)."""
    (stored,) = (pin for pin in sub.pins.values() if str(pin.unlock_id) == lock_pin_id)
    return stored


def _request(ref: int, pin: str) -> CredentialRequest:
    now = dt_util.utcnow()
    window = CredentialWindow(starts=now - timedelta(hours=1), ends=now + timedelta(hours=3))
    return CredentialRequest(ref=ref, pin=pin, window=window, name="Maria")


@pytest.fixture(params=["3.3", "3.4", "3.5"])
def version(request: pytest.FixtureRequest) -> str:
    """Each protocol version in turn."""
    return str(request.param)


@pytest.fixture
async def gateway(socket_enabled: None, version: str) -> AsyncIterator[SimulatedGateway]:
    """A gateway with two Zigbee locks paired."""
    hub = SimulatedGateway(
        device_id=GATEWAY,
        local_key=KEY,
        version=version,
        clock=lambda: dt_util.utcnow().timestamp(),
    )
    for cid in (CID_A, CID_B):
        hub.add_lock(cid, layout=27)
    await hub.start()
    yield hub
    await hub.stop()


@pytest.fixture
def pool() -> ConnectionPool:
    """The pool both locks draw from, as the integration's are."""
    return ConnectionPool()


def _lock(gateway: SimulatedGateway, pool: ConnectionPool, cid: str, **kwargs: Any) -> LanBackend:
    options: dict[str, Any] = {"timeout": 0.5, "confirm_timeout": 1.0} | kwargs
    return LanBackend(
        device_id=f"lock-{cid[-1]}",
        host="127.0.0.1",
        port=gateway.port,
        local_key=KEY,
        profile=PROFILES[PROFILE],
        gateway_id=GATEWAY,
        node_id=cid,
        pool=pool,
        reconnect_backoff=(0.05, 0.2),
        **options,
    )


@pytest.fixture
async def locks(
    gateway: SimulatedGateway, pool: ConnectionPool
) -> AsyncIterator[tuple[LanBackend, LanBackend]]:
    """Both sub-device locks, connected (protocol version left to `auto`)."""
    first, second = _lock(gateway, pool, CID_A), _lock(gateway, pool, CID_B)
    await first.connect()
    await second.connect()
    yield first, second
    await first.close()
    await second.close()


async def test_two_locks_share_one_connection(
    locks: tuple[LanBackend, LanBackend],
    gateway: SimulatedGateway,
    pool: ConnectionPool,
    version: str,
) -> None:
    """Both locks speak through one session, and each command reaches its own lock."""
    first, second = locks
    assert first.connection is second.connection
    assert first.version == second.version == version
    assert pool.users("127.0.0.1", gateway.port) == 2
    accepted = gateway.connections

    created_a = await first.create_credential(_request(ref=1, pin="111111"))
    created_b = await second.create_credential(_request(ref=2, pin="222222"))
    sub_a, sub_b = gateway.subdevices[CID_A], gateway.subdevices[CID_B]
    assert (created_a.lock_pin_id, created_b.lock_pin_id) == ("1", "2")  # our ids
    assert _stored(sub_a, "1").pin == "111111"
    assert _stored(sub_b, "2").pin == "222222"
    assert len(sub_a.pins) == len(sub_b.pins) == 1
    assert (await first.status()).battery == 90
    assert gateway.connections == accepted  # no second socket, ever

    await first.close()
    assert pool.users("127.0.0.1", gateway.port) == 1
    assert second.connection.available  # the other lock keeps the session
    await second.delete_credential(created_b.lock_pin_id, ref=2)
    assert sub_b.pins == {}


async def test_reports_are_routed_by_cid(
    locks: tuple[LanBackend, LanBackend], gateway: SimulatedGateway
) -> None:
    """A keypad unlock on one lock reaches that lock's listeners only."""
    first, second = locks
    await second.create_credential(_request(ref=3, pin="333333"))
    seen_a: list[LockEvent] = []
    seen_b: list[LockEvent] = []
    first.add_listener(seen_a.append)
    unlocked = asyncio.Event()

    def on_b(event: LockEvent) -> None:
        seen_b.append(event)
        if isinstance(event, CredentialUnlockEvent):
            unlocked.set()

    second.add_listener(on_b)
    assert await gateway.subdevices[CID_B].keypad("333333")
    async with asyncio.timeout(2):
        await unlocked.wait()
    assert seen_a == []
    assert first.last_status.locked is True
    assert second.last_status.locked is False


@pytest.mark.parametrize("version", ["3.4"])
async def test_report_for_another_cid_never_confirms(
    locks: tuple[LanBackend, LanBackend], gateway: SimulatedGateway
) -> None:
    """The very report our command waits for, but from the other lock, confirms nothing."""
    first, _ = locks
    sub_a: SubDevice = gateway.subdevices[CID_A]
    sub_a.lose_next_reply(3)  # our lock stays silent: the create and both tries to clear it
    create_dp = str(PROFILES[PROFILE].dps.create)
    # The report our create waits for: its 6 id bytes echoed, then status 1 = success.
    request = _request(ref=4, pin="444444")
    command = CODECS[PROFILES[PROFILE].codec].encode_create(
        CredentialPayload(
            ref=4, pin="444444", start=request.window.start_ts, end=request.window.end_ts
        )
    )
    forged = base64.b64encode(command[:6] + b"\x01").decode()

    async def other_lock_reports() -> None:
        await asyncio.sleep(0.1)
        await gateway.subdevices[CID_B].report({create_dp: forged})

    reporter = asyncio.ensure_future(other_lock_reports())
    with pytest.raises(LockTimeoutError):
        await first.create_credential(request)
    await reporter
    assert not sub_a.pins  # the silent lock did apply the clearing delete


async def test_gateway_drop_reconnects_both(
    locks: tuple[LanBackend, LanBackend], gateway: SimulatedGateway
) -> None:
    """A gateway reboot is one reconnect for all its locks; both hear about it."""
    first, second = locks
    states: list[tuple[str, bool]] = []
    back = asyncio.Event()

    def watch(name: str, backend: LanBackend) -> None:
        def listen(event: LockEvent) -> None:
            states.append((name, backend.available))
            if backend.available and name == "b":
                back.set()

        backend.add_listener(listen)

    watch("a", first)
    watch("b", second)
    await gateway.drop_connections()
    async with asyncio.timeout(3):
        await back.wait()
    assert ("a", False) in states
    assert ("b", False) in states
    assert first.connection.sessions == 2


async def test_built_from_subentry_shares_the_loop_pool(
    hass: Any, gateway: SimulatedGateway, version: str
) -> None:
    """Two subentries naming one gateway get one connection from the shared pool."""
    account: dict[str, Any] = {}

    def subentry(cid: str) -> dict[str, Any]:
        return {
            "device_id": f"lock-{cid[-1]}",
            "host": f"127.0.0.1:{gateway.port}",
            "local_key": KEY,
            "protocol_version": version,
            "backend": "lan",
            "gateway_id": GATEWAY,
            "node_id": cid,
        }

    first = build_backend(hass, account, subentry(CID_A), PROFILES[PROFILE])
    second = build_backend(hass, account, subentry(CID_B), PROFILES[PROFILE])
    assert isinstance(first, LanBackend)
    assert isinstance(second, LanBackend)
    await first.connect()
    await second.connect()
    assert first.connection is second.connection
    assert shared_pool().users("127.0.0.1", gateway.port) == 2
    await first.close()
    await second.close()
    assert shared_pool().users("127.0.0.1", gateway.port) == 0  # the last lock closed it


def test_subentry_with_half_a_gateway_is_refused(hass: Any) -> None:
    """A gateway id without the lock's node id (or the reverse) cannot address the lock."""
    lock = {
        "device_id": "lock-1",
        "host": "127.0.0.1",
        "local_key": KEY,
        "backend": "lan",
        "gateway_id": GATEWAY,
    }
    with pytest.raises(LockAuthError, match="node id"):
        build_backend(hass, {}, lock, PROFILES[PROFILE])
