"""The fake Tuya Cloud, driven by the real tinytuya.Cloud over HTTPS on loopback.

tinytuya makes blocking ``requests`` calls, so every call runs in Home Assistant's executor.
"""

from __future__ import annotations

from functools import partial
import hashlib
import hmac
import json
from pathlib import Path
import ssl
from typing import Any

import aiohttp
from homeassistant.core import HomeAssistant
import pytest
import tinytuya

from simulators import tuya_cloud
from simulators.tuya_cloud import FakeTuyaCloud

from .conftest import CLOUD_ACCESS_ID as ACCESS_ID, CLOUD_SECRET as SECRET, WIFI, ZIGBEE, Clock

LOCK = f"/v1.0/devices/{WIFI}/door-lock"
NOW = 1773154800  # conftest's NOW, 2026-03-10 15:00 UTC, a whole hour
DAY = 86400


def _connect(fake: FakeTuyaCloud, *, key: str = ACCESS_ID, secret: str = SECRET) -> Any:
    """A real tinytuya client that asks the fake, never Tuya, for its first token.

    ``Cloud.__init__`` fetches a token from the region's real host unless it is given a
    token, so it gets a placeholder; ``_gettoken()`` then runs once ``urlhost`` is ours.
    """
    cloud = tinytuya.Cloud(
        apiRegion="us", apiKey=key, apiSecret=secret, apiDeviceID=WIFI, initial_token="unused"
    )
    cloud.urlhost = fake.host
    cloud._gettoken()
    return cloud


@pytest.fixture
async def cloud(hass: HomeAssistant, fake: FakeTuyaCloud) -> Any:
    """A tinytuya client holding a token from the fake."""
    client = await hass.async_add_executor_job(_connect, fake)
    assert client.token
    return client


async def _call(hass: HomeAssistant, cloud: Any, url: str, **kwargs: Any) -> Any:
    return await hass.async_add_executor_job(partial(cloud.cloudrequest, url, **kwargs))


async def _ticket(hass: HomeAssistant, cloud: Any, device: str = WIFI) -> tuple[str, str]:
    """A ticket id and its key, decrypted as the integration must (AES-256 under the secret)."""
    reply = await _call(
        hass, cloud, f"/v1.0/devices/{device}/door-lock/password-ticket", action="POST"
    )
    assert reply["success"]
    assert reply["result"]["expire_time"] == 300
    cipher = tinytuya.AESCipher(SECRET.encode())
    raw = bytes.fromhex(reply["result"]["ticket_key"])
    key: str = cipher.decrypt(raw, use_base64=False, decode_text=True, verify_padding=True)
    return str(reply["result"]["ticket_id"]), key


def _encrypt(key: str, pin: str) -> str:
    encrypted: bytes = tinytuya.AESCipher(key.encode()).encrypt(pin.encode(), use_base64=False)
    return encrypted.hex()


async def _create(
    hass: HomeAssistant,
    cloud: Any,
    pin: str = "1234567",
    *,
    device: str = WIFI,
    start: int = NOW,
    end: int = NOW + DAY,
    upper: bool = False,
    **extra: Any,
) -> Any:
    ticket_id, key = await _ticket(hass, cloud, device)
    password = _encrypt(key, pin)
    body = {
        "name": "Maria",
        "password": password.upper() if upper else password,
        "effective_time": start,
        "invalid_time": end,
        "password_type": "ticket",
        "ticket_id": ticket_id,
        "type": 0,
        "time_zone": "America/Sao_Paulo",
    }
    return await _call(
        hass, cloud, f"/v1.0/devices/{device}/door-lock/temp-password", post=body | extra
    )


async def _list(hass: HomeAssistant, cloud: Any, device: str = WIFI, **query: str) -> Any:
    url = f"/v1.0/devices/{device}/door-lock/temp-passwords"
    reply = await _call(hass, cloud, url, query=query or None)
    assert reply["success"], reply
    return reply["result"]


