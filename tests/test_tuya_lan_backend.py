"""The LAN backend: the real tinytuya client against the simulated lock, every version."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
import contextlib
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest

from custom_components.smartlock_tuya.tuya import (
    CredentialRequest,
    CredentialUnlockEvent,
    CredentialWindow,
    DeleteRefusedError,
    DuplicatePinError,
    InvalidPinError,
    LanBackend,
    LockAuthError,
    LockEvent,
    LockFullError,
    LockOfflineError,
    LockRejectedError,
    LockTimeoutError,
    StatusEvent,
    UnsupportedOperationError,
    load_profiles,
)
from custom_components.smartlock_tuya.tuya.codecs import CODECS
from custom_components.smartlock_tuya.tuya.lan import ConnectionPool
from simulators.tuya_lock import (
    LockEndpoint,
    SimulatedGateway,
    SimulatedLock,
    StoredPin,
    TuyaDevice,
)

KEY = "0123456789abcdef"
DEVICE = "lan-lock-1"
GATEWAY = "gateway-1"
CID = "a4c1380000000001"
PROFILES = load_profiles()


def _stored(sim: LockEndpoint, lock_pin_id: str) -> StoredPin:
    """The PIN the lock holds under the id it reports on unlock (DP 3 / DP 55)."""
    (stored,) = (pin for pin in sim.pins.values() if str(pin.unlock_id) == lock_pin_id)
    return stored


def _window(hours: int = 3) -> CredentialWindow:
    now = dt_util.utcnow()
    return CredentialWindow(starts=now - timedelta(hours=1), ends=now + timedelta(hours=hours))


def _request(ref: int = 7, pin: str = "482913") -> CredentialRequest:
    return CredentialRequest(ref=ref, pin=pin, window=_window(), name="Maria")


@pytest.fixture(params=["3.3", "3.4", "3.5"])
def version(request: pytest.FixtureRequest) -> str:
    """Each protocol version in turn."""
    return str(request.param)


@pytest.fixture(params=["lock_pro_dp51", "zigbee_gateway_27"])
def profile_id(request: pytest.FixtureRequest) -> str:
    """A Lock Pro on its own, then a Zigbee lock behind a gateway."""
    return str(request.param)


@pytest.fixture
async def device(socket_enabled: None, version: str, profile_id: str) -> AsyncIterator[TuyaDevice]:
    """What listens on loopback: the Lock Pro itself, or the Zigbee lock's gateway."""
    clock = lambda: dt_util.utcnow().timestamp()  # noqa: E731 - the tests' clock, not the wall's
    listener: TuyaDevice
    if PROFILES[profile_id].subdevice:
        gateway = SimulatedGateway(device_id=GATEWAY, local_key=KEY, version=version, clock=clock)
        gateway.add_lock(CID, layout=27)
        listener = gateway
    else:
        listener = SimulatedLock(device_id=DEVICE, local_key=KEY, version=version, clock=clock)
    await listener.start()
    yield listener
    await listener.stop()


@pytest.fixture
def sim(device: TuyaDevice) -> LockEndpoint:
    """The lock itself: the Lock Pro, or the gateway's sub-device."""
    if isinstance(device, SimulatedGateway):
        return device.subdevices[CID]
    assert isinstance(device, SimulatedLock)
    return device


@pytest.fixture
async def backend(
    hass: HomeAssistant, device: TuyaDevice, profile_id: str
) -> AsyncIterator[LanBackend]:
    """Our backend on Home Assistant's executor, version left to `auto`."""
    lan = _backend(hass, device, profile_id)
    yield lan
    await lan.close()


def _backend(hass: HomeAssistant, device: TuyaDevice, profile_id: str, **kwargs: Any) -> LanBackend:
    options: dict[str, Any] = {"timeout": 0.5, "confirm_timeout": 2.0} | kwargs
    if PROFILES[profile_id].subdevice:
        options |= {"gateway_id": GATEWAY, "node_id": CID}
    return LanBackend(
        device_id=DEVICE,
        host="127.0.0.1",
        port=device.port,
        local_key=options.pop("local_key", KEY),
        profile=PROFILES[profile_id],
        **options,
    )


