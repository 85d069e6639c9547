"""The PIN lifecycle at work: carries out the scheduler's plan on the locks, and keeps time.

The scheduler decides; this module acts: it chooses PINs, calls the lock backends (locks in
parallel, one operation at a time per lock), saves every outcome at once, retries with
backoff, raises repairs after the quick attempts, fires events, sends the guest's message,
and arms one timer per pending transition.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components import persistent_notification
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_point_in_utc_time
from homeassistant.util import dt as dt_util

from .const import (
    CONF_GRACE,
    CONF_LEAD_TIME,
    CONF_MESSAGE_TEMPLATE,
    CONF_NOTIFY_SERVICE,
    CONF_PIN_LENGTH,
    CONF_PIN_SOURCE,
    DEFAULT_GRACE,
    DEFAULT_LEAD_TIME,
    DEFAULT_PIN_LENGTH,
    DEFAULT_PIN_SOURCE,
    DOMAIN,
    EVENT_GUEST_UNLOCKED,
    EVENT_PIN_CREATED,
    EVENT_PIN_FAILED,
    EVENT_PIN_REVOKED,
    LOGGER,
)
from .entity import lock_unique_id
from .messages import default_message_template
from .notify import async_send, render_message
from .pins import PinSource, generate
from .scheduler import (
    QUICK_BACKOFF,
    Action,
    Credential,
    CredentialKey,
    CredentialState,
    Desired,
    Stay,
    Verb,
    desired_credentials,
    plan,
    retry_delay,
    wake_time,
)
from .stays import Reservation, StaysError, StaysNotFoundError
from .storage import LifecycleStore
from .timing import stay_period
from .tuya import LockError, PinRequest, PinWindow, UnsupportedOperationError

if TYPE_CHECKING:
    from .coordinator import SmartLockConfigEntry
    from .lock_coordinator import LockRuntime

#: Plans are re-run after acting until nothing is left to do; this bounds a pathological loop.
MAX_ROUNDS: Final = 6
#: Locks worked on at once. tinytuya runs in executor threads; many at once starve the event
#: loop of the GIL (measured: 100 at once stalled it 50-60 ms, 8 at once 3 ms).
MAX_PARALLEL_LOCKS: Final = 8


def credentials_signal(entry_id: str) -> str:
    """Dispatched after every sync, for entities that count credentials."""
    return f"{DOMAIN}_{entry_id}_credentials"


def stay_of(reservation: Reservation, start: datetime, end: datetime) -> Stay:
    """What the lifecycle keeps of a reservation (first name only; phone for `phone` PINs)."""
    guest = reservation.guest
    return Stay(
        reservation_id=reservation.id,
        listing_id=reservation.listing_id,
        check_in=dt_util.as_utc(start),
        check_out=dt_util.as_utc(end),
        guest_name=guest.first_name if guest else None,
        phone=guest.phones[0] if guest and guest.phones else None,
    )


class PinManager:
    """Runs the lifecycle of one Stays account's credentials."""

    def __init__(self, hass: HomeAssistant, entry: SmartLockConfigEntry) -> None:
        """Bind to the entry; nothing runs until `async_start`."""
        self.hass = hass
        self.entry = entry
        self.store = LifecycleStore(hass, entry.entry_id)
        self._sync_lock = asyncio.Lock()
        self._timers: dict[CredentialKey, tuple[datetime, CALLBACK_TYPE]] = {}
        self._gone: set[str] = set()
        self._unsubscribe: list[CALLBACK_TYPE] = []
        self._pending: asyncio.Task[None] | None = None
        self._parallel = asyncio.Semaphore(MAX_PARALLEL_LOCKS)
        options = entry.options
        self.lead = timedelta(minutes=options.get(CONF_LEAD_TIME, DEFAULT_LEAD_TIME))
        self.grace = timedelta(minutes=options.get(CONF_GRACE, DEFAULT_GRACE))
        self.pin_length = int(options.get(CONF_PIN_LENGTH, DEFAULT_PIN_LENGTH))
        self.pin_source = PinSource(options.get(CONF_PIN_SOURCE, DEFAULT_PIN_SOURCE))

    @property
    def _locks(self) -> dict[str, LockRuntime]:
        return self.entry.runtime_data.locks

    @property
    def credentials(self) -> dict[CredentialKey, Credential]:
        """Every stored credential."""
        return self.store.data.credentials

    # -- start and stop ---------------------------------------------------------------------

    async def async_start(self) -> None:
        """Load, reconcile what is overdue, then follow Stays and the locks."""
        await self.store.async_load()
        coordinator = self.entry.runtime_data.coordinator
        self._take_stays()
        await self.async_sync()
        self._unsubscribe.append(coordinator.async_add_listener(self._on_stays_update))
        for subentry_id, lock in self._locks.items():
            self._unsubscribe.append(
                lock.coordinator.async_add_unlock_listener(partial(self._on_unlock, subentry_id))
            )

    @callback
    def async_stop(self) -> None:
        """Cancel every timer and listener (the unload path)."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        for _, cancel in self._timers.values():
            cancel()
        self._timers.clear()
        if self._pending is not None:
            self._pending.cancel()

    # -- following Stays --------------------------------------------------------------------

    def _take_stays(self) -> None:
        """Adopt the coordinator's view when it is fresh and complete: it becomes the snapshot."""
        coordinator = self.entry.runtime_data.coordinator
        data = coordinator.data
        if not coordinator.last_update_success or data is None:
            return
        stays = {}
        for reservation in data.reservations.values():
            if reservation.expects_guest:
                stays[reservation.id] = self._stay(reservation)
        if data.complete:
            self.store.data.stays = stays
            self._gone -= set(stays)
        else:
            self.store.data.stays.update(stays)
        self.store.data.stays_complete = data.complete

    def _stay(self, reservation: Reservation) -> Stay:
        """A reservation at its listing's check-in and check-out instants."""
        coordinator = self.entry.runtime_data.coordinator
        settings = coordinator.data.booking_settings.get(reservation.listing_id)
        return stay_of(reservation, *stay_period(reservation, settings, coordinator.clock))

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

    def _locks_by_listing(self) -> dict[str, list[str]]:
        by_listing: dict[str, list[str]] = defaultdict(list)
        for subentry_id, lock in self._locks.items():
            for listing_id in lock.listing_ids:
                by_listing[listing_id].append(subentry_id)
        return by_listing

    def desired(self) -> dict[CredentialKey, Desired]:
        """The credentials the known stays call for."""
        return desired_credentials(
            self.store.data.stays.values(),
            self._locks_by_listing(),
            lead=self.lead,
            grace=self.grace,
        )

    async def async_sync(self) -> None:
        """Plan, act, save, and plan again until nothing is due; then arm the timers."""
        async with self._sync_lock:
            for _ in range(MAX_ROUNDS):
                actions = plan(
                    self.desired(),
                    self.credentials,
                    dt_util.utcnow(),
                    complete=self.store.data.stays_complete,
                    gone=frozenset(self._gone),
                )
                actions = [a for a in actions if a.key.lock_id in self._locks]
                if not actions:
                    break
                await self._act(actions)
            self._arm_timers()
        async_dispatcher_send(self.hass, credentials_signal(self.entry.entry_id))

    async def _act(self, actions: list[Action]) -> None:
        """Rechecks and bookkeeping first; then each lock's operations, locks in parallel."""
        for action in actions:
            if action.verb is Verb.RECHECK:
                await self._recheck(action.key.reservation_id)
        by_lock: dict[str, list[Action]] = defaultdict(list)
        for action in actions:
            if action.verb is not Verb.RECHECK:
                by_lock[action.key.lock_id].append(action)
        await asyncio.gather(*(self._act_on_lock(group) for group in by_lock.values()))

    async def _act_on_lock(self, actions: Iterable[Action]) -> None:
        async with self._parallel:
            for action in actions:
                await _HANDLERS[action.verb](self, action)

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
        if reservation is None or not reservation.expects_guest:
            self._gone.add(reservation_id)
            self.store.audit("stays_gone", reservation_id=reservation_id)
            return
        self.store.data.stays[reservation.id] = self._stay(reservation)

    async def async_apply_reservation(
        self, reservation: Reservation | None, reservation_id: str
    ) -> None:
        """Take one reservation as Stays has it now (a webhook's news) and act at once."""
        if reservation is None or not reservation.expects_guest:
            if reservation_id in self.store.data.stays or any(
                key.reservation_id == reservation_id for key in self.credentials
            ):
                self.store.data.stays.pop(reservation_id, None)
                self._gone.add(reservation_id)
        else:
            self.store.data.stays[reservation.id] = self._stay(reservation)
            self._gone.discard(reservation.id)
        await self.store.async_save()
        await self.async_sync()

    # -- what actions ask for ----------------------------------------------------------------

    def for_reservation(self, reservation_id: str) -> list[Credential]:
        """The live credentials of a reservation, one per lock."""
        return [
            credential
            for credential in self.credentials.values()
            if credential.key.reservation_id == reservation_id and credential.live
        ]

    async def async_create_adhoc(
        self, lock_id: str, name: str, starts: datetime, ends: datetime, pin: str | None
    ) -> Credential:
        """A staff PIN (cleaner, maintenance) with its own window, outside any reservation."""
        key = CredentialKey(f"adhoc-{dt_util.utcnow().strftime('%Y%m%d%H%M%S%f')}", lock_id)
        lock = self._locks[lock_id]
        taken = self._taken_pins({lock_id}, dt_util.as_utc(starts), dt_util.as_utc(ends))
        if pin is None:
            pin = generate(self.pin_length, taken=taken).pin
        elif pin in taken:
            raise ValueError("pin_in_use")
        elif lock.profile and lock.profile.check_pin(pin) is not None:
            raise ValueError("pin_does_not_fit")
        async with self._sync_lock:
            self.credentials[key] = Credential(
                key=key,
                listing_id="",
                ref=self.store.next_ref(lock_id),
                pin=pin,
                starts=dt_util.as_utc(starts),
                ends=dt_util.as_utc(ends),
                guest_name=name,
                adhoc=True,
            )
            self.store.audit("staff_pin_scheduled", key, name)
            await self.store.async_save()
        await self.async_sync()
        return self.credentials[key]

    async def async_revoke(self, keys: Iterable[CredentialKey]) -> None:
        """Take PINs off their locks now, and keep them off (a user's decision)."""
        async with self._sync_lock:
            for key in keys:
                credential = self.credentials[key]
                credential.revoked_by_user = True
                credential.next_attempt = None
                if credential.lock_pin_id is not None:
                    await self._revoke(Action(verb=Verb.REVOKE, key=key))
                else:
                    await self._forget(Action(verb=Verb.FORGET, key=key))
        await self.async_sync()

    async def async_regenerate(self, reservation_id: str) -> None:
        """A new PIN for a reservation on every lock; the guest is told again."""
        credentials = self.for_reservation(reservation_id)
        if not credentials:
            raise KeyError(reservation_id)
        first = credentials[0]
        lock_ids = {c.key.lock_id for c in credentials}
        lock_ids.update(self._locks_by_listing().get(first.listing_id, ()))
        taken = self._taken_pins(lock_ids, first.starts, first.ends)  # the old PIN included
        pin = generate(self.pin_length, taken=taken).pin
        async with self._sync_lock:
            for credential in credentials:
                if credential.lock_pin_id is not None:
                    await self._revoke(Action(verb=Verb.REVOKE, key=credential.key))
                    if credential.state is not CredentialState.REVOKED:
                        continue  # the old PIN is still on the lock: not replaced yet
                credential.pin = pin
                credential.state = CredentialState.SCHEDULED
                credential.lock_pin_id = None
                credential.notified = False
                self.store.audit("pin_regenerated", credential.key)
            await self.store.async_save()
        await self.async_sync()

    async def async_send_pin(self, reservation_id: str) -> bool:
        """Send the guest's message again (or for the first time)."""
        credentials = [c for c in self.for_reservation(reservation_id) if c.on_lock]
        if not credentials:
            return False
        return await self._notify(credentials[0], force=True)

    async def async_retry_failed(self) -> int:
        """Retry every failed or orphaned credential now; returns how many."""
        count = 0
        for credential in self.credentials.values():
            if credential.state in (CredentialState.FAILED, CredentialState.ORPHANED):
                credential.next_attempt = None
                count += 1
        await self.async_sync()
        return count

    # -- the verbs --------------------------------------------------------------------------

    async def _add(self, action: Action) -> None:
        desired = action.desired
        assert desired is not None  # noqa: S101 - plan() gives ADD a desired credential
        if self.pin_source is PinSource.PHONE and desired.phone is None:
            desired = replace(desired, phone=await self._phone(desired.key.reservation_id))
        pin = self._pin_for(desired)
        credential = Credential(
            key=desired.key,
            listing_id=desired.listing_id,
            ref=self.store.next_ref(desired.key.lock_id),
            pin=pin,
            starts=desired.starts,
            ends=desired.ends,
            guest_name=desired.guest_name,
        )
        self.credentials[desired.key] = credential
        self.store.audit("scheduled", desired.key)
        await self.store.async_save()

    def _pin_for(self, desired: Desired) -> str:
        """The reservation's PIN: the same on every lock of the listing, else a new one."""
        for credential in self.credentials.values():
            if credential.key.reservation_id == desired.key.reservation_id and credential.live:
                return credential.pin
        lock_ids = {desired.key.lock_id, *self._locks_by_listing().get(desired.listing_id, ())}
        taken = self._taken_pins(lock_ids, desired.starts, desired.ends)
        return generate(
            self.pin_length, source=self.pin_source, phone=desired.phone, taken=taken
        ).pin

    def _taken_pins(self, lock_ids: set[str], starts: datetime, ends: datetime) -> set[str]:
        """PINs live on these locks in a window overlapping [starts, ends): never reused."""
        return {
            credential.pin
            for credential in self.credentials.values()
            if credential.live
            and credential.key.lock_id in lock_ids
            and credential.starts < ends
            and starts < credential.ends
        }

    async def _retime(self, action: Action) -> None:
        credential, desired = self.credentials[action.key], action.desired
        assert desired is not None  # noqa: S101 - plan() gives RETIME a desired credential
        credential.starts, credential.ends = desired.starts, desired.ends
        if credential.state in (CredentialState.REVOKED, CredentialState.FAILED):
            credential.state = CredentialState.SCHEDULED
            credential.lock_pin_id = None
        credential.attempts, credential.next_attempt = 0, None
        self.store.audit("window_changed", action.key)
        await self.store.async_save()

    async def _push(self, action: Action) -> None:
        credential = self.credentials[action.key]
        lock = self._locks[action.key.lock_id]
        try:
            created = await lock.backend.create_pin(self._request(credential))
        except LockError as err:
            await self._failed(credential, "create", err)
            return
        credential.state = CredentialState.ACTIVE
        credential.lock_pin_id = created.lock_pin_id
        if created.pin is not None:
            credential.pin = created.pin  # an offline password: Tuya chose it
        self._succeeded(credential)
        self.store.audit("pushed", action.key)
        await self.store.async_save()
        self._fire(EVENT_PIN_CREATED, credential)
        await self._notify(credential)

    async def _move(self, action: Action) -> None:
        credential, desired = self.credentials[action.key], action.desired
        assert desired is not None  # noqa: S101 - plan() gives MOVE a desired credential
        lock = self._locks[action.key.lock_id]
        old = (credential.starts, credential.ends)
        credential.starts, credential.ends = desired.starts, desired.ends
        request = self._request(credential)
        try:
            if lock.backend.capabilities.modify_window and credential.lock_pin_id:
                credential.lock_pin_id = await lock.backend.modify_pin(
                    credential.lock_pin_id, request
                )
            else:
                if credential.lock_pin_id:
                    await lock.backend.delete_pin(credential.lock_pin_id, credential.ref)
                credential.lock_pin_id = None
                credential.lock_pin_id = (await lock.backend.create_pin(request)).lock_pin_id
        except LockError as err:
            if credential.lock_pin_id is None:
                # Deleted but not re-created: the PIN is off the lock; push it again.
                credential.state = CredentialState.SCHEDULED
            else:
                credential.starts, credential.ends = old
            await self._failed(credential, "update", err)
            return
        self._succeeded(credential)
        self.store.audit("window_moved", action.key)
        await self.store.async_save()

    async def _revoke(self, action: Action) -> None:
        credential = self.credentials[action.key]
        lock = self._locks[action.key.lock_id]
        if credential.lock_pin_id is not None:
            try:
                await lock.backend.delete_pin(credential.lock_pin_id, credential.ref)
            except UnsupportedOperationError:
                self.store.audit("expires_on_lock", action.key)
            except LockError as err:
                await self._failed(credential, "revoke", err)
                return
        credential.state = CredentialState.REVOKED
        self._succeeded(credential)
        self.store.audit("revoked", action.key)
        await self.store.async_save()
        self._fire(EVENT_PIN_REVOKED, credential)

    async def _forget(self, action: Action) -> None:
        credential = self.credentials[action.key]
        credential.state = CredentialState.REVOKED
        self._succeeded(credential)
        self.store.audit("cancelled_before_push", action.key)
        await self.store.async_save()

    async def _expire(self, action: Action) -> None:
        credential = self.credentials[action.key]
        credential.state = CredentialState.REVOKED
        credential.last_error = (
            credential.last_error or "window ended before the PIN reached the lock"
        )
        self.store.audit("expired_unpushed", action.key)
        await self.store.async_save()

    # -- outcomes ---------------------------------------------------------------------------

    def _request(self, credential: Credential) -> PinRequest:
        return PinRequest(
            ref=credential.ref,
            pin=credential.pin,
            window=PinWindow(starts=credential.starts, ends=credential.ends),
            name=credential.guest_name or credential.key.reservation_id,
        )

    def _succeeded(self, credential: Credential) -> None:
        if credential.attempts > len(QUICK_BACKOFF) - 1:
            ir.async_delete_issue(self.hass, DOMAIN, _issue_id(credential.key))
            persistent_notification.async_dismiss(self.hass, _issue_id(credential.key))
        credential.attempts, credential.next_attempt, credential.last_error = 0, None, None

    async def _failed(self, credential: Credential, operation: str, error: LockError) -> None:
        """Back off; after the quick attempts, alert the owner once and keep retrying."""
        credential.attempts += 1
        credential.next_attempt = dt_util.utcnow() + retry_delay(credential.attempts)
        credential.last_error = f"{operation}: {type(error).__name__}"
        self.store.audit("failed", credential.key, credential.last_error)
        if credential.attempts == len(QUICK_BACKOFF):
            if operation == "revoke":
                credential.state = CredentialState.ORPHANED
            elif credential.state is CredentialState.SCHEDULED:
                credential.state = CredentialState.FAILED
            self._alert(credential, operation, error)
        await self.store.async_save()
        LOGGER.warning(
            "Could not %s PIN of reservation %s on lock %s (attempt %s): %s",
            operation,
            credential.key.reservation_id,
            self._lock_name(credential.key.lock_id),
            credential.attempts,
            error,
        )

    def _alert(self, credential: Credential, operation: str, error: LockError) -> None:
        placeholders = {
            "lock": self._lock_name(credential.key.lock_id),
            "reservation": credential.key.reservation_id,
            "guest": credential.guest_name or "-",
            "operation": operation,
            "error": type(error).__name__,
        }
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            _issue_id(credential.key),
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=f"pin_{operation}_failed",
            translation_placeholders=placeholders,
        )
        persistent_notification.async_create(
            self.hass,
            f"Could not {operation} the PIN of reservation {placeholders['reservation']} "
            f"({placeholders['guest']}) on {placeholders['lock']}: {placeholders['error']}. "
            "Retrying.",
            title="SmartLock Tuya",
            notification_id=_issue_id(credential.key),
        )
        self._fire(EVENT_PIN_FAILED, credential, {"operation": operation})

    def _lock_name(self, lock_id: str) -> str:
        lock = self._locks.get(lock_id)
        return lock.name if lock else lock_id

    def lock_entity_id(self, lock_id: str) -> str | None:
        """The lock entity of a lock subentry, for events and responses."""
        lock = self._locks.get(lock_id)
        if lock is None:
            return None
        return er.async_get(self.hass).async_get_entity_id("lock", DOMAIN, lock_unique_id(lock))

    def _fire(
        self, event: str, credential: Credential, extra: dict[str, Any] | None = None
    ) -> None:
        """Bus events carry ids, never the PIN."""
        self.hass.bus.async_fire(
            event,
            {
                "reservation_id": credential.key.reservation_id,
                "lock_entity_id": self.lock_entity_id(credential.key.lock_id),
                "credential_id": str(credential.key),
                "listing_id": credential.listing_id,
                **(extra or {}),
            },
        )

    # -- guest message ----------------------------------------------------------------------

    async def _notify(self, credential: Credential, *, force: bool = False) -> bool:
        """Send the PIN once per reservation, when its first lock confirmed it."""
        service = self.entry.options.get(CONF_NOTIFY_SERVICE)
        siblings = [
            other
            for other in self.credentials.values()
            if other.key.reservation_id == credential.key.reservation_id and other.live
        ]
        if not service or credential.adhoc or (not force and any(c.notified for c in siblings)):
            return False
        coordinator = self.entry.runtime_data.coordinator
        listing = coordinator.data.listings.get(credential.listing_id)
        locks = [self._locks[c.key.lock_id].name for c in siblings if c.key.lock_id in self._locks]
        template = self.entry.options.get(CONF_MESSAGE_TEMPLATE) or default_message_template(
            self.hass.config.language
        )
        contacts, extra = await self._contacts(credential.key.reservation_id)
        message = render_message(
            self.hass,
            template,
            guest_name=credential.guest_name,
            listing=listing.name if listing else credential.listing_id,
            pin=credential.pin,
            starts=credential.starts,
            ends=credential.ends,
            locks=locks,
            time_zone=coordinator.clock.time_zone,
        )
        sent = await async_send(
            self.hass,
            entry_id=self.entry.entry_id,
            service=service,
            message=message,
            targets=contacts,
            extra=extra,
        )
        if sent:
            for sibling in siblings:
                sibling.notified = True
            self.store.audit("guest_notified", credential.key)
            await self.store.async_save()
        return sent

    async def _phone(self, reservation_id: str) -> str | None:
        """The guest's phone, which only the single-reservation call carries."""
        contacts, _ = await self._contacts(reservation_id)
        return next((c for c in contacts if "@" not in c), None)

    async def _contacts(self, reservation_id: str) -> tuple[list[str], dict[str, str]]:
        """The guest's e-mail and phone: only the single-reservation call carries them."""
        try:
            reservation = await self.entry.runtime_data.client.reservation(reservation_id)
        except StaysError:
            return [], {"reservation_id": reservation_id}
        guest = reservation.guest
        contacts = [
            c for c in (guest.email if guest else None, *(guest.phones if guest else ())) if c
        ]
        return contacts, {"reservation_id": reservation_id}

    # -- check-in ---------------------------------------------------------------------------

    @callback
    def _on_unlock(self, lock_id: str, lock_pin_id: str) -> None:
        """The first unlock with a guest's PIN says the guest has arrived."""
        for credential in self.credentials.values():
            if (
                credential.key.lock_id == lock_id
                and credential.lock_pin_id == lock_pin_id
                and credential.state is CredentialState.ACTIVE
            ):
                if not credential.checked_in and not credential.adhoc:
                    credential.checked_in = True
                    self.store.audit("guest_unlocked", credential.key)
                    self._fire(EVENT_GUEST_UNLOCKED, credential)
                    self.entry.async_create_background_task(
                        self.hass, self.store.async_save(), f"{DOMAIN} save check-in"
                    )
                return

    # -- timers -----------------------------------------------------------------------------

    @callback
    def _arm_timers(self) -> None:
        """One timer per credential with a pending transition; none for idle ones."""
        now = dt_util.utcnow()
        wanted: dict[CredentialKey, datetime] = {}
        for key, credential in self.credentials.items():
            if key.lock_id in self._locks and (when := wake_time(credential, now)) is not None:
                wanted[key] = when
        for key in list(self._timers):
            when, cancel = self._timers[key]
            if wanted.get(key) != when:
                cancel()
                del self._timers[key]
        for key, when in wanted.items():
            if key not in self._timers:
                self._timers[key] = (
                    when,
                    async_track_point_in_utc_time(self.hass, self._timer_fired(key), when),
                )

    def _timer_fired(self, key: CredentialKey) -> Callable[[datetime], None]:
        @callback
        def fired(_: datetime) -> None:
            self._timers.pop(key, None)
            self.async_request_sync()

        return fired


def _issue_id(key: CredentialKey) -> str:
    return f"pin_{key}".replace("|", "_")


_HANDLERS: Final[dict[Verb, Callable[[PinManager, Action], Any]]] = {
    Verb.ADD: PinManager._add,  # noqa: SLF001
    Verb.RETIME: PinManager._retime,  # noqa: SLF001
    Verb.PUSH: PinManager._push,  # noqa: SLF001
    Verb.MOVE: PinManager._move,  # noqa: SLF001
    Verb.REVOKE: PinManager._revoke,  # noqa: SLF001
    Verb.FORGET: PinManager._forget,  # noqa: SLF001
    Verb.EXPIRE: PinManager._expire,  # noqa: SLF001
}