def _code(reply: dict[str, Any], error: tuple[int, str]) -> bool:
    return reply["success"] is False and (reply["code"], reply["msg"]) == error


async def test_token_and_signature(
    hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any, resolved: list[Any]
) -> None:
    """The client gets a token over verified TLS on loopback and signed calls succeed."""
    assert fake.requests == [("GET", "/v1.0/token")]
    assert cloud.token in fake._tokens
    # A query is signed sorted and un-encoded, then sent encoded.
    assert await _list(hass, cloud, valid="true", other="a b") == []
    assert resolved
    assert set(resolved) == {"127.0.0.1"}


async def test_default_constructor_would_call_tuya(
    hass: HomeAssistant, fake: FakeTuyaCloud, resolved: list[Any]
) -> None:
    """Why ``_connect`` passes a token: without one, ``Cloud()`` calls the region's real host.

    The guard refuses that lookup, so nothing leaves the machine.
    """
    new_cloud = partial(tinytuya.Cloud, apiRegion="us", apiKey=ACCESS_ID, apiSecret=SECRET)
    with pytest.raises(OSError, match=r"openapi\.tuyaus\.com"):
        await hass.async_add_executor_job(new_cloud)
    assert set(resolved) == {"openapi.tuyaus.com"}
    resolved.clear()


async def test_wrong_secret_is_sign_invalid(hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """A token request signed with the wrong secret fails, and tinytuya stops there."""
    client = await hass.async_add_executor_job(partial(_connect, fake, secret="x" * 32))
    assert client.token is None
    assert "sign invalid" in client.error["Payload"]
    # Without a token tinytuya answers its stored error and sends nothing.
    assert await _call(hass, client, f"{LOCK}/temp-passwords") is client.error
    assert fake.requests == [("GET", "/v1.0/token")]


async def test_signature_covers_every_call(
    hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any
) -> None:
    """A tokened call signed with another secret fails too."""
    cloud.apiSecret = "y" * 32
    assert _code(await _call(hass, cloud, f"{LOCK}/temp-passwords"), tuya_cloud.SIGN_INVALID)


async def test_wrong_client_id(hass: HomeAssistant, fake: FakeTuyaCloud) -> None:
    """An unknown access id cannot get a token."""
    client = await hass.async_add_executor_job(partial(_connect, fake, key="someone-else"))
    assert client.token is None
    assert "clientId invalid" in client.error["Payload"]


async def test_missing_headers_and_bad_grant(
    hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any
) -> None:
    """Unsigned requests and unknown grant types get Tuya errors, with HTTP 200."""
    context = ssl.create_default_context(cafile=fake.ca_file)  # also strict X.509 checks
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"https://{fake.host}/v1.0/token?grant_type=1", ssl=context) as response,
    ):
        assert response.status == 200
        assert _code(await response.json(), tuya_cloud.MISSING_HEADER)
    cloud.token = None
    reply = await hass.async_add_executor_job(cloud._tuyaplatform, "token?grant_type=2")
    assert _code(reply, tuya_cloud.GRANT_TYPE_INVALID)


async def test_hand_signed_request_with_nonce(fake: FakeTuyaCloud, cloud: Any) -> None:
    """The sign covers a nonce when one is sent; a signed body that is not JSON is refused."""
    body, stamp, path = b"{not json", "1773154800000", f"{LOCK}/temp-password"
    string_to_sign = f"POST\n{hashlib.sha256(body).hexdigest()}\n\n{path}"
    message = f"{ACCESS_ID}{cloud.token}{stamp}n0nce{string_to_sign}".encode()
    sign = hmac.new(SECRET.encode(), message, hashlib.sha256).hexdigest().upper()
    headers = {"client_id": ACCESS_ID, "access_token": cloud.token, "t": stamp, "nonce": "n0nce"}
    context = ssl.create_default_context(cafile=fake.ca_file)
    async with aiohttp.ClientSession() as session:
        for signature, error in [
            (sign, tuya_cloud.PARAM_ILLEGAL),
            (sign.lower(), tuya_cloud.SIGN_INVALID),
        ]:
            url = f"https://{fake.host}{path}"
            async with session.post(
                url, data=body, headers=headers | {"sign": signature}, ssl=context
            ) as response:
                assert _code(await response.json(), error)


