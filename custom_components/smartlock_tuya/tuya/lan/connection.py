"""One shared local connection per device or gateway: serialised commands, pushes dispatched.

Why an asyncio protocol per connection rather than one reader of our own: the event loop's
selector already multiplexes every socket on one thread, wakes only when a socket has bytes or
a timer is due, and hands the bytes to `Link.data_received` with no thread hop. A reader
thread of our own (tinytuya's `Monitor` is one) would keep heartbeats off the loop but send
every push across threads, and it needs its own locking for commands. Measured on the
simulator (`benchmarks/lan_sessions.py`, numbers in benchmarks/README.md): an idle connection
costs a few loop wake-ups a minute (a ping out and its reply in, every 18-24 s, pings of all
connections on one grid so they share wake-ups) and no thread at all, where the executor
keep-alive this replaces cost ~35 loop wake-ups, ~130-230 thread context switches and 30
executor jobs a minute; a push reaches listeners in about half a millisecond, not up to 2.5 s.

The keep-alive (a ping after 18-24 s of silence, on a grid shared by every connection, and a
session dropped when a ping goes unanswered) is `heartbeat.py`'s.

A device serves one local client, so all locks behind one gateway share one `LanConnection`,
and reports are routed by the `cid` they carry (tinytuya `XenonDevice._process_message`
reads it from the top level on 3.3 and from `data` on 3.4/3.5).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
import logging
from typing import Any, Final

import tinytuya
from tinytuya.core import command_types

from custom_components.smartlock_tuya.tuya.errors import (
    LockAuthError,
    LockError,
    LockOfflineError,
    LockTimeoutError,
)

from .heartbeat import Heartbeat
from .link import REFUSED, Link
from .wire import VERSIONS, Frame, Wire

_LOGGER = logging.getLogger(__name__)

AUTO: Final = "auto"
DEFAULT_PORT: Final = 6668
HEARTBEAT_INTERVAL: Final = 24.0
BACKOFF_START: Final = 1.0
BACKOFF_MAX: Final = 300.0

type ReportHandler = Callable[[dict[str, Any]], None]
type StateHandler = Callable[[bool], None]


@dataclass(frozen=True, slots=True)
class _Subscriber:
    cid: str | None
    on_report: ReportHandler
    on_state: StateHandler


def cid_of(body: dict[str, Any]) -> str | None:
    """The sub-device a report is about, where it says (top level on 3.3, in `data` above)."""
    if isinstance(cid := body.get("cid"), str):
        return cid
    data = body.get("data")
    if isinstance(data, dict) and isinstance(cid := data.get("cid"), str):
        return cid
    return None


class LanConnection:
    """The one session to a device (or gateway), kept open and re-opened after a drop."""

    def __init__(
        self,
        *,
        device_id: str,
        host: str,
        local_key: str,
        version: str = AUTO,
        port: int = DEFAULT_PORT,
        timeout: float = 5.0,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        backoff: tuple[float, float] = (BACKOFF_START, BACKOFF_MAX),
    ) -> None:
        """Describe the device; nothing is opened until `open`."""
        if version != AUTO and version not in VERSIONS:
            raise ValueError(f"unknown protocol version {version!r}")
        self.device_id = device_id
        self.host = host
        self.port = port
        self.local_key = local_key
        self.version: str | None = None if version == AUTO else version
        self._versions = VERSIONS if version == AUTO else (version,)
        self._timeout = timeout
        self._backoff_start, self._backoff_max = backoff
        self._backoff = self._backoff_start
        self._link: Link | None = None
        self._open_lock = asyncio.Lock()
        self._command_lock = asyncio.Lock()
        self._subscribers: list[_Subscriber] = []
        self.heartbeat = Heartbeat(
            interval=heartbeat_interval, device_id=device_id, ping=self._ping_message
        )
        self._retry: asyncio.TimerHandle | None = None
        self._reconnect: asyncio.Task[None] | None = None
        self._devices: dict[str | None, Any] = {}
        self._paused = False
        self._closed = False
        self.available = False
        #: Sessions opened (for tests and benchmarks).
        self.sessions = 0

    @property
    def heartbeats(self) -> int:
        """Frames sent to keep the session alive (for tests and benchmarks)."""
        return self.heartbeat.count

    @property
    def paused(self) -> bool:
        """Whether the session stepped aside for another client (see `paused_for_others`)."""
        return self._paused

    # -- subscribers ---------------------------------------------------------------------------

    def subscribe(
        self, cid: str | None, on_report: ReportHandler, on_state: StateHandler
    ) -> Callable[[], None]:
        """Receive the reports for `cid` (None: the device itself) and availability changes."""
        subscriber = _Subscriber(cid, on_report, on_state)
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def _dispatch(self, link: Link, frame: Frame) -> None:
        """A frame nobody waited for: a push. Hand it to whoever it is about, now."""
        if link is not self._link:
            return
        if frame.cmd == command_types.HEART_BEAT:
            return
        if frame.body is None:
            return  # a late ack: its command already gave up waiting
        cid = cid_of(frame.body)
        for subscriber in list(self._subscribers):
            if subscriber.cid == cid:
                subscriber.on_report(frame.body)

    def _set_available(self, available: bool) -> None:
        if available == self.available:
            return
        self.available = available
        for subscriber in list(self._subscribers):
            subscriber.on_state(available)

    # -- payloads as tinytuya builds them -------------------------------------------------------

    def device(self, device_id: str | None = None, cid: str | None = None) -> Any:
        """The tinytuya device that builds payloads for the gateway itself or one of its cids.

        It never opens a socket: only `generate_payload` is used, so commands carry exactly the
        fields (and the `cid`) that tinytuya puts on the wire for this version.
        """
        if self.version is None:
            raise LockOfflineError("the protocol version is not known before connecting")
        gateway = self._devices.get(None)
        if gateway is None or gateway.version != float(self.version):
            self._devices.clear()
            gateway = tinytuya.Device(
                self.device_id,
                address=self.host,
                local_key=self.local_key,
                version=float(self.version),
                port=self.port,
            )
            self._devices[None] = gateway
        if cid is None:
            return gateway
        if (child := self._devices.get(cid)) is None:
            child = tinytuya.Device(device_id or cid, cid=cid, parent=gateway)
            self._devices[cid] = child
        return child

    # -- opening -------------------------------------------------------------------------------

    async def open(self) -> None:
        """Open the session if it is not, trying each version in `auto` and keeping the first."""
        async with self._open_lock:
            if self._link is not None and self._link.connected:
                return
            if self._closed:
                raise LockOfflineError("the connection was closed")
            last: LockError = LockOfflineError("no protocol version to try")
            for version in [self.version] if self.version else self._versions:
                try:
                    self._link = await self._dial(version)
                except LockOfflineError:
                    self._set_available(False)
                    raise  # nothing listens: another version will not change that
                except LockError as err:
                    last = err
                    continue
                self.version = version
                self.sessions += 1
                self._backoff = self._backoff_start
                self.heartbeat.start(self._link)
                self._set_available(True)
                return
            self._set_available(False)
            raise last

    async def _dial(self, version: str) -> Link:
        loop = asyncio.get_running_loop()
        wire = Wire(version, self.local_key.encode("latin1"))
        try:
            async with asyncio.timeout(self._timeout):
                _, link = await loop.create_connection(
                    lambda: Link(wire, self._dispatch, self._lost), self.host, self.port
                )
        except (OSError, TimeoutError) as err:
            raise LockOfflineError("the lock does not accept connections") from err
        try:
            if version != "3.3":
                reply = await link.exchange_raw(
                    wire.negotiation_start(), command_types.SESS_KEY_NEG_RESP, self._timeout
                )
                link.write(wire.negotiation_finish(reply))
            # Any answer to a query proves key and version (a gateway may answer with an error).
            previous, self.version = self.version, version
            try:
                probe = self.device().generate_payload(command_types.DP_QUERY)
            finally:
                self.version = previous
            await link.exchange(
                wire.encode(probe.cmd, bytes(probe.payload)), probe.cmd, self._timeout
            )
        except LockOfflineError as err:
            link.abort()
            raise LockAuthError(REFUSED) from err  # accepted, then hung up on
        except LockError:
            link.abort()
            raise
        except Exception as err:  # a malformed negotiation reply
            link.abort()
            raise LockAuthError(REFUSED) from err
        return link

    # -- commands ------------------------------------------------------------------------------

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[LanConnection]:
        """Hold the connection for one command and its confirmation, opening it if needed."""
        async with self._command_lock:
            await self.open()
            yield self

    async def send(self, message: Any, *, resend: bool = True) -> Frame:
        """Send a tinytuya `MessagePayload` and return the device's reply to it.

        Call inside `exclusive`. Pushes that arrive meanwhile are dispatched as usual. A session
        the device dropped just before or while the command went out (a reboot, an idle drop)
        is reopened and the command sent once more, as tinytuya itself does. With `resend`
        false a command that did leave is never sent again: a second create would store a
        second copy of a PIN, or be refused as a duplicate of the first.
        """
        for attempt in (1, 2):
            link = self._link
            if link is None or not link.connected:
                await self.open()
                link = self._link
                if link is None:  # closed meanwhile
                    raise LockOfflineError("the connection was closed")
            data = link.wire.encode(message.cmd, bytes(message.payload))
            written = link.frames_out
            try:
                return await link.exchange(data, message.cmd, self._timeout)
            except LockOfflineError:
                if not resend and link.frames_out != written:
                    raise LockTimeoutError(
                        "the session dropped after the command went out: its outcome is unknown"
                    ) from None
                if attempt == 2:
                    raise
                _LOGGER.debug("Lock %s dropped the session mid-command: reopening", self.device_id)
        raise AssertionError("unreachable")

    async def probe(self) -> None:
        """Prove the session alive with a heartbeat (reopened if the device dropped it).

        Call inside `exclusive`, before a command that must not be sent twice: it then goes
        out on a session that just answered, not on one the device closed while idle.
        """
        await self.send(self._ping_message())

    def _ping_message(self) -> Any:
        """A heartbeat as tinytuya builds it for this session's version."""
        return self.device().generate_payload(command_types.HEART_BEAT)

    # -- drops and reconnects ------------------------------------------------------------------

    def _lost(self, link: Link, failure: LockError) -> None:
        if link is not self._link:
            return
        self._link = None
        self.heartbeat.stop()
        self._set_available(False)
        if not self._closed and not self._paused and self._subscribers:
            _LOGGER.debug("Lock %s dropped the connection: %s", self.device_id, failure)
            self._schedule_reconnect()

    def _schedule_reconnect(self) -> None:
        if self._retry is not None or self._closed:
            return
        loop = asyncio.get_running_loop()
        delay, self._backoff = self._backoff, min(self._backoff * 2, self._backoff_max)
        self._retry = loop.call_later(delay, self._start_reconnect)

    def _start_reconnect(self) -> None:
        self._retry = None
        if self._closed or self._paused or self._reconnect is not None:
            return
        self._reconnect = asyncio.get_running_loop().create_task(
            self._try_reconnect(), name=f"tuya lock {self.device_id} reconnect"
        )

    async def _try_reconnect(self) -> None:
        try:
            await self.open()
        except LockError as err:
            _LOGGER.debug("Lock %s still unreachable: %s", self.device_id, err)
            self._reconnect = None
            self._schedule_reconnect()
            return
        self._reconnect = None

    # -- giving the device up ------------------------------------------------------------------

    @asynccontextmanager
    async def paused_for_others(self) -> AsyncIterator[None]:
        """Close the session and hold every command until the block ends (another client's turn)."""
        async with self._command_lock:
            self._paused = True
            try:
                self._drop()
                yield
            finally:
                self._paused = False
        if self._subscribers and not self._closed:
            self._backoff = self._backoff_start
            self._schedule_reconnect()

    def _drop(self) -> None:
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        link, self._link = self._link, None
        self.heartbeat.stop()
        if link is not None:
            link.abort()
        self._set_available(False)

    async def close(self) -> None:
        """Close the socket and stop every timer and reconnect."""
        self._closed = True
        self._drop()
        if self._reconnect is not None:
            self._reconnect.cancel()
            self._reconnect = None
