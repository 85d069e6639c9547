"""The guest's message, a step of its own: sent once per reservation, retried, alerted.

A reservation's message goes out once every lock of it has answered (the PIN is on it, or
creating it failed for now), and lists every door with the PIN that opens it; a door whose
PIN is not confirmed is left out, and the PIN is then given door by door. It is sent
with no lock held: the guest's contacts are fetched first (once per reservation), the notify
call made after. A message without anyone to send it to is not sent. A failure is retried
with the locks' backoff; after the quick attempts a repair issue and a `pin_failed` event
(operation `notify`) say so, and both go once the message is out.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .const import CONF_MESSAGE_TEMPLATE, CONF_NOTIFY_SERVICE, DOMAIN, EVENT_PIN_FAILED, LOGGER
from .messages import default_message_template
from .notify import Door, NotifyError, async_send, needs_target, render_message
from .scheduler import QUICK_BACKOFF, Credential, CredentialState, retry_delay
from .stays import StaysError

if TYPE_CHECKING:
    from .lifecycle import CredentialManager


@dataclass(frozen=True, kw_only=True)
class Contacts:
    """What the single-reservation call says about how to reach the guest."""

    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()

    @property
    def targets(self) -> list[str]:
        """Every address, e-mail first."""
        return [*self.emails, *self.phones]


#: A lock has answered for now: the PIN is on it, creating it failed for now, or a revoke
#: is under way there (a regenerated PIN waiting for the old one to be confirmed gone).
_ANSWERED = frozenset({CredentialState.ACTIVE, CredentialState.FAILED, CredentialState.ORPHANED})


def message_issue_id(reservation_id: str) -> str:
    """One repair per reservation whose message keeps failing."""
    return f"message_{reservation_id}"


class GuestMessenger:
    """Sends each reservation's message for one account."""

    def __init__(self, manager: CredentialManager) -> None:
        """Send on behalf of this account's lifecycle."""
        self._manager = manager
        self._sending = asyncio.Lock()
        self._contacts: dict[str, Contacts] = {}
        self._alerted: set[str] = set()

    @property
    def _service(self) -> str | None:
        service: str | None = self._manager.entry.options.get(CONF_NOTIFY_SERVICE)
        return service

    def phone(self, reservation_id: str) -> str | None:
        """The guest's phone, if fetched already (for PINs from the phone's digits)."""
        contacts = self._contacts.get(reservation_id)
        return contacts.phones[0] if contacts and contacts.phones else None

    async def async_fetch(self, reservation_ids: set[str]) -> None:
        """Fetch the contacts of these reservations, once each, before any lock is taken."""
        client = self._manager.entry.runtime_data.client
        for reservation_id in sorted(reservation_ids - set(self._contacts)):
            try:
                reservation = await client.reservation(reservation_id)
            except StaysError as err:
                LOGGER.debug("No contacts for reservation %s: %s", reservation_id, err)
                continue
            guest = reservation.guest
            self._contacts[reservation_id] = Contacts(
                emails=(guest.email,) if guest and guest.email else (),
                phones=tuple(p for p in (guest.phones if guest else ()) if p),
            )

    def _groups(self) -> dict[str, list[Credential]]:
        groups: dict[str, list[Credential]] = defaultdict(list)
        locks = self._manager.locks
        for credential in self._manager.credentials.values():
            if credential.live and not credential.staff and credential.key.lock_id in locks:
                groups[credential.key.reservation_id].append(credential)
        return groups

    def _due(self, groups: dict[str, list[Credential]], now: datetime) -> list[str]:
        """Reservations whose message should go now."""
        due = []
        for reservation_id, credentials in groups.items():
            states = {credential.state for credential in credentials}
            if (
                states <= _ANSWERED
                and any(c.state is CredentialState.ACTIVE and not c.notified for c in credentials)
                and all(c.message_retry is None or c.message_retry <= now for c in credentials)
            ):
                due.append(reservation_id)
        return due

    @staticmethod
    def _next_retry(groups: dict[str, list[Credential]]) -> datetime | None:
        return min(
            (
                credential.message_retry
                for credentials in groups.values()
                for credential in credentials
                if credential.message_retry is not None
                and any(c.state is CredentialState.ACTIVE and not c.notified for c in credentials)
            ),
            default=None,
        )

    async def async_send_due(self) -> datetime | None:
        """Send every message that is due; returns when a failed one is tried again.

        One pass over the credentials per sync, whatever their number.
        """
        groups = self._groups() if self._service else {}
        due = self._due(groups, dt_util.utcnow())
        if due:
            await self.async_fetch(set(due))
            async with self._sending:
                for reservation_id in self._due({r: groups[r] for r in due}, dt_util.utcnow()):
                    await self._send_group(reservation_id, groups[reservation_id])
        for reservation_id in [r for r in self._alerted if r not in groups]:
            self.clear(reservation_id)  # sent, or nothing left to tell (stay over, cancelled)
        return self._next_retry(groups)

    async def async_send(self, reservation_id: str) -> bool:
        """Send (or send again) the reservation's message now; whether it went out."""
        async with self._sending:
            return await self._send_group(reservation_id, self._groups().get(reservation_id, []))

    async def _send_group(self, reservation_id: str, group: list[Credential]) -> bool:
        service = self._service
        credentials = [c for c in group if c.state is CredentialState.ACTIVE]
        if not service or not credentials:
            return False
        manager = self._manager
        await self.async_fetch({reservation_id})
        try:
            await self._send(
                service, reservation_id, credentials, every_door=len(credentials) == len(group)
            )
        except NotifyError as err:
            await self._failed(reservation_id, credentials, str(err))
            return False
        except Exception as err:  # noqa: BLE001 - a template error fails one message only
            await self._failed(reservation_id, credentials, type(err).__name__)
            return False
        for credential in credentials:
            credential.notified = True
            credential.message_attempts, credential.message_retry = 0, None
        self._contacts.pop(reservation_id, None)
        self.clear(reservation_id)
        manager.store.audit("guest_notified", credentials[0].key)
        await manager.store.async_save()
        return True

    async def _send(
        self,
        service: str,
        reservation_id: str,
        credentials: list[Credential],
        *,
        every_door: bool,
    ) -> None:
        """Render and send; `every_door` says whether `credentials` cover every door of the stay."""
        manager = self._manager
        contacts = self._contacts.get(reservation_id)
        needs = needs_target(manager.hass, service)
        if needs and contacts is None:
            raise NotifyError("stays_unreachable")
        if needs and contacts is not None and not contacts.targets:
            raise NotifyError("no_contact")
        first = credentials[0]
        coordinator = manager.entry.runtime_data.coordinator
        listing = coordinator.data.listings.get(first.listing_id) if coordinator.data else None
        template = manager.entry.options.get(CONF_MESSAGE_TEMPLATE) or default_message_template(
            manager.hass.config.language
        )
        doors = [
            Door(lock=manager.locks[c.key.lock_id].name, pin=c.pin)
            for c in sorted(credentials, key=lambda c: manager.locks[c.key.lock_id].name)
        ]
        message = render_message(
            manager.hass,
            template,
            guest_name=first.guest_name,
            listing=listing.name if listing else first.listing_id,
            doors=doors,
            starts=first.starts,
            ends=first.ends,
            time_zone=coordinator.clock.time_zone,
            activate_by=min((c.activate_by for c in credentials if c.activate_by), default=None),
            every_door=every_door,
        )
        await async_send(
            manager.hass,
            entry_id=manager.entry.entry_id,
            service=service,
            message=message,
            targets=contacts.targets if contacts else [],
            extra={"reservation_id": reservation_id},
        )

    async def _failed(
        self, reservation_id: str, credentials: list[Credential], reason: str
    ) -> None:
        manager = self._manager
        attempts = max(c.message_attempts for c in credentials) + 1
        retry = dt_util.utcnow() + retry_delay(attempts)
        for credential in credentials:
            credential.message_attempts, credential.message_retry = attempts, retry
        self._contacts.pop(reservation_id, None)  # fetched again next time
        manager.store.audit("guest_message_failed", credentials[0].key, reason)
        LOGGER.warning(
            "The message of reservation %s was not sent (attempt %s): %s",
            reservation_id,
            attempts,
            reason,
        )
        if attempts == len(QUICK_BACKOFF):
            first = credentials[0]
            self._alerted.add(reservation_id)
            ir.async_create_issue(
                manager.hass,
                DOMAIN,
                message_issue_id(reservation_id),
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key="message_failed",
                translation_placeholders={
                    "reservation": reservation_id,
                    "guest": first.guest_name or "-",
                    "error": reason,
                },
            )
            manager.alerts.fire(EVENT_PIN_FAILED, first, {"operation": "notify"})
        await manager.store.async_save()

    def clear(self, reservation_id: str) -> None:
        """Withdraw a reservation's message alert: sent at last, or no longer needed."""
        self._alerted.discard(reservation_id)
        ir.async_delete_issue(self._manager.hass, DOMAIN, message_issue_id(reservation_id))