async def test_expired_token_is_renewed(
    hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any, clock: Clock
) -> None:
    """After 2 hours the token is invalid; tinytuya renews it on the text and retries once."""
    old = cloud.token
    clock.tick(7201)
    assert await _list(hass, cloud) == []
    assert cloud.token != old
    assert [path for _, path in fake.requests].count("/v1.0/token") == 2
    fake.revoke_tokens()
    assert await _list(hass, cloud) == []
    assert [path for _, path in fake.requests].count("/v1.0/token") == 3


async def test_ticket_key_decrypts_with_the_secret(
    hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any
) -> None:
    """The ticket key is the fake's 16-character key under AES-256-ECB with the secret."""
    ticket_id, key = await _ticket(hass, cloud)
    assert key == fake.tickets[ticket_id]
    assert len(key) == 16
    assert key.isascii()
    assert key.isalnum()


@pytest.mark.parametrize("upper", [False, True])
async def test_create_list_delete(
    hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any, upper: bool
) -> None:
    """A PIN sent under a ticket is stored decrypted, listed without it, then deleted."""
    reply = await _create(hass, cloud, "7654321", upper=upper, phone="5511999990000")
    assert reply["success"], reply
    password_id = reply["result"]["id"]
    stored = fake.passwords[WIFI][password_id]
    assert (stored.pin, stored.phase, stored.deleted) == ("7654321", 2, False)
    listed = await _list(hass, cloud, valid="true")
    assert listed == [
        {
            "id": password_id,
            "name": "Maria",
            "effective_time": NOW,
            "invalid_time": NOW + DAY,
            "phase": 2,
            "phone": "5511999990000",
            "time_zone": "America/Sao_Paulo",
        }
    ]
    assert "7654321" not in json.dumps(await _list(hass, cloud))
    url = f"{LOCK}/temp-passwords/{password_id}"
    assert (await _call(hass, cloud, url, action="DELETE"))["result"] is True
    assert (stored.deleted, stored.phase) == (True, 0)
    assert await _list(hass, cloud, valid="true") == []
    assert [entry["id"] for entry in await _list(hass, cloud, valid="false")] == [password_id]
    assert _code(await _call(hass, cloud, url, action="DELETE"), tuya_cloud.DATA_NOT_EXIST)
    bad = f"{LOCK}/temp-passwords/abc"
    assert _code(await _call(hass, cloud, bad, action="DELETE"), tuya_cloud.DATA_NOT_EXIST)


async def test_offline_wifi_lock_catches_up(
    hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any
) -> None:
    """An offline Wi-Fi lock keeps new passwords "to be sent" and deletions "to be deleted"."""
    fake.set_online(WIFI, False)
    password_id = (await _create(hass, cloud))["result"]["id"]
    assert [entry["phase"] for entry in await _list(hass, cloud)] == [1]
    fake.set_online(WIFI, True)
    assert fake.passwords[WIFI][password_id].phase == 2
    fake.set_online(WIFI, False)
    await _call(hass, cloud, f"{LOCK}/temp-passwords/{password_id}", action="DELETE")
    assert [entry["phase"] for entry in await _list(hass, cloud)] == [3]
    fake.set_online(WIFI, True)
    assert [entry["phase"] for entry in await _list(hass, cloud)] == [0]


