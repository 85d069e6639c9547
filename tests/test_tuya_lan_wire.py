"""The session layer's edges: frames that are not ours, silent peers, pool bookkeeping."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import timedelta
import os
import struct
from typing import Any

from homeassistant.util import dt as dt_util
import pytest
from tinytuya.core import command_types
from tinytuya.core.crypto_helper import AESCipher
from tinytuya.core.message_helper import TuyaMessage, pack_message

from custom_components.smartlock_tuya.tuya import (
    CodecError,
    ConnectionPool,
    CredentialRequest,
    CredentialWindow,
    LanBackend,
    LockAuthError,
    LockEvent,
    LockOfflineError,
    LockTimeoutError,
    load_profiles,
)
from custom_components.smartlock_tuya.tuya.lan import LanConnection
from custom_components.smartlock_tuya.tuya.lan.wire import Wire, WireError
from simulators.tuya.frames import Command, Frame, pack_6699
from simulators.tuya_lock import LockPro, SimulatedGateway, SimulatedLock

KEY = "0123456789abcdef"
KEY_BYTES = KEY.encode()
PROFILES = load_profiles()


def _message(cmd: int, payload: bytes, *, crc_good: bool = True) -> TuyaMessage:
    return TuyaMessage(1, cmd, 0, payload, 0, crc_good, 0x55AA, None)


def test_wire_refuses_unknown_versions() -> None:
    """Only 3.3, 3.4 and 3.5 are spoken."""
    with pytest.raises(ValueError, match="version"):
        Wire("3.1", KEY_BYTES)
    with pytest.raises(ValueError, match="version"):
        LanConnection(device_id="x", host="127.0.0.1", local_key=KEY, version="3.2")


def test_negotiation_refuses_strangers() -> None:
    """A session-key reply that is late, short or signed with another key is refused."""
    wire = Wire("3.5", KEY_BYTES)
    assert not wire.ready
    with pytest.raises(WireError, match="expected"):
        wire.negotiation_finish(_message(command_types.SESS_KEY_NEG_RESP, bytes(48)))
    wire.negotiation_start()
    with pytest.raises(WireError, match="expected"):
        wire.negotiation_finish(_message(command_types.STATUS, bytes(48)))
    with pytest.raises(WireError, match="short"):
        wire.negotiation_finish(_message(command_types.SESS_KEY_NEG_RESP, bytes(20)))
    with pytest.raises(WireError, match="local key"):
        wire.negotiation_finish(_message(command_types.SESS_KEY_NEG_RESP, os.urandom(48)))
    assert not wire.ready
    assert Wire("3.3", KEY_BYTES).ready


def test_feed_cuts_frames_and_refuses_garbage() -> None:
    """Whole frames come out as they complete; bytes that are no frame end the stream."""
    wire = Wire("3.3", KEY_BYTES)
    body = AESCipher(KEY_BYTES).encrypt(b'{"dps":{"1":true}}', use_base64=False)
    frame = pack_message(TuyaMessage(1, 10, 0, struct.pack(">I", 0) + body, 0, True, 0x55AA, None))
    assert wire.feed(frame[:10]) == []
    (message,) = wire.feed(frame[10:])
    assert wire.decode(message).body == {"dps": {"1": True}}

    with pytest.raises(WireError, match="boundaries"):
        Wire("3.3", KEY_BYTES).feed(b"HTTP/1.1 400 Bad Request\r\n")
    with pytest.raises(WireError):
        Wire("3.3", KEY_BYTES).feed(struct.pack(">4I", 0x55AA, 1, 10, 0xFFFFFF) + bytes(8))
    broken = bytearray(frame)
    broken[-6] ^= 0xFF  # the CRC
    with pytest.raises(WireError, match="check"):
        Wire("3.3", KEY_BYTES).feed(bytes(broken))
    with pytest.raises(WireError):
        Wire("3.4", KEY_BYTES).feed(struct.pack(">4I", 0x55AA, 1, 10, 8) + bytes(8))


def test_decode_tells_text_from_a_wrong_key() -> None:
    """Readable non-JSON is the device talking; undecryptable or binary bytes are a wrong key."""
    wire = Wire("3.3", KEY_BYTES)
    cipher = AESCipher(KEY_BYTES)

    def sealed(text: bytes) -> TuyaMessage:
        return _message(10, cipher.encrypt(text, use_base64=False))

    assert wire.decode(sealed(b"json obj data unvalid")).body is None
    assert wire.decode(sealed(b"[1, 2]")).body is None
    assert wire.decode(_message(9, b"")).body is None
    with pytest.raises(WireError, match="wrong local key"):
        wire.decode(sealed(b"\xff\xfe\xfd not text"))
    with pytest.raises(WireError, match="wrong local key"):
        wire.decode(_message(10, b"0123456789"))  # not whole AES blocks


@pytest.fixture
async def garbage_server(socket_enabled: None) -> AsyncIterator[int]:
    """A peer that answers anything with bytes that are not a Tuya frame."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        writer.write(b"\x00\x00\x55\xaa" + os.urandom(60))
        await writer.drain()
        await reader.read(1024)
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    yield int(server.sockets[0].getsockname()[1])
    server.close()
    await server.wait_closed()


