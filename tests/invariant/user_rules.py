"""Rules for the owner's actions: staff credentials, revoking and regenerating guests' PINs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from hypothesis import strategies as st
from hypothesis.stateful import rule

from custom_components.smartlock_tuya.const import DOMAIN

from .base import LOCK_NAMES, PICK, Base, has_reservations, has_staff, loaded, when
from .world import staff_pin


class UserRules(Base):
    """What the owner (or a script of theirs) may ask of the integration."""

    @when(loaded)
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

    @when(loaded, has_staff)
    @rule(pick=PICK)
    def revoke_staff_pin(self, pick: int) -> None:
        """The cleaner's PIN is taken away before its window ends."""
        staff = self.world.truth.staff[pick % len(self.world.truth.staff)]
        answer = self.run(self._action("revoke_pin", {"credential_id": staff.credential_id}))
        if not _unknown(answer):
            staff.revoked = True

    @when(loaded, has_reservations)
    @rule(pick=PICK)
    def revoke_guest_pin(self, pick: int) -> None:
        """The owner takes a guest's PIN away for good (on every lock)."""
        reservation_id = self.pick(pick)
        answer = self.run(self._action("revoke_pin", {"reservation_id": reservation_id}))
        if not _unknown(answer):
            self.world.truth.revoked.add(reservation_id)

    @when(loaded, has_reservations)
    @rule(pick=PICK)
    def regenerate_pin(self, pick: int) -> None:
        """A new PIN for a guest on every lock; the guest must hear of it."""
        self.run(self._action("regenerate_pin", {"reservation_id": self.pick(pick)}))


def _unknown(answer: Any) -> bool:
    """Whether an action said it knows no such PIN (so nothing was revoked)."""
    return isinstance(answer, HomeAssistantError) and answer.translation_key in (
        "unknown_reservation",
        "unknown_credential",
    )