async def test_zigbee_lock(
    hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any, clock: Clock
) -> None:
    """Zigbee: 6 digits; "in progress" until the gateway answers; refusals per the lock."""
    fake.devices[ZIGBEE].delivery_delay = 5
    first = (await _create(hass, cloud, "123456", device=ZIGBEE))["result"]["id"]
    [entry] = await _list(hass, cloud, ZIGBEE)
    assert (entry["phase"], entry["delivery_status"]) == (1, 1)  # to be created, in progress
    clock.tick(10)  # a ticking clock's tick() counts from the frozen start
    [entry] = await _list(hass, cloud, ZIGBEE)
    assert (entry["phase"], entry["delivery_status"]) == (2, 2)  # normal, configured
    fake.devices[ZIGBEE].delivery_delay = 0
    overlap = await _create(hass, cloud, "123456", device=ZIGBEE, start=NOW + 3600)
    later = await _create(hass, cloud, "123456", device=ZIGBEE, start=NOW + DAY, end=NOW + 2 * DAY)
    fake.capacity = 1
    full = await _create(hass, cloud, "654321", device=ZIGBEE)
    fake.set_online(ZIGBEE, False)
    pending = await _create(hass, cloud, "111111", device=ZIGBEE)
    url = f"/v1.0/devices/{ZIGBEE}/door-lock/temp-password"
    statuses = {}
    for name, reply in [("overlap", overlap), ("later", later), ("full", full), ("p", pending)]:
        got = await _call(hass, cloud, f"{url}/{reply['result']['id']}")
        statuses[name] = (got["result"]["phase"], got["result"]["delivery_status"])
    assert statuses == {"overlap": (5, 6), "later": (5, 4), "full": (5, 5), "p": (1, 1)}
    fake.set_online(ZIGBEE, True)
    assert fake.passwords[ZIGBEE][pending["result"]["id"]].delivery_status == 3 + 2  # full
    reply = await _call(hass, cloud, f"/v1.0/devices/{ZIGBEE}/door-lock/temp-passwords/{first}",
                        action="DELETE")  # fmt: skip
    assert reply["result"] is True
    assert fake.passwords[ZIGBEE][first].phase == 4  # Zigbee "deleted"
    too_long = await _create(hass, cloud, "1234567", device=ZIGBEE)
    assert _code(too_long, tuya_cloud.PASSWORD_LENGTH_INVALID)
    assert _code(await _call(hass, cloud, f"{url}/999"), tuya_cloud.DATA_NOT_EXIST)


async def test_bluetooth_lock(hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any) -> None:
    """A Bluetooth lock behind a gateway: 6 digits, phase 7 when the gateway cannot reach it."""
    fake.add_device("ble-1", kind="ble", online=False).unreachable = True
    created = await _create(hass, cloud, "123456", device="ble-1")
    fake.set_online("ble-1", True)
    assert fake.passwords["ble-1"][created["result"]["id"]].phase == 7
    [entry] = await _list(hass, cloud, "ble-1")
    assert "delivery_status" not in entry


async def test_device_details(hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any) -> None:
    """Device details say whether a lock sits behind a gateway; status says true = unlocked."""
    wifi = (await _call(hass, cloud, f"/v1.0/devices/{WIFI}"))["result"]
    zigbee = (await _call(hass, cloud, f"/v1.0/devices/{ZIGBEE}"))["result"]
    assert (wifi["sub"], zigbee["sub"]) == (False, True)
    status = (await _call(hass, cloud, f"/v1.0/devices/{WIFI}/status"))["result"]
    assert {"code": "lock_motor_state", "value": False} in status  # locked


async def test_wifi_duplicate_pin(hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any) -> None:
    """A Wi-Fi lock's cloud refuses a PIN it already holds (Tuya's 2322)."""
    assert (await _create(hass, cloud, "7654321"))["success"]
    assert _code(await _create(hass, cloud, "7654321"), tuya_cloud.WIFI_PASSWORD_REPEATED)


