"""Removing a lock or the account takes its guests' PINs off the locks first.

Home Assistant offers no hook before a subentry goes, so the removal itself revokes: a lock
subentry's removal is seen in the config entry's change signal (the same on 2025.4 and 2026.x:
`async_remove_subentry` updates the entry, which dispatches `SIGNAL_CONFIG_ENTRY_CHANGED`), and
the account's in `async_remove_entry`. What cannot be taken off (lock offline, a password the
cloud cannot delete) is named in a repair issue: the doors and the codes' holders, never a PIN.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Final

from homeassistant.components import persistent_notification
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
    ConfigSubentry,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .alerts import issue_id
from .backends import async_load_profiles, build_backend
from .const import CONF_PROFILE, DOMAIN, LOGGER, SUBENTRY_LOCK
from .guest_messages import message_issue_id
from .migration import needs_profile
from .scheduler import Credential, CredentialState
from .storage import CredentialStore
from .tuya import LockError, PinProfile

#: However many PINs and however slow the lock, a removal gives up on a lock after this long.
LOCK_TIMEOUT: Final = 60.0
ISSUE_PINS_LEFT: Final = "pins_left_on_removed_lock"
LEFT_ON_LOCK: Final = "left on a removed lock"


def lock_subentries(entry: ConfigEntry) -> dict[str, ConfigSubentry]:
    """The entry's lock subentries by id."""
    return {
        subentry_id: subentry
        for subentry_id, subentry in entry.subentries.items()
        if subentry.subentry_type == SUBENTRY_LOCK
    }


@callback
def async_follow_lock_removals(hass: HomeAssistant) -> None:
    """Revoke a lock's credentials whenever one of our lock subentries is removed, loaded or not.

    Listening for the whole domain, not per loaded entry, also covers an account that is in
    setup-retry or failed when the lock is removed.
    """
    known = {
        entry.entry_id: lock_subentries(entry)
        for entry in hass.config_entries.async_entries(DOMAIN)
    }

    @callback
    def changed(change: ConfigEntryChange, entry: ConfigEntry) -> None:
        if entry.domain != DOMAIN:
            return
        if change is ConfigEntryChange.REMOVED:
            known.pop(entry.entry_id, None)
            return
        before = known.get(entry.entry_id, {})
        now = known[entry.entry_id] = lock_subentries(entry)
        removed = {key: subentry for key, subentry in before.items() if key not in now}
        if removed:
            hass.async_create_task(
                _after_lock_removal(hass, entry, removed), f"{DOMAIN} revoke removed locks"
            )

    async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, changed)


async def _after_lock_removal(
    hass: HomeAssistant, entry: ConfigEntry, removed: Mapping[str, ConfigSubentry]
) -> None:
    """Stop the account's lifecycle, revoke the removed locks' credentials, then start it again.

    The lifecycle is stopped while the Store is edited, so nothing it does in between (a push
    on the very lock being removed) can undo the revocation.
    """
    restart = entry.state in (ConfigEntryState.LOADED, ConfigEntryState.SETUP_RETRY)
    if restart:
        await hass.config_entries.async_unload(entry.entry_id)
    try:
        await async_revoke_locks(hass, entry, removed, keep_store=True)
    finally:
        if restart and entry.state is ConfigEntryState.NOT_LOADED:
            await hass.config_entries.async_setup(entry.entry_id)