async def test_status_and_version(backend: LanBackend, version: str) -> None:
    """`auto` finds the lock's protocol version and reads its state and battery."""
    info = await backend.connect()
    assert info.protocol_version == version
    status = await backend.status()
    assert (status.locked, status.battery) == (True, 90)
    assert backend.available


async def test_create_confirm_delete(
    backend: LanBackend, sim: LockEndpoint, profile_id: str
) -> None:
    """A PIN is on the lock once confirmed, with its window; delete takes it away.

    Deleting it again is done too: a Lock Pro says "absent"; a Zigbee lock, which has no
    such status, answers failure, and the id is then proven free by a probe PIN whose
    window is over, created there and deleted again (docs/tuya-payloads.md).
    """
    await backend.connect()
    request = _request()
    created = await backend.create_credential(request)
    stored = _stored(sim, created.lock_pin_id)
    assert stored.pin == "482913"
    assert (stored.start, stored.end) == (request.window.start_ts, request.window.end_ts)

    await backend.delete_credential(created.lock_pin_id, ref=7)
    assert sim.pins == {}
    sent = len(sim.commands)
    await backend.delete_credential(created.lock_pin_id, ref=7)
    assert sim.pins == {}
    dps = PROFILES[profile_id].dps
    again = [next(iter(command)) for command in sim.commands[sent:]]
    if PROFILES[profile_id].subdevice:
        assert again == [str(dps.delete), str(dps.create), str(dps.delete)]
    else:
        assert again == [str(dps.delete)]


async def test_zigbee_delete_refused_is_never_done(
    backend: LanBackend, sim: LockEndpoint, profile_id: str
) -> None:
    """A delete the lock refuses while it holds the PIN: not done, and the PIN stays.

    Refused once, the probe finds the id taken (the lock refuses a create there), so the
    delete fails; asked again, the lock deletes it. A lock that always refuses never gets
    its PIN counted as gone, and the probe never replaces the guest's PIN.
    """
    await backend.connect()
    created = await backend.create_credential(_request())
    sim.reject_next()  # the delete only: the probe then meets the held id
    with pytest.raises(LockRejectedError) as refused:
        await backend.delete_credential(created.lock_pin_id, ref=7)
    assert _stored(sim, created.lock_pin_id).pin == "482913"
    subdevice = PROFILES[profile_id].subdevice
    assert isinstance(refused.value, DeleteRefusedError) is subdevice
    await backend.delete_credential(created.lock_pin_id, ref=7)
    assert sim.pins == {}

    created = await backend.create_credential(_request())
    sim.reject_next(1000)
    for _ in range(3):
        with pytest.raises(LockRejectedError):
            await backend.delete_credential(created.lock_pin_id, ref=7)
    assert _stored(sim, created.lock_pin_id).pin == "482913"


async def test_probe_never_opens_the_door(
    backend: LanBackend, sim: LockEndpoint, profile_id: str
) -> None:
    """The probe of a Zigbee delete has a window that ended two days ago and one use.

    A Lock Pro, which says "absent" itself, is never probed.
    """
    await backend.connect()
    await backend.delete_credential("7", ref=7)
    profile = PROFILES[profile_id]
    creates = [c[str(profile.dps.create)] for c in sim.commands if str(profile.dps.create) in c]
    if not profile.subdevice:
        assert creates == []
        return
    (sent,) = creates
    probe = CODECS[profile.codec].decode_create(base64.b64decode(sent))
    now = dt_util.utcnow().timestamp()
    assert probe.end <= now - 2 * 86_400 + 5
    assert probe.once
    assert probe.ref == 7
    assert sim.pins == {}