async def test_lost_reply(hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any) -> None:
    """A lost answer: the password is stored, the client only sees the connection drop."""
    fake.lose_replies(path_prefix=f"{LOCK}/temp-password")
    with pytest.raises(OSError, match="Connection"):
        await _create(hass, cloud, "7654321")
    assert len(fake.passwords[WIFI]) == 1


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"password": "00" * 16}, tuya_cloud.PASSWORD_ENCRYPTION_ERROR),
        ({"password": "not hex at all!!" * 2}, tuya_cloud.PASSWORD_ENCRYPTION_ERROR),
        ({"ticket_id": "nope"}, tuya_cloud.TICKET_INVALID),
        ({"invalid_time": NOW}, tuya_cloud.PARAMS_RANGE_INVALID),
        ({"type": 2}, tuya_cloud.PARAMS_RANGE_INVALID),
        ({"name": None}, tuya_cloud.PARAM_ILLEGAL),
        ({"effective_time": "soon"}, tuya_cloud.PARAM_ILLEGAL),
        ({"password_type": "plain"}, tuya_cloud.PARAM_ILLEGAL),
        ({"phone": 5511999990000}, tuya_cloud.PARAM_ILLEGAL),
    ],
)
async def test_create_rejects(
    hass: HomeAssistant,
    fake: FakeTuyaCloud,
    cloud: Any,
    changes: dict[str, Any],
    error: tuple[int, str],
) -> None:
    """Each malformed creation gets its Tuya error and stores nothing."""
    assert _code(await _create(hass, cloud, **changes), error)
    assert fake.passwords[WIFI] == {}


async def test_create_rejects_by_state(
    hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any, clock: Clock
) -> None:
    """Wrong PIN length, non-digit PIN, another lock's or an expired ticket, a full lock."""
    assert _code(await _create(hass, cloud, "123456"), tuya_cloud.PASSWORD_LENGTH_INVALID)
    assert _code(await _create(hass, cloud, "12345a7"), tuya_cloud.PASSWORD_ENCRYPTION_ERROR)
    ticket_id, key = await _ticket(hass, cloud, ZIGBEE)
    body = {
        "name": "x",
        "password": _encrypt(key, "1234567"),
        "effective_time": NOW,
        "invalid_time": NOW + DAY,
        "password_type": "ticket",
        "ticket_id": ticket_id,
    }
    url = f"{LOCK}/temp-password"
    assert _code(await _call(hass, cloud, url, post=body), tuya_cloud.TICKET_INVALID)
    ticket_id, key = await _ticket(hass, cloud)
    body |= {"ticket_id": ticket_id, "password": _encrypt(key, "1234567")}
    clock.tick(301)
    assert _code(await _call(hass, cloud, url, post=body), tuya_cloud.TICKET_INVALID)
    fake.capacity = 1
    assert (await _create(hass, cloud))["success"]
    assert _code(await _create(hass, cloud, "7777777"), tuya_cloud.PASSWORD_FULL)
    unknown = "/v1.0/devices/stranger/door-lock/password-ticket"
    assert _code(await _call(hass, cloud, unknown, action="POST"), tuya_cloud.PERMISSION_DENY)
    assert _code(await _call(hass, cloud, url, post=["a list"]), tuya_cloud.PARAM_ILLEGAL)
    reply = await _call(hass, cloud, f"{LOCK}/temp-passwords", query={"valid": "maybe"})
    assert _code(reply, tuya_cloud.PARAM_ILLEGAL)
    assert _code(await _call(hass, cloud, f"{LOCK}/unknown"), tuya_cloud.URI_PATH_INVALID)


