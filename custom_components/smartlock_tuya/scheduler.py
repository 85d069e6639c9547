"""The credential lifecycle's decisions, a pure function of what is wanted, stored, and now.

`plan()` looks at every credential (one per reservation and lock) and says what to do next:
add it, push it to the lock, move its window, revoke it, forget it, or re-check its reservation
with Stays first. It touches nothing; the manager carries the actions out and saves each
outcome, then asks again. Asking twice gives the same answer, so a duplicate webhook or a
second sync never doubles a credential.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Final

#: Credentials carry their window to the lock, so they can be pushed ahead and survive an outage.
PUSH_AHEAD: Final = timedelta(hours=24)
#: After the quick attempts, retry every this long (create: until the window ends).
QUICK_BACKOFF: Final = (timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2))
SLOW_BACKOFF: Final = timedelta(minutes=15)
#: A revoke the lock keeps refusing (it answers, and says no): after the quick attempts,
#: hourly, doubling up to once a day. Hammering a lock that says no changes nothing.
REFUSED_BACKOFF: Final = (timedelta(hours=1), timedelta(days=1))
#: The furthest a clock set back is taken as a correction (an NTP step, a time zone fixed):
#: beyond it the earlier instant is the wrong one (a clock that ran ahead), and trusting it
#: would end every stay that ends before it.
MAX_SET_BACK: Final = timedelta(hours=12)
#: Locks keep windows as unsigned 32-bit Unix seconds: nothing can end after this instant.
LATEST_END: Final = datetime(2106, 2, 7, 6, 28, 15, tzinfo=UTC)


class CredentialState(StrEnum):
    """Where a credential stands; see the design's lifecycle."""

    SCHEDULED = "scheduled"  # decided, not yet on the lock
    ACTIVE = "active"  # confirmed on the lock
    REVOKED = "revoked"  # confirmed gone (or never needed to be pushed)
    FAILED = "failed"  # creating keeps failing: retried slowly until the window ends
    ORPHANED = "orphaned"  # revoking keeps failing: retried until confirmed


@dataclass(frozen=True, order=True)
class CredentialKey:
    """One credential per reservation and lock: the idempotency key of the whole lifecycle."""

    reservation_id: str
    lock_id: str

    def __str__(self) -> str:
        """Storage form: `reservation|lock`."""
        return f"{self.reservation_id}|{self.lock_id}"

    @classmethod
    def parse(cls, text: str) -> CredentialKey:
        """The key back from its storage form."""
        reservation_id, _, lock_id = text.rpartition("|")
        if not reservation_id or not lock_id:
            raise ValueError(f"not a credential key: {text!r}")
        return cls(reservation_id, lock_id)


@dataclass(frozen=True, kw_only=True)
class Stay:
    """A reservation as the lifecycle needs it: who, where, and when (UTC instants)."""

    reservation_id: str
    listing_id: str
    check_in: datetime
    check_out: datetime
    guest_name: str | None = None
    phone: str | None = None


@dataclass(frozen=True, kw_only=True)
class Desired:
    """A credential that should exist: a stay's window on one of its listing's locks."""

    key: CredentialKey
    listing_id: str
    starts: datetime
    ends: datetime
    guest_name: str | None = None
    phone: str | None = field(default=None, repr=False)


@dataclass(kw_only=True)
class Credential:
    """A credential: one door code on one lock, as stored; `pin` (its digits) is kept to send.

    Its ids (README, "Terms"): `key` is ours, the credential's identity everywhere (store,
    events' `credential_id`, repairs); `ref` is the number we give the lock, unique per lock
    while the credential may be on it (a family that lets us choose the lock's id, Zigbee,
    files the credential under it, so a create sent again lands in the same place);
    `lock_pin_id` is the id the lock reports for it (a Lock Pro's hardware id, the Zigbee
    id, the cloud's password id), which deletes, window changes and unlock reports name. It
    stays `None` until the lock confirms the credential.
    """

    key: CredentialKey
    listing_id: str
    ref: int
    pin: str = field(repr=False)
    starts: datetime
    ends: datetime
    state: CredentialState = CredentialState.SCHEDULED
    lock_pin_id: str | None = None
    attempts: int = 0
    next_attempt: datetime | None = None
    last_error: str | None = None
    notified: bool = False
    checked_in: bool = False
    guest_name: str | None = None
    staff: bool = False
    #: Why it was revoked: a credential Stays took away may come back, one a user revoked not.
    revoked_by_user: bool = False
    #: A create was sent and never confirmed: the lock may hold it, so it is removed before
    #: the credential counts as revoked, and re-written before it counts as active.
    unconfirmed: bool = False
    #: The guest message: attempts so far and when the next one is due.
    message_attempts: int = 0
    message_retry: datetime | None = None
    #: A Cloud `multiple` offline PIN starts working only if typed once before this moment.
    activate_by: datetime | None = None

    @property
    def on_lock(self) -> bool:
        """Whether the lock may hold this credential: confirmed, unconfirmed, or not yet removed."""
        return self.unconfirmed or self.state in (CredentialState.ACTIVE, CredentialState.ORPHANED)

    @property
    def live(self) -> bool:
        """Whether the credential is still in play (not revoked, not past its window)."""
        return self.state is not CredentialState.REVOKED


