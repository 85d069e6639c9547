"""One lock as tests drive it: its family's state, faults to order, and pushes from its side.

A `LockEndpoint` is either a Wi-Fi lock speaking for itself (`SimulatedLock`) or a Zigbee lock
behind a gateway (`SubDevice`); both offer the same handles. Fault counters act on PIN commands
only, because those are what the integration must get right when a lock or its network
misbehaves.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

from .family import LockFamily, StoredPin


class LockEndpoint(ABC):
    """A lock's state plus the faults and events a test can cause."""

    def __init__(self, family: LockFamily, clock: Callable[[], float]) -> None:
        """Wrap `family`; `clock` decides which PIN windows are open."""
        self.family = family
        self._clock = clock
        self.commands: list[dict[str, Any]] = []
        self._reject = 0
        self._lose = 0

    @property
    def pins(self) -> dict[int, StoredPin]:
        """The PINs the lock holds, by lock-side id."""
        return self.family.pins

    @property
    def dps(self) -> dict[str, Any]:
        """Every DP's current value."""
        return self.family.dps

    @property
    def locked(self) -> bool:
        """Whether the bolt is thrown."""
        return self.family.locked

    @property
    def battery(self) -> int:
        """Battery percentage."""
        return self.family.battery

    def reject_next(self, count: int = 1) -> None:
        """Answer the next `count` PIN commands with the failure status, storing nothing."""
        self._reject += count

    def accept_again(self) -> None:
        """Forget the refusals still ordered: PIN commands are carried out again."""
        self._reject = 0

    def lose_next_reply(self, count: int = 1) -> None:
        """Apply the next `count` PIN commands but send neither ack nor report.

        tinytuya then times out and re-sends the same bytes; the lock already holds the PIN.
        """
        self._lose += count

    def handle_control(self, dps: Mapping[str, Any]) -> dict[str, Any] | None:
        """Apply a CONTROL with any pending fault: DPs to report, or None for silence."""
        self.commands.append(dict(dps))
        if self.family.is_pin_command(dps):
            if self._lose:
                self._lose -= 1
                self.family.apply(dps)
                return None
            if self._reject:
                self._reject -= 1
                return self.family.refuse(dps)
        return self.family.apply(dps)

    async def keypad(self, pin: str) -> bool:
        """Type a PIN on the keypad; report the unlock at once if a stored PIN admits it now."""
        report = self.family.keypad(pin, self._clock())
        if report is None:
            return False
        await self.push(report)
        return True

    async def set_battery(self, percent: int) -> bool:
        """Change the battery level and report it; False when no client heard it."""
        return await self.push(self.family.set_battery(percent))

    async def set_locked(self, locked: bool) -> bool:
        """Move the bolt by hand (key, thumb-turn) and report it; False when no client heard."""
        return await self.push(self.family.set_locked(locked))

    async def report(self, dps: Mapping[str, Any]) -> bool:
        """Report any DPs unprompted (an alarm, a DP the family does not model)."""
        self.family.dps.update(dps)
        return await self.push(dict(dps))

    @abstractmethod
    async def push(self, dps: Mapping[str, Any]) -> bool:
        """Send a STATUS report of `dps` to the connected client; False when there is none."""
