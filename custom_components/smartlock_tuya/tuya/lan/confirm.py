"""Sending a command to a lock and waiting for the report that confirms it.

A lock answers a CONTROL twice: an ack at once, and later a report on the DP it changed. Only
the report says what the lock did, so a command is confirmed by the first report its waiter
recognises (for a PIN, `reports.report_waiter`). One waiter listens at a time per lock: the
commands on a connection are serialised (`LanConnection.exclusive`), and a clean-up run
between two attempts puts its own waiter in front and hands the slot back after.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from tinytuya.core import command_types

from custom_components.smartlock_tuya.tuya.codecs import (
    CredentialCodec,
    CredentialReport,
    encode_raw,
)
from custom_components.smartlock_tuya.tuya.errors import LockTimeoutError

from .connection import LanConnection
from .reports import Waiter, report_waiter

type Resend = Callable[[LanConnection], Awaitable[None]]


class Confirmations:
    """The one listener a lock's reports are offered to while a command waits for its answer."""

    def __init__(
        self,
        *,
        device_id: str,
        node_id: str | None,
        codec: CredentialCodec,
        timeout: float,
        on_confirmed: Callable[[], None],
    ) -> None:
        """`timeout`: how long one attempt waits; `on_confirmed`: the lock answered."""
        self._device_id = device_id
        self._node_id = node_id
        self._codec = codec
        self._timeout = timeout
        self._on_confirmed = on_confirmed
        self._waiter: Waiter | None = None

    def offer(self, dps: dict[str, Any]) -> None:
        """Show a report to the command waiting for one (it may take its DP out of `dps`)."""
        if self._waiter is not None:
            self._waiter(dps)

    async def exchange(
        self,
        connection: LanConnection,
        dp: int,
        data: bytes,
        decode: Callable[[bytes], CredentialReport],
        before_resend: Resend | None = None,
    ) -> CredentialReport:
        """Send a credential command on a held connection; wait for the report answering it."""
        reported: asyncio.Future[CredentialReport] = asyncio.get_running_loop().create_future()
        waiter = report_waiter(
            codec=self._codec,
            dp=dp,
            command=data,
            decode=decode,
            reported=reported,
            device_id=self._device_id,
        )
        return await self.send_and_wait(
            connection, {str(dp): encode_raw(data)}, waiter, reported, before_resend
        )

    async def send_and_wait[T](
        self,
        connection: LanConnection,
        dps: dict[str, Any],
        waiter: Waiter,
        confirmed: asyncio.Future[T],
        before_resend: Resend | None = None,
    ) -> T:
        """Send a CONTROL and wait for the report `waiter` recognises; if lost, send it again.

        `before_resend`, when given, runs before the second attempt, on the held connection;
        a command dropped with its session after it left is then left to it too, instead of
        being re-sent by the connection as it is.
        """
        message = connection.device(self._device_id, self._node_id).generate_payload(
            command_types.CONTROL, dps
        )
        outer, self._waiter = self._waiter, waiter
        try:
            for attempt in (1, 2):
                if attempt == 2 and before_resend is not None:
                    self._waiter = outer
                    await before_resend(connection)
                    self._waiter = waiter
                try:
                    await connection.send(message, resend=before_resend is None)
                    async with asyncio.timeout(self._timeout):
                        result = await asyncio.shield(confirmed)
                except LockTimeoutError:
                    if attempt == 2:
                        raise
                except TimeoutError:
                    if attempt == 2:
                        raise LockTimeoutError("the lock did not confirm the operation") from None
                else:
                    self._on_confirmed()
                    return result
            raise AssertionError("unreachable")
        finally:
            self._waiter = outer
            confirmed.cancel()