class Verb(StrEnum):
    """What the manager is asked to do for a credential."""

    ADD = "add"  # store a new credential (a PIN is chosen then)
    RETIME = "retime"  # store a new window for a credential not on the lock
    PUSH = "push"  # create it on the lock
    MOVE = "move"  # change its window on the lock
    REVOKE = "revoke"  # remove it from the lock
    FORGET = "forget"  # never pushed and no longer wanted: mark revoked, no lock call
    EXPIRE = "expire"  # its window passed without it ever reaching the lock
    RECHECK = "recheck"  # ask Stays about the reservation before revoking anything


@dataclass(frozen=True, kw_only=True)
class Action:
    """One step of the plan."""

    verb: Verb
    key: CredentialKey
    desired: Desired | None = None

    @property
    def priority(self) -> int:
        """Revocations first: a door that should be closed matters before one to open."""
        return 0 if self.verb in (Verb.REVOKE, Verb.FORGET, Verb.EXPIRE) else 1


def desired_credentials(
    stays: Iterable[Stay],
    locks_by_listing: Mapping[str, Sequence[str]],
    *,
    lead: timedelta,
    grace: timedelta,
) -> dict[CredentialKey, Desired]:
    """Every credential the stays call for: one per stay and lock of its listing."""
    desired: dict[CredentialKey, Desired] = {}
    for stay in stays:
        try:
            starts, ends = stay.check_in - lead, stay.check_out + grace
        except OverflowError:
            continue
        if not window_fits(starts, ends):
            continue  # no lock can hold it; `window_fits` is checked where stays come in
        for lock_id in locks_by_listing.get(stay.listing_id, ()):
            key = CredentialKey(stay.reservation_id, lock_id)
            desired[key] = Desired(
                key=key,
                listing_id=stay.listing_id,
                starts=starts,
                ends=ends,
                guest_name=stay.guest_name,
                phone=stay.phone,
            )
    return desired


def window_fits(starts: datetime, ends: datetime) -> bool:
    """Whether a lock can hold this window (32-bit Unix seconds, start before end)."""
    return datetime(1970, 1, 1, tzinfo=UTC) <= starts < ends <= LATEST_END


def push_time(starts: datetime) -> datetime:
    """When a guest's credential goes to the lock: a day ahead of its window."""
    return starts - PUSH_AHEAD


def _push_time(credential: Credential) -> datetime:
    """A staff credential goes at once: whoever asked for it waits for the lock's answer."""
    if credential.staff:
        return datetime.min.replace(tzinfo=UTC)
    return push_time(credential.starts)


def retry_delay(attempts: int) -> timedelta:
    """Quick retries first (as the seed's queues did), then a slow steady pace."""
    if 1 <= attempts <= len(QUICK_BACKOFF):
        return QUICK_BACKOFF[attempts - 1]
    return SLOW_BACKOFF


def refused_delay(attempts: int) -> timedelta:
    """Quick retries first; then a refusing lock is asked hourly, doubling to daily."""
    beyond = attempts - len(QUICK_BACKOFF)
    if beyond <= 0:
        return retry_delay(attempts)
    first, longest = REFUSED_BACKOFF
    delay: timedelta = first * (1 << min(beyond - 1, 5))
    return min(delay, longest)


def trusted_latest(latest: datetime | None, now: datetime) -> datetime | None:
    """The latest instant a plan was made at, if a set-back clock may be corrected by it.

    A clock set back by up to `MAX_SET_BACK` reopens no window that ended by `latest`. A
    `latest` further ahead than that came from a clock that ran ahead: it is dropped, and
    the windows are judged by the clock again (a few hours of a wrong clock cost only
    those hours, never every stay that ends before a date years away).
    """
    if latest is None or latest - now > MAX_SET_BACK:
        return None
    return latest


