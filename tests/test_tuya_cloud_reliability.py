"""The cloud backend keeps its word against the HTTPS fake: lengths, delivery, twins, revokes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
import ssl

import aiohttp
from homeassistant.core import HomeAssistant
import pytest

from custom_components.smartlock_tuya.tuya import (
    CloudBackend,
    CredentialRequest,
    CredentialWindow,
    InvalidPinError,
    LockAuthError,
    LockFullError,
    LockOfflineError,
    LockRejectedError,
    LockTimeoutError,
)
from custom_components.smartlock_tuya.tuya.cloud import (
    CloudUnsupportedError,
    DuplicatePinError,
    OfflineCreatedCredential,
    OfflineCredentialStillValidError,
    WindowOverlapError,
)
from simulators import tuya_cloud
from simulators.tuya_cloud import FakeTuyaCloud

from .conftest import CLOUD_ACCESS_ID, CLOUD_SECRET, WIFI, ZIGBEE, Clock

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # conftest's NOW
STARTS = NOW + timedelta(hours=2)
WINDOW = CredentialWindow(starts=STARTS, ends=STARTS + timedelta(days=3))
BLE = "ble-lock-1"
HOUR = timedelta(hours=1)


type Api = tuple[aiohttp.ClientSession | None, ssl.SSLContext | None]


@pytest.fixture(params=["tinytuya", "aiohttp"])
async def api(
    request: pytest.FixtureRequest, hass: HomeAssistant, fake: FakeTuyaCloud
) -> AsyncIterator[Api]:
    """Every test runs through tinytuya in the executor and through our aiohttp client."""
    if request.param == "tinytuya":
        yield None, None
        return
    context = await hass.async_add_executor_job(
        partial(ssl.create_default_context, cafile=fake.ca_file)
    )
    async with aiohttp.ClientSession() as session:
        yield session, context


def _backend(
    api: Api, hass: HomeAssistant, fake: FakeTuyaCloud, device: str = WIFI, **kwargs: object
) -> CloudBackend:
    return CloudBackend(
        device_id=device,
        region="eu",
        access_id=CLOUD_ACCESS_ID,
        access_secret=CLOUD_SECRET,
        run_blocking=hass.async_add_executor_job,
        session=api[0],
        ssl_context=api[1],
        api_host=fake.host,
        delivery_timeout=kwargs.pop("delivery_timeout", 5.0),  # type: ignore[arg-type]
        poll_interval=0.1,
        **kwargs,  # type: ignore[arg-type]
    )


def _request(
    ref: int = 1, pin: str = "4829131", window: CredentialWindow = WINDOW, *, once: bool = False
) -> CredentialRequest:
    return CredentialRequest(ref=ref, pin=pin, window=window, name="Maria", once=once)


def _posts(fake: FakeTuyaCloud, suffix: str) -> int:
    return sum(1 for method, path in fake.requests if method == "POST" and path.endswith(suffix))


# -- 1. length by device type -------------------------------------------------------------


async def test_lengths_come_from_the_device(
    api: Api, hass: HomeAssistant, fake: FakeTuyaCloud
) -> None:
    """Wi-Fi takes exactly 7 digits, a lock behind a gateway exactly 6, as Tuya reports it."""
    wifi, zigbee = _backend(api, hass, fake), _backend(api, hass, fake, ZIGBEE)
    assert wifi.pin_lengths == zigbee.pin_lengths == (6, 7)  # not known yet
    await wifi.connect()
    await zigbee.connect()
    assert (wifi.pin_lengths, zigbee.pin_lengths) == ((7,), (6,))
    assert wifi.device is not None
    assert (wifi.device.sub, wifi.device.category) == (False, "jtmspro")
    with pytest.raises(InvalidPinError, match="exactly 7 digits"):
        await wifi.create_credential(_request(pin="482913"))
    with pytest.raises(InvalidPinError, match="exactly 6 digits"):
        await zigbee.create_credential(_request(pin="4829131"))
    with pytest.raises(InvalidPinError):
        await wifi.create_credential(_request(pin="48291a1"))
    assert _posts(fake, "/temp-password") == 0  # refused up front, nothing sent
    # A profile that allows only 6 digits leaves a Wi-Fi lock no length at all.
    narrow = _backend(api, hass, fake, pin_length=(6, 6))
    await narrow.connect()
    assert narrow.pin_lengths == ()
    with pytest.raises(InvalidPinError, match="exactly no digits"):
        await narrow.create_credential(_request())


async def test_length_learned_on_first_create(
    api: Api, hass: HomeAssistant, fake: FakeTuyaCloud
) -> None:
    """Without `connect`, the first create still asks Tuya what the lock is."""
    backend = _backend(api, hass, fake, ZIGBEE)
    with pytest.raises(InvalidPinError):
        await backend.create_credential(_request(pin="4829131"))
    assert ("GET", f"/v1.0/devices/{ZIGBEE}") in fake.requests


# -- 2. Zigbee: confirmed by delivery_status -----------------------------------------------


async def test_zigbee_waits_for_delivery(
    api: Api, hass: HomeAssistant, fake: FakeTuyaCloud
) -> None:
    """The create returns only after the gateway reports the PIN configured."""
    fake.devices[ZIGBEE].delivery_delay = 0.5
    backend = _backend(api, hass, fake, ZIGBEE)
    created = await backend.create_credential(_request(pin="482913"))
    stored = fake.passwords[ZIGBEE][int(created.lock_pin_id)]
    assert stored.delivery_status == tuya_cloud.DELIVERY_DONE
    polls = [path for method, path in fake.requests if path.endswith(created.lock_pin_id)]
    assert len(polls) >= 2  # asked again while "in progress"


@pytest.mark.parametrize(
    ("pin", "window", "error"),
    [
        ("482913", WINDOW, WindowOverlapError),  # same PIN, overlapping validity
        (
            "482913",
            CredentialWindow(starts=WINDOW.ends, ends=WINDOW.ends + HOUR),
            DuplicatePinError,
        ),
        ("111111", WINDOW, LockFullError),
    ],
)
async def test_zigbee_refusals(
    api: Api,
    hass: HomeAssistant,
    fake: FakeTuyaCloud,
    pin: str,
    window: CredentialWindow,
    error: type[LockRejectedError],
) -> None:
    """Duplicate (4), full (5) and overlap (6) are refusals, each with its own error."""
    backend = _backend(api, hass, fake, ZIGBEE)
    await backend.create_credential(_request(pin="482913"))
    fake.capacity = 1
    with pytest.raises(error):
        await backend.create_credential(_request(ref=2, pin=pin, window=window))
    assert [pin.name for pin in await backend.list_credentials()] == ["SLT00001 Maria"]


async def test_zigbee_unconfirmed_then_adopted(
    api: Api, hass: HomeAssistant, fake: FakeTuyaCloud
) -> None:
    """No answer within the delivery timeout is a timeout; the retry adopts the same password."""
    fake.set_online(ZIGBEE, False)
    backend = _backend(api, hass, fake, ZIGBEE, delivery_timeout=0.3)
    with pytest.raises(LockTimeoutError, match="did not confirm"):
        await backend.create_credential(_request(pin="482913"))
    fake.set_online(ZIGBEE, True)
    created = await backend.create_credential(_request(pin="482913"))
    assert list(fake.passwords[ZIGBEE]) == [int(created.lock_pin_id)]


async def test_bluetooth_behind_a_gateway(
    api: Api, hass: HomeAssistant, fake: FakeTuyaCloud
) -> None:
    """A Bluetooth lock takes 6 digits; phase 7 (failed to be sent) is a refusal."""
    fake.add_device(BLE, kind="ble")
    backend = _backend(api, hass, fake, BLE)
    created = await backend.create_credential(_request(pin="482913"))
    assert [pin.lock_pin_id for pin in await backend.list_credentials()] == [created.lock_pin_id]
    fake.devices[BLE].unreachable = True
    fake.set_online(BLE, False)
    fake.set_online(BLE, True)  # the gateway tries, and fails, as soon as the lock is due
    fake.devices[BLE].online = True
    with pytest.raises(LockRejectedError, match="gateway could not send"):
        await backend.create_credential(_request(ref=2, pin="482914"))
    assert len(await backend.list_credentials()) == 1  # the failed one is not on the lock


# -- 3. phase per protocol ------------------------------------------------------------------


async def test_list_reads_each_protocols_phase(
    api: Api, hass: HomeAssistant, fake: FakeTuyaCloud
) -> None:
    """A deleted Zigbee password (phase 4) and a Wi-Fi one being deleted (3) are not held."""
    zigbee = _backend(api, hass, fake, ZIGBEE)
    first = await zigbee.create_credential(_request(pin="482913"))
    second = await zigbee.create_credential(_request(ref=2, pin="482914"))
    await zigbee.delete_credential(first.lock_pin_id, ref=1)
    assert fake.passwords[ZIGBEE][int(first.lock_pin_id)].phase == 4
    assert [pin.lock_pin_id for pin in await zigbee.list_credentials()] == [second.lock_pin_id]
    wifi = _backend(api, hass, fake)
    created = await wifi.create_credential(_request())
    fake.set_online(WIFI, False)
    await wifi.delete_credential(created.lock_pin_id, ref=1)
    assert fake.passwords[WIFI][int(created.lock_pin_id)].phase == 3
    assert await wifi.list_credentials() == []


# -- 4. error codes as documented -----------------------------------------------------------


async def test_not_supported_is_not_gone(
    api: Api, hass: HomeAssistant, fake: FakeTuyaCloud
) -> None:
    """2008 on a delete is a refusal: the PIN may still be on the lock, so never "done"."""
    backend = _backend(api, hass, fake)
    created = await backend.create_credential(_request())
    fake.inject_error(*tuya_cloud.COMMAND_NOT_SUPPORTED, path_prefix="/v1.0/devices")
    with pytest.raises(CloudUnsupportedError, match="2008"):
        await backend.delete_credential(created.lock_pin_id, ref=1)
    assert not fake.passwords[WIFI][int(created.lock_pin_id)].deleted


async def test_device_not_supported_is_not_auth(
    api: Api, hass: HomeAssistant, fake: FakeTuyaCloud
) -> None:
    """2009 says the device cannot do this; the credentials are fine and the token is kept."""
    backend = _backend(api, hass, fake)
    await backend.connect()
    fake.inject_error(*tuya_cloud.DEVICE_NOT_SUPPORTED, path_prefix="/v1.0/devices")
    with pytest.raises(CloudUnsupportedError) as caught:
        await backend.status()
    assert not isinstance(caught.value, LockAuthError)
    await backend.status()
    assert [path for _, path in fake.requests].count("/v1.0/token") == 1


async def test_offline_and_permission(api: Api, hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """2001 is an offline lock; 1106 a device the project may not manage."""
    backend = _backend(api, hass, fake)
    fake.inject_error(*tuya_cloud.DEVICE_OFFLINE, path_prefix="/v1.0/devices")
    with pytest.raises(LockOfflineError, match="2001"):
        await backend.status()
    with pytest.raises(LockAuthError, match="1106"):
        await _backend(api, hass, fake, "stranger").connect()


# -- issue 9 case 6: a lost answer never makes a twin ---------------------------------------


@pytest.mark.parametrize(("device", "pin"), [(WIFI, "4829131"), (ZIGBEE, "482913")])
async def test_lost_answer_makes_no_twin(
    api: Api, hass: HomeAssistant, fake: FakeTuyaCloud, device: str, pin: str
) -> None:
    """Tuya stored the password but the answer was lost: the retry adopts it."""
    backend = _backend(api, hass, fake, device)
    fake.lose_replies(path_prefix=f"/v1.0/devices/{device}/door-lock/temp-password", method="POST")
    with pytest.raises(LockOfflineError):
        await backend.create_credential(_request(pin=pin))
    [stored] = fake.passwords[device].values()
    created = await backend.create_credential(_request(pin=pin))
    assert created.lock_pin_id == str(stored.id)
    assert list(fake.passwords[device]) == [stored.id]
    assert _posts(fake, "/temp-password") == 1
    await backend.delete_credential(created.lock_pin_id, ref=1)
    assert fake.live(device) == []  # nothing left behind on the lock


async def test_other_windows_and_refs_are_not_adopted(
    api: Api, hass: HomeAssistant, fake: FakeTuyaCloud
) -> None:
    """Only our reference with the same window is "ours again"; a new window is a new PIN."""
    backend = _backend(api, hass, fake)
    first = await backend.create_credential(_request())
    moved = CredentialWindow(starts=WINDOW.starts + HOUR, ends=WINDOW.ends + HOUR)
    await backend.delete_credential(first.lock_pin_id, ref=1)
    again = await backend.create_credential(_request(window=moved))
    assert again.lock_pin_id != first.lock_pin_id
    other = await backend.create_credential(_request(ref=2, pin="4829132"))
    assert other.lock_pin_id not in (first.lock_pin_id, again.lock_pin_id)


# -- 5. offline passwords ---------------------------------------------------------------------


async def test_once_where_the_server_window_covers(
    api: Api, hass: HomeAssistant, fake: FakeTuyaCloud
) -> None:
    """A `once` request within this hour to +6 h is a `once` password over the server's hours."""
    backend = _backend(api, hass, fake, offline_passwords=True)
    window = CredentialWindow(starts=NOW + HOUR, ends=NOW + 3 * HOUR)
    created = await backend.create_credential(_request(pin="0", window=window, once=True))
    assert isinstance(created, OfflineCreatedCredential)
    assert (created.kind, created.activate_by) == ("once", None)
    assert created.window == CredentialWindow(starts=NOW, ends=NOW + 6 * HOUR)
    [stored] = fake.offline_passwords[WIFI].values()
    assert stored.type == "once"


