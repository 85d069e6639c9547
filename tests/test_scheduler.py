"""The scheduler's decisions, as a pure function: no Home Assistant, no locks, no clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.smartlock_tuya.scheduler import (
    LATEST_END,
    MAX_SET_BACK,
    PUSH_AHEAD,
    SLOW_BACKOFF,
    Action,
    Credential,
    CredentialKey,
    CredentialState as S,
    Desired,
    Stay,
    Verb,
    desired_credentials,
    next_wake,
    plan,
    retry_delay,
    trusted_latest,
    wake_time,
    window_fits,
)

T0 = datetime(2026, 3, 10, 15, tzinfo=UTC)
KEY = CredentialKey("R-1", "lock-a")
H = timedelta(hours=1)


def want(
    starts: datetime = T0 + 48 * H, ends: datetime = T0 + 96 * H, key: CredentialKey = KEY
) -> Desired:
    return Desired(key=key, listing_id="L", starts=starts, ends=ends)


def have(state: S = S.SCHEDULED, **changes: object) -> Credential:
    values: dict[str, object] = {
        "key": KEY,
        "listing_id": "L",
        "ref": 1,
        "pin": "482913",
        "starts": T0 + 48 * H,
        "ends": T0 + 96 * H,
        "state": state,
    } | changes
    return Credential(**values)  # type: ignore[arg-type]


def verbs(actions: list[Action]) -> list[tuple[Verb, str]]:
    return [(action.verb, action.key.reservation_id) for action in actions]


def test_desired_one_per_stay_and_lock() -> None:
    """A stay on a listing with two locks wants two credentials with the buffered window."""
    stay = Stay(reservation_id="R-1", listing_id="L", check_in=T0, check_out=T0 + 72 * H)
    desired = desired_credentials(
        [stay, Stay(reservation_id="R-2", listing_id="unmapped", check_in=T0, check_out=T0 + H)],
        {"L": ["lock-a", "gate"]},
        lead=timedelta(minutes=60),
        grace=timedelta(minutes=30),
    )
    assert sorted(desired) == [CredentialKey("R-1", "gate"), CredentialKey("R-1", "lock-a")]
    assert desired[KEY].starts == T0 - H
    assert desired[KEY].ends == T0 + 72 * H + timedelta(minutes=30)


def test_new_stay_is_added_and_pushed_a_day_ahead() -> None:
    """Added at once; pushed once within a day of its window."""
    assert verbs(plan({KEY: want()}, {}, T0, complete=True)) == [(Verb.ADD, "R-1")]
    assert plan({KEY: want()}, {KEY: have()}, T0, complete=True) == []
    due = T0 + 48 * H - PUSH_AHEAD
    assert verbs(plan({KEY: want()}, {KEY: have()}, due, complete=True)) == [(Verb.PUSH, "R-1")]


def test_past_stays_are_not_added() -> None:
    """A stay whose window is over needs no PIN."""
    assert plan({KEY: want(T0 - 10 * H, T0 - H)}, {}, T0, complete=True) == []


def test_active_is_revoked_at_window_end_even_without_stays() -> None:
    """The window closes on time whatever Stays says, complete or not."""
    active = {KEY: have(S.ACTIVE, lock_pin_id="3")}
    end = T0 + 96 * H
    assert plan({}, active, end - timedelta(seconds=1), complete=False) == []
    assert verbs(plan({}, active, end, complete=False)) == [(Verb.REVOKE, "R-1")]


def test_partial_read_never_revokes() -> None:
    """A credential missing from an incomplete read is left alone."""
    assert plan({}, {KEY: have(S.ACTIVE, lock_pin_id="3")}, T0, complete=False) == []


def test_unknown_reservation_is_left_alone_in_a_complete_read() -> None:
    """Only the reservation whose record was unreadable is held back; another is re-checked."""
    other = CredentialKey("R-2", "lock-a")
    stored = {KEY: have(S.ACTIVE, lock_pin_id="3"), other: have(S.ACTIVE, key=other)}
    actions = plan({}, stored, T0, complete=True, unknown=frozenset({"R-1"}))
    assert verbs(actions) == [(Verb.RECHECK, "R-2")]


def test_missing_from_complete_read_is_rechecked_first() -> None:
    """Re-check by id, once per reservation; revoke (or forget) only when confirmed gone."""
    other = CredentialKey("R-1", "gate")
    stored = {KEY: have(S.ACTIVE, lock_pin_id="3"), other: have(key=other)}
    assert verbs(plan({}, stored, T0, complete=True)) == [(Verb.RECHECK, "R-1")]
    gone = plan({}, stored, T0, complete=True, gone=frozenset({"R-1"}))
    assert sorted((a.verb, a.key.lock_id) for a in gone) == [
        (Verb.FORGET, "gate"),
        (Verb.REVOKE, "lock-a"),
    ]


def test_window_change() -> None:
    """On the lock: move it; not yet on the lock: just store the new window."""
    longer = want(ends=T0 + 120 * H)
    assert verbs(
        plan({KEY: longer}, {KEY: have(S.ACTIVE, lock_pin_id="3")}, T0, complete=True)
    ) == [(Verb.MOVE, "R-1")]
    assert verbs(plan({KEY: longer}, {KEY: have()}, T0, complete=True)) == [(Verb.RETIME, "R-1")]
    waiting = {KEY: have(S.ACTIVE, lock_pin_id="3", next_attempt=T0 + H)}
    assert plan({KEY: longer}, waiting, T0, complete=True) == []  # a failed move waits its turn


def test_retries_wait_for_their_time() -> None:
    """A failed push is retried only when its next attempt is due."""
    due = T0 + 48 * H
    failed = have(S.FAILED, attempts=3, next_attempt=due + timedelta(minutes=15))
    assert plan({KEY: want()}, {KEY: failed}, due, complete=True) == []
    later = due + timedelta(minutes=15)
    assert verbs(plan({KEY: want()}, {KEY: failed}, later, complete=True)) == [(Verb.PUSH, "R-1")]
    orphan = have(S.ORPHANED, lock_pin_id="3", next_attempt=later)
    assert plan({}, {KEY: orphan}, due, complete=False) == []
    assert verbs(plan({}, {KEY: orphan}, later, complete=False)) == [(Verb.REVOKE, "R-1")]


def test_unpushed_credential_expires() -> None:
    """A window that passed before the PIN ever reached the lock is closed without a lock call."""
    assert verbs(plan({}, {KEY: have()}, T0 + 96 * H, complete=True)) == [(Verb.EXPIRE, "R-1")]


def test_reactivated_stay_comes_back_unless_a_user_revoked_it() -> None:
    """Stays taking a reservation back restores its credential; a user's revoke stands."""
    revoked = have(S.REVOKED)
    assert verbs(plan({KEY: want()}, {KEY: revoked}, T0, complete=True)) == [(Verb.RETIME, "R-1")]
    by_user = have(S.REVOKED, revoked_by_user=True)
    assert plan({KEY: want()}, {KEY: by_user}, T0, complete=True) == []


