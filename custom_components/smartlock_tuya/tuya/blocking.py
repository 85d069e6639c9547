"""How a backend runs a blocking library call without blocking the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

type RunBlocking = Callable[[Callable[[], Any]], Awaitable[Any]]


async def to_thread(function: Callable[[], Any]) -> Any:
    """Run `function` in a worker thread (Home Assistant passes its executor instead)."""
    return await asyncio.to_thread(function)
