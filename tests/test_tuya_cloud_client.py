"""Our aiohttp Tuya client against the HTTPS fake, which checks signatures independently."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
import hashlib
import hmac
import ssl

import aiohttp
from homeassistant.core import HomeAssistant
import pytest

from custom_components.smartlock_tuya.tuya import CloudBackend, LockAuthError, LockOfflineError
from custom_components.smartlock_tuya.tuya.cloud_client import (
    REGION_HOSTS,
    CloudClient,
    sign_request,
)
from simulators.tuya_cloud import FakeTuyaCloud

from .conftest import CLOUD_ACCESS_ID, CLOUD_SECRET, WIFI, Clock


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain aiohttp session, as Home Assistant would inject."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def context(hass: HomeAssistant, fake: FakeTuyaCloud) -> ssl.SSLContext:
    """Trust for the fake's self-signed certificate (file reads: in the executor)."""
    create = partial(ssl.create_default_context, cafile=fake.ca_file)
    result: ssl.SSLContext = await hass.async_add_executor_job(create)
    return result


def _client(
    fake: FakeTuyaCloud,
    session: aiohttp.ClientSession,
    context: ssl.SSLContext | None,
    *,
    secret: str = CLOUD_SECRET,
    timeout: float = 5.0,
) -> CloudClient:
    return CloudClient(
        session=session,
        host=fake.host,
        access_id=CLOUD_ACCESS_ID,
        access_secret=secret,
        timeout=timeout,
        ssl_context=context,
    )


def test_signature_as_tuya_documents() -> None:
    """client_id + token + t + nonce + method, body hash, no headers, URL; upper-case hex."""
    body = b'{"a":1}'
    expected_text = (
        f"idtok1588925778000n0nceGET\n{hashlib.sha256(body).hexdigest()}\n\n/v1.0/x?a=1&b=2"
    )
    expected = hmac.new(b"s" * 32, expected_text.encode(), hashlib.sha256).hexdigest().upper()
    assert (
        sign_request(
            access_id="id",
            secret="s" * 32,
            token="tok",
            stamp="1588925778000",
            nonce="n0nce",
            method="GET",
            url="/v1.0/x?a=1&b=2",
            body=body,
        )
        == expected
    )
    assert set(REGION_HOSTS) == {"us", "us-e", "eu", "eu-w", "in", "cn", "sg"}


async def test_signed_calls_and_token_renewal(
    fake: FakeTuyaCloud, session: aiohttp.ClientSession, context: ssl.SSLContext, clock: Clock
) -> None:
    """Tokens are fetched once, renewed when Tuya calls them stale, and queries sign sorted."""
    client = _client(fake, session, context)
    answer = await client.request("GET", f"/v1.0/devices/{WIFI}/door-lock/temp-passwords")
    assert answer["success"], answer
    sorted_query = f"/v1.0/devices/{WIFI}/door-lock/temp-passwords?valid=true&a=b"
    assert (await client.request("GET", sorted_query))["success"]

    def tokens(path: str) -> int:
        return [p for _, p in fake.requests].count(path)

    assert tokens("/v1.0/token") == 1
    fake.revoke_tokens()
    assert (await client.request("GET", f"/v1.0/devices/{WIFI}/status"))["success"]
    assert tokens("/v1.0/token") == 2
    clock.tick(7200)  # the token's lifetime: renewed before it is used again
    assert (await client.request("GET", f"/v1.0/devices/{WIFI}/status"))["success"]
    assert tokens("/v1.0/token") == 3


async def test_wrong_secret_is_auth(
    fake: FakeTuyaCloud, session: aiohttp.ClientSession, context: ssl.SSLContext
) -> None:
    """A token request the cloud cannot verify is refused as an authentication error."""
    client = _client(fake, session, context, secret="x" * 32)
    with pytest.raises(LockAuthError, match="sign invalid"):
        await client.ensure_token()


async def test_unusable_answers_are_offline(
    fake: FakeTuyaCloud, session: aiohttp.ClientSession, context: ssl.SSLContext
) -> None:
    """An HTML error page or a dead cloud: "offline", no crash."""
    client = _client(fake, session, context)
    fake.inject_http_status(502)
    with pytest.raises(LockOfflineError, match="usably"):
        await client.ensure_token()
    await fake.stop()
    with pytest.raises(LockOfflineError, match="cannot reach"):
        await client.ensure_token()


async def test_backend_on_the_loop(
    hass: HomeAssistant,
    fake: FakeTuyaCloud,
    session: aiohttp.ClientSession,
    context: ssl.SSLContext,
) -> None:
    """With a session the backend never uses the executor; a wrong secret is auth."""

    async def forbidden(function: object) -> None:
        raise AssertionError("the executor was used")

    backend = CloudBackend(
        device_id=WIFI,
        region="eu",
        access_id=CLOUD_ACCESS_ID,
        access_secret=CLOUD_SECRET,
        run_blocking=forbidden,
        session=session,
        ssl_context=context,
        api_host=fake.host,
    )
    assert (await backend.connect()).model == "wifi lock"
    assert (await backend.status()).battery == 80
    await backend.close()
    wrong = CloudBackend(
        device_id=WIFI,
        region="eu",
        access_id=CLOUD_ACCESS_ID,
        access_secret="y" * 32,
        session=session,
        ssl_context=context,
        api_host=fake.host,
    )
    with pytest.raises(LockAuthError):
        await wrong.connect()
