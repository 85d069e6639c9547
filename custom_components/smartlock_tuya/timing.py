"""When a stay begins and ends on the wall clock of its listing, as aware datetimes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, tzinfo

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
