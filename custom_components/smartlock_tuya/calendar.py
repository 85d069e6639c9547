"""One calendar per listing showing its reservations, without guests' contact data."""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.util import dt as dt_util

from .coordinator import SmartLockConfigEntry, StaysCoordinator
from .entity import StaysEntity
from .stays import Listing, Reservation
from .timing import stay_period

# Reads come from the coordinator's data; nothing here calls Stays.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartLockConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a calendar for every listing, and for listings that appear later."""
    coordinator = entry.runtime_data.coordinator
    known: set[str] = set()

    @callback
    def add_new_listings() -> None:
        new = [
            listing
            for listing_id, listing in coordinator.data.listings.items()
            if listing_id not in known
        ]
        known.update(listing.id for listing in new)
        if new:
            async_add_entities(ReservationCalendar(coordinator, listing) for listing in new)

    add_new_listings()
    entry.async_on_unload(coordinator.async_add_listener(add_new_listings))


class ReservationCalendar(StaysEntity, CalendarEntity):
    """The reservations of one listing; an event per stay, check-in to check-out."""

    _attr_name = None
    _attr_translation_key = "reservations"

    def __init__(self, coordinator: StaysCoordinator, listing: Listing) -> None:
        """Create the listing's calendar."""
        super().__init__(coordinator, "reservations", listing)
        self._listing_id = listing.id

    @property
    def event(self) -> CalendarEvent | None:
        """The stay in progress, or else the next one."""
        now = dt_util.utcnow()
        upcoming = (event for event in self._events() if event.end_datetime_local > now)
        return min(upcoming, key=lambda event: event.start_datetime_local, default=None)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Stays that overlap the requested span."""
        return [
            event
            for event in self._events()
            if event.start_datetime_local < end_date and event.end_datetime_local > start_date
        ]

    def _events(self) -> list[CalendarEvent]:
        data = self.coordinator.data
        settings = data.booking_settings.get(self._listing_id)
        return [
            _event(reservation, *stay_period(reservation, settings, self.coordinator.clock))
            for reservation in data.listing_reservations(self._listing_id)
        ]


def _event(reservation: Reservation, start: datetime, end: datetime) -> CalendarEvent:
    """Name the guest by first name only: calendars are widely shared, contact data is not."""
    guest = reservation.guest.first_name if reservation.guest else None
    summary = " · ".join(
        part for part in (guest or reservation.code or reservation.id, reservation.channel) if part
    )
    details = [
        f"Reservation: {reservation.code or reservation.id}",
        f"Nights: {reservation.nights}",
    ]
    if reservation.channel:
        details.append(f"Channel: {reservation.channel}")
    if reservation.guests:
        details.append(f"Guests: {reservation.guests}")
    return CalendarEvent(
        start=start,
        end=end,
        summary=summary,
        description="\n".join(details),
        uid=reservation.id,
    )