def test_staff_pins_live_by_their_window_alone() -> None:
    """Ad-hoc PINs are not reservations: Stays' silence about them means nothing."""
    staff = have(S.ACTIVE, lock_pin_id="9", staff=True)
    assert plan({}, {KEY: staff}, T0, complete=True) == []
    assert verbs(plan({}, {KEY: staff}, T0 + 96 * H, complete=True)) == [(Verb.REVOKE, "R-1")]


def test_revocations_come_first() -> None:
    """At start-up, doors to close before doors to open."""
    closing = CredentialKey("A-closing", "lock-a")
    opening = CredentialKey("Z-opening", "lock-a")
    stored = {closing: have(S.ACTIVE, key=closing, lock_pin_id="1", ends=T0 - H)}
    desired = {opening: want(T0, T0 + H, key=opening)}
    assert [a.verb for a in plan(desired, stored, T0, complete=True)] == [Verb.REVOKE, Verb.ADD]


def test_plan_is_idempotent() -> None:
    """Asking twice gives the same answer: nothing is done twice by asking again."""
    stored = {KEY: have(S.ACTIVE, lock_pin_id="3")}
    first = plan({KEY: want()}, stored, T0, complete=True)
    assert first == plan({KEY: want()}, stored, T0, complete=True) == []


@pytest.mark.parametrize(
    ("credential", "expected"),
    [
        (have(), T0 + 48 * H - PUSH_AHEAD),
        (have(S.ACTIVE, lock_pin_id="3"), T0 + 96 * H),
        (have(S.ACTIVE, lock_pin_id="3", next_attempt=T0 + H), T0 + H),
        (have(S.ORPHANED, lock_pin_id="3", next_attempt=T0 + H), T0 + H),
        (have(S.FAILED, next_attempt=T0 + 200 * H), T0 + 96 * H),
        (have(S.REVOKED), None),
    ],
)
def test_wake_time(credential: Credential, expected: datetime | None) -> None:
    """A timer only where a transition is pending: none for revoked credentials."""
    assert wake_time(credential, T0) == expected


