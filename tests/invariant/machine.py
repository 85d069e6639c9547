"""The state machine's rules: what may happen to the account, its locks and Home Assistant.

`tests/test_invariant.py` runs it; `World` (the simulators and the entry) carries the rules out.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date, timedelta
from functools import partial
import os
from typing import Any

from freezegun import api as freezegun_api
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from custom_components.smartlock_tuya.const import DOMAIN
from custom_components.smartlock_tuya.tuya import LanBackend
from simulators.stays_server import FaultKind

from .world import GATEWAY, LISTINGS, LOCKS, SP, World, staff_pin

EXAMPLES = int(os.environ.get("SMARTLOCK_INVARIANT_EXAMPLES", "500"))
STEPS = int(os.environ.get("SMARTLOCK_INVARIANT_STEPS", "8"))
#: Rules left out of a run (comma-separated names), to look past a failure already known.
OFF = frozenset(filter(None, os.environ.get("SMARTLOCK_INVARIANT_OFF", "").split(",")))
#: CI replays the same examples for a given commit; a long run sets this to explore.
DERANDOMIZE = os.environ.get("SMARTLOCK_INVARIANT_RANDOM", "0") != "1"
#: Shrink a failing example (minutes with long examples); "0" reports it as found.
SHRINK = os.environ.get("SMARTLOCK_INVARIANT_SHRINK", "1") != "0"
#: Print every step with its duration (to tune the run, or to watch an example).
TRACE = bool(os.environ.get("SMARTLOCK_INVARIANT_TRACE"))
#: Stays faults that a poll or a webhook meets (a rejected key is the reauth flow's business).
OUTAGES = (
    FaultKind.SERVER_ERROR,
    FaultKind.BAD_GATEWAY,
    FaultKind.DISCONNECT,
    FaultKind.MALFORMED_JSON,
    FaultKind.WRONG_SHAPE,
    FaultKind.RATE_LIMITED,
)
LOCK_NAMES = tuple(spec.name for spec in LOCKS)
#: Clock jumps: minutes (retries), hours (a push or a window end), days (a stay).
JUMPS = st.one_of(
    st.integers(min_value=1, max_value=30),
    st.integers(min_value=60, max_value=12 * 60),
    st.integers(min_value=24 * 60, max_value=48 * 60),
)
PICK = st.integers(min_value=0, max_value=15)


def when(*conditions: Callable[[Invariant], object]) -> Callable[[Any], Any]:
    """A rule that runs where its conditions hold, unless `SMARTLOCK_INVARIANT_OFF` names it."""

    def decorate(function: Any) -> Any:
        name = function.__name__
        return precondition(
            lambda self: name not in OFF and all(condition(self) for condition in conditions)
        )(function)

    return decorate


def _has_reservations(machine: Invariant) -> object:
    return machine.reservations


def _loaded(machine: Invariant) -> object:
    return machine.world.loaded


def _has_staff(machine: Invariant) -> object:
    return machine.world.truth.staff


def fast_lan_backend() -> Any:
    """The real LAN backend, with timeouts a loopback lock never needs more than.

    A lost reply costs one `timeout`, a command whose report never comes one `confirm_timeout`.
    The sessions' heartbeats run on the loop's clock, which every clock jump moves on: they
    stay on, so a jump also tests the session noticing a silent link and reconnecting.
    """
    return partial(LanBackend, timeout=0.5, confirm_timeout=1.0)


class Invariant(RuleBasedStateMachine):
    """One example: a fresh account, random steps, a quiet point at the end."""

    world: World

    def __init__(self) -> None:
        """Start the example on a fresh day with a fresh entry."""
        super().__init__()
        self.world = type(self).world
        self.failed = False
        self.count = 0
        self.reservations: list[str] = []
        self.run(self.world.begin())

    # -- plumbing -------------------------------------------------------------------------

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run a step to completion on the test's loop; a crash armed on a lock restarts."""
        began = freezegun_api.real_perf_counter()
        try:
            result = self.world.hass.loop.run_until_complete(coroutine)
            if self.world.saves_lost:
                self.world.hass.loop.run_until_complete(self.world.restart())
        except BaseException:
            self.failed = True
            raise
        finally:
            if TRACE:
                took = freezegun_api.real_perf_counter() - began
                name = getattr(coroutine, "__qualname__", "step")
                print(f"{name}: {took:.3f} s")  # noqa: T201
        return result

    def note(self, text: str) -> None:
        """Keep a line for the findings (what hypothesis prints is the steps themselves)."""
        self.world.steps.append(text)

    def pick(self, index: int) -> str:
        """One of this example's reservations."""
        return self.reservations[index % len(self.reservations)]

    @property
    def today(self) -> date:
        """The example's first day (São Paulo), which reservation dates count from."""
        return self.world.start.astimezone(SP).date()

    async def _stays_change(self, webhook: bool, change: Coroutine[Any, Any, Any]) -> None:
        """Change Stays' data, with or without the webhook that tells the integration."""
        self.world.stays.webhook_url = self.world.webhook_url if webhook else None
        try:
            await change
        finally:
            self.world.stays.webhook_url = None
        await self.world.settle()

    # -- Stays: the reservations ----------------------------------------------------------

    @when()
    @rule(
        listing=st.sampled_from(sorted(LISTINGS)),
        arrive=st.integers(min_value=-2, max_value=3),
        nights=st.integers(min_value=1, max_value=4),
        webhook=st.booleans(),
    )
    def book(self, listing: str, arrive: int, nights: int, webhook: bool) -> None:
        """A new booking, from two days ago (in the house) to three days ahead."""
        self.count += 1
        reservation_id = f"R{self.count}"
        phone = f"+55119000{self.count:05d}"
        self.world.truth.phones[reservation_id] = phone
        self.reservations.append(reservation_id)
        check_in = self.today + timedelta(days=arrive)
        self.run(
            self._stays_change(
                webhook,
                self.world.stays.add_reservation(
                    listing_id=listing,
                    check_in=check_in,
                    check_out=check_in + timedelta(days=nights),
                    guest_name=f"Guest {self.count}",
                    phone=phone,
                    reservation_id=reservation_id,
                ),
            )
        )

    @when(_has_reservations)
    @rule(
        pick=PICK,
        arrive=st.integers(min_value=-2, max_value=4),
        nights=st.integers(min_value=1, max_value=4),
        webhook=st.booleans(),
    )
    def change_dates(self, pick: int, arrive: int, nights: int, webhook: bool) -> None:
        """Earlier, later, longer or shorter."""
        check_in = self.today + timedelta(days=arrive)
        self.run(
            self._stays_change(
                webhook,
                self.world.stays.change_reservation(
                    self.pick(pick),
                    checkInDate=check_in.isoformat(),
                    checkOutDate=(check_in + timedelta(days=nights)).isoformat(),
                ),
            )
        )

    @when(_has_reservations)
    @rule(pick=PICK, webhook=st.booleans())
    def move(self, pick: int, webhook: bool) -> None:
        """The guest is moved to the other listing (served by other locks)."""
        reservation_id = self.pick(pick)
        if reservation_id in self.world.truth.revoked:
            return  # a PIN the user took away stays away; moving it is another question
        record = self.world.stays._find_reservation(reservation_id)
        assert record is not None
        other = next(listing for listing in LISTINGS if listing != record["_idlisting"])
        self.run(
            self._stays_change(
                webhook, self.world.stays.change_reservation(reservation_id, _idlisting=other)
            )
        )

    @when(_has_reservations)
    @rule(pick=PICK, webhook=st.booleans())
    def cancel(self, pick: int, webhook: bool) -> None:
        """The booking is cancelled."""
        self.run(self._stays_change(webhook, self.world.stays.cancel_reservation(self.pick(pick))))

    @when(_has_reservations)
    @rule(pick=PICK, webhook=st.booleans())
    def reactivate(self, pick: int, webhook: bool) -> None:
        """A cancelled booking comes back (or a live one is confirmed again)."""
        self.run(
            self._stays_change(webhook, self.world.stays.reactivate_reservation(self.pick(pick)))
        )

    @when(_has_reservations)
    @rule(pick=PICK, webhook=st.booleans())
    def delete(self, pick: int, webhook: bool) -> None:
        """The booking is deleted outright: Stays answers 404 for it from now on."""
        reservation_id = self.pick(pick)
        self.reservations.remove(reservation_id)
        self.run(self._stays_change(webhook, self.world.stays.delete_reservation(reservation_id)))

    # -- Stays: faults and bad data -------------------------------------------------------

    @when()
    @rule(kind=st.sampled_from(OUTAGES), count=st.integers(min_value=1, max_value=12))
    def stays_outage(self, kind: FaultKind, count: int) -> None:
        """The next requests to Stays fail (4 attempts make one read)."""
        self.world.stays.inject_fault(kind, count=count)

    @when()
    @rule()
    def unreadable_record(self) -> None:
        """Stays lists a record nobody can read: every read is partial until it goes."""
        self.count += 1
        self.world.stays.add_raw_reservation({"_id": f"junk{self.count}", "checkInDate": "soon"})

    @when()
    @rule(listing=st.sampled_from(sorted(LISTINGS)))
    def absurd_record(self, listing: str) -> None:
        """A well-formed reservation checking out on 31 December 9999 (bad data, kept)."""
        self.count += 1
        self.run(
            self.world.stays.add_reservation(
                listing_id=listing,
                check_in=self.today,
                check_out=date(9999, 12, 31),
                guest_name=f"Absurd {self.count}",
                reservation_id=f"A{self.count}",
            )
        )

    # -- the locks ------------------------------------------------------------------------

    @when()
    @rule(lock=st.sampled_from(LOCK_NAMES))
    def lock_offline(self, lock: str) -> None:
        """The lock drops off (the Lock Pro's port closes, a Zigbee lock leaves radio range)."""
        self.run(self.world.offline(lock))

    @when()
    @rule(lock=st.sampled_from(LOCK_NAMES))
    def lock_back(self, lock: str) -> None:
        """The lock is reachable again."""
        self.run(self.world.online(lock))

    @when()
    @rule()
    def gateway_offline(self) -> None:
        """The gateway drops off the network: both Zigbee locks are away at once."""
        self.run(self.world.devices[GATEWAY].set_offline("refuse"))

    @when()
    @rule()
    def gateway_back(self) -> None:
        """The gateway is reachable again."""
        self.run(self.world.online(GATEWAY))

    @when()
    @rule(lock=st.sampled_from(LOCK_NAMES), count=st.integers(min_value=1, max_value=2))
    def lose_replies(self, lock: str, count: int) -> None:
        """The lock applies its next PIN commands but its answers are lost."""
        self.world.locks[lock].lose_next_reply(count)

    @when()
    @rule(lock=st.sampled_from(LOCK_NAMES), count=st.integers(min_value=1, max_value=4))
    def refuse_commands(self, lock: str, count: int) -> None:
        """The lock answers its next PIN commands with a failure, storing nothing."""
        self.world.locks[lock].reject_next(count)

    @when()
    @rule(
        lock=st.sampled_from(LOCK_NAMES),
        listings=st.lists(st.sampled_from(sorted(LISTINGS)), min_size=1, max_size=2, unique=True),
    )
    def remap_lock(self, lock: str, listings: list[str]) -> None:
        """The owner changes which listings a lock serves (a gate added to, or taken off, one)."""
        self.run(self.world.serve(lock, tuple(sorted(listings))))

    # -- Home Assistant: restarts and time ------------------------------------------------

    @when()
    @rule()
    def restart(self) -> None:
        """Home Assistant restarts."""
        self.run(self.world.restart())

    @when()
    @rule(lock=st.sampled_from(LOCK_NAMES))
    def crash_after_next_write(self, lock: str) -> None:
        """Home Assistant dies right after this lock's next PIN command, before any save."""
        self.world.crash_armed = lock

    @when(_has_reservations)
    @rule(pick=PICK, news=st.sampled_from(("cancel", "extend", "reactivate")))
    def restart_with_webhook(self, pick: int, news: str) -> None:
        """Home Assistant restarts, and a webhook arrives while the lifecycle is starting."""
        reservation_id = self.pick(pick)
        stays = self.world.stays

        async def webhook() -> None:
            if news == "cancel":
                change = stays.cancel_reservation(reservation_id)
            elif news == "reactivate":
                change = stays.reactivate_reservation(reservation_id)
            else:
                record = stays._find_reservation(reservation_id)
                assert record is not None
                later = date.fromisoformat(record["checkOutDate"]) + timedelta(days=1)
                change = stays.change_reservation(reservation_id, checkOutDate=later.isoformat())
            stays.webhook_url = self.world.webhook_url
            try:
                await change
            finally:
                stays.webhook_url = None

        self.run(self.world.restart(during_start=webhook))

    @when()
    @rule(minutes=JUMPS)
    def jump(self, minutes: int) -> None:
        """Time passes at once (Home Assistant suspended, or simply a quiet stretch)."""
        self.run(self.world.jump(timedelta(minutes=minutes)))

    @when()
    @rule(count=st.integers(min_value=1, max_value=3))
    def notify_fails(self, count: int) -> None:
        """The next guest messages fail in the notify action."""
        self.world.notify_failures += count

    # -- the user's actions ---------------------------------------------------------------

    async def _action(self, service: str, data: dict[str, Any], *, response: bool = False) -> Any:
        try:
            return await self.world.hass.services.async_call(
                DOMAIN, service, data, blocking=True, return_response=response
            )
        except HomeAssistantError as err:
            self.note(f"  {service} answered {type(err).__name__}: {err.translation_key}")
            return err

    @when(_loaded)
    @rule(
        lock=st.sampled_from(LOCK_NAMES),
        starts=st.integers(min_value=-2 * 60, max_value=30 * 60),
        minutes=st.integers(min_value=30, max_value=48 * 60),
    )
    def create_pin(self, lock: str, starts: int, minutes: int) -> None:
        """A staff PIN with its own window; whatever PIN the answer gives is the cleaner's."""
        begin = dt_util.utcnow().replace(second=0, microsecond=0) + timedelta(minutes=starts)
        assert self.world.entry is not None
        entity_id = er.async_get(self.world.hass).async_get_entity_id(
            "lock", DOMAIN, f"{self.world.entry.unique_id}_lock_invariant-{lock}"
        )
        answer = self.run(
            self._action(
                "create_pin",
                {
                    "lock": entity_id,
                    "name": "Cleaner",
                    "starts": begin.isoformat(),
                    "ends": (begin + timedelta(minutes=minutes)).isoformat(),
                },
                response=True,
            )
        )
        if isinstance(answer, dict):
            self.world.truth.staff.append(staff_pin(lock, answer))

    @when(_loaded, _has_staff)
    @rule(pick=PICK)
    def revoke_staff_pin(self, pick: int) -> None:
        """The cleaner's PIN is taken away before its window ends."""
        staff = self.world.truth.staff[pick % len(self.world.truth.staff)]
        answer = self.run(self._action("revoke_pin", {"credential_id": staff.credential_id}))
        if not _unknown(answer):
            staff.revoked = True

    @when(_loaded, _has_reservations)
    @rule(pick=PICK)
    def revoke_guest_pin(self, pick: int) -> None:
        """The owner takes a guest's PIN away for good (on every lock)."""
        reservation_id = self.pick(pick)
        answer = self.run(self._action("revoke_pin", {"reservation_id": reservation_id}))
        if not _unknown(answer):
            self.world.truth.revoked.add(reservation_id)

    @when(_loaded, _has_reservations)
    @rule(pick=PICK)
    def regenerate_pin(self, pick: int) -> None:
        """A new PIN for a guest on every lock; the guest must hear of it."""
        self.run(self._action("regenerate_pin", {"reservation_id": self.pick(pick)}))

    # -- the invariant --------------------------------------------------------------------

    @when()
    @rule()
    def quiet_point(self) -> None:
        """Every fault ends; once the integration had time to converge, check the locks."""
        self.run(self.world.heal())
        self.world.check()

    def teardown(self) -> None:
        """The last quiet point (unless a step already failed), then the entry goes."""
        try:
            if not self.failed:
                self.run(self.world.heal())
                self.world.check()
        finally:
            self.world.hass.loop.run_until_complete(self.world.end())


def _unknown(answer: Any) -> bool:
    """Whether an action said it knows no such PIN (so nothing was revoked)."""
    return isinstance(answer, HomeAssistantError) and answer.translation_key in (
        "unknown_reservation",
        "unknown_credential",
    )
