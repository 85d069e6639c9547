"""Diagnostics: useful for support, free of secrets and guests' contact data."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from .conftest import CLIENT_ID, CLIENT_SECRET, LOCAL_KEY, LOCK_SUBENTRY


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """The download matches the snapshot and holds no secret, surname, phone or e-mail."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert result == snapshot(exclude=props("base_url", "fetched_at"))
    assert result["webhook_configured"] is True
    text = repr(result)
    # The README calls diagnostics safe to share: the webhook's id is its only secret.
    webhook_id = init_integration.data["webhook_id"]
    assert webhook_id not in text
    assert "/api/webhook/" not in text
    for secret in (CLIENT_ID, CLIENT_SECRET, "Silva", "+5511999998888", "maria@example.com"):
        assert secret not in text


async def test_diagnostics_with_lock(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    init_lock: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """A lock's settings and state are there; its local key and raw DP values are not."""
    result = await get_diagnostics_for_config_entry(hass, hass_client, init_lock)
    lock = result["locks"][LOCK_SUBENTRY]
    assert lock == snapshot(exclude=props("host"))
    assert LOCAL_KEY not in repr(result)
