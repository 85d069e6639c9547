"""What every lock should hold, worked out from the truth alone: Stays, the actions, the clock.

The oracle reads the Stays simulator's records (not the integration's snapshot), the user's
actions and their answers, and the guest messages the notify action received. A guest's PIN is
the last one a message told that guest (to the guest's own phone); a staff credential is the one
`create_pin` answered with. Windows follow the design: check-in minus the lead time to
check-out plus the grace, on the listing's wall clock: on the lock a day ahead at the latest
(earlier is allowed, as the lock itself keeps the window), gone once it ends.

One physical limit is modelled as what the integration promises for it, not switched off: a
Lock Pro chooses the id of a new PIN and names it only in the create's answer, and no DP lists
the PINs it holds (docs/tuya-payloads.md). A copy whose answer was lost (`Truth.stranded`)
can therefore never be deleted; it may stay on the lock, which itself stops it when its window
ends, and the owner must have been shown a `pin_maybe_on_lock` repair naming that lock once
the copy was made, while its window lasts. A restart between a Lock Pro's write and the save
loses the answer the same way. For that door and holder the integration then sends nothing
more until the window ends (a second copy could not be found either): the holder's PIN there
is no longer required, only allowed, and only once the owner was told, and only while the
guest was not promised it: a message that gives the guest a PIN for that door (by name, or
one PIN for every door) makes it required again, since a PIN a guest was told must open the
door. Every other extra or missing PIN is still an error.

The repairs are read from Home Assistant's issue registry events, "create" and "update"
alike: an issue that already stood (a failed create's) turns into "maybe on the lock" by an
update. The registry outlives an entry, so each example starts with none of ours (ids repeat
across examples: the same entry, locks and reservation ids); before that, a repair left by an
earlier example made the next one's repair an update the oracle did not see.

Time: a window counts as ended once the latest instant the clock ever showed passed its end,
so a clock set back (an NTP correction) must bring back nothing that was revoked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from custom_components.smartlock_tuya.const import DEFAULT_GRACE, DEFAULT_LEAD_TIME
from custom_components.smartlock_tuya.scheduler import PUSH_AHEAD
from simulators.tuya_lock import LockEndpoint

#: Reservation types that expect a guest (Stays' `reserved`, `booked`, `contract`).
LIVE_TYPES = frozenset({"reserved", "booked", "contract"})
LEAD = timedelta(minutes=DEFAULT_LEAD_TIME)
GRACE = timedelta(minutes=DEFAULT_GRACE)
#: No lock can hold a window past this (32-bit timestamps); such records are bad data.
ABSURD = datetime(2100, 1, 1, tzinfo=UTC).timestamp()

type Entry = tuple[str | None, int, int]


@dataclass(frozen=True)
class Message:
    """One guest message as the notify action received it."""

    reservation_id: str
    targets: tuple[str, ...]
    #: The PIN by lock name, or under "" when one PIN opens every door.
    pins: dict[str, str]

    def pin_for(self, lock: str) -> str | None:
        """The PIN this message gave for one lock."""
        return self.pins.get("", self.pins.get(lock))


@dataclass
class StaffCredential:
    """A staff credential as `create_pin` answered; `revoked` once `revoke_pin` was asked for it."""

    credential_id: str
    lock: str
    pin: str
    starts: datetime
    ends: datetime
    revoked: bool = False


@dataclass
class Truth:
    """What the world knows outside the integration."""

    messages: list[Message] = field(default_factory=list)
    staff: list[StaffCredential] = field(default_factory=list)
    #: Reservations the user revoked with `revoke_pin`: no PIN of theirs may come back.
    revoked: set[str] = field(default_factory=set)
    #: Each reservation's guest phone, where the message must go.
    phones: dict[str, str] = field(default_factory=dict)
    #: Lock Pro copies whose create answer was lost: (lock, entry, when it was made).
    stranded: list[tuple[str, Entry, datetime]] = field(default_factory=list)
    #: "May be on the lock until ..." repairs the owner was shown: (lock, holder, when).
    alerts: list[tuple[str, str, datetime]] = field(default_factory=list)

    def strand(
        self, lock: str, pins: Mapping[int, Any], before: Mapping[int, str], now: datetime
    ) -> None:
        """Note the PINs a create with a lost answer wrote under ids nobody learnt."""
        for lock_pin_id, pin in pins.items():
            if before.get(lock_pin_id) != repr(pin):
                self.stranded.append((lock, (pin.pin, pin.start, pin.end), now))

    def told(self, reservation_id: str, lock: str) -> str | None:
        """The PIN for this lock the guest last heard of, on their own phone."""
        phone = self.phones.get(reservation_id)
        for message in reversed(self.messages):
            if message.reservation_id == reservation_id and phone in message.targets:
                return message.pin_for(lock)
        return None

    def _excuse_stranded(
        self, name: str, extra: Counter[Entry], now: datetime, zone: tzinfo, problems: list[str]
    ) -> Counter[Entry]:
        """Extra PINs left without the stranded copies, each checked for the owner's alert."""
        for lock_name, entry, made in self.stranded:
            if lock_name == name and extra[entry] > 0:
                extra[entry] -= 1
                if now.timestamp() < entry[2] and not any(
                    lock == name and at >= made for lock, _, at in self.alerts
                ):
                    problems.append(
                        f"  {name}: {show(entry, zone)} may stay (its create answer was "
                        "lost) but the owner was never told"
                    )
        return +extra

    def compare(
        self,
        now: datetime,
        latest: datetime,
        records: Iterable[Mapping[str, Any]],
        listings: Mapping[str, tuple[str, str]],
        lock_listings: Mapping[str, tuple[str, ...]],
        locks: Mapping[str, LockEndpoint],
        zone: tzinfo,
    ) -> list[str]:
        """The differences between what each lock holds and what it should; empty if none.

        `latest` is the latest instant the clock ever showed: a window that ended by then
        stays ended when the clock is set back (what was revoked must not come back).
        """
        required: dict[str, Counter[Entry]] = {name: Counter() for name in locks}
        allowed: dict[str, Counter[Entry]] = {name: Counter() for name in locks}
        who: dict[tuple[str, Entry], str] = {}

        alerted = {(lock, holder) for lock, holder, _ in self.alerts}

        def expect(
            lock: str,
            entry: Entry,
            window: tuple[datetime, datetime],
            holder: str,
            label: str,
            *,
            promised: bool = False,
        ) -> None:
            """Due: must be there. Live but not yet due: may be there (the lock keeps time).

            A holder whose PIN the owner was told may sit unfindable on this lock is waiting
            out that copy's window: allowed there, not required, unless the guest was
            `promised` a PIN for this very door (a message giving one PIN for every door):
            a PIN a guest was told must open the door.
            """
            if not max(now, latest) < window[1]:
                return
            excused = (lock, holder) in alerted and not promised
            due = _due(window, now) and not excused
            (required if due else allowed)[lock][entry] += 1
            who[lock, entry] = label

        for record in records:
            window = _window(record, listings, zone)
            reservation_id = str(record.get("_id"))
            if window is None or reservation_id in self.revoked:
                continue
            if record.get("type") not in LIVE_TYPES:
                continue
            for name, served in lock_listings.items():
                if record.get("_idlisting") in served:
                    told = self.told(reservation_id, name)
                    entry = (told, *_stamps(window))
                    label = f"guest of {reservation_id}"
                    expect(name, entry, window, reservation_id, label, promised=told is not None)
        for staff in self.staff:
            if not staff.revoked:
                window = (staff.starts, staff.ends)
                expect(
                    staff.lock,
                    (staff.pin, *_stamps(window)),
                    window,
                    staff.credential_id.partition("|")[0],
                    f"staff {staff.credential_id}",
                )
        problems: list[str] = []
        for name, lock in locks.items():
            held_now: Counter[Entry] = Counter(
                (pin.pin, pin.start, pin.end) for pin in lock.pins.values() if pin.end < ABSURD
            )
            want = required[name]
            extra = held_now - want - allowed[name]
            extra = self._excuse_stranded(name, extra, now, zone, problems)
            for untold in [entry for entry in allowed[name] if entry[0] is None]:
                # A guest whose PIN went early need not have been told yet.
                early = next((e for e in extra if e[1:] == untold[1:]), None)
                if early is not None:
                    extra[early] -= 1
                    extra = +extra
            problems.extend(
                f"  {name}: missing {show(entry, zone)} ({who[name, entry]})"
                + ("  <- the guest was never told a PIN" if entry[0] is None else "")
                for entry in sorted((want - held_now).elements(), key=str)
            )
            problems.extend(
                f"  {name}: extra {show(entry, zone)}"
                for entry in sorted(extra.elements(), key=str)
            )
        return problems


