"""The cloud backend through the real tinytuya.Cloud against the fake Tuya Cloud."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

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
    UnsupportedOperationError,
)
from custom_components.smartlock_tuya.tuya.cloud import our_name, ref_of
from custom_components.smartlock_tuya.tuya.cloud_crypto import decrypt_ticket_key, encrypt_pin
from custom_components.smartlock_tuya.tuya.cloud_rules import read_offline_code
from custom_components.smartlock_tuya.tuya.errors import CodecError
from simulators.tuya_cloud import FakeTuyaCloud, aes_decrypt, aes_encrypt

from .conftest import CLOUD_ACCESS_ID, CLOUD_SECRET, WIFI, ZIGBEE

STARTS = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
WINDOW = CredentialWindow(starts=STARTS, ends=STARTS + timedelta(days=3))


def _backend(
    hass: HomeAssistant, fake: FakeTuyaCloud, device: str = WIFI, **kwargs: object
) -> CloudBackend:
    return CloudBackend(
        device_id=device,
        region="us",
        access_id=kwargs.pop("access_id", CLOUD_ACCESS_ID),  # type: ignore[arg-type]
        access_secret=kwargs.pop("access_secret", CLOUD_SECRET),  # type: ignore[arg-type]
        run_blocking=hass.async_add_executor_job,
        api_host=fake.host,
        **kwargs,  # type: ignore[arg-type]
    )


def _request(ref: int = 1, pin: str = "4829131", name: str = "Maria") -> CredentialRequest:
    return CredentialRequest(ref=ref, pin=pin, window=WINDOW, name=name)


def test_ticket_crypto_against_an_independent_implementation() -> None:
    """Our AES (cryptography) and the fake's agree on ticket keys and PINs, byte for byte."""
    key = b"K3yOfSixteenByte"
    ticket = aes_encrypt(CLOUD_SECRET.encode(), key).hex().upper()
    assert decrypt_ticket_key(ticket, CLOUD_SECRET) == key
    assert aes_decrypt(key, bytes.fromhex(encrypt_pin("4829131", key))) == b"4829131"
    with pytest.raises(CodecError):
        decrypt_ticket_key("zz", CLOUD_SECRET)
    with pytest.raises(CodecError):
        decrypt_ticket_key(ticket, "short")
    with pytest.raises(CodecError):
        decrypt_ticket_key(aes_encrypt(CLOUD_SECRET.encode(), b"8 bytes!").hex(), CLOUD_SECRET)


def test_names_mark_our_passwords() -> None:
    """Our passwords carry our prefix and reference; anything else is not ours."""
    assert our_name(42, "Maria Silva") == "SLT00042 Maria Silva"
    assert ref_of("SLT00042 Maria Silva") == 42
    assert ref_of("Cleaner") is None
    assert len(our_name(1, "x" * 60)) == 32