def test_retry_delay() -> None:
    """Three quick retries, exponential, then the slow pace."""
    assert [retry_delay(n) for n in (1, 2, 3, 4, 10)] == [
        timedelta(seconds=30),
        timedelta(minutes=1),
        timedelta(minutes=2),
        SLOW_BACKOFF,
        SLOW_BACKOFF,
    ]


def test_key_round_trip() -> None:
    """Keys survive storage; junk is refused."""
    assert CredentialKey.parse(str(KEY)) == KEY
    assert CredentialKey.parse("a|b|lock") == CredentialKey("a|b", "lock")
    with pytest.raises(ValueError, match="key"):
        CredentialKey.parse("no-separator")


def test_windows_no_lock_can_hold_are_left_out() -> None:
    """Cases 4 and 16: a stay ending past 2106, or at the end of time, wants nothing."""
    far = datetime(2200, 1, 1, tzinfo=UTC)
    stays = [
        Stay(reservation_id="R-far", listing_id="L", check_in=T0, check_out=far),
        Stay(
            reservation_id="R-max",
            listing_id="L",
            check_in=T0,
            check_out=datetime.max.replace(tzinfo=UTC),
        ),
        Stay(reservation_id="R-ok", listing_id="L", check_in=T0, check_out=T0 + 72 * H),
    ]
    desired = desired_credentials(stays, {"L": ["lock-a"]}, lead=H, grace=H)
    assert [key.reservation_id for key in desired] == ["R-ok"]
    assert window_fits(T0, LATEST_END)
    assert not window_fits(T0, LATEST_END + timedelta(seconds=1))


def test_known_elsewhere_is_revoked_without_a_recheck() -> None:
    """Case 3: Stays has the reservation live, but not for this lock: it leaves the lock."""
    stored = {KEY: have(S.ACTIVE, starts=T0 - H, lock_pin_id="1")}
    assert verbs(plan({}, stored, T0, complete=True, known=frozenset({"R-1"}))) == [
        (Verb.REVOKE, "R-1")
    ]
    stored = {KEY: have(S.SCHEDULED)}
    assert verbs(plan({}, stored, T0, complete=False, known=frozenset({"R-1"}))) == [
        (Verb.FORGET, "R-1")
    ]


def test_confirmed_gone_counts_even_after_a_partial_read() -> None:
    """Case 5: a cancellation confirmed by id is acted on whatever the last read was."""
    stored = {KEY: have(S.ACTIVE, starts=T0 - H, lock_pin_id="1")}
    assert verbs(plan({}, stored, T0, complete=False, gone=frozenset({"R-1"}))) == [
        (Verb.REVOKE, "R-1")
    ]
    assert plan({}, stored, T0, complete=False) == []


