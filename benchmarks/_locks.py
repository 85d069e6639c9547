"""Simulated locks and LAN backends on loopback, shared by the lock benchmarks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from homeassistant.util import dt as dt_util

from custom_components.smartlock_tuya.tuya import (
    CredentialRequest,
    CredentialWindow,
    LanBackend,
    load_profiles,
)

KEY = "0123456789abcdef"
#: Home Assistant's default executor size (homeassistant/runner.py, MAX_EXECUTOR_WORKERS).
HA_EXECUTOR_WORKERS = 64
PROFILES = load_profiles()


def executor_runner(
    executor: ThreadPoolExecutor,
) -> Callable[[Callable[[], Any]], Awaitable[Any]]:
    """A `run_blocking` on `executor`, as `hass.async_add_executor_job` would be."""

    async def run(function: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(executor, function)

    return run


def backend(
    *,
    device_id: str,
    port: int,
    version: str,
    profile_id: str,
) -> LanBackend:
    """A LAN backend with the integration's default timeouts, version given.

    It runs on the event loop alone (no executor): each lock's connection is an asyncio
    protocol from the loop's shared pool, as in Home Assistant.
    """
    return LanBackend(
        device_id=device_id,
        host="127.0.0.1",
        port=port,
        local_key=KEY,
        profile=PROFILES[profile_id],
        version=version,
    )


def request(ref: int, pin: str) -> CredentialRequest:
    """A PIN open from an hour ago to three hours ahead."""
    now = dt_util.utcnow()
    window = CredentialWindow(starts=now - timedelta(hours=1), ends=now + timedelta(hours=3))
    return CredentialRequest(ref=ref, pin=pin, window=window, name="Maria")


def pin_for(number: int) -> str:
    """A distinct, non-trivial 6-digit PIN."""
    return f"{(number * 7919 + 104729) % 900000 + 100000:06d}"
