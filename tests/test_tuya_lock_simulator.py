"""The simulated Tuya lock, driven by the real tinytuya client on protocols 3.3, 3.4 and 3.5.

Payloads are built here from docs/tuya-payloads.md with `struct`, independently of both the
simulator's decoders and the integration's codecs.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
import struct
from typing import Any

import pytest
import tinytuya

from simulators import tuya_lock
from simulators.tuya.crypto import CryptoError, ecb_decrypt
from simulators.tuya.frames import (
    Frame,
    FrameError,
    pack_55aa,
    pack_6699,
    read_frame,
    unpack_55aa,
    unpack_6699,
)
from simulators.tuya.protocol import ProtocolError, Session, control_dps, decode
from simulators.tuya_lock import SimulatedLock, StoredPin, load_profiles, main

DEVICE_ID = "bf0123456789abcdefgh"
KEY = "0123456789abcdef"
NOW = 1_773_154_800  # 2026-03-10 15:00 UTC
HOUR = 3600
PROFILES = load_profiles()
# What tinytuya returns, per protocol version, when the lock hangs up on it (a busy lock or a
# wrong key) and when the lock accepts the connection but never answers.
HANG_UP = {"3.3": "904", "3.4": "914", "3.5": "914"}
SILENT = {"3.3": "902", "3.4": "914", "3.5": "914"}

type LockFactory = Callable[..., Awaitable[SimulatedLock]]
type Connect = Callable[..., tinytuya.Device]


class ManualClock:
    """The lock's clock, moved by hand; PIN windows are checked against it."""

    def __init__(self) -> None:
        """Start at `NOW`."""
        self.now = float(NOW)

    def __call__(self) -> float:
        """The time the lock believes it is."""
        return self.now


def zigbee_create(serial: int, pin: str, start: int, end: int, *, once: bool = False) -> str:
    return _b64(struct.pack(">HHHIIB", 0, serial, 0, start, end, once) + pin.encode())


def zigbee_delete(serial: int) -> str:
    return _b64(struct.pack(">HHH", 0, serial, 0))


def method_pin(
    member: int,
    pin: str,
    start: int = NOW - HOUR,
    end: int = NOW + HOUR,
    *,
    slot: int = 0xFFFF,
    times: int = 0,
    uuid: int = 1,
    windowed: bool = True,
    kind: int = 1,
    stage: int = 0,
) -> str:
    head = struct.pack(">BBBHH", kind, stage, 0, member, slot)
    validity = struct.pack(">BII8x", windowed, start if windowed else 0, end if windowed else 0)
    digits = bytes([times, len(pin), *(int(digit) for digit in pin)])
    return _b64(head + validity + digits + struct.pack(">H", uuid))


def method_delete(member: int, slot: int, uuid: int = 1) -> str:
    return _b64(struct.pack(">BBBHHH", 1, 0, 0, member, slot, uuid))


def method_report(member: int, slot: int, status: int, uuid: int = 1) -> bytes:
    return struct.pack(">BBHHBH", 1, 0, member, slot, status, uuid)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def report(result: dict[str, Any] | None, dp: int) -> bytes:
    """The raw bytes a lock reported on a DP, from a tinytuya result or a control() report."""
    assert result is not None
    dps = result.get("dps", result)
    return base64.b64decode(dps[str(dp)])


async def call(function: Callable[..., Any], *args: Any) -> Any:
    """Run a blocking tinytuya call off the event loop, as the integration does."""
    return await asyncio.to_thread(function, *args)