async def test_offline_passwords(hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any) -> None:
    """Offline windows are rounded down to whole hours; ``once`` ignores the window asked."""
    fake.set_online(WIFI, False)
    url = f"/v1.1/devices/{WIFI}/door-lock/offline-temp-password"
    window = {"effective_time": NOW + 60, "invalid_time": NOW + DAY + 59}
    reply = await _call(hass, cloud, url, post={"type": "multiple", "name": "Ana"} | window)
    result = reply["result"]
    assert result["offline_temp_password"].isdigit()
    assert result["offline_temp_password_name"] == "Ana"
    assert (result["effective_time"], result["invalid_time"]) == (NOW, NOW + DAY)
    stored = fake.offline_passwords[WIFI][int(result["offline_temp_password_id"])]
    assert (stored.pin, stored.effective_time) == (result["offline_temp_password"], NOW)
    asked = {"effective_time": NOW + DAY, "invalid_time": NOW + 2 * DAY}
    once = (await _call(hass, cloud, url, post={"type": "once"} | asked))["result"]
    assert (once["effective_time"], once["invalid_time"]) == (NOW, NOW + 6 * 3600)
    clear = {"type": "clear_one", "password_id": str(stored.id)}
    cleared = (await _call(hass, cloud, url, post=clear))["result"]
    assert cleared["invalid_time"] == NOW + DAY
    assert (
        fake.offline_passwords[WIFI][int(cleared["offline_temp_password_id"])].target == stored.id
    )
    for body, error in [
        ({"type": "multiple", "effective_time": NOW, "invalid_time": NOW + 59},
         tuya_cloud.PARAMS_RANGE_INVALID),
        ({"type": "multiple"}, tuya_cloud.PARAM_ILLEGAL),
        ({"type": "sometimes"}, tuya_cloud.PARAMS_RANGE_INVALID),
        ({"type": "clear_one", "password_id": 42}, tuya_cloud.DATA_NOT_EXIST),
    ]:  # fmt: skip
        assert _code(await _call(hass, cloud, url, post=body), error), body


async def test_injected_errors(hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any) -> None:
    """Injected Tuya errors hit matching paths only, for as many calls as asked."""
    fake.inject_error(1111, "system is busy, please retry later", count=2, path_prefix=LOCK)
    offline = f"/v1.1/devices/{WIFI}/door-lock/offline-temp-password"
    assert (await _call(hass, cloud, offline, post={"type": "once"}))["success"]
    for _ in range(2):
        assert _code(
            await _call(hass, cloud, f"{LOCK}/temp-passwords"),
            (1111, "system is busy, please retry later"),
        )
    assert await _list(hass, cloud) == []
    # An injected "token invalid" makes tinytuya renew its token and retry once.
    fake.inject_error(1010, "token invalid", path_prefix=LOCK)
    assert await _list(hass, cloud) == []
    assert [path for _, path in fake.requests].count("/v1.0/token") == 2


async def test_injected_http_status(hass: HomeAssistant, fake: FakeTuyaCloud, cloud: Any) -> None:
    """Tinytuya ignores HTTP statuses and reports a non-JSON body as an error dict."""
    fake.inject_http_status(500, count=2)
    for _ in range(2):
        reply = await _call(hass, cloud, f"{LOCK}/temp-passwords")
        assert reply["Err"] == "909"
        assert "invalid response" in reply["Payload"]
    assert await _list(hass, cloud) == []


async def test_lifecycle(hass: HomeAssistant, socket_enabled: None) -> None:
    """The secret must be an AES-256 key; a fake starts once; stop removes the certificate."""
    with pytest.raises(ValueError, match="32 characters"):
        FakeTuyaCloud(access_id=ACCESS_ID, access_secret="short")
    fake = FakeTuyaCloud(access_id=ACCESS_ID, access_secret=SECRET)
    await fake.start("localhost")
    assert fake.host.startswith("localhost:")
    with pytest.raises(RuntimeError, match="already started"):
        await fake.start()
    certificate = Path(fake.ca_file)
    assert await hass.async_add_executor_job(certificate.exists)
    await fake.stop()
    await fake.stop()
    assert not await hass.async_add_executor_job(certificate.exists)