def plan(
    desired: Mapping[CredentialKey, Desired],
    stored: Mapping[CredentialKey, Credential],
    now: datetime,
    *,
    complete: bool,
    gone: frozenset[str] = frozenset(),
    known: frozenset[str] = frozenset(),
    unknown: frozenset[str] = frozenset(),
    ended_by: datetime | None = None,
) -> list[Action]:
    """The next step for every credential, revocations first.

    `complete` says whether `desired` comes from a complete read of Stays: only then may a
    credential's absence mean anything, and even then its reservation is re-checked by id
    first; `gone` holds the reservations Stays confirmed cancelled or deleted (by id, so
    they count even after a partial read), and `known` those Stays has as live: one of them
    that no longer wants a lock (moved listing, lock unmapped) leaves that lock. `unknown`
    holds the reservations whose records Stays sent unreadable: for them alone the read is
    partial. `ended_by` is the latest instant a plan was made at: a window that ended by then
    is not opened again when the clock is set back (an NTP correction).
    """
    over = max(now, ended_by) if ended_by is not None else now
    # A reservation a user revoked gets no PIN on a lock added to its listing later either.
    revoked = {key.reservation_id for key, have in stored.items() if have.revoked_by_user}
    actions: list[Action] = []
    rechecks: set[str] = set()
    for key in sorted(desired.keys() | stored.keys()):
        want, have = desired.get(key), stored.get(key)
        if have is None:
            if want is not None and want.ends > over and key.reservation_id not in revoked:
                actions.append(Action(verb=Verb.ADD, key=key, desired=want))
            continue
        action = _step(
            want,
            have,
            now,
            over=over,
            complete=complete and key.reservation_id not in unknown,
            gone=key.reservation_id in gone or key.reservation_id in known,
        )
        if action is Verb.RECHECK:
            if key.reservation_id not in rechecks:
                rechecks.add(key.reservation_id)
                actions.append(Action(verb=Verb.RECHECK, key=key))
        elif action is not None:
            actions.append(Action(verb=action, key=key, desired=want))
    return sorted(actions, key=lambda action: action.priority)


def _step(
    want: Desired | None,
    have: Credential,
    now: datetime,
    *,
    over: datetime,
    complete: bool,
    gone: bool,
) -> Verb | None:
    """The next step for one stored credential; windows ending by `over` stay ended."""
    due = have.next_attempt is None or now >= have.next_attempt
    if have.state is CredentialState.REVOKED:
        # A cancelled stay that came back (re-activated) gets its credential again.
        comes_back = want is not None and want.ends > over and not have.revoked_by_user
        return Verb.RETIME if comes_back else None
    if over >= have.ends:  # the window is over: close the door, whatever Stays says
        if have.on_lock:
            return Verb.REVOKE if due else None
        return Verb.EXPIRE
    # A revoke under way is finished whatever Stays says; so is one a user asked for.
    if have.state is CredentialState.ORPHANED or (have.revoked_by_user and have.on_lock):
        return Verb.REVOKE if due else None
    if have.revoked_by_user:
        return Verb.FORGET
    if want is None and not have.staff:
        if not gone:  # `gone` is known by id: even a partial read does not undo it
            # Fail closed: a partial read proves nothing; a complete one is checked by id.
            return Verb.RECHECK if complete else None
        if have.on_lock or have.lock_pin_id is not None:
            return Verb.REVOKE if due else None
        return Verb.FORGET
    if want is not None and (want.starts, want.ends) != (have.starts, have.ends):
        if have.state is not CredentialState.ACTIVE:
            return Verb.RETIME
        return Verb.MOVE if due else None
    pushable = have.state in (CredentialState.SCHEDULED, CredentialState.FAILED)
    if pushable and now >= _push_time(have) and due:
        return Verb.PUSH
    return None


def wake_time(credential: Credential, now: datetime) -> datetime | None:
    """When the plan for this credential may change without any news from Stays."""
    if credential.state is CredentialState.REVOKED:
        return None
    if credential.state is CredentialState.ORPHANED:
        return credential.next_attempt or now
    if credential.state is CredentialState.ACTIVE:  # its end, or a failed move's next try
        retry = credential.next_attempt
        return min(credential.ends, retry) if retry is not None and retry > now else credential.ends
    # Scheduled or failed: the push time or the next attempt, and at the latest the window end.
    moment = max(_push_time(credential), credential.next_attempt or now)
    return min(moment, credential.ends)


def next_wake(credentials: Iterable[Credential], now: datetime) -> datetime | None:
    """The earliest instant any credential's plan may change: the one timer to arm."""
    return min(
        (when for credential in credentials if (when := wake_time(credential, now)) is not None),
        default=None,
    )