@pytest.fixture(params=["3.3", "3.4", "3.5"])
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
    """Start locks on loopback; stop them all afterwards."""
    locks: list[SimulatedLock] = []

    async def make(profile: str = "zigbee_dp24", **options: Any) -> SimulatedLock:
        lock = SimulatedLock(
            device_id=DEVICE_ID,
            local_key=KEY,
            version=version,
            profile=PROFILES[profile],
            clock=lock_clock,
            **options,
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


def offline_lock(profile: str | dict[str, Any] = "zigbee_dp24", **options: Any) -> SimulatedLock:
    """A lock that is never started, for rules that need no network."""
    return SimulatedLock(
        device_id=DEVICE_ID,
        local_key=KEY,
        profile=PROFILES[profile] if isinstance(profile, str) else profile,
        **options,
    )


async def test_status_reports_battery_and_bolt(make_lock: LockFactory, connect: Connect) -> None:
    lock = await make_lock("unlock_method", battery=77)
    assert (await call(connect(lock).status))["dps"] == {"8": 77, "47": True, "6": True}
    assert (lock.host, lock.battery, lock.locked, lock.connections) == ("127.0.0.1", 77, True, 1)


async def test_zigbee_create_duplicate_delete(make_lock: LockFactory, connect: Connect) -> None:
    lock = await make_lock()
    device = connect(lock)
    create = zigbee_create(7, "123456", NOW - HOUR, NOW + HOUR)

    assert report(await call(device.set_value, 24, create), 24) == bytes.fromhex("00000007000001")
    assert lock.pins == {7: StoredPin("123456", NOW - HOUR, NOW + HOUR, once=False, used=False)}
    assert report(await call(device.set_value, 24, create), 24)[-1] == 2  # already exists
    assert report(await call(device.set_value, 25, zigbee_delete(7)), 25)[-1] == 1
    assert lock.pins == {}
    assert report(await call(device.set_value, 25, zigbee_delete(7)), 25)[-1] == 4  # no such
    assert lock.commands[0] == {"24": create}
    assert len(lock.commands) == 4


async def test_unlock_method_create_modify_delete(make_lock: LockFactory, connect: Connect) -> None:
    lock = await make_lock("unlock_method")
    device = connect(lock)

    result = await call(device.set_value, 1, method_pin(501, "2468", uuid=11))
    assert report(result, 1) == method_report(501, 1, 0, 11)
    assert lock.pins == {
        1: StoredPin("2468", NOW - HOUR, NOW + HOUR, once=False, used=False, member_id=501)
    }
    result = await call(device.set_value, 1, method_pin(501, "2468", uuid=12))
    assert report(result, 1) == method_report(501, 1, 2, 12)  # already exists, in slot 1
    result = await call(device.set_value, 1, method_pin(502, "97531", uuid=13))
    assert report(result, 1) == method_report(502, 2, 0, 13)

    modify = method_pin(501, "1357", NOW, NOW + 2 * HOUR, slot=1, times=1, uuid=14)
    assert report(await call(device.set_value, 3, modify), 3) == method_report(501, 1, 0, 14)
    assert lock.pins[1] == StoredPin(
        "1357", NOW, NOW + 2 * HOUR, once=True, used=False, member_id=501, times=1
    )

    result = await call(device.set_value, 2, method_delete(501, 1, 15))
    assert report(result, 2) == method_report(501, 1, 0, 15)
    assert sorted(lock.pins) == [2]
    result = await call(device.set_value, 2, method_delete(501, 1, 16))
    assert report(result, 2) == method_report(501, 1, 4, 16)  # no such slot


async def test_keypad_unlocks_and_pushes(make_lock: LockFactory, connect: Connect) -> None:
    lock = await make_lock()
    device = connect(lock, persist=True)
    await call(device.set_value, 24, zigbee_create(9, "112233", NOW - HOUR, NOW + HOUR, once=True))

    assert not await lock.keypad("999999")
    assert await lock.keypad("112233")
    assert (await call(device.receive))["dps"] == {"55": 9, "47": False}
    assert not lock.locked
    assert lock.pins[9].used
    assert not await lock.keypad("112233")  # one-time PIN, already used
    assert (await call(device.status))["dps"]["55"] == 9


async def test_keypad_on_unlock_method_reports_the_slot(
    make_lock: LockFactory, connect: Connect
) -> None:
    lock = await make_lock("unlock_method")
    device = connect(lock, persist=True)
    await call(device.set_value, 1, method_pin(700, "8080"))
    assert await lock.keypad("8080")
    assert (await call(device.receive))["dps"] == {"55": 1, "47": False}


async def test_control_dp_locks_and_unlocks(make_lock: LockFactory, connect: Connect) -> None:
    lock = await make_lock("unlock_method")
    device = connect(lock)
    assert (await call(device.set_value, 6, False))["dps"] == {"6": False, "47": False}
    assert not lock.locked
    assert (await call(device.set_value, 6, True))["dps"] == {"6": True, "47": True}
    assert lock.locked


async def test_battery_and_manual_bolt_are_pushed(make_lock: LockFactory, connect: Connect) -> None:
    lock = await make_lock()
    device = connect(lock, persist=True)
    await call(device.status)
    await lock.set_battery(15)
    assert (await call(device.receive))["dps"] == {"8": 15}
    await lock.set_locked(False)
    assert (await call(device.receive))["dps"] == {"47": False}
    assert (lock.battery, lock.locked) == (15, False)


async def test_heartbeat_and_updatedps(make_lock: LockFactory, connect: Connect) -> None:
    lock = await make_lock()
    device = connect(lock, persist=True)
    assert await call(device.heartbeat) is None
    assert (await call(device.status))["dps"] == {"8": 90, "47": True}
    assert (await call(device.updatedps, [8, 47]))["dps"] == {"8": 90, "47": True}


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
    result = await call(connect(lock, key="fedcba9876543210").set_value, 24, zigbee_delete(1))
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
    await lock.set_offline(None)
    assert "dps" in await call(device.status)
    await call(device.set_value, 8, 1, True)  # read-only DP, not waiting: the lock only acks
    assert (await call(device.status))["dps"]["8"] == 90


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
    create = zigbee_create(3, "424242", NOW, NOW + HOUR)
    lock.reject_next()
    assert report(await call(device.set_value, 24, create), 24) == bytes.fromhex("00000003000000")
    assert lock.pins == {}
    assert report(await call(device.set_value, 24, create), 24)[-1] == 1


async def test_lost_reply_is_resent_and_already_exists(
    make_lock: LockFactory, connect: Connect
) -> None:
    lock = await make_lock()
    create = zigbee_create(8, "654321", NOW, NOW + HOUR)
    lock.lose_next_reply()
    result = await call(connect(lock).set_value, 24, create)
    assert report(result, 24)[-1] == 2  # tinytuya timed out, re-sent, and the lock has it
    assert sorted(lock.pins) == [8]
    assert lock.commands == [{"24": create}, {"24": create}]


async def test_idle_client_and_garbage_are_dropped(socket_enabled: None) -> None:
    lock = offline_lock(idle_timeout=0.2)
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


async def test_keypad_windows_and_uses(lock_clock: ManualClock) -> None:
    lock = offline_lock("unlock_method", clock=lock_clock)
    lock.control({"1": method_pin(1, "1111", NOW + HOUR, NOW + 2 * HOUR, times=2)})
    lock.control({"1": method_pin(2, "2222", windowed=False)})

    assert not (await lock.keypad("1111"))  # not yet
    lock_clock.now = NOW + HOUR
    assert await lock.keypad("1111")
    assert await lock.keypad("1111")
    assert not (await lock.keypad("1111"))  # both uses spent
    assert lock.pins[1].used
    lock_clock.now = NOW + 10_000 * HOUR
    assert await lock.keypad("2222")  # permanent
    assert lock.pins[2].start == 0


def test_zigbee_rules() -> None:
    lock = offline_lock({**PROFILES["zigbee_dp24"], "capacity": 1})
    good = zigbee_create(1, "123456", NOW, NOW + HOUR)
    for bad in (
        zigbee_create(2, "123", NOW, NOW + HOUR),  # too short for the profile
        zigbee_create(2, "12345a", NOW, NOW + HOUR),
        zigbee_create(0, "123456", NOW, NOW + HOUR),  # server serial 0
        zigbee_create(2, "123456", NOW, NOW),  # empty window
        _b64(struct.pack(">HHHIIB", 0, 2, 0, NOW, NOW + 1, 7) + b"123456"),  # bad flag
        "not base64!",
        _b64(b"\x00\x05"),
    ):
        assert report(lock.control({"24": bad}), 24)[-1] == 0, bad
    assert report(lock.control({"24": good}), 24)[-1] == 1
    assert report(lock.control({"24": zigbee_create(2, "654321", NOW, NOW + 1)}), 24)[-1] == 3
    short_delete = lock.control({"25": _b64(b"\x00\x01")})
    assert report(short_delete, 25) == bytes.fromhex("00010000000000")  # echoed, failed
    assert lock.control({"99": 1, "8": 5, "47": False}) == {}  # unknown and read-only DPs


def test_unlock_method_rules() -> None:
    lock = offline_lock({**PROFILES["unlock_method"], "capacity": 1})
    for bad in (
        method_pin(1, "12"),  # too short for the profile
        method_pin(1, "1234", kind=2),  # a card, not a password
        method_pin(1, "1234", stage=0xFE),
        method_pin(0, "1234"),
        method_pin(1, "1234", NOW, NOW),
        method_pin(1, "1234", times=0xFF),
        _b64(base64.b64decode(method_pin(1, "1234"))[:-1]),  # PIN length disagrees
        _b64(
            base64.b64decode(method_pin(1, "1234")).replace(
                b"\x01\x02\x03\x04", b"\x01\x0a\x03\x04"
            )
        ),
        _b64(b"\x01\x00"),
    ):
        assert report(lock.control({"1": bad}), 1)[6] == 1, bad
    assert report(lock.control({"1": method_pin(1, "1234")}), 1) == method_report(1, 1, 0)
    assert report(lock.control({"1": method_pin(2, "5678")}), 1) == method_report(2, 0xFFFF, 3)
    assert report(lock.control({"3": method_pin(2, "5678", slot=1)}), 3)[6] == 1  # not its slot
    assert report(lock.control({"3": method_pin(1, "1")}), 3)[6] == 1
    assert report(lock.control({"2": method_delete(2, 1)}), 2)[6] == 1  # not its member
    assert report(lock.control({"2": _b64(b"\x01")}), 2)[6] == 1
    lock.reject_next()
    assert report(lock.control({"2": method_delete(1, 1, 9)}), 2) == method_report(1, 1, 1, 9)
    assert lock.pins[1].pin == "1234"


def test_state_polarity_follows_the_profile() -> None:
    lock = offline_lock({**PROFILES["unlock_method"], "locked_value": False})
    assert (lock.dps["47"], lock.dps["6"], lock.locked) == (False, False, True)
    assert lock.control({"6": True}) == {"6": True, "47": True}
    assert not lock.locked
    assert lock.control({"6": "yes"}) == {}


def test_bad_construction() -> None:
    with pytest.raises(ValueError, match="version"):
        offline_lock(version="3.1")
    with pytest.raises(ValueError, match="16 characters"):
        SimulatedLock(device_id="x", local_key="short", profile=PROFILES["zigbee_dp24"])
    with pytest.raises(ValueError, match="codec"):
        offline_lock({"codec": "nope", "dps": {}})
    with pytest.raises(RuntimeError, match="not been started"):
        _ = offline_lock().port


def test_profiles_and_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert set(PROFILES) == {"zigbee_dp24", "unlock_method"}
    for argv in (["--host", "192.0.2.1"], ["--local-key", "short"], ["--profile", "nope"]):
        with pytest.raises(SystemExit):
            main(argv)
    assert "is not loopback" in capsys.readouterr().err
    served: list[Any] = []

    async def fake_serve(args: Any) -> None:
        served.append(args)
        raise KeyboardInterrupt  # Ctrl-C: main returns quietly

    monkeypatch.setattr(tuya_lock, "_serve", fake_serve)
    main(["--host", "::1", "--version", "3.5", "--profile", "zigbee_dp24", "--local-key", KEY])
    args = served[0]
    assert (args.host, args.port, args.version, args.profile, args.unlocked) == (
        "::1",
        6668,
        "3.5",
        "zigbee_dp24",
        False,
    )


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
