"""What Tuya Cloud says a lock is (category, specification codes), for auto-detection.

Asked where the account has Tuya Cloud credentials. Tuya's word outranks what the lock
reports on the LAN, but it is never required: a lock outside the project, a refusal or an
unreachable cloud leaves the decision to the lock's own report, and the log says why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.core import HomeAssistant

from .backends import build_backend
from .const import BACKEND_CLOUD, CONF_BACKEND, CONF_DEVICE_ID, LOGGER
from .tuya import CloudBackend, LockAuthError, LockError


@dataclass(frozen=True, kw_only=True)
class CloudFacts:
    """Tuya's category and DP codes of a device; empty when Tuya said nothing usable."""

    category: str | None = None
    codes: tuple[str, ...] = ()


async def async_describe(
    hass: HomeAssistant, account: Mapping[str, Any], lock: Mapping[str, Any]
) -> CloudFacts:
    """Tuya's description of a LAN lock, by its own id (a sub-device's, not its gateway's)."""
    backend = build_backend(hass, account, {**lock, CONF_BACKEND: BACKEND_CLOUD}, None)
    if not isinstance(backend, CloudBackend):  # pragma: no cover - a cloud lock builds one
        return CloudFacts()
    try:
        await backend.connect()
        return await specification_of(backend)
    except LockAuthError as err:
        LOGGER.warning(
            "Tuya Cloud refused to describe lock %s (%s); detecting it from its own report",
            lock[CONF_DEVICE_ID],
            err,
        )
    except LockError as err:
        LOGGER.info(
            "Tuya Cloud does not describe lock %s (%s); detecting it from its own report",
            lock[CONF_DEVICE_ID],
            type(err).__name__,
        )
    finally:
        await backend.close()
    return CloudFacts()


async def specification_of(backend: CloudBackend) -> CloudFacts:
    """The connected device's category, and its codes where Tuya gives a specification."""
    device = backend.device
    category = device.category if device is not None else None
    try:
        spec = await backend.specification()
    except LockError as err:
        LOGGER.info(
            "Tuya Cloud has no specification for lock %s (%s); its category alone is used",
            backend.device_id,
            type(err).__name__,
        )
        return CloudFacts(category=category)
    return CloudFacts(category=category or spec.category or None, codes=spec.codes)