async def async_revoke_locks(
    hass: HomeAssistant,
    entry: ConfigEntry,
    locks: Mapping[str, ConfigSubentry],
    *,
    keep_store: bool,
) -> dict[str, list[Credential]]:
    """Take every live credential of these locks off them; return, per lock, what stayed on."""
    store = CredentialStore(hass, entry.entry_id)
    data = await store.async_load()
    profiles = await async_load_profiles(hass)
    ids = list(locks)
    outcomes = await asyncio.gather(
        *(
            _revoke_on_lock(
                hass,
                entry.data,
                locks[lock_id],
                profiles,
                [c for c in data.credentials.values() if c.key.lock_id == lock_id and c.live],
            )
            for lock_id in ids
        )
    )
    left: dict[str, list[Credential]] = {}
    for lock_id, (taken_off, stayed) in zip(ids, outcomes, strict=True):
        for credential in (*taken_off, *stayed):
            # Their own repairs go with the lock: what stayed is named in the removal's.
            ir.async_delete_issue(hass, DOMAIN, issue_id(credential.key))
            persistent_notification.async_dismiss(hass, issue_id(credential.key))
        for credential in taken_off:
            credential.state = CredentialState.REVOKED
            credential.next_attempt = None
            store.audit("revoked_lock_removed", credential.key)
        for credential in stayed:
            credential.state = CredentialState.REVOKED  # nothing is left to retry it on
            credential.next_attempt = None
            credential.last_error = LEFT_ON_LOCK
            store.audit("left_on_removed_lock", credential.key)
        _report(hass, entry, lock_id, locks[lock_id].title, stayed)
        if stayed:
            left[lock_id] = stayed
    if keep_store:
        await store.async_save()
    else:  # the account goes: so do its guests' message repairs
        for reservation_id in {key.reservation_id for key in data.credentials}:
            ir.async_delete_issue(hass, DOMAIN, message_issue_id(reservation_id))
    return left


async def _revoke_on_lock(
    hass: HomeAssistant,
    account: Mapping[str, Any],
    subentry: ConfigSubentry,
    profiles: Mapping[str, PinProfile],
    credentials: list[Credential],
) -> tuple[list[Credential], list[Credential]]:
    """Credentials taken off (or never pushed), and those that stayed on the lock.

    A create never confirmed may be on the lock under an id nobody learnt: it counts as
    stayed, so that the owner is told to look.
    """
    on_lock = [c for c in credentials if c.lock_pin_id is not None]
    maybe = [c for c in credentials if c.lock_pin_id is None and c.unconfirmed]
    taken_off = [c for c in credentials if c.lock_pin_id is None and not c.unconfirmed]
    if not on_lock:
        return taken_off, maybe
    if needs_profile(subentry.data, profiles):
        return taken_off, [*on_lock, *maybe]
    profile = profiles.get(str(subentry.data.get(CONF_PROFILE)))
    try:
        backend = build_backend(hass, account, subentry.data, profile)
    except (LockError, KeyError, ValueError) as err:
        LOGGER.warning(
            "Lock %s cannot be reached to revoke its credentials: %r", subentry.title, err
        )
        return taken_off, [*on_lock, *maybe]
    pending = list(on_lock)
    try:
        async with asyncio.timeout(LOCK_TIMEOUT):
            await backend.connect()
            for credential in on_lock:
                try:
                    await backend.delete_credential(str(credential.lock_pin_id), credential.ref)
                except LockError as err:
                    LOGGER.debug(
                        "Credential %s stays on %s: %r", credential.key, subentry.title, err
                    )
                    continue
                pending.remove(credential)
                taken_off.append(credential)
    except (LockError, TimeoutError) as err:
        LOGGER.warning("Lock %s did not let its credentials be revoked: %r", subentry.title, err)
    finally:
        await backend.close()
    return taken_off, [*pending, *maybe]


def _issue_id(entry: ConfigEntry, lock_id: str) -> str:
    return f"{ISSUE_PINS_LEFT}_{entry.entry_id}_{lock_id}"


def _report(
    hass: HomeAssistant, entry: ConfigEntry, lock_id: str, title: str, stayed: list[Credential]
) -> None:
    """Name the door and the codes' holders the owner must remove by hand; never a PIN."""
    if not stayed:
        ir.async_delete_issue(hass, DOMAIN, _issue_id(entry, lock_id))
        return
    holders = ", ".join(sorted(f"{c.guest_name or '-'} ({c.key.reservation_id})" for c in stayed))
    ir.async_create_issue(
        hass,
        DOMAIN,
        _issue_id(entry, lock_id),
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_PINS_LEFT,
        translation_placeholders={"lock": title, "count": str(len(stayed)), "holders": holders},
    )
