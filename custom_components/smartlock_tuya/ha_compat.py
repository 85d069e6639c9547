"""The device registry calls that changed between the oldest and newest Home Assistant tested.

Home Assistant 2025.4 has neither `async_get_device_by_identifier` nor `via_device_id`; current
releases deprecate their predecessors (`async_get_device`, `DeviceInfo(via_device=...)`). Each
helper feature-detects the newer API once, so the integration uses no deprecated call on the
newest release and still runs on the oldest.
"""

from __future__ import annotations

from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo

#: Devices are owned by one config entry and looked up by identifier within it (2026.x).
HAS_IDENTIFIER_LOOKUP = hasattr(dr.DeviceRegistry, "async_get_device_by_identifier")
#: A device names its parent by registry id rather than by the parent's identifier (2026.x).
HAS_VIA_DEVICE_ID = "via_device_id" in DeviceInfo.__annotations__


def get_device(
    registry: dr.DeviceRegistry, identifier: tuple[str, str], config_entry_id: str
) -> dr.DeviceEntry | None:
    """The entry's device with this identifier, through the newest lookup there is."""
    if HAS_IDENTIFIER_LOOKUP:
        device: dr.DeviceEntry | None = registry.async_get_device_by_identifier(  # type: ignore[attr-defined,unused-ignore]
            identifier, config_entry_id
        )
        return device
    return registry.async_get_device(identifiers={identifier})


def via_device(
    registry: dr.DeviceRegistry, parent: tuple[str, str], config_entry_id: str
) -> DeviceInfo:
    """The `DeviceInfo` keys that hang a device off its parent (none while it is unregistered)."""
    if not HAS_VIA_DEVICE_ID:
        return DeviceInfo(via_device=parent)
    device = get_device(registry, parent, config_entry_id)
    if device is None:
        return DeviceInfo()
    return DeviceInfo(via_device_id=device.id)  # type: ignore[typeddict-unknown-key,unused-ignore]
