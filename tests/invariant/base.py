"""The state machine's plumbing: its settings, how a rule runs, and its preconditions.

`machine.py` puts the rules together (`Invariant`); `stays_rules.py` and `user_rules.py`
hold the rules for Stays' data and for the owner's actions.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date
from functools import partial
import os
from typing import Any

from freezegun import api as freezegun_api
from homeassistant.exceptions import HomeAssistantError
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition

from custom_components.smartlock_tuya.const import DOMAIN
from custom_components.smartlock_tuya.tuya import LanBackend
from simulators.stays_server import FaultKind

from .devices import LOCKS
from .world import SP, World

EXAMPLES = int(os.environ.get("SMARTLOCK_INVARIANT_EXAMPLES", "500"))
STEPS = int(os.environ.get("SMARTLOCK_INVARIANT_STEPS", "8"))
#: Rules left out of a run (comma-separated names), to look past a failure already known.
OFF = frozenset(filter(None, os.environ.get("SMARTLOCK_INVARIANT_OFF", "").split(",")))
#: CI replays the same examples for a given commit; a long run sets this to explore.
DERANDOMIZE = os.environ.get("SMARTLOCK_INVARIANT_RANDOM", "0") != "1"
#: Shrink a failing example (minutes with long examples); "0" reports it as found.
SHRINK = os.environ.get("SMARTLOCK_INVARIANT_SHRINK", "1") != "0"
#: A failure's `@reproduce_failure` blob (base64, as printed) to replay it.
REPRODUCE = os.environ.get("SMARTLOCK_INVARIANT_REPRODUCE", "")
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


def when(*conditions: Callable[[Base], object]) -> Callable[[Any], Any]:
    """A rule that runs where its conditions hold, unless `SMARTLOCK_INVARIANT_OFF` names it."""

    def decorate(function: Any) -> Any:
        name = function.__name__
        return precondition(
            lambda self: name not in OFF and all(condition(self) for condition in conditions)
        )(function)

    return decorate


def has_reservations(machine: Base) -> object:
    """Precondition: the example booked something that is still in Stays."""
    return machine.reservations


def loaded(machine: Base) -> object:
    """Precondition: the entry is set up (actions can be called)."""
    return machine.world.loaded


def has_staff(machine: Base) -> object:
    """Precondition: a staff credential was handed out."""
    return machine.world.truth.staff


def fast_lan_backend() -> Any:
    """The real LAN backend, with timeouts a loopback lock never needs more than.

    A lost reply costs one `timeout`, a command whose report never comes one `confirm_timeout`.
    The sessions' heartbeats run on the loop's clock, which every clock jump moves on: they
    stay on, so a jump also tests the session noticing a silent link and reconnecting.
    """
    return partial(LanBackend, timeout=0.5, confirm_timeout=1.0)


class Base(RuleBasedStateMachine):
    """One example's state: the world, the reservations it made, whether a step failed."""

    world: World

    def __init__(self) -> None:
        """Take the shared world; the example begins with its `network` rule."""
        super().__init__()
        self.world = type(self).world
        self.failed = False
        self.count = 0
        self.reservations: list[str] = []

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

    async def _action(self, service: str, data: dict[str, Any], *, response: bool = False) -> Any:
        """Call one of the integration's actions; an error is the answer, noted for the report."""
        try:
            return await self.world.hass.services.async_call(
                DOMAIN, service, data, blocking=True, return_response=response
            )
        except HomeAssistantError as err:
            self.note(f"  {service} answered {type(err).__name__}: {err.translation_key}")
            return err
