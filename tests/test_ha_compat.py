"""The device registry calls that differ between the Home Assistant releases tested.

Each leg runs these against its own release: the branch for the other release is covered by
the other leg, and the combined coverage shows both.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartlock_tuya.const import DOMAIN
from custom_components.smartlock_tuya.ha_compat import (
    HAS_IDENTIFIER_LOOKUP,
    HAS_VIA_DEVICE_ID,
    get_device,
    via_device,
)

PARENT = (DOMAIN, "parent")


def test_features_detected_together() -> None:
    """Both replacements arrived in the same release line; one without the other is new."""
    assert HAS_IDENTIFIER_LOOKUP == HAS_VIA_DEVICE_ID


async def test_get_device_within_the_entry(
    hass: HomeAssistant, device_registry: dr.DeviceRegistry
) -> None:
    """A device is found by identifier in its entry; an unknown identifier finds nothing."""
    entry = MockConfigEntry(domain=DOMAIN)
    entry.add_to_hass(hass)
    device = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={PARENT}
    )
    assert get_device(device_registry, PARENT, entry.entry_id) == device
    assert get_device(device_registry, (DOMAIN, "other"), entry.entry_id) is None


async def test_via_device(hass: HomeAssistant, device_registry: dr.DeviceRegistry) -> None:
    """The parent link by registry id where the release has it, by identifier before."""
    entry = MockConfigEntry(domain=DOMAIN)
    entry.add_to_hass(hass)
    if not HAS_VIA_DEVICE_ID:
        assert via_device(device_registry, PARENT, entry.entry_id) == {"via_device": PARENT}
        return
    # A parent that is not registered (yet) links nothing rather than failing.
    assert via_device(device_registry, PARENT, entry.entry_id) == {}
    parent = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={PARENT}
    )
    assert via_device(device_registry, PARENT, entry.entry_id) == {"via_device_id": parent.id}
