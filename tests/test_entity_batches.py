"""Entities of many locks are added in batches, letting the event loop run in between."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from custom_components.smartlock_tuya.entity import LOCKS_PER_BATCH, add_lock_entities


async def test_lock_entities_are_added_in_batches_with_the_loop_in_between() -> None:
    """60 locks: every entity added with its subentry, and the loop runs after each batch.

    Regression: one loop over all locks registered every entity in one loop iteration (the
    0.5-1.1 s start-up stall with 500 locks in `scale_ha`).
    """
    count = 2 * LOCKS_PER_BATCH + 10
    locks = {f"sub{n}": f"lock{n}" for n in range(count)}
    entry: Any = SimpleNamespace(runtime_data=SimpleNamespace(locks=locks))
    added: list[tuple[list[str], str | None]] = []
    # What the other task saw of the adding each time it ran.
    seen: list[int] = []

    def add(entities: Any, config_subentry_id: str | None = None) -> None:
        added.append((list(entities), config_subentry_id))

    async def other_work() -> None:
        while len(added) < count:
            seen.append(len(added))
            await asyncio.sleep(0)

    other = asyncio.ensure_future(other_work())
    await asyncio.sleep(0)  # the other task starts first and then waits its turn
    await add_lock_entities(entry, add, lambda lock: [f"entity of {lock}", f"sensor of {lock}"])
    await other
    assert added == [
        ([f"entity of lock{n}", f"sensor of lock{n}"], f"sub{n}") for n in range(count)
    ]
    # Between batches the other task ran, and never saw a batch half added.
    assert LOCKS_PER_BATCH in seen
    assert 2 * LOCKS_PER_BATCH in seen
    assert all(n % LOCKS_PER_BATCH == 0 for n in seen)
