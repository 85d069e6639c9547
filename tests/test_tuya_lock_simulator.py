"""The simulated Wi-Fi Lock Pro and the protocol layers, driven by the real tinytuya client.

Every network test runs on 3.3, 3.4 and 3.5. Request bytes come from `simulator_support`,
built with `struct` from the published layouts, independently of the simulator's decoders.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import tinytuya

from simulators import tuya_lock
from simulators.tuya.crypto import CryptoError, ecb_decrypt
from simulators.tuya.family import WeeklySchedule
from simulators.tuya.frames import (
    Frame,
    FrameError,
    pack_55aa,
    pack_6699,
    read_frame,
    unpack_55aa,
    unpack_6699,
)
from simulators.tuya.lock_pro import ProPassword, Validity
from simulators.tuya.protocol import ProtocolError, Session, control_dps, decode
from simulators.tuya_lock import LockPro, SimulatedGateway, SimulatedLock, StoredPin, main

from .simulator_support import (
    HANG_UP,
    HOUR,
    KEY,
    NOW,
    SILENT,
    VECTORS,
    VERSIONS,
    ManualClock,
    b64,
    call,
    pro_create,
    pro_modify,
    pro_validity,
    raw_reply,
)

DEVICE_ID = "bf0123456789abcdefgh"
TUESDAY = 1 << 1  # weekday bits as the simulator reads them: bit 0 Monday

type LockFactory = Callable[..., Awaitable[SimulatedLock]]
type Connect = Callable[..., tinytuya.Device]


@pytest.fixture(params=VERSIONS)
def version(request: pytest.FixtureRequest) -> str:
    """Every test using a lock runs on each protocol version."""
    return str(request.param)


@pytest.fixture
def lock_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def make_lock(
    socket_enabled: None, version: str, lock_clock: ManualClock
) -> AsyncIterator[LockFactory]:
    """Start Lock Pro locks on loopback; stop them all afterwards."""
    locks: list[SimulatedLock] = []

    async def make(**options: Any) -> SimulatedLock:
        family = LockPro(**options)
        lock = SimulatedLock(
            device_id=DEVICE_ID, local_key=KEY, version=version, family=family, clock=lock_clock
        )
        await lock.start()
        locks.append(lock)
        return lock

    yield make
    for lock in locks:
        await lock.stop()


@pytest.fixture
def connect(version: str) -> Iterator[Connect]:
    """Clients of the real tinytuya with short timeouts and a single retry; closed afterwards."""
    devices: list[tinytuya.Device] = []

    def factory(lock: SimulatedLock, *, persist: bool = False, key: str = KEY) -> Any:
        device = tinytuya.Device(
            DEVICE_ID,
            address="127.0.0.1",
            local_key=key,
            version=float(version),
            port=lock.port,
            persist=persist,
            connection_timeout=0.5,
            connection_retry_limit=1,
            connection_retry_delay=0,
        )
        devices.append(device)
        return device

    yield factory
    for device in devices:
        device.close()


async def test_status_reports_battery_and_state(make_lock: LockFactory, connect: Connect) -> None:
    lock = await make_lock(battery=77)
    assert (await call(connect(lock).status))["dps"] == {"8": 77, "47": False}
    assert (lock.host, lock.battery, lock.locked, lock.connections) == ("127.0.0.1", 77, True, 1)


async def test_create_full_modify_delete(make_lock: LockFactory, connect: Connect) -> None:
    lock = await make_lock(capacity=2)
    device = connect(lock)
    first = pro_create("123456", NOW - HOUR, NOW + HOUR)

    assert raw_reply(await call(device.set_value, 51, b64(first)), 51) == b"\x00\x00"
    assert lock.pins[0] == StoredPin(
        "123456",
        NOW - HOUR,
        NOW + HOUR,
        times=0,
        schedule=WeeklySchedule(0, 0, 0, 23 * 60 + 59),
        unlock_id=0,
    )
    second = pro_create("7654321", NOW, NOW + HOUR, uses=2)
    assert raw_reply(await call(device.set_value, 51, b64(second)), 51) == b"\x01\x00"
    third = pro_create("111111", NOW, NOW + HOUR)
    assert raw_reply(await call(device.set_value, 51, b64(third)), 51) == b"\xff\x02"  # full

    modify = pro_modify(1, "13572468", NOW, NOW + 2 * HOUR, uses=1)
    assert raw_reply(await call(device.set_value, 53, b64(modify)), 53) == b"\x01\x00"
    assert (lock.pins[1].pin, lock.pins[1].end, lock.pins[1].times) == (
        "13572468",
        NOW + 2 * HOUR,
        1,
    )
    absent = pro_modify(7, "135724", NOW, NOW + HOUR)
    assert raw_reply(await call(device.set_value, 53, b64(absent)), 53) == b"\x07\x01"

    assert raw_reply(await call(device.set_value, 52, b64(b"\x00")), 52) == b"\x00\x00"
    assert raw_reply(await call(device.set_value, 52, b64(b"\x00")), 52) == b"\x00\x02"  # absent
    assert sorted(lock.pins) == [1]
    assert lock.commands[0] == {"51": b64(first)}


async def test_absent_delete_status_of_the_firmware_demo(
    make_lock: LockFactory, connect: Connect
) -> None:
    lock = await make_lock(absent_delete_status=1)
    assert raw_reply(await call(connect(lock).set_value, 52, b64(b"\x05")), 52) == b"\x05\x01"


async def test_keypad_honours_window_uses_and_reports_hw_id(
    make_lock: LockFactory, connect: Connect, lock_clock: ManualClock
) -> None:
    lock = await make_lock()
    device = connect(lock, persist=True)
    await call(device.set_value, 51, b64(pro_create("222222", NOW, NOW + 2 * HOUR)))
    await call(device.set_value, 51, b64(pro_create("112233", NOW + HOUR, NOW + 2 * HOUR, uses=1)))

    assert not await lock.keypad("999999")
    assert not await lock.keypad("112233")  # before its window
    lock_clock.now = NOW + HOUR
    assert await lock.keypad("112233")
    assert (await call(device.receive))["dps"] == {"55": 1, "47": True}  # true = unlocked
    assert not lock.locked
    assert not await lock.keypad("112233")  # one use only
    assert await lock.keypad("222222")
    assert (await call(device.receive))["dps"] == {"55": 0, "47": True}
    lock_clock.now = NOW + 2 * HOUR
    assert not await lock.keypad("222222")  # the window closes at its end
    assert (await call(device.status))["dps"]["55"] == 0


async def test_weekly_schedule_is_honoured(lock_clock: ManualClock) -> None:
    lock = SimulatedLock(device_id=DEVICE_ID, local_key=KEY, clock=lock_clock)
    weekly = pro_validity(
        NOW - 24 * HOUR, NOW + 30 * 24 * HOUR, pattern=2, weekdays=TUESDAY, hours=(14, 0, 16, 30)
    )
    paused = pro_validity(NOW - HOUR, NOW + HOUR, pattern=2, weekdays=0)
    lock.control({"51": b64(pro_create("246810", 0, 0, validity=weekly))}, None)
    lock.control({"51": b64(pro_create("135790", 0, 0, validity=paused))}, None)

    assert await lock.keypad("246810")  # Tuesday 15:00
    assert not await lock.keypad("135790")  # weekly with no day: never
    lock_clock.now = NOW + 2 * HOUR  # Tuesday 17:00, after the daily hours
    assert not await lock.keypad("246810")
    lock_clock.now = NOW + 24 * HOUR  # Wednesday 15:00
    assert not await lock.keypad("246810")
    lock_clock.now = NOW + 7 * 24 * HOUR - 30 * 60  # next Tuesday 14:30
    assert await lock.keypad("246810")


async def test_battery_and_manual_bolt_are_pushed(make_lock: LockFactory, connect: Connect) -> None:
    lock = await make_lock()
    device = connect(lock, persist=True)
    assert not await lock.set_battery(50)  # nobody connected yet
    await call(device.status)
    assert await lock.set_battery(15)
    assert (await call(device.receive))["dps"] == {"8": 15}
    assert await lock.set_locked(False)
    assert (await call(device.receive))["dps"] == {"47": True}
    assert await lock.report({"61": False})
    assert (await call(device.receive))["dps"] == {"61": False}
    assert (lock.battery, lock.locked) == (15, False)


async def test_heartbeat_and_updatedps(make_lock: LockFactory, connect: Connect) -> None:
    lock = await make_lock()
    device = connect(lock, persist=True)
    assert await call(device.heartbeat) is None
    assert (await call(device.status))["dps"] == {"8": 90, "47": False}
    assert (await call(device.updatedps, [8, 47]))["dps"] == {"8": 90, "47": False}
    await call(device.set_value, 47, True, True)  # read-only DP, not waiting: only acked
    assert lock.locked


async def test_second_client_is_refused(
    make_lock: LockFactory, connect: Connect, version: str
) -> None:
    lock = await make_lock()
    first = connect(lock, persist=True)
    await call(first.status)
    second = connect(lock)
    assert (await call(second.status))["Err"] == HANG_UP[version]
    assert "dps" in await call(first.status)  # the first client keeps its connection
    first.close()
    assert "dps" in await call(second.status)
    assert lock.connections == 3


async def test_wrong_key_is_an_error(
    make_lock: LockFactory, connect: Connect, version: str
) -> None:
    lock = await make_lock()
    result = await call(connect(lock, key="fedcba9876543210").set_value, 52, b64(b"\x01"))
    assert result["Err"] == HANG_UP[version]
    assert lock.commands == []


async def test_offline_refuse_then_back(make_lock: LockFactory, connect: Connect) -> None:
    lock = await make_lock()
    device = connect(lock)
    await lock.set_offline("refuse")
    assert (await call(device.status))["Err"] == "901"
    await lock.set_offline(None)
    assert "dps" in await call(device.status)


async def test_offline_silent_then_back(
    make_lock: LockFactory, connect: Connect, version: str
) -> None:
    lock = await make_lock()
    device = connect(lock, persist=True)
    await call(device.status)
    await lock.set_offline("silent")  # mid-session: the lock stops answering, then new ones too
    assert (await call(device.status))["Err"] == SILENT[version]
    assert not await lock.set_battery(3)
    await lock.set_offline(None)
    assert "dps" in await call(device.status)


async def test_drop_connections(make_lock: LockFactory, connect: Connect) -> None:
    lock = await make_lock()
    device = connect(lock, persist=True)
    await call(device.status)
    await lock.drop_connections()
    assert (await call(device.receive))["Err"] == "904"  # tinytuya's word for a closed socket
    assert "dps" in await call(device.status)
    assert lock.connections == 2


async def test_reject_next(make_lock: LockFactory, connect: Connect) -> None:
    lock = await make_lock()
    device = connect(lock)
    create = b64(pro_create("424242", NOW, NOW + HOUR))
    lock.reject_next()
    assert raw_reply(await call(device.set_value, 51, create), 51) == b"\xff\x01"
    lock.reject_next()
    assert raw_reply(await call(device.set_value, 52, b64(b"\x03")), 52) == b"\x03\x01"
    assert lock.pins == {}
    assert raw_reply(await call(device.set_value, 51, create), 51) == b"\x00\x00"


async def test_lost_reply_is_resent_and_stored_twice(
    make_lock: LockFactory, connect: Connect
) -> None:
    """The Lock Pro does not refuse a PIN it already holds: a re-sent create takes a new id."""
    lock = await make_lock()
    create = b64(pro_create("654321", NOW, NOW + HOUR))
    lock.lose_next_reply()
    result = await call(connect(lock).set_value, 51, create)
    assert raw_reply(result, 51) == b"\x01\x00"  # tinytuya timed out and re-sent
    assert [stored.pin for stored in lock.pins.values()] == ["654321", "654321"]
    assert lock.commands == [{"51": create}, {"51": create}]


async def test_idle_client_and_garbage_are_dropped(socket_enabled: None) -> None:
    lock = SimulatedLock(device_id=DEVICE_ID, local_key=KEY, idle_timeout=0.2)
    await lock.start()
    try:
        reader, writer = await asyncio.open_connection(lock.host, lock.port)
        assert await asyncio.wait_for(reader.read(), 2) == b""  # idle: dropped
        writer.close()
        reader, writer = await asyncio.open_connection(lock.host, lock.port)
        writer.write(b"GET / HTTP/1.1\r\n\r\n")
        assert await asyncio.wait_for(reader.read(), 2) == b""  # not a frame: hung up on
        writer.close()
    finally:
        await lock.stop()


def test_lock_pro_rules() -> None:
    lock = LockPro(capacity=1)
    for bad in (
        pro_create("12345", NOW, NOW + HOUR),  # five digits
        pro_create("12345678901", NOW, NOW + HOUR),  # eleven digits
        pro_create("123456", NOW, NOW),  # empty window
        pro_create("123456", NOW, NOW + HOUR)[:-1],  # length byte disagrees
        pro_create("123456", NOW, NOW + HOUR)[:-1] + b"\x0a",  # not a digit
        b"\x00\x01",
    ):
        assert raw_reply(lock.apply({"51": b64(bad)}), 51) == b"\xff\x01", bad.hex()
    assert raw_reply(lock.apply({"51": "not base64!"}), 51) == b"\xff\x01"
    assert raw_reply(lock.apply({"53": b64(b"")}), 53) == b"\xff\x01"
    assert raw_reply(lock.apply({"53": b64(b"\x00\x00")}), 53) == b"\x00\x01"
    assert raw_reply(lock.apply({"52": b64(b"\x01\x02")}), 52) == b"\x01\x01"
    assert raw_reply(lock.apply({"52": b64(b"")}), 52) == b"\xff\x01"
    assert lock.apply({"99": 1, "8": 5, "47": True}) == {}  # unknown and read-only DPs
    assert lock.refuse({"52": b64(b"\x04"), "8": 1}) == {"52": b64(b"\x04\x01")}
    with pytest.raises(ValueError, match="0xFE"):
        LockPro(capacity=256)


@pytest.mark.parametrize("vector", VECTORS["lock_pro_dp51"])
def test_published_dp51_bytes_are_read_and_written(vector: dict[str, Any]) -> None:
    payload = bytes.fromhex(vector["payload"])
    request = ProPassword.decode(payload)
    assert (request.validity.start, request.validity.end, request.uses, request.pin) == (
        vector["start"],
        vector["end"],
        vector["uses"],
        vector["pin"],
    )
    assert request.validity.schedule.pattern == vector["pattern"]
    assert request.encode() == payload
    lock = LockPro()
    assert lock.apply({"51": b64(payload)}) == {"51": b64(b"\x00\x00")}
    assert lock.keypad(vector["pin"], vector["start"]) == {"55": 0, "47": True}


@pytest.mark.parametrize("vector", VECTORS["lock_pro_validity"])
def test_published_validity_blocks(vector: dict[str, Any]) -> None:
    payload = bytes.fromhex(vector["payload"])
    validity = Validity.decode(payload)
    assert validity == Validity(
        vector["start"],
        vector["end"],
        WeeklySchedule(
            vector["pattern"], vector["weekdays"], vector["start_minute"], vector["end_minute"]
        ),
    )
    assert validity.encode() == payload


def test_published_full_reply() -> None:
    (vector,) = VECTORS["lock_pro_replies"]
    lock = LockPro(capacity=1)
    lock.apply({"51": b64(pro_create("123456", NOW, NOW + HOUR))})
    report = lock.apply({"51": b64(pro_create("654321", NOW, NOW + HOUR))})
    assert report == {"51": b64(bytes.fromhex(vector["payload"]))}


def test_bad_construction() -> None:
    with pytest.raises(ValueError, match="version"):
        SimulatedLock(device_id="x", local_key=KEY, version="3.1")
    with pytest.raises(ValueError, match="16 characters"):
        SimulatedLock(device_id="x", local_key="short")
    with pytest.raises(RuntimeError, match="not been started"):
        _ = SimulatedLock(device_id="x", local_key=KEY).port
    lock = SimulatedLock(device_id="x", local_key=KEY)
    assert (lock.report_delay(None), lock.extension({})) == (0.0, None)
    assert lock.query("any-cid") == lock.dps


def test_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--host", "192.0.2.1"], ["--local-key", "short"], ["--family", "nope"]):
        with pytest.raises(SystemExit):
            main(argv)
    assert "is not loopback" in capsys.readouterr().err
    served: list[Any] = []

    async def fake_serve(args: Any) -> None:
        served.append(args)
        raise KeyboardInterrupt  # Ctrl-C: main returns quietly

    monkeypatch.setattr(tuya_lock, "_serve", fake_serve)
    main(["--host", "::1", "--version", "3.5", "--family", "zigbee", "--layout", "21"])
    main(["--unlocked", "--battery", "40"])
    zigbee, pro = served
    assert (zigbee.host, zigbee.port, zigbee.version, zigbee.family) == (
        "::1",
        6668,
        "3.5",
        "zigbee",
    )
    gateway = tuya_lock.build(zigbee)
    assert isinstance(gateway, SimulatedGateway)
    assert gateway.subdevices[zigbee.cid].family.layout == 21  # type: ignore[attr-defined]
    lock = tuya_lock.build(pro)
    assert isinstance(lock, SimulatedLock)
    assert (lock.battery, lock.locked) == (40, False)


async def test_frames_and_sessions_reject_what_they_cannot_trust() -> None:
    key = KEY.encode()
    frame = Frame(5, 8, b"payload", 0)
    assert unpack_55aa(pack_55aa(frame), retcode=True) == frame
    assert unpack_6699(pack_6699(frame, key), key, retcode=True) == frame
    for broken in (pack_55aa(frame)[:-1], pack_55aa(frame)[:-4] + bytes(4)):
        with pytest.raises(FrameError):
            unpack_55aa(broken)
    sealed = pack_6699(Frame(5, 8, b""), key)
    for broken in (sealed[:-1], sealed[:-4] + bytes(4)):
        with pytest.raises(FrameError):
            unpack_6699(broken, key)
    with pytest.raises(FrameError, match="return code"):
        unpack_6699(sealed, key, retcode=True)
    with pytest.raises(CryptoError):
        ecb_decrypt(key, b"abc")
    reader = asyncio.StreamReader()
    reader.feed_data(pack_55aa(frame)[:12] + (1 << 20).to_bytes(4))
    with pytest.raises(FrameError, match="claims"):
        await read_frame(reader)

    with pytest.raises(ValueError, match="version"):
        Session("3.1", key)
    with pytest.raises(ProtocolError, match="no session-key"):
        Session("3.3", key).negotiate(Frame(1, 3, bytes(16)))
    early = Session("3.4", key)
    for bad in (Frame(1, 5, bytes(32)), Frame(1, 3, b"short")):
        with pytest.raises(ProtocolError):
            early.negotiate(bad)
    with pytest.raises(ProtocolError, match="before session-key"):
        early.open(pack_55aa(Frame(1, 13, b""), key))
    with pytest.raises(ProtocolError, match="no key"):
        early.seal(8, b"{}")
    early.negotiate(Frame(1, 3, bytes(16)))
    with pytest.raises(ProtocolError, match="proof"):
        early.negotiate(Frame(2, 5, bytes(32)))
    with pytest.raises(ProtocolError, match="6699"):
        Session("3.5", key).open(pack_55aa(Frame(1, 3, bytes(16)), key))
    for payload in (b"[1]", b"{"):
        with pytest.raises(ProtocolError):
            decode(payload)
    with pytest.raises(ProtocolError):
        control_dps({"data": {}})
