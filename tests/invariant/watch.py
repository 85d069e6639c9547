"""What the world watches: the guest messages, the owner's repairs, crashes and lost answers.

`World` inherits these hooks; they live for the whole test (one Home Assistant, one set of
simulators) and feed the oracle's `Truth`: the messages the notify action received, the
"maybe on the lock" repairs the owner was shown, and the Lock Pro copies whose create answer
nobody saved (lost on the wire, or with a process that died right after the lock's write).
"""

from __future__ import annotations

import re
from typing import Any
from unittest.mock import patch

from homeassistant.core import Event, HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from custom_components.smartlock_tuya.const import DOMAIN
from custom_components.smartlock_tuya.storage import CredentialStore
from custom_components.smartlock_tuya.tuya.errors import LockOfflineError
from custom_components.smartlock_tuya.tuya.lan.connection import LanConnection
from simulators.tuya_lock import LockEndpoint, LockPro

from .oracle import Message, Truth

NOTIFY = "guest_message"
#: The guest's message names the PIN where the oracle can read it back.
TEMPLATE = "PIN {{ pin }} for {{ guest_name }} at {{ listing }}"
_PINS_IN_MESSAGE = re.compile(r"PIN (.+?) for ")
_DOOR_PIN = re.compile(r"(\w[\w ]*): (\d+)")


class Watch:
    """The hooks; `World` holds the state they read and write."""

    hass: HomeAssistant
    locks: dict[str, LockEndpoint]
    truth: Truth
    saves_lost: bool
    crash_armed: str | None
    notify_failures: int
    steps: list[str]

    def install(self) -> list[Any]:
        """Hooks that live for the whole test: the notify action, lost saves, crash points."""
        self.hass.services.async_register("notify", NOTIFY, self._notify)
        self.hass.bus.async_listen(ir.EVENT_REPAIRS_ISSUE_REGISTRY_UPDATED, self._issue)
        real_save = CredentialStore.async_save
        real_send = LanConnection.send
        world = self

        async def save(store: CredentialStore) -> None:
            if not world.saves_lost:  # a crashed process writes nothing more
                await real_save(store)

        async def send(connection: LanConnection, message: Any, **kwargs: Any) -> Any:
            # Nor does it send anything more: only what was already on the wire still lands.
            if world.saves_lost:
                raise LockOfflineError("the process died")
            return await real_send(connection, message, **kwargs)

        for name, lock in self.locks.items():
            self._hook(name, lock)
        return [
            patch.object(CredentialStore, "async_save", save),
            patch.object(LanConnection, "send", send),
        ]

    def _hook(self, name: str, lock: LockEndpoint) -> None:
        """Crash Home Assistant right after this lock's memory changed, before any save.

        A Lock Pro create whose answer is lost leaves a copy nobody can find again (the
        answer alone names the id the lock chose): the oracle learns of it here.
        """
        real = lock.handle_control

        def control(*args: Any) -> Any:
            before = {lock_pin_id: repr(pin) for lock_pin_id, pin in lock.pins.items()}
            lock_pro = isinstance(lock.family, LockPro)
            silent = lock._lose > 0
            answer = real(*args)
            written = {lock_pin_id: repr(pin) for lock_pin_id, pin in lock.pins.items()} != before
            crash = self.crash_armed == name and written
            if lock_pro and ((silent and answer is None) or crash or self.saves_lost):
                # The answer never reaches a saved record: lost, or the process died.
                self.truth.strand(name, lock.pins, before, dt_util.utcnow())
            if crash:
                self.crash_armed = None
                self.saves_lost = True
                self.steps.append(f"  (crash after a PIN was written on {name})")
            return answer

        lock.handle_control = control  # type: ignore[method-assign,assignment]

    @callback
    def _issue(self, event: Event[ir.EventIssueRegistryUpdatedData]) -> None:
        """Keep every "this PIN may be on the lock until ..." repair the owner was shown.

        An issue that already stood (a failed create's, now "maybe on the lock") is updated,
        not created: both count.
        """
        if event.data["action"] not in ("create", "update") or event.data["domain"] != DOMAIN:
            return
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, event.data["issue_id"])
        if issue is not None and issue.translation_key == "pin_maybe_on_lock":
            told = issue.translation_placeholders or {}
            lock, holder = str(told.get("lock", "")).lower(), str(told.get("reservation", ""))
            self.truth.alerts.append((lock, holder, dt_util.utcnow()))

    async def _notify(self, call: ServiceCall) -> None:
        if self.notify_failures:
            self.notify_failures -= 1
            raise HomeAssistantError("the SMS gateway is down")
        match = _PINS_IN_MESSAGE.search(str(call.data.get("message", "")))
        told = match.group(1) if match else ""
        # One PIN for every door, or (when the doors' PINs differ) "Door: 1234, Gate: 5678".
        pins = {"": told} if told.isdigit() else dict(_DOOR_PIN.findall(told))
        targets = call.data.get("target") or []
        self.truth.messages.append(
            Message(
                reservation_id=str((call.data.get("data") or {}).get("reservation_id")),
                targets=tuple(str(t) for t in targets),
                pins={door.lower(): pin for door, pin in pins.items()},
            )
        )
