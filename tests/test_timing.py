"""A reservation's instants on its listing's wall clock, and the windows no lock can hold."""

from __future__ import annotations

from datetime import date, time, timedelta

from homeassistant.util import dt as dt_util

from custom_components.smartlock_tuya.stays import Reservation
from custom_components.smartlock_tuya.stays.models import ReservationType
from custom_components.smartlock_tuya.timing import StayClock, stay_for

CLOCK = StayClock(
    time_zone=dt_util.get_time_zone("America/Sao_Paulo"),  # type: ignore[arg-type]
    default_check_in=time(14),
    default_check_out=time(11),
)
HOUR = timedelta(hours=1)


def _reservation(check_out: date, check_out_time: time | None = None) -> Reservation:
    return Reservation(
        id="R-1",
        code=None,
        listing_id="L",
        client_id=None,
        type=ReservationType.BOOKED,
        check_in_date=date(2026, 3, 10),
        check_out_date=check_out,
        check_out_time=check_out_time,
    )


def test_stay_in_utc() -> None:
    """Wall-clock times of the listing become UTC instants."""
    stay = stay_for(_reservation(date(2026, 3, 12)), None, CLOCK, lead=HOUR, grace=HOUR)
    assert stay is not None
    assert stay.check_in.isoformat() == "2026-03-10T17:00:00+00:00"
    assert stay.check_out.isoformat() == "2026-03-12T14:00:00+00:00"


def test_no_stay_for_windows_no_lock_can_hold() -> None:
    """Case 4 and 16: past 2106, or past the end of the calendar, there is no stay."""
    assert stay_for(_reservation(date(2107, 1, 1)), None, CLOCK, lead=HOUR, grace=HOUR) is None
    end_of_time = _reservation(date(9999, 12, 31), time(23, 30))  # beyond year 9999 in UTC
    assert stay_for(end_of_time, None, CLOCK, lead=HOUR, grace=HOUR) is None
