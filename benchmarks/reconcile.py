"""`desired_credentials` + `plan` over 500 locks and 20,000 reservations: time and memory."""

from __future__ import annotations

from collections import Counter
import gc
import time
import tracemalloc

from custom_components.smartlock_tuya.scheduler import desired_credentials, plan

from ._common import GRACE, LEAD, NOW, Report, make_fleet, median, stored_like

LOCKS = 500
RESERVATIONS = 20_000
RUNS = 5


def _inputs_and_plan() -> int:
    fleet = make_fleet(locks=LOCKS, reservations=RESERVATIONS)
    desired = desired_credentials(fleet.stays, fleet.locks_by_listing, lead=LEAD, grace=GRACE)
    stored = stored_like(desired, NOW)
    return len(plan(desired, stored, NOW, complete=True))


def run() -> Report:
    """Time the two pure functions (median of 5), then trace the memory of the whole thing."""
    report = Report(name="reconcile")
    fleet = make_fleet(locks=LOCKS, reservations=RESERVATIONS)
    fleet_listings = list(fleet.locks_by_listing)
    desired = desired_credentials(fleet.stays, fleet.locks_by_listing, lead=LEAD, grace=GRACE)
    stored = stored_like(desired, NOW)
    timings: list[float] = []
    desired_only: list[float] = []
    actions = []
    for _ in range(RUNS):
        gc.collect()
        started = time.perf_counter()
        wanted = desired_credentials(fleet.stays, fleet.locks_by_listing, lead=LEAD, grace=GRACE)
        middle = time.perf_counter()
        actions = plan(wanted, stored, NOW, complete=True)
        timings.append(time.perf_counter() - started)
        desired_only.append(middle - started)
    verbs = Counter(str(action.verb) for action in actions)
    del fleet, desired, stored
    gc.collect()
    tracemalloc.start()
    _inputs_and_plan()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    elapsed = median(timings)
    report.add(
        "listings / locks / reservations",
        f"{len(fleet_listings)} / {LOCKS} / {RESERVATIONS}",
    )
    report.add("desired credentials / stored", f"{len(wanted)} / {len(stored_like(wanted, NOW))}")
    report.add(
        "actions planned",
        f"{len(actions)} ({', '.join(f'{v} {n}' for v, n in sorted(verbs.items()))})",
    )
    report.add("desired_credentials alone (median)", f"{median(desired_only) * 1000:.0f} ms")
    report.check("desired_credentials + plan (median of 5)", elapsed * 1000, 1000, "ms", ".0f")
    report.check("peak memory, inputs + plan (tracemalloc)", peak / 2**20, 100, "MB")
    report.notes.append(f"runs: {', '.join(f'{t * 1000:.0f}' for t in timings)} ms")
    report.notes.append("tracemalloc counts Python allocations only, not interpreter baseline")
    return report
