"""Tuya OpenAPI over an injected aiohttp session, signed by our own code.

tinytuya's `Cloud` is synchronous (`requests`, no timeout): each call holds an executor
thread for as long as the network likes, and it logs headers and bodies at debug level. This
client runs on the event loop with a timeout per call and logs nothing of a request.

Signing follows Tuya's "Sign Requests" (developer.tuya.com/en/docs/iot/singnature?
id=Ka43a5mtx1gsc): `sign = HMAC-SHA256(client_id + access_token + t + nonce + stringToSign,
secret)` in upper-case hex, the token left out when asking for a token, and
`stringToSign` = method, body SHA-256, signed headers, and URL with its query sorted, one
per line.
Region hosts are Tuya's data centres as tinytuya names them (`tinytuya/Cloud.py`,
`setregion`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import time
from typing import Any, Final
import uuid

import aiohttp

from .cloud_rules import cloud_error
from .errors import LockOfflineError

REGION_HOSTS: Final = {
    "us": "openapi.tuyaus.com",
    "us-e": "openapi-ueaz.tuyaus.com",
    "eu": "openapi.tuyaeu.com",
    "eu-w": "openapi-weaz.tuyaeu.com",
    "in": "openapi.tuyain.com",
    "cn": "openapi.tuyacn.com",
    "sg": "openapi-sg.iotbing.com",
}
TOKEN_PATH: Final = "/v1.0/token?grant_type=1"  # noqa: S105 - a URL path, not a secret
#: Tuya's "token is expired", "token invalid", "token status is invalid": fetch a new one.
_STALE_TOKEN: Final = frozenset({1010, 1011, 1012})
_RENEW_EARLY: Final = 60.0


def sign_request(
    *,
    access_id: str,
    secret: str,
    token: str,
    stamp: str,
    nonce: str,
    method: str,
    url: str,
    body: bytes,
) -> str:
    """Tuya's request signature; `url` is the path with its query already sorted."""
    digest = hashlib.sha256(body).hexdigest()
    string_to_sign = f"{method}\n{digest}\n\n{url}"
    message = f"{access_id}{token}{stamp}{nonce}{string_to_sign}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest().upper()


class CloudClient:
    """One Tuya cloud project's API, with its token renewed when Tuya says it is stale."""

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        host: str,
        access_id: str,
        access_secret: str,
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """Describe the project; nothing is sent until the first request."""
        self._session = session
        self._base = f"https://{host}"
        self._access_id = access_id
        self._secret = access_secret
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._token: str | None = None
        self._token_until = 0.0

    def forget_token(self) -> None:
        """Make the next request fetch a new token (to prove the credentials again)."""
        self._token = None

    async def ensure_token(self) -> str:
        """A live access token, fetched when missing or about to expire."""
        if self._token is None or time.monotonic() >= self._token_until:
            answer = await self._send("GET", TOKEN_PATH, None, token="")
            result = answer.get("result")
            if not answer.get("success") or not isinstance(result, dict):
                raise cloud_error(answer)
            lifetime = result.get("expire_time")
            lifetime = lifetime if isinstance(lifetime, int) else 0
            self._token = str(result.get("access_token") or "")
            self._token_until = time.monotonic() + max(lifetime - _RENEW_EARLY, 0.0)
        return self._token

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Tuya's answer to one call; a stale token is renewed and the call sent once more."""
        answer = await self._send(method, path, body, token=await self.ensure_token())
        if not answer.get("success") and answer.get("code") in _STALE_TOKEN:
            self._token = None
            answer = await self._send(method, path, body, token=await self.ensure_token())
        return answer

    async def _send(
        self, method: str, path: str, body: dict[str, Any] | None, *, token: str
    ) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else b""
        stamp, nonce = str(int(time.time() * 1000)), uuid.uuid4().hex
        headers = {
            "client_id": self._access_id,
            "t": stamp,
            "nonce": nonce,
            "sign_method": "HMAC-SHA256",
            "sign": sign_request(
                access_id=self._access_id,
                secret=self._secret,
                token=token,
                stamp=stamp,
                nonce=nonce,
                method=method,
                url=_sorted_query(path),
                body=data,
            ),
        }
        if token:
            headers["access_token"] = token
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(
                method,
                self._base + path,
                data=data or None,
                headers=headers,
                timeout=self._timeout,
                ssl=self._ssl,
            ) as response:
                text = await response.text()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise LockOfflineError(f"cannot reach Tuya Cloud: {type(err).__name__}") from err
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise LockOfflineError("Tuya Cloud did not answer usably")
        return answer


def _sorted_query(path: str) -> str:
    """The path with its query parameters in key order, as Tuya signs it."""
    base, _, query = path.partition("?")
    if not query:
        return base
    return base + "?" + "&".join(sorted(query.split("&")))
