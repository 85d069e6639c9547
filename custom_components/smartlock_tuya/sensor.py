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
from homeassistant.const import PERCENTAGE, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import SmartLockConfigEntry, StaysCoordinator, StaysData
from .entity import SmartLockEntity, StaysEntity, add_lock_entities, lock_device, lock_unique_id
from .lifecycle import credentials_signal
from .lock_coordinator import LockCoordinator, LockRuntime
from .scheduler import CredentialState
from .timing import stay_period

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


@dataclass(frozen=True, kw_only=True)
class CredentialSensorDescription(SensorEntityDescription):
    """A count over the account's credentials."""

    states: frozenset[CredentialState]


CREDENTIAL_SENSORS: tuple[CredentialSensorDescription, ...] = (
    CredentialSensorDescription(
        key="active_pins",
        translation_key="active_pins",
        state_class=SensorStateClass.MEASUREMENT,
        states=frozenset({CredentialState.ACTIVE}),
    ),
    CredentialSensorDescription(
        key="pin_problems",
        translation_key="pin_problems",
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        states=frozenset({CredentialState.FAILED, CredentialState.ORPHANED}),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's sensors, and each lock's battery and next check-in."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(AccountSensor(coordinator, description) for description in ACCOUNT_SENSORS)
    async_add_entities(
        CredentialCountSensor(coordinator, description) for description in CREDENTIAL_SENSORS
    )
    await add_lock_entities(
        entry,
        async_add_entities,
        lambda lock: [BatterySensor(lock), NextCheckInSensor(coordinator, lock)],
    )


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


class BatterySensor(SmartLockEntity[LockCoordinator], SensorEntity):
    """The lock's battery, as its battery DP reports it."""

    _attr_device_class = SensorDeviceClass.BATTERY
    _attr_native_unit_of_measurement = PERCENTAGE
    _attr_state_class = SensorStateClass.MEASUREMENT
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, lock: LockRuntime) -> None:
        """Attach to the lock's device."""
        super().__init__(lock.coordinator, lock_unique_id(lock, "battery"), lock_device(lock))

    @property
    def native_value(self) -> int | None:
        """Percent, or unknown when the lock does not report it."""
        return self.coordinator.data.battery if self.coordinator.data else None


class NextCheckInSensor(SmartLockEntity[StaysCoordinator], SensorEntity):
    """When the next guest arrives at any listing this lock serves."""

    _attr_device_class = SensorDeviceClass.TIMESTAMP
    _attr_translation_key = "next_check_in"

    def __init__(self, coordinator: StaysCoordinator, lock: LockRuntime) -> None:
        """Read arrivals from the account's reservations, shown on the lock's device."""
        super().__init__(coordinator, lock_unique_id(lock, "next_check_in"), lock_device(lock))
        self._listing_ids = frozenset(lock.listing_ids)

    @property
    def native_value(self) -> datetime | None:
        """The earliest check-in still to come, among guests (not blocks or cancellations)."""
        data = self.coordinator.data
        now = dt_util.utcnow()
        arrivals = (
            stay_period(
                reservation,
                data.booking_settings.get(reservation.listing_id),
                self.coordinator.clock,
            )[0]
            for reservation in data.reservations.values()
            if reservation.listing_id in self._listing_ids and reservation.expects_guest
        )
        return min((arrival for arrival in arrivals if arrival > now), default=None)


class CredentialCountSensor(StaysEntity, SensorEntity):
    """How many of the account's credentials are in the given states (updated after every sync)."""

    entity_description: CredentialSensorDescription

    def __init__(
        self, coordinator: StaysCoordinator, description: CredentialSensorDescription
    ) -> None:
        """Attach the description to the account's device."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    async def async_added_to_hass(self) -> None:
        """Follow the lifecycle's syncs, not only Stays' polls."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                credentials_signal(self.coordinator.config_entry.entry_id),
                self.async_write_ha_state,
            )
        )

    @property
    def available(self) -> bool:
        """Counted from what is stored: known even while Stays is down."""
        return True

    @property
    def native_value(self) -> int:
        """The number of credentials in the description's states."""
        manager = self.coordinator.config_entry.runtime_data.manager
        if manager is None:
            return 0
        return sum(
            1
            for credential in manager.credentials.values()
            if credential.state in self.entity_description.states
        )
