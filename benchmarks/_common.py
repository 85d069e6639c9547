"""What the benchmarks share: a result table, timing helpers and synthetic inputs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import random
import statistics

from custom_components.smartlock_tuya.scheduler import (
    Credential,
    CredentialKey,
    CredentialState,
    Desired,
    Stay,
)

#: Defaults of the integration (const.py): 60 min lead, 30 min grace.
LEAD = timedelta(minutes=60)
GRACE = timedelta(minutes=30)
#: A fixed "now" so every run plans over the same data: 03:17 UTC, between transitions.
NOW = datetime(2026, 3, 2, 3, 17, tzinfo=UTC)


@dataclass(kw_only=True)
class Row:
    """One measured number and what it is compared with."""

    metric: str
    value: str
    reference: str
    verdict: str = ""


@dataclass(kw_only=True)
class Report:
    """A benchmark's table and its notes."""

    name: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, metric: str, value: str, reference: str = "-", verdict: str = "") -> None:
        """Add a row."""
        self.rows.append(Row(metric=metric, value=value, reference=reference, verdict=verdict))

    def check(self, metric: str, value: float, limit: float, unit: str, fmt: str = ".1f") -> None:
        """Add a row with a target `value < limit`: "ok" or "MISSED"."""
        verdict = "ok" if value < limit else "MISSED"
        self.add(metric, f"{value:{fmt}} {unit}", f"< {limit:g} {unit}", verdict)

    def print(self) -> None:
        """Print the table and the notes."""
        header = ("metric", "measured", "reference / target", "verdict")
        table = [header, *((r.metric, r.value, r.reference, r.verdict) for r in self.rows)]
        widths = [max(len(line[i]) for line in table) for i in range(4)]
        print(f"\n== {self.name} ==")
        for index, line in enumerate(table):
            print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
            if index == 0:
                print("  ".join("-" * width for width in widths))
        for note in self.notes:
            print(f"  * {note}")


def percentile(values: Sequence[float], fraction: float) -> float:
    """The `fraction` quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(values: Sequence[float]) -> float:
    """The median."""
    return statistics.median(values)


@dataclass(kw_only=True)
class Fleet:
    """A synthetic account: listings with 1-2 locks each, and their stays."""

    locks_by_listing: dict[str, list[str]]
    stays: list[Stay]


def make_fleet(*, locks: int, reservations: int, seed: int = 1) -> Fleet:
    """`locks` locks over listings of 1 or 2 locks, `reservations` stays around `NOW`.

    Stays are back to back per listing (2-4 nights, 15:00 to 11:00 at UTC-3), from a few days
    before `NOW` onwards, as the coordinator's window (3 days back, 180 ahead) would hold them.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    locks_by_listing: dict[str, list[str]] = {}
    lock_number = 0
    while lock_number < locks:
        count = min(rng.choice((1, 2)), locks - lock_number)
        listing = f"listing{len(locks_by_listing):04d}"
        locks_by_listing[listing] = [f"lock{lock_number + i:04d}" for i in range(count)]
        lock_number += count
    listings = list(locks_by_listing)
    base = datetime(2026, 2, 27, 18, tzinfo=UTC)  # 15:00 at UTC-3
    cursor = dict.fromkeys(listings, base)
    stays: list[Stay] = []
    for number in range(reservations):
        listing = listings[number % len(listings)]
        check_in = cursor[listing]
        nights = rng.randint(2, 4)
        check_out = check_in + timedelta(days=nights) - timedelta(hours=4)  # 11:00 local
        cursor[listing] = check_in + timedelta(days=nights)
        stays.append(
            Stay(
                reservation_id=f"res{number:06d}",
                listing_id=listing,
                check_in=check_in,
                check_out=check_out,
                guest_name="Maria",
                phone="+5511999998888",
            )
        )
    return Fleet(locks_by_listing=locks_by_listing, stays=stays)


def stored_like(
    desired: dict[CredentialKey, Desired], now: datetime, *, seed: int = 2
) -> dict[CredentialKey, Credential]:
    """Stored credentials in the states a running account would have for `desired`.

    Past and current windows are mostly active or revoked, upcoming ones scheduled; a few are
    failed, orphaned, retimed in Stays (window differs) or gone from Stays (not desired).
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    stored: dict[CredentialKey, Credential] = {}
    refs: dict[str, int] = {}
    for key, want in desired.items():
        roll = rng.random()
        if want.starts > now + timedelta(days=30) and roll < 0.3:
            continue  # not seen yet: ADD
        refs[key.lock_id] = ref = refs.get(key.lock_id, 0) % 0xFFFF + 1
        state = CredentialState.SCHEDULED
        next_attempt = None
        attempts = 0
        if want.ends <= now:
            state = CredentialState.REVOKED if roll < 0.9 else CredentialState.ACTIVE
        elif want.starts - timedelta(hours=24) <= now:
            state = CredentialState.ACTIVE
        if roll > 0.98:
            state, attempts = CredentialState.FAILED, 5
            next_attempt = now + timedelta(minutes=rng.randint(1, 15))
        elif roll > 0.97:
            state, attempts = CredentialState.ORPHANED, 4
            next_attempt = now + timedelta(minutes=rng.randint(1, 15))
        shift = timedelta(days=1) if 0.95 < roll <= 0.96 else timedelta()
        stored[key] = Credential(
            key=key,
            listing_id=want.listing_id,
            ref=ref,
            pin=f"{rng.randrange(10**6):06d}",
            starts=want.starts + shift,
            ends=want.ends + shift,
            state=state,
            lock_pin_id=str(ref) if state is not CredentialState.SCHEDULED else None,
            attempts=attempts,
            next_attempt=next_attempt,
            guest_name=want.guest_name,
        )
    # Reservations Stays no longer lists (cancelled): stored, not desired -> RECHECK.
    for number in range(len(desired) // 100):
        key = CredentialKey(f"gone{number:05d}", f"lock{number % 500:04d}")
        stored[key] = Credential(
            key=key,
            listing_id="listing0000",
            ref=60000 + number % 5000,
            pin="482913",
            starts=now + timedelta(days=number % 40),
            ends=now + timedelta(days=number % 40 + 3),
        )
    return stored