async def test_keypad_unlock_pushed(backend: LanBackend, sim: LockEndpoint) -> None:
    """A guest typing the PIN reaches listeners through the kept connection."""
    events: list[LockEvent] = []
    unlocked, battery_low = asyncio.Event(), asyncio.Event()

    def listen(event: LockEvent) -> None:
        events.append(event)
        if isinstance(event, CredentialUnlockEvent):
            unlocked.set()
        if event.status.battery == 55:
            battery_low.set()

    backend.add_listener(listen)
    await backend.connect()
    created = await backend.create_credential(_request())
    assert await sim.keypad("482913")
    assert not await sim.keypad("000000")
    async with asyncio.timeout(5):
        await unlocked.wait()
    unlock = next(event for event in events if isinstance(event, CredentialUnlockEvent))
    assert unlock.lock_pin_id == created.lock_pin_id
    assert unlock.status.locked is False

    await sim.set_battery(55)
    async with asyncio.timeout(5):
        await battery_low.wait()
    assert isinstance(events[-1], StatusEvent)


async def test_modify_in_place(backend: LanBackend, sim: LockEndpoint) -> None:
    """Both families change a window in place (DP 53 / DP 26)."""
    await backend.connect()
    created = await backend.create_credential(_request())
    later = CredentialRequest(ref=7, pin="482913", window=_window(hours=30), name="Maria")
    lock_pin_id = await backend.modify_credential(created.lock_pin_id, later)
    assert _stored(sim, lock_pin_id).end == later.window.end_ts
    assert backend.capabilities.modify_window


async def test_no_remote_control(backend: LanBackend) -> None:
    """No real family's profile has a remote lock DP, and the backend says so."""
    assert not backend.capabilities.lock_control
    with pytest.raises(UnsupportedOperationError):
        await backend.unlock()
    with pytest.raises(UnsupportedOperationError):
        await backend.list_credentials()


@pytest.mark.parametrize("profile_id", ["zigbee_gateway_27"])
async def test_duplicate_is_refused(backend: LanBackend, sim: LockEndpoint) -> None:
    """A Zigbee lock's "duplicate" (status 2) is a refusal: that PIN is NOT on the lock."""
    await backend.connect()
    await backend.create_credential(_request(ref=7))
    with pytest.raises(LockRejectedError):
        await backend.create_credential(_request(ref=8))  # same digits, another id
    assert len(sim.pins) == 1


@pytest.mark.parametrize("profile_id", ["zigbee_gateway_27"])
async def test_duplicate_is_a_typed_refusal(backend: LanBackend, sim: LockEndpoint) -> None:
    """The refusal is `DuplicatePinError`, so the lifecycle knows to choose other digits."""
    await backend.connect()
    await backend.create_credential(_request(ref=7))
    with pytest.raises(DuplicatePinError):
        await backend.create_credential(_request(ref=8))
    created = await backend.create_credential(_request(ref=8, pin="551207"))
    assert created.lock_pin_id == "8"  # a Zigbee lock's id is ours
    assert _stored(sim, "8").pin == "551207"


@pytest.mark.parametrize("profile_id", ["zigbee_gateway_27"])
async def test_create_sent_again_after_a_lost_record_is_adopted(
    backend: LanBackend, sim: LockEndpoint
) -> None:
    """The same create again (its record lost to a restart): our id holds it, so it is ours.

    The lock answers "duplicate"; rewriting our own id with the same PIN and window succeeds
    only because the lock holds that id, so the PIN is adopted, once, with its window.
    """
    await backend.connect()
    first = await backend.create_credential(_request(ref=7))
    again = await backend.create_credential(_request(ref=7))
    assert again.lock_pin_id == first.lock_pin_id == "7"
    assert len(sim.pins) == 1
    assert _stored(sim, "7").pin == "482913"
    with pytest.raises(DuplicatePinError):  # our id 9 is not on the lock: a real duplicate
        await backend.create_credential(_request(ref=9))
    assert len(sim.pins) == 1


