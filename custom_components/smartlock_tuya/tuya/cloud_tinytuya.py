"""Tuya OpenAPI through `tinytuya.Cloud`, for callers that inject no aiohttp session.

tinytuya is synchronous (`requests`, no timeout of its own), so every call runs through
`run_blocking` (Home Assistant's executor) and is abandoned after `timeout`; the thread may
still wait on the network after that, which is why `cloud_client` exists.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import tinytuya

from .errors import LockAuthError, LockOfflineError

type RunBlocking = Callable[[Callable[[], Any]], Awaitable[Any]]


async def to_thread(function: Callable[[], Any]) -> Any:
    """Run blocking work in a thread when no executor is given."""
    return await asyncio.to_thread(function)


class TinytuyaTransport:
    """One Tuya cloud project's API through tinytuya, with the same face as `CloudClient`."""

    def __init__(
        self,
        *,
        region: str,
        access_id: str,
        access_secret: str,
        device_id: str,
        api_host: str | None,
        run_blocking: RunBlocking,
        timeout: float,
    ) -> None:
        """Describe the project; nothing is sent until the first request."""
        self._region = region
        self._access_id = access_id
        self._secret = access_secret
        self._device_id = device_id
        self._api_host = api_host
        self._run = run_blocking
        self._timeout = timeout
        self._cloud: Any = None

    def forget_token(self) -> None:
        """Make the next request start over with a new client and token."""
        self._cloud = None

    async def ensure_token(self) -> Any:
        """A tinytuya client holding a token; raise if the cloud refuses or stays silent."""
        if self._cloud is None:
            try:
                cloud = await asyncio.wait_for(self._run(self._make_cloud), self._timeout)
            except TimeoutError as err:
                raise LockOfflineError("Tuya Cloud did not answer") from err
            if cloud is None:
                raise LockOfflineError("cannot reach Tuya Cloud")
            if cloud.error or not cloud.token:
                raise LockAuthError("Tuya Cloud refused the access id and secret")
            self._cloud = cloud
        return self._cloud

    def _make_cloud(self) -> Any:
        # A placeholder token stops the constructor from fetching one from the region's
        # host before `api_host` can be applied; the real token is fetched right after.
        cloud = tinytuya.Cloud(
            apiRegion=self._region,
            apiKey=self._access_id,
            apiSecret=self._secret,
            apiDeviceID=self._device_id,
            initial_token="pending",  # noqa: S106 - not a credential
        )
        if self._api_host:
            cloud.urlhost = self._api_host
        try:
            cloud._gettoken()  # noqa: SLF001 - tinytuya has no public way to defer the token
        except OSError:  # requests' errors are OSErrors: nothing answered
            return None
        return cloud

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Tuya's answer to one call (tinytuya renews a stale token by itself)."""
        cloud = await self.ensure_token()
        try:
            answer = await asyncio.wait_for(
                self._run(lambda: cloud.cloudrequest(path, action=method, post=body)),
                self._timeout,
            )
        except (OSError, TimeoutError) as err:  # requests' errors are OSErrors
            raise LockOfflineError(f"cannot reach Tuya Cloud: {type(err).__name__}") from err
        if not isinstance(answer, dict) or "Err" in answer:
            # No answer (a token renewal failed) or not JSON: start over with a new token.
            self._cloud = None
            raise LockOfflineError("Tuya Cloud did not answer usably")
        return answer
