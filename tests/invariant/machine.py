"""The state machine: what may happen to the account, its locks and Home Assistant.

`tests/test_invariant.py` runs it; `World` (the simulators and the entry) carries the rules
out. Stays' rules and the owner's are in `stays_rules.py` and `user_rules.py`; here are the
network, the locks, Home Assistant's restarts and time, and the quiet points.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st
from hypothesis.stateful import initialize, rule

from .base import JUMPS, LOCK_NAMES, PICK, has_reservations, when
from .devices import GATEWAY, VERSIONS
from .stays_rules import StaysRules
from .user_rules import UserRules
from .world import LISTINGS

#: A clock set back (an NTP correction): minutes to a few hours.
JUMPS_BACK = st.integers(min_value=1, max_value=4 * 60)


class Invariant(StaysRules, UserRules):
    """One example: a fresh account, random steps, a quiet point at the end."""

    @initialize(door=st.sampled_from(VERSIONS["door"]), gateway=st.sampled_from(VERSIONS[GATEWAY]))
    def network(self, door: str, gateway: str) -> None:
        """A fresh day, a fresh entry; the door and the gateway speak these protocols."""
        self.run(self.world.begin({"door": door, GATEWAY: gateway}))

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

    @when(has_reservations)
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

    @when()
    @rule(minutes=JUMPS_BACK)
    def jump_back(self, minutes: int) -> None:
        """The clock is set back: nothing revoked may come back, nothing live may go."""
        self.run(self.world.jump_back(timedelta(minutes=minutes)))

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