def test_unconfirmed_create_is_revoked_not_expired_or_forgotten() -> None:
    """Case 2: a PIN that may be on the lock is deleted before anything calls it gone."""
    maybe = have(S.FAILED, unconfirmed=True)
    assert maybe.on_lock
    assert verbs(plan({}, {KEY: maybe}, T0 + 97 * H, complete=True)) == [(Verb.REVOKE, "R-1")]
    assert verbs(plan({}, {KEY: maybe}, T0, complete=True, gone=frozenset({"R-1"}))) == [
        (Verb.REVOKE, "R-1")
    ]


def test_staff_pin_pushed_at_once() -> None:
    """Case 17: a staff credential goes to the lock now, whoever waits for it."""
    staff = have(S.SCHEDULED, staff=True, starts=T0 + 72 * H, ends=T0 + 80 * H)
    assert verbs(plan({}, {KEY: staff}, T0, complete=True)) == [(Verb.PUSH, "R-1")]
    assert wake_time(staff, T0) == T0


def test_one_wake_for_all() -> None:
    """Issue 11: the earliest instant of all, or none when nothing waits."""
    early = have(S.ACTIVE, ends=T0 + 5 * H)
    late = have(S.SCHEDULED, key=CredentialKey("R-2", "lock-a"))
    assert next_wake([early, late], T0) == T0 + 5 * H
    assert next_wake([have(S.REVOKED)], T0) is None
    # A retry time already past does not hold the timer at "now" for an active credential.
    assert wake_time(have(S.ACTIVE, next_attempt=T0 - H), T0) == T0 + 96 * H


def test_clock_set_back_reopens_no_ended_window() -> None:
    """An NTP correction back: a window that ended by the latest plan stays ended."""
    ended = T0 + 96 * H
    back = ended - 3 * H  # the clock now says three hours before the window's end
    revoked = {KEY: have(S.REVOKED)}
    assert verbs(plan({KEY: want()}, revoked, back, complete=True)) == [(Verb.RETIME, "R-1")]
    assert plan({KEY: want()}, revoked, back, complete=True, ended_by=ended) == []
    assert plan({KEY: want()}, {}, back, complete=True, ended_by=ended) == []
    active = {KEY: have(S.ACTIVE, lock_pin_id="1")}
    assert verbs(plan({KEY: want()}, active, back, complete=True, ended_by=ended)) == [
        (Verb.REVOKE, "R-1")
    ]
    # Nothing live goes: a window still open at the latest plan is left alone.
    assert plan({KEY: want()}, active, back, complete=True, ended_by=ended - H) == []


def test_latest_plan_is_trusted_only_for_a_correction() -> None:
    """A set-back up to MAX_SET_BACK keeps the latest instant; a clock that ran ahead does not."""
    assert trusted_latest(None, T0) is None
    assert trusted_latest(T0 - H, T0) == T0 - H  # the clock moved on: nothing to correct
    assert trusted_latest(T0 + MAX_SET_BACK, T0) == T0 + MAX_SET_BACK
    assert trusted_latest(T0 + MAX_SET_BACK + H, T0) is None


def test_revoked_reservation_gets_no_new_lock() -> None:
    """A lock added to the listing of a reservation a user revoked does not get its PIN."""
    other = CredentialKey("R-1", "lock-b")
    stored = {KEY: have(S.REVOKED, revoked_by_user=True)}
    assert plan({KEY: want(), other: want(key=other)}, stored, T0, complete=True) == []
    stored = {KEY: have(S.REVOKED)}  # revoked by Stays (a cancellation): a new lock is fine
    assert verbs(plan({other: want(key=other)}, stored, T0, complete=True)) == [(Verb.ADD, "R-1")]