async def test_lost_create_reply_is_not_confirmed_by_the_resend(
    backend: LanBackend, sim: LockEndpoint, profile_id: str
) -> None:
    """A create whose reply is lost is confirmed only by a fresh "done", never by "duplicate".

    Sent again as it is, a Zigbee lock would refuse it as a duplicate of itself: our id is
    deleted first, so the lock ends with the PIN once. A Lock Pro's reply names only the id
    it chose, so a second copy could not be told from the first: it is sent once, and the
    create ends unconfirmed with one copy on the lock (its window ends it).
    """
    await backend.connect()
    sim.lose_next_reply()
    creates = str(PROFILES[profile_id].dps.create)
    deletes = str(PROFILES[profile_id].dps.delete)
    if PROFILES[profile_id].subdevice:
        created = await backend.create_credential(_request())
        assert _stored(sim, created.lock_pin_id).pin == "482913"
        assert len([c for c in sim.commands if creates in c]) == 2
        assert len([c for c in sim.commands if deletes in c]) == 1  # cleared before the resend
    else:
        with pytest.raises(LockTimeoutError):
            await backend.create_credential(_request())
        assert len([c for c in sim.commands if creates in c]) == 1
        assert [c for c in sim.commands if deletes in c] == []
        assert backend.capabilities.resend_create is False
    assert len(sim.pins) == 1


async def test_lost_create_replies_end_unconfirmed(
    backend: LanBackend, sim: LockEndpoint, profile_id: str
) -> None:
    """When the second create's reply is lost too, the create fails; nothing is taken as done."""
    await backend.connect()
    sim.lose_next_reply(3 if PROFILES[profile_id].subdevice else 1)  # Zigbee: and the clear
    with pytest.raises(LockTimeoutError):
        await backend.create_credential(_request())


async def test_dropped_session_after_create_clears_before_resending(
    backend: LanBackend, device: TuyaDevice, sim: LockEndpoint, profile_id: str
) -> None:
    """A session that drops after the create left: Zigbee clears our id and sends it again.

    A Lock Pro's create is never sent twice: it ends unconfirmed, with one copy on the lock.
    """
    await backend.connect()
    sim.lose_next_reply()
    original = device.control
    arrived = asyncio.Event()

    def note_arrival(dps: dict[str, Any], cid: str | None) -> dict[str, Any] | None:
        arrived.set()
        return original(dps, cid)

    device.control = note_arrival  # type: ignore[method-assign]
    task = asyncio.ensure_future(backend.create_credential(_request()))
    async with asyncio.timeout(5):
        await arrived.wait()
    await device.drop_connections()
    deletes = [c for c in sim.commands if str(PROFILES[profile_id].dps.delete) in c]
    if PROFILES[profile_id].subdevice:
        created = await task
        assert _stored(sim, created.lock_pin_id).pin == "482913"
        deletes = [c for c in sim.commands if str(PROFILES[profile_id].dps.delete) in c]
        assert len(deletes) == 1
    else:
        with pytest.raises(LockTimeoutError):
            await task
        assert deletes == []
    assert len(sim.pins) == 1


async def test_create_after_an_idle_drop_goes_out_once(
    backend: LanBackend, device: TuyaDevice, sim: LockEndpoint, profile_id: str
) -> None:
    """A session the lock closed while idle is reopened, and the create goes out once."""
    await backend.connect()
    await device.drop_connections()
    created = await backend.create_credential(_request())
    assert _stored(sim, created.lock_pin_id).pin == "482913"
    assert len([c for c in sim.commands if str(PROFILES[profile_id].dps.create) in c]) == 1
    assert len(sim.pins) == 1


async def test_lost_delete_reply_is_sent_again(
    backend: LanBackend, sim: LockEndpoint, profile_id: str
) -> None:
    """A delete whose reply is lost is sent again, and the second one's "not there" is done.

    A Lock Pro says "absent"; a Zigbee lock answers failure, and the probe proves the id
    free (regression: this used to be reported as a failure, retried for ever).
    """
    await backend.connect()
    created = await backend.create_credential(_request())
    sim.lose_next_reply()
    await backend.delete_credential(created.lock_pin_id, ref=7)
    assert sim.pins == {}
    deletes = [c for c in sim.commands if str(PROFILES[profile_id].dps.delete) in c]
    assert len(deletes) == (3 if PROFILES[profile_id].subdevice else 2)