async def test_multiple_elsewhere_with_its_deadline(
    api: Api, hass: HomeAssistant, fake: FakeTuyaCloud
) -> None:
    """Beyond the `once` window, a `multiple` covers the stay and must be used within 24 h."""
    backend = _backend(api, hass, fake, offline_passwords=True)
    late = STARTS + timedelta(hours=30, minutes=10)
    window = CredentialWindow(starts=STARTS + timedelta(minutes=20), ends=late)
    created = await backend.create_credential(_request(pin="0", window=window, once=True))
    assert isinstance(created, OfflineCreatedCredential)
    assert created.kind == "multiple"
    assert created.window == CredentialWindow(starts=STARTS, ends=STARTS + timedelta(hours=31))
    assert created.activate_by == STARTS + timedelta(hours=24)
    [stored] = fake.offline_passwords[WIFI].values()
    assert (stored.type, stored.pin) == ("multiple", created.pin)


async def test_offline_answer_checked(api: Api, hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """An offline answer without a usable code or window is refused, not trusted."""
    backend = _backend(api, hass, fake, offline_passwords=True)
    fake.inject_error(1111, "system is busy, please retry later", path_prefix="/v1.1")
    with pytest.raises(LockRejectedError, match="1111"):
        await backend.create_credential(_request(pin="0"))


# -- issue 9 case 7: an offline PIN is never reported revoked while it still works ----------


async def test_offline_revoke_is_truthful(
    api: Api, hass: HomeAssistant, fake: FakeTuyaCloud, clock: Clock
) -> None:
    """Before its end the PIN still works: say until when, with a clear code; after, done."""
    backend = _backend(api, hass, fake, offline_passwords=True)
    window = CredentialWindow(starts=STARTS, ends=STARTS + timedelta(hours=5, minutes=10))
    created = await backend.create_credential(_request(pin="0", window=window))
    with pytest.raises(OfflineCredentialStillValidError) as caught:
        await backend.delete_credential(created.lock_pin_id, ref=1)
    assert caught.value.until == STARTS + 6 * HOUR
    clears = [p for p in fake.offline_passwords[WIFI].values() if p.type == "clear_one"]
    assert [(p.pin, str(p.target)) for p in clears] == [
        (caught.value.clear_code, created.lock_pin_id.split(":")[1])
    ]
    with pytest.raises(OfflineCredentialStillValidError) as again:
        await backend.delete_credential(created.lock_pin_id, ref=1)
    assert again.value.clear_code == caught.value.clear_code  # one clear code, not one a try
    assert _posts(fake, "/offline-temp-password") == 2
    clock.tick(8 * 3600 + 60)  # past the whole-hour end
    await backend.delete_credential(created.lock_pin_id, ref=1)


async def test_offline_revoke_without_known_end(
    api: Api, hass: HomeAssistant, fake: FakeTuyaCloud
) -> None:
    """An id from before ends were kept: still not "done"; no clear code for an unknown id."""
    backend = _backend(api, hass, fake, offline_passwords=True)
    with pytest.raises(OfflineCredentialStillValidError) as caught:
        await backend.delete_credential("offline:1234", ref=1)
    assert (caught.value.until, caught.value.clear_code) == (None, None)


async def test_lost_delete_answer(api: Api, hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """A delete whose answer was lost is done: the retry finds the password gone."""
    backend = _backend(api, hass, fake)
    created = await backend.create_credential(_request())
    fake.lose_replies(path_prefix=f"/v1.0/devices/{WIFI}/door-lock", method="DELETE")
    try:
        await backend.delete_credential(created.lock_pin_id, ref=1)
    except LockOfflineError:
        await backend.delete_credential(created.lock_pin_id, ref=1)
    assert fake.live(WIFI) == []
