"""Connections shared by every lock behind one device: counted, and closed with the last lock.

A Tuya gateway (like any Tuya device) serves one local client, so two locks behind it must
speak through one connection. The pool hands out the connection for a host and port, counts
its users, and closes it when the last one lets go. One pool per event loop: tests and
benchmarks that run several loops never share a socket across them.
"""

from __future__ import annotations

import asyncio
from typing import Any
from weakref import WeakKeyDictionary

from custom_components.smartlock_tuya.tuya.errors import LockAuthError

from .connection import LanConnection


class ConnectionPool:
    """Shared `LanConnection`s keyed by where the device listens."""

    def __init__(self) -> None:
        """Start empty."""
        self._connections: dict[tuple[str, int], tuple[LanConnection, int]] = {}

    def acquire(
        self, *, device_id: str, host: str, port: int, local_key: str, **options: Any
    ) -> LanConnection:
        """The connection to this device, made on first use; call `release` when done with it."""
        key = (host, port)
        entry = self._connections.get(key)
        if entry is not None and entry[0].paused:
            # The shared connection stepped aside for another client (a config flow testing new
            # details): that client gets its own connection, closed when it lets go.
            return LanConnection(
                device_id=device_id, host=host, port=port, local_key=local_key, **options
            )
        if entry is not None:
            connection, users = entry
            if connection.device_id != device_id or connection.local_key != local_key:
                raise LockAuthError(
                    f"{host}:{port} is already used by device {connection.device_id} "
                    "with other credentials"
                )
            self._connections[key] = (connection, users + 1)
            return connection
        connection = LanConnection(
            device_id=device_id, host=host, port=port, local_key=local_key, **options
        )
        self._connections[key] = (connection, 1)
        return connection

    async def release(self, connection: LanConnection) -> None:
        """One user fewer; the last one closes the connection."""
        key = (connection.host, connection.port)
        entry = self._connections.get(key)
        if entry is None or entry[0] is not connection:
            await connection.close()
            return
        users = entry[1] - 1
        if users:
            self._connections[key] = (connection, users)
            return
        del self._connections[key]
        await connection.close()

    def users(self, host: str, port: int) -> int:
        """How many locks share the connection to `host:port` (0: none open)."""
        entry = self._connections.get((host, port))
        return entry[1] if entry else 0


_POOLS: WeakKeyDictionary[asyncio.AbstractEventLoop, ConnectionPool] = WeakKeyDictionary()


def shared_pool() -> ConnectionPool:
    """The running event loop's pool (call from inside the loop)."""
    loop = asyncio.get_running_loop()
    if (pool := _POOLS.get(loop)) is None:
        pool = _POOLS[loop] = ConnectionPool()
    return pool
