"""The credential lifecycle of one Stays account: follows Stays, runs the plan, keeps one timer.

The scheduler decides; `LockOperations` acts on the locks, `Alerts` retries and alerts,
`GuestMessenger` tells the guests. This module ties them together: it turns Stays' view
into stays, plans and acts until nothing is due (locks in parallel, one operation at a time
per lock), sends the messages once no lock is held, and arms one timer for the earliest
instant anything is due again.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .alerts import Alerts
from .const import (
    CONF_GRACE,
    CONF_LEAD_TIME,
    CONF_PIN_LENGTH,
    CONF_PIN_SOURCE,
    DEFAULT_GRACE,
    DEFAULT_LEAD_TIME,
    DEFAULT_PIN_LENGTH,
    DEFAULT_PIN_SOURCE,
    DOMAIN,
    EVENT_GUEST_UNLOCKED,
    EVENT_STAFF_UNLOCKED,
    LOGGER,
)
from .guest_messages import GuestMessenger
from .lock_operations import PIN_LENGTH_ERROR, LockOperations
from .owner_requests import OwnerRequests
from .pins import PinSource
from .scheduler import (
    Action,
    Credential,
    CredentialKey,
    CredentialState,
    Desired,
    Stay,
    Verb,
    desired_credentials,
    next_wake,
    plan,
    trusted_latest,
)
from .stays import Reservation, StaysError, StaysNotFoundError
from .storage import CredentialStore
from .timing import stay_for

if TYPE_CHECKING:
    from .coordinator import SmartLockConfigEntry
    from .lock_coordinator import LockRuntime

#: Plans are re-run after acting until nothing is left to do; this bounds a pathological loop.
MAX_ROUNDS: Final = 6
#: Locks worked on at once. tinytuya runs in executor threads; many at once starve the event
#: loop of the GIL (measured: 100 at once stalled it 50-60 ms, 8 at once 3 ms).
MAX_PARALLEL_LOCKS: Final = 8
#: A reservation found alive by id, though a complete read did not list it, is trusted this
#: long before it is asked about again (one call per reservation, not one per sync).
RECHECK_AGAIN: Final = timedelta(hours=6)
#: The soonest the timer fires after a sync, so that nothing overdue spins the loop.
OVERDUE_DELAY: Final = timedelta(seconds=30)


def credentials_signal(entry_id: str) -> str:
    """Dispatched after every sync, for entities that count credentials."""
    return f"{DOMAIN}_{entry_id}_credentials"


class CredentialManager:
    """Runs the lifecycle of one Stays account's credentials."""

    def __init__(
        self, hass: HomeAssistant, entry: SmartLockConfigEntry, store: CredentialStore
    ) -> None:
        """Bind to the entry and its loaded store; nothing runs until `async_start`."""
        self.hass = hass
        self.entry = entry
        self.store = store
        self.sync_lock = asyncio.Lock()
        self._timer: tuple[datetime, CALLBACK_TYPE] | None = None
        self._gone: set[str] = set()
        #: Reservations whose records Stays sent unreadable: neither added nor revoked.
        self._unknown: frozenset[str] = frozenset()
        self._rechecked: dict[str, tuple[Stay, datetime]] = {}
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._pending: asyncio.Task[None] | None = None
        self._parallel = asyncio.Semaphore(MAX_PARALLEL_LOCKS)
        options = entry.options
        self.lead = timedelta(minutes=options.get(CONF_LEAD_TIME, DEFAULT_LEAD_TIME))
        self.grace = timedelta(minutes=options.get(CONF_GRACE, DEFAULT_GRACE))
        self.pin_length = int(options.get(CONF_PIN_LENGTH, DEFAULT_PIN_LENGTH))
        self.pin_source = PinSource(options.get(CONF_PIN_SOURCE, DEFAULT_PIN_SOURCE))
        self.alerts = Alerts(self)
        self.operations = LockOperations(self)
        self.messages = GuestMessenger(self)
        self.requests = OwnerRequests(self)

    @property
    def locks(self) -> dict[str, LockRuntime]:
        """The account's locks that are set up, by subentry id."""
        return self.entry.runtime_data.locks

    @property
    def credentials(self) -> dict[CredentialKey, Credential]:
        """Every stored credential."""
        return self.store.data.credentials

    def for_reservation(self, reservation_id: str) -> list[Credential]:
        """The live credentials of a reservation, one per lock."""
        return [
            credential
            for credential in self.credentials.values()
            if credential.key.reservation_id == reservation_id and credential.live
        ]

    @property
    def timers(self) -> int:
        """How many timers the lifecycle holds armed (at most one)."""
        return 0 if self._timer is None else 1

    # -- start and stop ---------------------------------------------------------------------

    async def async_start(self) -> None:
        """Follow Stays and the locks, then reconcile what is overdue.

        Listeners come first: whatever a first sync meets, later news is still acted on.
        A stored snapshot is trusted for pushes but never for revocations until Stays has
        been read again in full.
        """
        coordinator = self.entry.runtime_data.coordinator
        self._unsubscribe.append(coordinator.async_add_listener(self._on_stays_update))
        for subentry_id, lock in self.locks.items():
            self._unsubscribe.append(
                lock.coordinator.async_add_unlock_listener(partial(self._on_unlock, subentry_id))
            )
        self.store.data.stays_complete = False
        for credential in self.credentials.values():
            if credential.last_error == PIN_LENGTH_ERROR:
                credential.next_attempt = None  # the options may fit the lock now
        self._take_stays()
        await self.async_sync()

    @callback
    def async_stop(self) -> None:
        """Cancel the timer and every listener (the unload path)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        if self._timer is not None:
            self._timer[1]()
            self._timer = None
        if self._pending is not None:
            self._pending.cancel()

    # -- following Stays --------------------------------------------------------------------

    def _take_stays(self) -> None:
        """Adopt the coordinator's view when it is fresh: a complete one becomes the snapshot.

        A record whose dates no lock can hold keeps the stay last known for it, if any; so does
        a reservation whose record Stays sent unreadable (its id in `unknown`).
        """
        coordinator = self.entry.runtime_data.coordinator
        data = coordinator.data
        if not coordinator.last_update_success or data is None:
            return
        previous = self.store.data.stays
        stays: dict[str, Stay] = {}
        for reservation in data.reservations.values():
            if not reservation.expects_guest:
                continue
            if (stay := self._stay(reservation)) is not None:
                stays[reservation.id] = stay
            elif reservation.id in previous:
                stays[reservation.id] = previous[reservation.id]
        for reservation_id in data.unknown:
            if reservation_id in previous:
                stays[reservation_id] = previous[reservation_id]
        self._unknown = data.unknown
        if data.complete:
            horizon = dt_util.utcnow() - RECHECK_AGAIN
            for reservation_id, (stay, at) in list(self._rechecked.items()):
                if at < horizon or reservation_id in stays:
                    del self._rechecked[reservation_id]
                else:
                    stays[reservation_id] = stay
            self.store.data.stays = stays
            self._gone -= set(stays)
        else:
            previous.update(stays)
        self.store.data.stays_complete = data.complete

    def _stay(self, reservation: Reservation) -> Stay | None:
        """A reservation at its listing's instants, or `None` when no lock could hold them."""
        coordinator = self.entry.runtime_data.coordinator
        settings = coordinator.data.booking_settings.get(reservation.listing_id)
        stay = stay_for(reservation, settings, coordinator.clock, lead=self.lead, grace=self.grace)
        if stay is None:
            LOGGER.warning("Reservation %s has dates no lock can hold; skipped", reservation.id)
        return stay

    @callback
    def _on_stays_update(self) -> None:
        self._take_stays()
        self.async_request_sync()

    @callback
    def async_request_sync(self) -> None:
        """Run a sync soon; requests while one is pending fold into it."""
        if self._pending is None or self._pending.done():
            self._pending = self.entry.async_create_background_task(
                self.hass, self.async_sync(), f"{DOMAIN} lifecycle sync"
            )

    def locks_by_listing(self) -> dict[str, list[str]]:
        """The set-up locks of each listing."""
        by_listing: dict[str, list[str]] = defaultdict(list)
        for subentry_id, lock in self.locks.items():
            for listing_id in lock.listing_ids:
                by_listing[listing_id].append(subentry_id)
        return by_listing

    def desired(self) -> dict[CredentialKey, Desired]:
        """The credentials the known stays call for."""
        return desired_credentials(
            self.store.data.stays.values(),
            self.locks_by_listing(),
            lead=self.lead,
            grace=self.grace,
        )

    def _plan(self) -> list[Action]:
        now = dt_util.utcnow()
        data = self.store.data
        ended_by = trusted_latest(data.latest, now)
        if ended_by is None and data.latest is not None and data.latest > now:
            LOGGER.warning(
                "The clock is %s behind the last plan: taken as a clock that ran ahead before",
                data.latest - now,
            )
        if ended_by is None or now > ended_by:
            data.latest = now  # saved with the next outcome
        actions = plan(
            self.desired(),
            self.credentials,
            now,
            complete=data.stays_complete,
            gone=frozenset(self._gone),
            known=frozenset(data.stays),
            unknown=self._unknown,
            ended_by=ended_by,
        )
        return [action for action in actions if action.key.lock_id in self.locks]

    async def async_sync(self) -> None:
        """Plan, act, save, and plan again until nothing is due; then message and re-arm.

        Slow calls to Stays (re-checks, guests' phones) are made before the sync lock is
        taken, and guests' messages after it is released.
        """
        await self._prefetch()
        async with self.sync_lock:
            for _ in range(MAX_ROUNDS):
                # Re-checks were asked before the lock; one Stays could not answer waits.
                actions = [a for a in self._plan() if a.verb is not Verb.RECHECK]
                if not actions:
                    break
                await self._act(actions)
            if self.store.prune(dt_util.utcnow()):
                await self.store.async_save()
        retry = None
        try:
            retry = await self.messages.async_send_due()
        finally:
            self._arm_timer(retry)
            async_dispatcher_send(self.hass, credentials_signal(self.entry.entry_id))

    async def _prefetch(self) -> None:
        """Ask Stays what the plan will need, with no lock held."""
        actions = self._plan()
        for reservation_id in {a.key.reservation_id for a in actions if a.verb is Verb.RECHECK}:
            await self._recheck(reservation_id)
        if self.pin_source is PinSource.PHONE:
            await self.messages.async_fetch(
                {
                    a.key.reservation_id
                    for a in actions
                    if a.verb is Verb.ADD and a.desired is not None and a.desired.phone is None
                }
            )

    async def _act(self, actions: list[Action]) -> None:
        """Each lock's operations, locks in parallel, one at a time per lock."""
        by_lock: dict[str, list[Action]] = defaultdict(list)
        for action in actions:
            by_lock[action.key.lock_id].append(action)
        await asyncio.gather(*(self._act_on_lock(group) for group in by_lock.values()))

    async def _act_on_lock(self, actions: Iterable[Action]) -> None:
        async with self._parallel:
            for action in actions:
                await self.operations.run(action)

    async def _recheck(self, reservation_id: str) -> None:
        """Ask Stays about a reservation a complete read no longer lists, before revoking."""
        client = self.entry.runtime_data.client
        try:
            reservation = await client.reservation(reservation_id)
        except StaysNotFoundError:
            reservation = None
        except StaysError as err:
            LOGGER.debug("Re-check of reservation %s failed: %s", reservation_id, err)
            return  # fail closed: try again at the next sync
        stay = self._stay(reservation) if reservation and reservation.expects_guest else None
        if stay is None:
            self._gone.add(reservation_id)
            self.store.audit("stays_gone", reservation_id=reservation_id)
            return
        self._rechecked[reservation_id] = (stay, dt_util.utcnow())
        self.store.data.stays[reservation_id] = stay

    async def async_apply_reservation(
        self, reservation: Reservation | None, reservation_id: str
    ) -> None:
        """Take one reservation as Stays has it now (a webhook's news); the sync follows soon.

        The caller (the webhook) answers at once: the locks are worked on in the background.
        """
        stay = self._stay(reservation) if reservation and reservation.expects_guest else None
        if stay is None:
            if reservation_id in self.store.data.stays or any(
                key.reservation_id == reservation_id for key in self.credentials
            ):
                self.store.data.stays.pop(reservation_id, None)
                self._rechecked.pop(reservation_id, None)
                self._gone.add(reservation_id)
        else:
            self.store.data.stays[reservation_id] = stay
            self._gone.discard(reservation_id)
        await self.store.async_save()
        self.async_request_sync()

    # -- check-in ---------------------------------------------------------------------------

    @callback
    def _on_unlock(self, lock_id: str, lock_pin_id: str) -> None:
        """A guest's first unlock says they arrived; every unlock by a staff credential is told."""
        for credential in self.credentials.values():
            if (
                credential.key.lock_id == lock_id
                and credential.lock_pin_id == lock_pin_id
                and credential.state is CredentialState.ACTIVE
            ):
                if credential.staff:
                    self.store.audit("staff_unlocked", credential.key)
                    self.alerts.fire(EVENT_STAFF_UNLOCKED, credential)
                elif not credential.checked_in:
                    credential.checked_in = True
                    self.store.audit("guest_unlocked", credential.key)
                    self.alerts.fire(EVENT_GUEST_UNLOCKED, credential)
                else:
                    return
                self.entry.async_create_background_task(
                    self.hass, self.store.async_save(), f"{DOMAIN} save unlock"
                )
                return

    # -- the one timer ----------------------------------------------------------------------

    @callback
    def _arm_timer(self, message_retry: datetime | None) -> None:
        """One timer for the whole account: the earliest instant anything is due again."""
        now = dt_util.utcnow()
        moments = [
            when
            for when in (
                next_wake(
                    (c for key, c in self.credentials.items() if key.lock_id in self.locks), now
                ),
                message_retry,
            )
            if when is not None
        ]
        when = min(moments, default=None)
        if when is not None:
            # Whatever was due has just been done or tried: anything overdue waits a little.
            when = max(when, now + OVERDUE_DELAY)
        if self._timer is not None:
            if self._timer[0] == when:
                return
            self._timer[1]()
            self._timer = None
        if when is not None:
            self._timer = (when, async_track_point_in_utc_time(self.hass, self._fired, when))

    @callback
    def _fired(self, _: datetime) -> None:
        self._timer = None
        self.async_request_sync()