async def test_create_list_delete(hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """The PIN reaches the cloud encrypted, is listed as ours, and goes on delete."""
    backend = _backend(hass, fake)
    await backend.connect()
    created = await backend.create_credential(_request())
    stored = fake.passwords[WIFI][int(created.lock_pin_id)]
    assert stored.pin == "4829131"  # decrypted by the fake with its own code
    assert (stored.effective_time, stored.invalid_time) == (WINDOW.start_ts, WINDOW.end_ts)
    assert created.pin is None

    [pin] = await backend.list_credentials()
    assert pin.lock_pin_id == created.lock_pin_id
    assert pin.window == WINDOW

    await backend.delete_credential(created.lock_pin_id, ref=1)
    assert stored.deleted
    assert await backend.list_credentials() == []
    await backend.delete_credential(created.lock_pin_id, ref=1)  # already gone: still fine
    await backend.close()


async def test_foreign_passwords_are_not_listed(hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """Passwords someone else made in the Tuya app are invisible to us."""
    backend = _backend(hass, fake)
    await backend.create_credential(_request())
    fake.passwords[WIFI][999] = type(next(iter(fake.passwords[WIFI].values())))(
        id=999,
        pin="1111111",
        name="Cleaner",
        effective_time=1,
        invalid_time=2,
        type=0,
        phase=2,
        phone=None,
        deleted=False,
    )
    assert [pin.name for pin in await backend.list_credentials()] == ["SLT00001 Maria"]


async def test_status(hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """Battery and lock state come from the device's status codes."""
    fake.devices[WIFI].battery = 41
    backend = _backend(hass, fake)
    info = await backend.connect()
    status = await backend.status()
    assert info.model == "wifi lock"
    assert (status.battery, status.locked) == (41, True)
    assert status.dps["lock_motor_state"] is False  # Tuya's DP 47: true means unlocked
    fake.devices[WIFI].locked = False
    assert (await backend.status()).locked is False
    assert backend.available


async def test_zigbee_pin_length(hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """A Zigbee lock takes exactly 6 digits; 7 is refused before anything is sent."""
    backend = _backend(hass, fake, ZIGBEE)
    with pytest.raises(InvalidPinError, match="exactly 6 digits"):
        await backend.create_credential(_request(pin="4829131"))
    assert not [path for _, path in fake.requests if path.endswith("temp-password")]
    created = await backend.create_credential(_request(pin="482913"))
    assert fake.passwords[ZIGBEE][int(created.lock_pin_id)].pin == "482913"


async def test_wrong_secret(hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """A wrong secret is an auth error, and the next call starts over with a new token."""
    backend = _backend(hass, fake, access_secret="f" * 32)
    with pytest.raises(LockAuthError):
        await backend.connect()
    with pytest.raises(LockAuthError):
        await _backend(hass, fake, access_id="someone-else").connect()


async def test_unknown_device(hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """A device outside the project is refused as an auth problem."""
    with pytest.raises(LockAuthError, match="permission"):
        await _backend(hass, fake, "not-in-project").connect()


async def test_errors_mapped(hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """Cloud errors become typed errors; the backend keeps working afterwards."""
    backend = _backend(hass, fake)
    await backend.connect()
    fake.capacity = 1
    await backend.create_credential(_request(ref=1))
    with pytest.raises(LockFullError):
        await backend.create_credential(_request(ref=2, pin="4829132"))
    fake.capacity = 50

    fake.inject_error(2001, "device is offline", path_prefix="/v1.0/devices")
    with pytest.raises(LockOfflineError):
        await backend.status()
    fake.inject_error(1234, "strange", path_prefix="/v1.0/devices")
    with pytest.raises(LockRejectedError, match="1234"):
        await backend.status()

    fake.inject_http_status(500)
    with pytest.raises(LockOfflineError, match="usably"):
        await backend.status()
    assert not backend.available
    assert (await backend.status()).battery == 80  # a new token, and on it goes
    assert backend.available


async def test_expired_token_renewed(hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """A revoked token is renewed transparently by the client."""
    backend = _backend(hass, fake)
    await backend.connect()
    fake.revoke_tokens()
    assert (await backend.status()).locked is True


async def test_cloud_unreachable(hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """A cloud that does not answer is "offline", not a crash."""
    backend = _backend(hass, fake)
    await fake.stop()
    with pytest.raises(LockOfflineError):
        await backend.connect()


async def test_offline_passwords(hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """Offline mode: Tuya picks the PIN, for whole hours around the window."""
    backend = _backend(hass, fake, offline_passwords=True)
    window = CredentialWindow(
        starts=STARTS + timedelta(minutes=20), ends=STARTS + timedelta(hours=5, minutes=10)
    )
    created = await backend.create_credential(
        CredentialRequest(ref=3, pin="0", window=window, name="Ana")
    )
    assert created.lock_pin_id.startswith("offline:")
    [offline] = fake.offline_passwords[WIFI].values()
    assert created.pin == offline.pin
    assert offline.effective_time == int(STARTS.timestamp())
    assert offline.invalid_time == int((STARTS + timedelta(hours=6)).timestamp())


async def test_unsupported_operations(hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """Lock control and in-place changes are not offered by the cloud backend."""
    backend = _backend(hass, fake)
    assert not backend.capabilities.lock_control
    for call in (backend.lock(), backend.unlock(), backend.modify_credential("1", _request())):
        with pytest.raises(UnsupportedOperationError):
            await call


def test_unknown_region() -> None:
    """Regions are a fixed set."""
    with pytest.raises(ValueError, match="region"):
        CloudBackend(device_id="x", region="mars", access_id="a", access_secret="b")


async def test_default_executor_and_stalled_cloud(fake: FakeTuyaCloud) -> None:
    """Without Home Assistant's executor a thread does the blocking; a stall is "offline"."""
    plain = CloudBackend(
        device_id=WIFI,
        region="us",
        access_id=CLOUD_ACCESS_ID,
        access_secret=CLOUD_SECRET,
        api_host=fake.host,
    )
    assert (await plain.status()).battery == 80

    async def stalled(function: object) -> None:
        await asyncio.sleep(1)

    slow = CloudBackend(
        device_id=WIFI,
        region="us",
        access_id=CLOUD_ACCESS_ID,
        access_secret=CLOUD_SECRET,
        api_host=fake.host,
        run_blocking=stalled,
        timeout=0.05,
    )
    with pytest.raises(LockOfflineError, match="did not answer"):
        await slow.connect()


def test_odd_offline_answers_refused() -> None:
    """An offline answer without a code, window or digits is not trusted."""
    good = {
        "offline_temp_password_id": "7",
        "offline_temp_password": "0123456789",
        "effective_time": 3600,
        "invalid_time": 7200,
    }
    assert read_offline_code(good).code == "0123456789"
    for odd in (None, {}, good | {"offline_temp_password": "12ab"}, good | {"invalid_time": 1}):
        with pytest.raises(LockRejectedError, match="oddly"):
            read_offline_code(odd)