async def test_a_stranger_on_the_port_is_refused(garbage_server: int) -> None:
    """Frames that fail their check end the session as a refusal, for every version."""
    connection = LanConnection(
        device_id="x", host="127.0.0.1", port=garbage_server, local_key=KEY, timeout=0.5
    )
    with pytest.raises(LockAuthError, match="local key"):
        await connection.open()
    assert not connection.available
    with pytest.raises(LockOfflineError):
        connection.device()  # no version was found
    await connection.close()
    with pytest.raises(LockOfflineError, match="closed"):
        await connection.open()


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[SimulatedLock]:
    """A 3.4 Lock Pro."""
    lock = SimulatedLock(
        device_id="edge-lock",
        local_key=KEY,
        version="3.4",
        family=LockPro(),
        clock=lambda: dt_util.utcnow().timestamp(),
    )
    await lock.start()
    yield lock
    await lock.stop()


def _backend(sim: SimulatedLock, pool: ConnectionPool | None = None, **kwargs: Any) -> LanBackend:
    options: dict[str, Any] = {"timeout": 0.3, "confirm_timeout": 0.5} | kwargs
    return LanBackend(
        device_id="edge-lock",
        host="127.0.0.1",
        port=sim.port,
        local_key=KEY,
        profile=PROFILES["lock_pro_dp51"],
        version="3.4",
        pool=pool or ConnectionPool(),
        reconnect_backoff=(0.05, 0.1),
        **options,
    )