async def test_rejected_and_full(backend: LanBackend, sim: LockEndpoint, profile_id: str) -> None:
    """A refused create is an error, a full lock a distinct one, a bad PIN never sent."""
    await backend.connect()
    sim.reject_next()
    with pytest.raises(LockRejectedError):
        await backend.create_credential(_request())
    for ref in range(1, PROFILES[profile_id].capacity + 1):
        await backend.create_credential(_request(ref=ref, pin=f"{100000 + ref}"))
    with pytest.raises(LockFullError):
        await backend.create_credential(_request(ref=999, pin="999999"))
    sent = len(sim.commands)
    with pytest.raises(InvalidPinError):
        await backend.create_credential(_request(pin="12ab56"))
    assert len(sim.commands) == sent


@pytest.mark.parametrize("version", ["3.4"])
async def test_offline_lock(hass: HomeAssistant, device: TuyaDevice, profile_id: str) -> None:
    """A lock that refuses connections is offline; one that never answers times out."""
    await device.set_offline("refuse")
    backend = _backend(hass, device, profile_id)
    with pytest.raises(LockOfflineError):
        await backend.connect()
    assert not backend.available
    await device.set_offline(None)
    await backend.connect()
    assert backend.available
    await backend.close()


@pytest.mark.parametrize("version", ["3.3", "3.5"])
@pytest.mark.parametrize("profile_id", ["lock_pro_dp51"])
async def test_silent_lock(hass: HomeAssistant, device: TuyaDevice, profile_id: str) -> None:
    """A lock that accepts but never answers is an error, never a success."""
    backend = _backend(hass, device, profile_id, version=device.version)
    await device.set_offline("silent")
    with pytest.raises((LockTimeoutError, LockAuthError, LockOfflineError)):
        await backend.connect()
    await backend.close()


async def test_wrong_key(hass: HomeAssistant, device: TuyaDevice, profile_id: str) -> None:
    """A wrong local key fails every version, with a message that names the likely causes."""
    backend = _backend(hass, device, profile_id, local_key="fedcba9876543210")
    with pytest.raises(LockAuthError, match="local key"):
        await backend.connect()
    await backend.close()


@pytest.mark.parametrize("profile_id", ["lock_pro_dp51"])
async def test_second_connection_refused(
    hass: HomeAssistant, device: TuyaDevice, profile_id: str, version: str
) -> None:
    """While one client holds the lock, another cannot get in (and is told why)."""
    first = _backend(hass, device, profile_id, version=version)
    await first.connect()
    second = _backend(hass, device, profile_id, version=version, pool=ConnectionPool())
    with pytest.raises(LockAuthError, match="another app"):
        await second.connect()
    assert (await first.status()).battery == 90
    await first.close()
    await second.close()


async def test_reconnects_after_drop(backend: LanBackend, device: TuyaDevice) -> None:
    """A dropped connection is reopened by the next call."""
    await backend.connect()
    await device.drop_connections()
    with contextlib.suppress(LockTimeoutError, LockOfflineError, LockAuthError):
        await backend.status()  # may notice the drop, or may already reconnect
    status = await backend.status()
    assert status.battery == 90


def test_unknown_version() -> None:
    """Only the known protocol versions are accepted."""
    with pytest.raises(ValueError, match="version"):
        LanBackend(
            device_id="x",
            host="127.0.0.1",
            local_key=KEY,
            profile=PROFILES["zigbee_gateway_27"],
            version="3.1",
        )


def test_gateway_needs_both_ids() -> None:
    """A sub-device is its gateway's id and its own cid, never one without the other."""
    with pytest.raises(ValueError, match="both"):
        LanBackend(
            device_id="x",
            host="127.0.0.1",
            local_key=KEY,
            profile=PROFILES["zigbee_gateway_27"],
            gateway_id=GATEWAY,
        )
