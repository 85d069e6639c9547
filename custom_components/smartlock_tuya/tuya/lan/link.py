"""One TCP connection to a device as an asyncio protocol: frames in, one exchange at a time.

The event loop's selector reads the socket; `data_received` runs only when bytes arrive, so a
quiet device costs nothing between its heartbeats. A frame that answers the exchange in flight
resolves it; every other frame (status pushes, late acks) goes to the owner at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from tinytuya.core import command_types
from tinytuya.core.message_helper import TuyaMessage

from custom_components.smartlock_tuya.tuya.errors import (
    LockAuthError,
    LockError,
    LockOfflineError,
    LockTimeoutError,
)

from .wire import Frame, Wire, WireError

REFUSED = (
    "the lock refused the session: wrong local key or protocol version, "
    "or another app holds its only local connection"
)

type FrameHandler = Callable[[Link, Frame], None]
type LostHandler = Callable[[Link, LockError], None]


class Link(asyncio.Protocol):
    """A connected socket, its `Wire`, and the one exchange waiting for its reply."""

    def __init__(self, wire: Wire, on_frame: FrameHandler, on_lost: LostHandler) -> None:
        """Hand unsolicited frames and the end of the connection to the owner."""
        self.wire = wire
        self._on_frame = on_frame
        self._on_lost = on_lost
        self._transport: asyncio.Transport | None = None
        self._waiting: tuple[int, asyncio.Future[Any]] | None = None
        self._failure: LockError | None = None
        #: Loop time of the last frame we sent and of the last frame we received.
        self.sent_at = 0.0
        self.heard_at = 0.0
        #: Frames handed to the socket: tells a command lost before it left from one lost after.
        self.frames_out = 0

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport: every write goes through it."""
        if not isinstance(transport, asyncio.Transport):
            raise TypeError("a stream transport is needed")
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        """Cut the stream into frames and hand each to its taker the moment it is whole."""
        self.heard_at = asyncio.get_running_loop().time()
        try:
            for message in self.wire.feed(data):
                self._take(message)
        except WireError:
            self.abort(LockAuthError(REFUSED))

    def eof_received(self) -> bool:
        """A device that hangs up is done with us; close our side too."""
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        """Fail the exchange in flight and tell the owner."""
        failure = self._failure or LockOfflineError("the lock closed the connection")
        self._failure = failure
        self._transport = None
        self._resolve_error(failure)
        self._on_lost(self, failure)

    # -- exchanges -----------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the socket is still open."""
        return self._transport is not None and not self._transport.is_closing()

    def write(self, data: bytes) -> None:
        """Send one encoded frame."""
        if self._transport is None or self._transport.is_closing():
            raise self._failure or LockOfflineError("the connection is closed")
        self._transport.write(data)
        self.frames_out += 1
        self.sent_at = asyncio.get_running_loop().time()

    async def exchange_raw(self, data: bytes, reply_cmd: int, wait: float) -> TuyaMessage:
        """Send a frame and wait for the device's frame of `reply_cmd`, still undecoded."""
        result: TuyaMessage = await self._exchange(data, reply_cmd, wait)
        return result

    async def exchange(self, data: bytes, reply_cmd: int, wait: float) -> Frame:
        """Send a frame and wait for the device's decoded frame of `reply_cmd`."""
        result: Frame = await self._exchange(data, reply_cmd, wait)
        return result

    async def _exchange(self, data: bytes, reply_cmd: int, wait: float) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting = (reply_cmd, future)
        try:
            self.write(data)
            async with asyncio.timeout(wait):
                return await future
        except TimeoutError:
            raise LockTimeoutError("the lock did not answer") from None
        finally:
            if self._waiting is not None and self._waiting[1] is future:
                self._waiting = None

    def abort(self, failure: LockError | None = None) -> None:
        """Drop the connection at once, remembering why."""
        if failure is not None and self._failure is None:
            self._failure = failure
        if self._transport is not None:
            self._transport.abort()

    # -- internals -----------------------------------------------------------------------------

    def _take(self, message: TuyaMessage) -> None:
        waiting = self._waiting
        if message.cmd == command_types.SESS_KEY_NEG_RESP:
            if waiting is not None and waiting[0] == message.cmd and not waiting[1].done():
                waiting[1].set_result(message)
            return
        frame = self.wire.decode(message)
        if waiting is not None and waiting[0] == frame.cmd and not waiting[1].done():
            waiting[1].set_result(frame)
            return
        self._on_frame(self, frame)

    def _resolve_error(self, failure: LockError) -> None:
        if self._waiting is not None and not self._waiting[1].done():
            self._waiting[1].set_exception(failure)
