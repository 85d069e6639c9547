"""Builds each lock's backend from its subentry, and the PIN profiles it may use."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from homeassistant.core import HomeAssistant

from .const import (
    BACKEND_AUTO,
    BACKEND_CLOUD,
    CONF_BACKEND,
    CONF_CLOUD_ACCESS_ID,
    CONF_CLOUD_ACCESS_SECRET,
    CONF_CLOUD_OFFLINE,
    CONF_CLOUD_REGION,
    CONF_DEVICE_ID,
    CONF_GATEWAY_ID,
    CONF_HOST,
    CONF_LOCAL_KEY,
    CONF_NODE_ID,
    CONF_PROTOCOL_VERSION,
    LOGGER,
    MAX_PIN_LENGTH,
    MIN_PIN_LENGTH,
    PROFILES_FILE,
)
from .tuya import (
    DEFAULT_PORT,
    CloudBackend,
    LanBackend,
    LockAuthError,
    LockBackend,
    PinProfile,
    ProfileError,
    load_profiles,
    read_profiles,
)

#: Region -> API host overrides; empty means tinytuya's own host for the region.
CLOUD_API_HOSTS: Final[dict[str, str]] = {}


async def async_load_profiles(hass: HomeAssistant) -> dict[str, PinProfile]:
    """The shipped profiles plus the user's file, if any; a bad user file is logged and skipped."""
    return await hass.async_add_executor_job(_load_profiles, Path(hass.config.path(PROFILES_FILE)))


def _load_profiles(extra: Path) -> dict[str, PinProfile]:
    profiles = load_profiles()
    if extra.exists():
        try:
            profiles.update(read_profiles(extra))
        except ProfileError as err:
            LOGGER.error("Ignoring the PIN profiles in %s: %s", extra, err)
    return profiles


def uses_cloud(lock: Mapping[str, Any]) -> bool:
    """Whether a lock goes through Tuya Cloud: by choice, or `auto` without LAN details."""
    backend = lock.get(CONF_BACKEND, BACKEND_AUTO)
    if backend == BACKEND_CLOUD:
        return True
    return backend == BACKEND_AUTO and not (lock.get(CONF_HOST) and lock.get(CONF_LOCAL_KEY))


def build_backend(
    hass: HomeAssistant,
    account: Mapping[str, Any],
    lock: Mapping[str, Any],
    profile: PinProfile | None,
) -> LockBackend:
    """The backend a lock subentry asks for; raise `LockAuthError` if credentials are missing.

    A Cloud lock may have no profile (Tuya tells its PIN length); a LAN lock needs one.
    """
    if uses_cloud(lock):
        if not account.get(CONF_CLOUD_ACCESS_ID) or not account.get(CONF_CLOUD_ACCESS_SECRET):
            raise LockAuthError("this lock needs the account's Tuya Cloud credentials")
        region = account[CONF_CLOUD_REGION]
        return CloudBackend(
            device_id=lock[CONF_DEVICE_ID],
            region=region,
            access_id=account[CONF_CLOUD_ACCESS_ID],
            access_secret=account[CONF_CLOUD_ACCESS_SECRET],
            run_blocking=hass.async_add_executor_job,
            api_host=CLOUD_API_HOSTS.get(region),
            offline_passwords=bool(lock.get(CONF_CLOUD_OFFLINE, False)),
            pin_length=(
                (profile.pin_min, profile.pin_max)
                if profile is not None
                else (MIN_PIN_LENGTH, MAX_PIN_LENGTH)
            ),
        )
    if profile is None:
        raise ValueError("a lock on the local network needs a PIN profile")
    host, _, port = str(lock[CONF_HOST]).partition(":")
    gateway_id, node_id = lock.get(CONF_GATEWAY_ID) or None, lock.get(CONF_NODE_ID) or None
    if (gateway_id is None) != (node_id is None):
        raise LockAuthError("a lock behind a gateway needs both the gateway id and its node id")
    # Every lock on one host:port (the locks behind one gateway) shares one connection from
    # the event loop's pool; the last lock to close it closes the socket.
    return LanBackend(
        device_id=lock[CONF_DEVICE_ID],
        host=host,
        port=int(port) if port.isdigit() else DEFAULT_PORT,
        local_key=lock[CONF_LOCAL_KEY],
        profile=profile,
        version=lock.get(CONF_PROTOCOL_VERSION, BACKEND_AUTO),
        gateway_id=gateway_id,
        node_id=node_id,
    )