def _window(
    record: Mapping[str, Any], listings: Mapping[str, tuple[str, str]], zone: tzinfo
) -> tuple[datetime, datetime] | None:
    """A reservation's PIN window, or None for a record no lock could hold."""
    try:
        check_in = date.fromisoformat(str(record.get("checkInDate")))
        check_out = date.fromisoformat(str(record.get("checkOutDate")))
    except ValueError:
        return None
    times = listings.get(str(record.get("_idlisting")))
    if times is None:
        return None
    arrive = datetime.combine(check_in, time.fromisoformat(times[0]), tzinfo=zone)
    leave = datetime.combine(check_out, time.fromisoformat(times[1]), tzinfo=zone)
    if leave.timestamp() >= ABSURD:
        return None
    return arrive - LEAD, max(arrive, leave) + GRACE


def _due(window: tuple[datetime, datetime], now: datetime) -> bool:
    """Whether a window's PIN belongs on the lock now: pushed a day ahead, gone at its end."""
    return window[0] - PUSH_AHEAD <= now < window[1]


def _stamps(window: tuple[datetime, datetime]) -> tuple[int, int]:
    return int(window[0].timestamp()), int(window[1].timestamp())


def show(entry: Entry, zone: tzinfo) -> str:
    """One lock entry for people: the PIN (or ? when the guest was told none) and its window."""
    pin, start, end = entry
    starts = datetime.fromtimestamp(start, zone)
    ends = datetime.fromtimestamp(end, zone)
    return f"PIN {pin or '?'} {starts:%d/%m %H:%M}-{ends:%d/%m %H:%M}"


def held(lock: LockEndpoint) -> set[Entry]:
    """What a lock holds now, as (PIN, start, end) entries."""
    return {(pin.pin, pin.start, pin.end) for pin in lock.pins.values()}
