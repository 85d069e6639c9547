"""Sensors of the Stays account: when it was last read, and what it holds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SmartLockConfigEntry, StaysCoordinator, StaysData
from .entity import StaysEntity

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class AccountSensorDescription(SensorEntityDescription):
    """An account sensor and how its value is read from the coordinator's data."""

    value_fn: Callable[[StaysData], datetime | int]
    #: Shown while Stays is down: the point of a "last sync" sensor is to say since when.
    available_during_outage: bool = False


ACCOUNT_SENSORS: tuple[AccountSensorDescription, ...] = (
    AccountSensorDescription(
        key="last_sync",
        translation_key="last_sync",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.fetched_at,
        available_during_outage=True,
    ),
    AccountSensorDescription(
        key="reservations",
        translation_key="reservations",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda data: len(data.reservations),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's sensors."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(AccountSensor(coordinator, description) for description in ACCOUNT_SENSORS)


class AccountSensor(StaysEntity, SensorEntity):
    """A value of the account as a whole."""

    entity_description: AccountSensorDescription

    def __init__(
        self, coordinator: StaysCoordinator, description: AccountSensorDescription
    ) -> None:
        """Attach the description to the account's device."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def available(self) -> bool:
        """The last sync time stays readable during an outage; other values do not."""
        if self.entity_description.available_during_outage:
            return True
        return super().available

    @property
    def native_value(self) -> datetime | int:
        """Read the value from the last good data."""
        return self.entity_description.value_fn(self.coordinator.data)
