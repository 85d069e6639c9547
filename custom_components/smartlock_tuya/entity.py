"""The one base entity: part of the Stays account, or of one of its listings."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import StaysCoordinator
from .stays import Listing


def account_device_id(host: str) -> tuple[str, str]:
    """Device identifier of the account itself."""
    return (DOMAIN, host)


def listing_device_id(host: str, listing_id: str) -> tuple[str, str]:
    """Device identifier of a listing: account host and listing id are unique together."""
    return (DOMAIN, f"{host}_{listing_id}")


class StaysEntity(CoordinatorEntity[StaysCoordinator]):
    """An entity of the account's device, or of a listing's device when given a listing."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: StaysCoordinator, key: str, listing: Listing | None = None
    ) -> None:
        """Identify the entity by account host, listing id and what it shows."""
        super().__init__(coordinator)
        host = coordinator.host
        self.listing_id = listing.id if listing else None
        if listing is None:
            self._attr_unique_id = f"{host}_{key}"
            self._attr_device_info = DeviceInfo(
                identifiers={account_device_id(host)},
                name=f"Stays {host}",
                manufacturer="Stays",
                model="External API account",
                configuration_url=f"https://{host}",
                entry_type=DeviceEntryType.SERVICE,
            )
        else:
            self._attr_unique_id = f"{host}_{listing.id}_{key}"
            self._attr_device_info = DeviceInfo(
                identifiers={listing_device_id(host, listing.id)},
                name=listing.name,
                manufacturer="Stays",
                model="Listing",
                entry_type=DeviceEntryType.SERVICE,
                via_device=account_device_id(host),
            )

    @property
    def available(self) -> bool:
        """Unavailable while Stays cannot be read, or once the listing is gone."""
        if self.listing_id is not None and self.listing_id not in self.coordinator.data.listings:
            return False
        return super().available