@pytest.fixture
async def forged_negotiation(socket_enabled: None) -> AsyncIterator[int]:
    """A 3.5 peer that frames its session-key reply properly but cannot prove the key."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1024)
        reply = Frame(1, Command.SESS_KEY_NEG_RESP, os.urandom(48), 0)
        writer.write(pack_6699(reply, KEY_BYTES))
        await writer.drain()
        await reader.read(1024)
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    yield int(server.sockets[0].getsockname()[1])
    server.close()
    await server.wait_closed()


async def test_a_peer_without_our_key_fails_the_negotiation(forged_negotiation: int) -> None:
    """A device that does not prove it holds the local key is refused, not trusted."""
    connection = LanConnection(
        device_id="x",
        host="127.0.0.1",
        port=forged_negotiation,
        local_key=KEY,
        version="3.5",
        timeout=0.5,
    )
    with pytest.raises(LockAuthError, match="local key"):
        await connection.open()
    await connection.close()


def _request() -> CredentialRequest:
    now = dt_util.utcnow()
    return CredentialRequest(
        ref=7,
        pin="482913",
        window=CredentialWindow(starts=now, ends=now + timedelta(hours=1)),
        name="M",
    )


async def test_commands_keep_the_session_alive_without_pings(sim: SimulatedLock) -> None:
    """While commands flow, no heartbeat is sent: any frame counts as traffic."""
    backend = _backend(sim, heartbeat_interval=0.3)
    await backend.connect()
    for _ in range(10):
        await backend.status()
        await asyncio.sleep(0.1)
    assert backend.connection.heartbeats == 0
    await asyncio.sleep(0.5)
    assert backend.connection.heartbeats >= 1  # and once they stop, pings resume
    await backend.close()


async def test_an_ack_without_a_report_confirms_nothing(sim: SimulatedLock) -> None:
    """The lock acks the command but never reports on the PIN: that is a timeout, twice."""
    backend = _backend(sim)
    await backend.connect()
    sim.control = lambda dps, cid=None: {}  # type: ignore[method-assign]
    with pytest.raises(LockTimeoutError, match="confirm"):
        await backend.create_credential(_request())
    await backend.close()


async def test_a_late_ack_is_ignored(sim: SimulatedLock) -> None:
    """An ack that comes after its command gave up is dropped; the re-sent delete succeeds."""
    backend = _backend(sim)
    await backend.connect()
    created = await backend.create_credential(_request())
    original = sim.control
    calls = 0

    def slow_first(dps: dict[str, Any], cid: str | None = None) -> dict[str, Any] | None:
        nonlocal calls
        calls += 1
        if calls > 1:
            return original(dps, cid)
        active = sim._server._active
        assert active is not None
        writer, session = active
        late_ack = session.seal(Command.CONTROL_NEW, b"")
        asyncio.get_running_loop().call_later(0.4, writer.write, late_ack)
        return None

    sim.control = slow_first  # type: ignore[method-assign]
    await backend.delete_credential(created.lock_pin_id, ref=7)
    await asyncio.sleep(0.3)  # the stray ack arrives now and is dropped
    assert calls == 2
    assert sim.pins == {}
    assert backend.available
    await backend.close()


async def test_a_report_without_dps_is_skipped(sim: SimulatedLock) -> None:
    """A pushed message that carries no DPs changes nothing and tells no one."""
    backend = _backend(sim)
    await backend.connect()
    events: list[LockEvent] = []
    heard = asyncio.Event()

    def listen(event: LockEvent) -> None:
        events.append(event)
        heard.set()

    backend.add_listener(listen)
    active = sim._server._active
    assert active is not None
    writer, session = active
    writer.write(session.seal(Command.STATUS, b'{"t":1}'))
    await sim.set_battery(12)
    async with asyncio.timeout(2):
        await heard.wait()
    assert [event.status.battery for event in events] == [12]
    await backend.close()


async def test_gateway_simulator_checks_its_inputs(socket_enabled: None) -> None:
    """The simulated gateway refuses bad keys and versions; a wrong PIN opens nothing."""
    with pytest.raises(ValueError, match="version"):
        SimulatedGateway(device_id="g", local_key=KEY, version="3.1")
    with pytest.raises(ValueError, match="16"):
        SimulatedGateway(device_id="g", local_key="short")
    hub = SimulatedGateway(device_id="g", local_key=KEY)
    sub = hub.add_lock("c1")
    assert not await sub.keypad("000000")
    await sub.set_battery(50)  # no client: nobody hears it
    assert sub.dps[str(PROFILES["zigbee_gateway_27"].dps.battery)] == 50


async def test_a_silent_peer_misses_its_heartbeat(sim: SimulatedLock) -> None:
    """A lock that stops answering is noticed by its missed ping, not by the next command."""
    backend = _backend(sim, heartbeat_interval=0.2)
    await backend.connect()
    down = asyncio.Event()

    def listen(event: LockEvent) -> None:
        if not backend.available:
            down.set()

    backend.add_listener(listen)
    await sim.set_offline("silent")
    async with asyncio.timeout(3):
        await down.wait()
    assert backend.connection.heartbeats >= 1
    await asyncio.sleep(0.1)  # a reconnect is under way (the lock accepts, never answers)
    await backend.close()
    await sim.set_offline(None)


async def test_reports_that_are_not_ours_confirm_nothing(sim: SimulatedLock) -> None:
    """Unreadable reports and reports about another PIN are skipped, never taken as ours."""
    backend = _backend(sim)
    await backend.connect()
    created = await backend.create_credential(_request())
    sim.lose_next_reply(2)
    delete_dp = str(PROFILES["lock_pro_dp51"].dps.delete)
    other_pin = struct.pack(">BB", int(created.lock_pin_id) + 1, 0)  # another id deleted: ok

    async def noise() -> None:
        await asyncio.sleep(0.1)
        await sim._server.push({delete_dp: "not base64!"})
        await sim._server.push({delete_dp: base64.b64encode(other_pin).decode()})

    pushing = asyncio.ensure_future(noise())
    with pytest.raises(LockTimeoutError):
        await backend.delete_credential(created.lock_pin_id, ref=7)
    await pushing
    with pytest.raises(CodecError):
        await backend.delete_credential("not-a-slot", ref=7)
    await backend.close()


async def test_pool_counts_users_and_refuses_other_credentials(sim: SimulatedLock) -> None:
    """One connection per host and port; other credentials for it are refused."""
    pool = ConnectionPool()
    first, second = _backend(sim, pool), _backend(sim, pool)
    await first.connect()
    await second.connect()
    assert first.connection is second.connection
    assert pool.users("127.0.0.1", sim.port) == 2
    with pytest.raises(LockAuthError, match="other credentials"):
        pool.acquire(device_id="edge-lock", host="127.0.0.1", port=sim.port, local_key="x" * 16)
    stray = LanConnection(device_id="edge-lock", host="127.0.0.1", port=sim.port, local_key=KEY)
    await pool.release(stray)  # not the pool's: simply closed
    await first.close()
    await second.close()
    assert pool.users("127.0.0.1", sim.port) == 0


def test_sub_device_needs_both_ids() -> None:
    """A gateway id without a node id (or the reverse) is a configuration error."""
    with pytest.raises(ValueError, match="both"):
        LanBackend(
            device_id="x",
            host="127.0.0.1",
            local_key=KEY,
            profile=PROFILES["zigbee_gateway_27"],
            gateway_id="gw",
        )


async def test_a_flow_testing_the_lock_gets_its_own_connection(sim: SimulatedLock) -> None:
    """While the running lock steps aside, a newcomer from the same pool is not held up."""
    pool = ConnectionPool()
    running = _backend(sim, pool)
    await running.connect()
    async with running.released():
        tester = _backend(sim, pool)
        async with asyncio.timeout(3):
            await tester.connect()
        assert tester.connection is not running.connection
        await tester.close()
        assert pool.users("127.0.0.1", sim.port) == 1
    async with asyncio.timeout(3):
        assert (await running.status()).battery == 90
    await running.close()
