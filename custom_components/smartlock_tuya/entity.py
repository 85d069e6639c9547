"""The one base entity: a listing's view of the Stays account."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import StaysCoordinator
from .stays import Listing


def listing_device_id(host: str, listing_id: str) -> tuple[str, str]:
    """Device identifier of a listing: account host and listing id are unique together."""
    return (DOMAIN, f"{host}_{listing_id}")


class ListingEntity(CoordinatorEntity[StaysCoordinator]):
    """An entity of one listing, grouped under the listing's device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: StaysCoordinator, listing: Listing, key: str) -> None:
        """Identify the entity by account host, listing id and what it shows."""
        super().__init__(coordinator)
        host = coordinator.config_entry.unique_id or coordinator.config_entry.entry_id
        self.listing_id = listing.id
        self._attr_unique_id = f"{host}_{listing.id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={listing_device_id(host, listing.id)},
            name=listing.name,
            manufacturer="Stays",
            model="Listing",
            entry_type=DeviceEntryType.SERVICE,
        )

    @property
    def available(self) -> bool:
        """Unavailable while Stays cannot be read, or once the listing is gone."""
        return super().available and self.listing_id in self.coordinator.data.listings
