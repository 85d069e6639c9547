"""The LAN backend: tinytuya's local protocol over asyncio, one shared connection per device.

`wire` frames and encrypts with tinytuya's helpers, `link` is one TCP connection as an asyncio
protocol, `connection` keeps a device's (or gateway's) session open and routes its pushes,
`heartbeat` keeps an idle session alive (`pacing` spreads the pings), `pool` shares a
connection among the locks behind one gateway, `reports` reads what a lock answers, `confirm`
waits for the report that confirms a command, and `backend` holds the PIN logic of
`LanBackend`.
"""

from __future__ import annotations

import logging

from .backend import LanBackend
from .connection import AUTO, DEFAULT_PORT, HEARTBEAT_INTERVAL, LanConnection
from .pool import ConnectionPool, shared_pool
from .wire import VERSIONS


class _TinytuyaDebugFilter(logging.Filter):
    """tinytuya's debug lines print local keys, session keys and raw PIN payloads: none pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def _silence_tinytuya_debug() -> None:
    """Filter every tinytuya logger (filters do not reach child loggers by themselves)."""
    names = [name for name in logging.root.manager.loggerDict if name.startswith("tinytuya")]
    for name in ("tinytuya", *names):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _TinytuyaDebugFilter) for f in logger.filters):
            logger.addFilter(_TinytuyaDebugFilter())


_silence_tinytuya_debug()

__all__ = [
    "AUTO",
    "DEFAULT_PORT",
    "HEARTBEAT_INTERVAL",
    "VERSIONS",
    "ConnectionPool",
    "LanBackend",
    "LanConnection",
    "shared_pool",
]
