"""The simulated gateway and its Zigbee locks, driven by the real tinytuya client (3.3/3.4/3.5).

Sub-devices are reached exactly as tinytuya reaches them: a parent `Device` for the gateway
and one child `Device(cid=..., parent=...)` per lock, all on the gateway's one connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
import struct
from typing import Any

import pytest
import tinytuya

from simulators.tuya.zigbee_lock import TemporaryPassword, ZigbeeLock
from simulators.tuya_lock import SimulatedGateway, StoredPin, SubDevice

from .simulator_support import (
    HANG_UP,
    HOUR,
    KEY,
    NOW,
    VECTORS,
    VERSIONS,
    ManualClock,
    b64,
    call,
    raw_reply,
    zigbee_ident,
    zigbee_password,
)

GATEWAY_ID = "bf0gateway0000000001"
CID_A, CID_B = "a4c1380000000001", "a4c1380000000002"

type GatewayFactory = Callable[..., Awaitable[SimulatedGateway]]
type Client = tuple[tinytuya.Device, tinytuya.Device, tinytuya.Device]


@pytest.fixture(params=VERSIONS)
def version(request: pytest.FixtureRequest) -> str:
    """Every test using a gateway runs on each protocol version."""
    return str(request.param)


@pytest.fixture
def lock_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def gateway(
    socket_enabled: None, version: str, lock_clock: ManualClock
) -> AsyncIterator[SimulatedGateway]:
    """A started gateway with lock A (27-byte layout) and lock B (21-byte layout)."""
    device = SimulatedGateway(
        device_id=GATEWAY_ID, local_key=KEY, version=version, clock=lock_clock
    )
    device.add_lock(CID_A, layout=27, capacity=2)
    device.add_lock(CID_B, layout=21, battery=55)
    await device.start()
    yield device
    await device.stop()


@pytest.fixture
def client(gateway: SimulatedGateway, version: str) -> Iterator[Client]:
    """The tinytuya parent (the gateway) and one child per lock, on one persistent socket."""
    parent = tinytuya.Device(
        GATEWAY_ID,
        address="127.0.0.1",
        local_key=KEY,
        version=float(version),
        port=gateway.port,
        persist=True,
        connection_timeout=0.5,
        connection_retry_limit=1,
        connection_retry_delay=0,
    )
    lock_a = tinytuya.Device("lock-a", cid=CID_A, parent=parent)
    lock_b = tinytuya.Device("lock-b", cid=CID_B, parent=parent)
    yield parent, lock_a, lock_b
    parent.close()


def lock(gateway: SimulatedGateway, cid: str) -> SubDevice:
    return gateway.subdevices[cid]


def cid_of(result: dict[str, Any]) -> str:
    """The cid a gateway tagged a message with: top level on 3.3, under data on 3.4/3.5."""
    return str(result.get("cid") or result["data"]["cid"])


async def test_queries_are_answered_per_cid(gateway: SimulatedGateway, client: Client) -> None:
    _, lock_a, lock_b = client
    a = await call(lock_a.status)
    b = await call(lock_b.status)
    assert (a["dps"], a["cid"], a["device"]) == ({"10": 90, "8": False}, CID_A, lock_a)
    assert (b["dps"], b["cid"], b["device"]) == ({"10": 55, "8": False}, CID_B, lock_b)
    assert gateway.connections == 1


async def test_tinytuya_addresses_children_by_cid(
    gateway: SimulatedGateway, client: Client, version: str
) -> None:
    """The cid rides in the JSON: top level always, and under data on 3.4/3.5 CONTROL_NEW."""
    _, lock_a, _ = client
    await call(lock_a.status)
    await call(lock_a.set_value, 25, b64(zigbee_ident(1)))
    (query_cmd, query), (control_cmd, control) = gateway.messages
    assert query["cid"] == CID_A
    assert control["cid"] == CID_A
    if version == "3.3":
        assert (query_cmd, control_cmd) == (10, 7)
        assert control["dps"] == {"25": b64(zigbee_ident(1))}
    else:
        assert (query_cmd, control_cmd) == (16, 13)
        assert control["data"]["cid"] == CID_A
        assert control["data"]["dps"] == {"25": b64(zigbee_ident(1))}


async def test_query_without_cid_is_refused(gateway: SimulatedGateway, client: Client) -> None:
    parent, _, _ = client
    result = await call(parent.status)
    assert "dps" not in result or not result.get("dps")
    assert "Err" in result


@pytest.mark.parametrize("layout", [21, 27])
async def test_create_duplicate_full_delete(
    gateway: SimulatedGateway, client: Client, layout: int
) -> None:
    _, lock_a, lock_b = client
    child = lock_a if layout == 27 else lock_b
    sub = lock(gateway, CID_A if layout == 27 else CID_B)
    sub.family.capacity = 2
    first = zigbee_password(7, "123456", NOW - HOUR, NOW + HOUR, layout=layout)

    reply = raw_reply(await call(child.set_value, 24, b64(first)), 24)
    assert reply == zigbee_ident(7) + b"\x01"
    assert list(sub.pins.values()) == [
        StoredPin("123456", NOW - HOUR, NOW + HOUR, times=0, uses=0, unlock_id=7)
    ]
    same_pin = zigbee_password(8, "123456", NOW, NOW + HOUR, layout=layout)
    assert raw_reply(await call(child.set_value, 24, b64(same_pin)), 24) == (
        zigbee_ident(8) + b"\x02"  # duplicate PIN: refused, not stored
    )
    second = zigbee_password(9, "654321", NOW, NOW + HOUR, layout=layout)
    assert raw_reply(await call(child.set_value, 24, b64(second)), 24)[-1] == 1
    third = zigbee_password(10, "111111", NOW, NOW + HOUR, layout=layout)
    assert raw_reply(await call(child.set_value, 24, b64(third)), 24) == zigbee_ident(10) + b"\x03"
    assert len(sub.pins) == 2

    assert raw_reply(await call(child.set_value, 25, b64(zigbee_ident(7))), 25) == (
        zigbee_ident(7) + b"\x01"
    )
    assert raw_reply(await call(child.set_value, 25, b64(zigbee_ident(7))), 25) == (
        zigbee_ident(7) + b"\x00"  # absent: the reference has no other status than failure
    )
    assert [stored.pin for stored in sub.pins.values()] == ["654321"]


async def test_wrong_layout_and_bad_bytes_fail(gateway: SimulatedGateway, client: Client) -> None:
    _, lock_a, _ = client
    for bad in (
        zigbee_password(1, "123456", NOW, NOW + HOUR, layout=21),  # 21 bytes to a 27-byte lock
        zigbee_password(1, "12345a", NOW, NOW + HOUR),
        zigbee_password(1, "123456", NOW, NOW),  # empty window
        zigbee_password(1, "123456", NOW, NOW + HOUR)[:14] + b"\x01" * 6 + b"\x00123456",
        zigbee_password(1, "123456", NOW, NOW + HOUR)[:20] + b"\x07123456",  # one-time flag 7
    ):
        assert raw_reply(await call(lock_a.set_value, 24, b64(bad)), 24)[-1] == 0, bad.hex()
    assert raw_reply(await call(lock_a.set_value, 24, "not base64!"), 24) == bytes(7)
    assert raw_reply(await call(lock_a.set_value, 25, b64(b"\x00\x01")), 25) == (
        bytes.fromhex("00010000000000")
    )
    assert lock(gateway, CID_A).pins == {}


async def test_update_moves_window_and_pin(gateway: SimulatedGateway, client: Client) -> None:
    _, lock_a, _ = client
    sub = lock(gateway, CID_A)
    await call(lock_a.set_value, 24, b64(zigbee_password(3, "222222", NOW, NOW + HOUR)))
    await call(lock_a.set_value, 24, b64(zigbee_password(4, "333333", NOW, NOW + HOUR)))
    update = zigbee_password(3, "444444", NOW + HOUR, NOW + 2 * HOUR, once=True)
    assert raw_reply(await call(lock_a.set_value, 26, b64(update)), 26)[-1] == 1
    stored = sub.pins[int.from_bytes(zigbee_ident(3))]
    assert (stored.pin, stored.start, stored.times) == ("444444", NOW + HOUR, 1)
    clash = zigbee_password(3, "333333", NOW, NOW + HOUR)
    assert raw_reply(await call(lock_a.set_value, 26, b64(clash)), 26)[-1] == 2
    absent = zigbee_password(5, "555555", NOW, NOW + HOUR)
    assert raw_reply(await call(lock_a.set_value, 26, b64(absent)), 26)[-1] == 0
    assert raw_reply(await call(lock_a.set_value, 26, b64(b"short")), 26)[-1] == 0


async def test_keypad_honours_window_and_reports_dp3(
    gateway: SimulatedGateway, client: Client, lock_clock: ManualClock
) -> None:
    parent, lock_a, _ = client
    sub = lock(gateway, CID_A)
    once = zigbee_password(997, "475768", NOW + HOUR, NOW + 2 * HOUR, once=True)
    await call(lock_a.set_value, 24, b64(once))

    assert not await sub.keypad("475768")  # before its window
    lock_clock.now = NOW + HOUR
    assert not await sub.keypad("47576")  # five digits
    assert not await sub.keypad("4757680")  # seven digits
    assert await sub.keypad("475768")
    pushed = await call(parent.receive)
    assert (pushed["dps"], pushed["device"]) == ({"3": 997, "8": True}, lock_a)
    assert not sub.locked
    assert not await sub.keypad("475768")  # one-time: spent
    lock_clock.now = NOW + 2 * HOUR
    await call(lock_a.set_value, 26, b64(zigbee_password(997, "475768", NOW, NOW + 2 * HOUR)))
    assert not await sub.keypad("475768")  # window closed at its end
    assert (await call(lock_a.status))["dps"]["3"] == 997


async def test_state_polarity_and_battery_are_pushed(
    gateway: SimulatedGateway, client: Client
) -> None:
    parent, lock_a, _ = client
    sub = lock(gateway, CID_A)
    await call(lock_a.status)
    assert sub.dps["8"] is False  # DP 8 false = locked
    assert sub.locked
    assert await sub.set_locked(False)
    assert (await call(parent.receive))["dps"] == {"8": True}  # true = unlocked
    assert await sub.set_battery(9)
    assert (await call(parent.receive))["dps"] == {"10": 9}
    assert await sub.report({"9": "low_battery"})
    assert (await call(parent.receive))["dps"] == {"9": "low_battery"}
    assert (sub.battery, sub.locked) == (9, False)


async def test_two_locks_share_one_connection_and_reports_route_by_cid(
    gateway: SimulatedGateway, client: Client
) -> None:
    parent, lock_a, lock_b = client
    await call(lock_a.set_value, 24, b64(zigbee_password(1, "111111", NOW - HOUR, NOW + HOUR)))
    await call(
        lock_b.set_value, 24, b64(zigbee_password(2, "222222", NOW - HOUR, NOW + HOUR, layout=21))
    )
    assert await lock(gateway, CID_B).keypad("222222")
    assert not await lock(gateway, CID_A).keypad("222222")  # B's PIN does not open A
    # Lock A's child waits for its own cid; tinytuya queues B's report for lock B's child.
    assert await call(lock_a.receive) is None
    routed = await call(lock_b.receive)
    assert (cid_of(routed), routed["device"], routed["dps"]) == (CID_B, lock_b, {"3": 2, "8": True})
    assert await lock(gateway, CID_A).set_battery(40)
    pushed = await call(parent.receive)  # the parent hears every cid, tagged
    assert (cid_of(pushed), pushed["device"], pushed["dps"]) == (CID_A, lock_a, {"10": 40})
    assert gateway.connections == 1
    assert lock(gateway, CID_A).locked


async def test_command_for_a_child_ignores_reports_of_another(
    gateway: SimulatedGateway, client: Client
) -> None:
    """A report for cid B racing a command to A never answers A's command.

    tinytuya queues B's report; B's child gets it next. (Read through the parent instead,
    tinytuya 1.20.0 hands the queued entry back as a (child, result) tuple.)
    """
    _, lock_a, lock_b = client
    sub_a = lock(gateway, CID_A)
    sub_a.report_delay = 0.2
    create = call(lock_a.set_value, 24, b64(zigbee_password(5, "505050", NOW, NOW + HOUR)))
    task = asyncio.ensure_future(create)
    await asyncio.sleep(0.05)
    await lock(gateway, CID_B).set_battery(30)
    result = await task
    assert (cid_of(result), raw_reply(result, 24)[-1]) == (CID_A, 1)
    assert (await call(lock_b.receive))["dps"] == {"10": 30}


async def test_offline_subdevice_and_online_report(
    gateway: SimulatedGateway, client: Client, version: str
) -> None:
    parent, lock_a, _ = client
    sub = lock(gateway, CID_A)
    sub.online = False
    create = zigbee_password(6, "606060", NOW, NOW + HOUR)
    assert await call(lock_a.set_value, 24, b64(create)) is None  # acked, never reported
    assert sub.pins == {}
    assert not await sub.set_battery(1)
    report = await call(parent.subdev_query)
    if version == "3.3":
        assert report["Err"] == "902"  # 3.3 gateways ignore the query: tinytuya times out
    else:
        assert report["data"] == {"online": [CID_B], "offline": [CID_A], "nearby": [CID_B]}
    # An unknown cid gets the untagged "data unvalid" answer, which tinytuya sets aside as
    # someone else's message; the child's query then times out empty.
    assert await call(tinytuya.Device("ghost", cid="0000", parent=parent).status) is None


async def test_unknown_cid_gets_only_an_ack(gateway: SimulatedGateway, client: Client) -> None:
    parent, _, _ = client
    ghost = tinytuya.Device("ghost", cid="ffff000000000000", parent=parent)
    assert await call(ghost.set_value, 24, b64(zigbee_ident(1))) is None
    assert all(not sub.commands for sub in gateway.subdevices.values())


async def test_one_client_at_a_time_heartbeat_and_idle_drop(
    socket_enabled: None, version: str
) -> None:
    gateway = SimulatedGateway(
        device_id=GATEWAY_ID, local_key=KEY, version=version, idle_timeout=1.0
    )
    gateway.add_lock(CID_A)
    await gateway.start()
    try:
        parent = tinytuya.Device(
            GATEWAY_ID,
            address="127.0.0.1",
            local_key=KEY,
            version=float(version),
            port=gateway.port,
            persist=True,
            connection_timeout=0.5,
            connection_retry_limit=1,
            connection_retry_delay=0,
        )
        child = tinytuya.Device("lock-a", cid=CID_A, parent=parent)
        await call(child.status)
        second = tinytuya.Device(
            GATEWAY_ID,
            address="127.0.0.1",
            local_key=KEY,
            version=float(version),
            port=gateway.port,
            connection_timeout=0.5,
            connection_retry_limit=1,
            connection_retry_delay=0,
        )
        assert (await call(second.status))["Err"] == HANG_UP[version]
        for _ in range(4):  # heartbeats keep a quiet client past the idle timeout
            await call(parent.heartbeat)
            await asyncio.sleep(0.5)
        assert gateway.client_connected
        await asyncio.sleep(1.5)  # silence: the gateway drops the client
        assert not gateway.client_connected
        assert not await gateway.subdevices[CID_A].set_battery(5)
        parent.close()
        assert gateway.heartbeats == 4
        assert gateway.frames_in >= 5
    finally:
        await gateway.stop()


async def test_faults_lost_reply_and_rejection(gateway: SimulatedGateway, client: Client) -> None:
    """A lost reply makes tinytuya re-send; the lock, holding the PIN, calls it a duplicate."""
    _, lock_a, _ = client
    sub = lock(gateway, CID_A)
    create = b64(zigbee_password(12, "121212", NOW, NOW + HOUR))
    sub.lose_next_reply()
    assert raw_reply(await call(lock_a.set_value, 24, create), 24) == zigbee_ident(12) + b"\x02"
    assert [stored.pin for stored in sub.pins.values()] == ["121212"]
    assert sub.commands == [{"24": create}, {"24": create}]
    sub.reject_next()
    delete = b64(zigbee_ident(12))
    assert raw_reply(await call(lock_a.set_value, 25, delete), 25) == zigbee_ident(12) + b"\x00"
    assert len(sub.pins) == 1


def test_zigbee_rules_without_a_source_are_failures() -> None:
    family = ZigbeeLock()
    family.apply({"24": b64(zigbee_password(1, "101010", NOW, NOW + HOUR))})
    other_pin_same_id = zigbee_password(1, "202020", NOW, NOW + HOUR)
    assert raw_reply(family.apply({"24": b64(other_pin_same_id)}), 24)[-1] == 0
    assert raw_reply(family.apply({"24": 24}), 24) == bytes(7)  # not base64 text at all
    assert family.refuse({"26": b64(zigbee_ident(1)), "8": True}) == {
        "26": b64(zigbee_ident(1) + b"\x00")
    }


def test_zigbee_lock_judges_windows_by_its_local_clock() -> None:
    """A lock whose module hands it UTC+8 opens a UTC window eight hours early."""
    family = ZigbeeLock(local_offset=8 * HOUR)
    family.apply({"24": b64(zigbee_password(1, "808080", NOW, NOW + HOUR))})
    assert family.keypad("808080", NOW) is None  # its local clock already reads NOW + 8 h
    assert family.keypad("808080", NOW - 8 * HOUR) == {"3": 1, "8": True}


def test_gateway_pairing_rules() -> None:
    gateway = SimulatedGateway(device_id=GATEWAY_ID, local_key=KEY)
    sub = gateway.add(CID_A, ZigbeeLock(layout=21))
    assert sub.family.layout == 21
    with pytest.raises(ValueError, match="already paired"):
        gateway.add_lock(CID_A)
    gateway.remove(CID_A)
    assert gateway.subdevices == {}
    with pytest.raises(ValueError, match="layout"):
        ZigbeeLock(layout=22)
    with pytest.raises(ValueError, match="capacity"):
        ZigbeeLock(capacity=0)
    assert gateway.extension({"reqType": "other"}) is None
    assert gateway.report_delay(None) == 0.0


@pytest.mark.parametrize(
    ("layout", "vector"),
    [(27, vector) for vector in VECTORS["zigbee_dp24_27"]]
    + [(21, vector) for vector in VECTORS["zigbee_dp24_21"]],
)
def test_published_dp24_bytes_are_read_and_written(layout: int, vector: dict[str, Any]) -> None:
    """Captured (27 bytes) and documented (21 bytes) creates, byte for byte both ways."""
    payload = bytes.fromhex(vector["payload"])
    request = TemporaryPassword.decode(payload, layout)
    assert request == TemporaryPassword(
        bytes.fromhex(vector["ident"]),
        vector["start"],
        vector["end"],
        vector["once"],
        vector["pin"],
    )
    assert request.encode(layout) == payload

    family = ZigbeeLock(layout=layout)
    assert family.apply({"24": b64(payload)}) == {
        "24": b64(bytes.fromhex(vector["ident"]) + b"\x01")
    }
    (stored,) = family.pins.values()
    assert (stored.pin, stored.start, stored.end, stored.times) == (
        vector["pin"],
        vector["start"],
        vector["end"],
        int(vector["once"]),
    )
    assert family.keypad(vector["pin"], vector["start"]) == {"3": vector["unlock_id"], "8": True}


def test_published_dp24_reply_is_produced() -> None:
    """The documented reply (6 id bytes + status 2) comes out of a duplicate create."""
    (vector,) = VECTORS["zigbee_dp24_reply"]
    (create,) = VECTORS["zigbee_dp24_21"]
    family = ZigbeeLock(layout=21)
    family.apply({"24": b64(zigbee_password(1, create["pin"], NOW, NOW + HOUR, layout=21))})
    report = family.apply({"24": b64(bytes.fromhex(create["payload"]))})
    assert report == {"24": b64(bytes.fromhex(vector["payload"]))}
    assert struct.unpack(">B", bytes.fromhex(vector["payload"])[-1:]) == (vector["status"],)
