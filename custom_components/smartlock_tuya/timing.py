"""When a stay begins and ends on the wall clock of its listing, as aware datetimes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from homeassistant.util import dt as dt_util

from .scheduler import Stay, window_fits
from .stays import BookingSettings, Reservation


@dataclass(frozen=True, kw_only=True)
class StayClock:
    """The times a stay falls back to, and the zone its wall-clock times are read in."""

    time_zone: tzinfo
    default_check_in: time
    default_check_out: time


def stay_period(
    reservation: Reservation, settings: BookingSettings | None, clock: StayClock
) -> tuple[datetime, datetime]:
    """Check-in and check-out instants: the reservation's times, else the listing's, else ours."""
    check_in = (
        reservation.check_in_time
        or (settings.check_in_time if settings else None)
        or clock.default_check_in
    )
    check_out = (
        reservation.check_out_time
        or (settings.check_out_time if settings else None)
        or clock.default_check_out
    )
    start = datetime.combine(reservation.check_in_date, check_in, tzinfo=clock.time_zone)
    end = datetime.combine(reservation.check_out_date, check_out, tzinfo=clock.time_zone)
    return start, max(start, end)


def stay_for(
    reservation: Reservation,
    settings: BookingSettings | None,
    clock: StayClock,
    *,
    lead: timedelta,
    grace: timedelta,
) -> Stay | None:
    """What the lifecycle keeps of a reservation, or `None` when no lock could hold its window.

    Only the guest's first name is kept, and the phone for PINs made of its digits.
    """
    try:
        start, end = stay_period(reservation, settings, clock)
        check_in, check_out = dt_util.as_utc(start), dt_util.as_utc(end)
        if not window_fits(check_in - lead, check_out + grace):
            return None
    except (OverflowError, ValueError):
        return None
    guest = reservation.guest
    return Stay(
        reservation_id=reservation.id,
        listing_id=reservation.listing_id,
        check_in=check_in,
        check_out=check_out,
        guest_name=guest.first_name if guest else None,
        phone=guest.phones[0] if guest and guest.phones else None,
    )
