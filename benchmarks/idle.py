"""Timers armed and wake-ups per hour with nothing to do: 20,000 reservations, `wake_time`."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from custom_components.smartlock_tuya.const import DEFAULT_POLL_INTERVAL
from custom_components.smartlock_tuya.lock_coordinator import LAN_POLL
from custom_components.smartlock_tuya.scheduler import (
    Credential,
    CredentialKey,
    CredentialState,
    Desired,
    desired_credentials,
    plan,
    push_time,
    wake_time,
)
from custom_components.smartlock_tuya.tuya.lan import HEARTBEAT_INTERVAL

from ._common import GRACE, LEAD, NOW, Report, make_fleet

LOCKS = 500
RESERVATIONS = 20_000
HOUR = timedelta(hours=1)


def _healthy(
    now: datetime,
) -> tuple[dict[CredentialKey, Desired], dict[CredentialKey, Credential]]:
    """Every credential where a healthy account has it at `now`: nothing due, nothing failed."""
    fleet = make_fleet(locks=LOCKS, reservations=RESERVATIONS)
    desired = desired_credentials(fleet.stays, fleet.locks_by_listing, lead=LEAD, grace=GRACE)
    stored: dict[CredentialKey, Credential] = {}
    for key, want in desired.items():
        if want.ends <= now:
            state = CredentialState.REVOKED
        elif push_time(want.starts) <= now:
            state = CredentialState.ACTIVE
        else:
            state = CredentialState.SCHEDULED
        stored[key] = Credential(
            key=key,
            listing_id=want.listing_id,
            ref=1,
            pin="482913",
            starts=want.starts,
            ends=want.ends,
            state=state,
            lock_pin_id="1" if state is CredentialState.ACTIVE else None,
        )
    return desired, stored


def _in(moments: Counter[datetime], start: datetime, end: datetime) -> tuple[int, int]:
    """Timers firing in [start, end), and distinct instants among them."""
    hits = {moment: n for moment, n in moments.items() if start <= moment < end}
    return sum(hits.values()), len(hits)


def run() -> Report:
    """Arm the timers the way `CredentialManager._arm_timers` does, then look at the next hours."""
    report = Report(name="idle")
    desired, stored = _healthy(NOW)
    wakes = Counter(
        when for credential in stored.values() if (when := wake_time(credential, NOW)) is not None
    )
    armed = sum(wakes.values())
    due_now = sum(n for moment, n in wakes.items() if moment <= NOW)
    actions = plan(desired, stored, NOW, complete=True)
    quiet_timers, _ = _in(wakes, NOW, NOW + HOUR)
    hours = [_in(wakes, NOW + HOUR * h, NOW + HOUR * (h + 1)) for h in range(24)]
    busiest = max(range(24), key=lambda h: hours[h][0])
    polls = 60 // DEFAULT_POLL_INTERVAL
    report.add("credentials (20,000 reservations, 500 locks)", str(len(stored)))
    report.add(
        "timers armed (one per non-revoked credential)",
        str(armed),
        f"{len(wakes)} distinct instants",
    )
    report.check("timers already due at arming (would fire at once)", due_now, 1, "", ".0f")
    report.check("actions planned with nothing to do", len(actions), 1, "", ".0f")
    report.check(
        f"timer wake-ups in the quiet hour {NOW:%H:%M}-{NOW + HOUR:%H:%M} UTC",
        quiet_timers,
        1,
        "",
        ".0f",
    )
    report.add(
        "Stays polls per hour (default interval)",
        str(polls),
        f"{polls} (every {DEFAULT_POLL_INTERVAL} min)",
        "ok",
    )
    report.add(
        "next 24 h: timer firings / distinct instants",
        f"{sum(t for t, _ in hours)} / {sum(i for _, i in hours)}",
        "= transitions (push, window end)",
    )
    report.add(
        f"busiest hour (+{busiest} h): firings / distinct instants",
        f"{hours[busiest][0]} / {hours[busiest][1]}",
        "syncs fold: ~1 per instant",
    )
    pings = 3600 / (HEARTBEAT_INTERVAL * 3 / 4)
    report.add(
        "LAN keep-alive per lock per hour: executor jobs / pings (computed)",
        f"0 / at most {pings:.0f}",
        f"push-driven sessions (measured in lan_sessions); status every "
        f"{LAN_POLL.total_seconds() / 60:.0f} min",
        "ok",
    )
    report.notes.append(
        "a healthy account: past windows revoked, current ones active, upcoming scheduled; "
        "check-ins 15:00 and check-outs 11:00 at UTC-3, so transitions sit at 14:30/17:00 UTC"
    )
    report.notes.append(
        "the keep-alive row is arithmetic from the LAN sessions' heartbeat (a ping after 18-24 s "
        "of silence); `lan_sessions` measures it"
    )
    return report
