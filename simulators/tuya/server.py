"""A Tuya device's TCP side: one client at a time, pushes, idle drops, and network faults.

A Tuya device serves one local connection at a time (make-all/tuya-local issue #162). A
second client is accepted and then hung up on (half-close, then read until it goes): tinytuya
sees an empty read, which it reports as Err 904 on 3.3 and Err 914 ("check device key or
version") on 3.4/3.5 - exactly what a busy real lock looks like. Frames that fail to
authenticate or decrypt (a wrong local key) get the same hang-up. Before refusing, a newcomer
waits a moment for the current client to finish closing, because tinytuya drops and re-opens
its socket between calls and on retries.

A client that sends nothing for `idle_timeout` seconds is dropped. Devices close a connection
that carries no traffic for "typically ~30 seconds" (openhab/openhab-addons pull request
#18829, TuyaBindingConstants.java); a heartbeat (command 9) counts as traffic and is answered
with an empty payload (tinytuya/core/Device.py, ``heartbeat``). Commands are acknowledged with an
empty payload first and the data follow in a STATUS frame (same openHAB source).
"""

import asyncio
from collections.abc import Callable, Mapping
import contextlib
import logging
from typing import Any, Literal, Protocol

from .frames import Command, Frame, FrameError, read_frame
from .protocol import (
    NEGOTIATION,
    ProtocolError,
    Session,
    control_dps,
    decode,
    encode,
    message_cid,
    query_reply,
    status_push,
)

_LOGGER = logging.getLogger(__name__)
BUSY_GRACE = 0.2  # seconds a newcomer waits for the current client to finish hanging up
# What a gateway answers to a DP query without a cid (tinytuya/core/XenonDevice.py,
# ``_register_child``: "some gateways return 'json obj data unvalid' when the gateway is polled
# without a cid").
NO_CID_REPLY = b"json obj data unvalid"
type OfflineMode = Literal["refuse", "silent"] | None


class DeviceHandler(Protocol):
    """What the server asks of the device behind it; `cid` names a sub-device, or None."""

    def query(self, cid: str | None) -> dict[str, Any] | None:
        """Every DP's current value, or None when nothing answers to that address."""

    def control(self, dps: dict[str, Any], cid: str | None) -> dict[str, Any] | None:
        """Apply a CONTROL: DPs to report (empty: ack only), or None to say nothing at all."""

    def report_delay(self, cid: str | None) -> float:
        """Seconds between the ack and the report (a Zigbee hop behind a gateway)."""

    def extension(self, message: dict[str, Any]) -> dict[str, Any] | None:
        """The answer to a LAN_EXT_STREAM request, or None to ignore it."""


class LockServer:
    """Listens on loopback and speaks one protocol version to one client at a time."""

    def __init__(
        self,
        *,
        device_id: str,
        local_key: bytes,
        version: str,
        handler: DeviceHandler,
        clock: Callable[[], float],
        idle_timeout: float,
    ) -> None:
        """Prepare; nothing listens until `start`."""
        self._device_id = device_id
        self._local_key = local_key
        self._version = version
        self._handler = handler
        self._clock = clock
        self._idle_timeout = idle_timeout
        self._server: asyncio.Server | None = None
        self._address: tuple[str, int] | None = None
        self._silent = False
        self._listening = False  # False while refusing: late callbacks close at once
        self._active: tuple[asyncio.StreamWriter, Session] | None = None
        self._free = asyncio.Event()
        self._free.set()
        self._clients: dict[asyncio.StreamWriter, asyncio.Task[Any]] = {}
        self._later: set[asyncio.Task[None]] = set()
        self.connections = 0
        self.frames_in = 0  # client frames read, heartbeats included
        self.heartbeats = 0  # heartbeat frames answered
        self.received: list[tuple[int, dict[str, Any]]] = []  # (command, JSON) as the client sent

    def use_version(self, version: str) -> None:
        """Speak `version` to the next client; a session already open keeps its own."""
        self._version = version

    @property
    def address(self) -> tuple[str, int]:
        """Host and port, fixed at `start` and kept across `set_offline` cycles."""
        if self._address is None:
            raise RuntimeError("the lock has not been started")
        return self._address

    async def start(self, host: str, port: int) -> None:
        """Listen; port 0 picks a free one."""
        self._listening = True
        self._server = await asyncio.start_server(self._accept, host, port)
        sockname = self._server.sockets[0].getsockname()
        self._address = (host, int(sockname[1]))

    async def stop(self) -> None:
        """Stop listening and hang up on everyone."""
        for task in list(self._later):
            task.cancel()
        await self._stop_listening()
        await self.drop_connections()
        self._address = None

    async def _stop_listening(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            self._listening = False
            server.close()
            await self.drop_connections()
            await server.wait_closed()

    async def set_offline(self, mode: OfflineMode) -> None:
        """Go away ("refuse"), hang ("silent"), or come back (None) on the same port."""
        self._silent = mode == "silent"
        if mode == "refuse":
            await self._stop_listening()
            return
        if self._server is None:
            host, port = self.address
            self._listening = True
            self._server = await asyncio.start_server(self._accept, host, port)
        if mode is None:
            await self.drop_connections(hung_only=True)

    async def drop_connections(self, *, hung_only: bool = False) -> None:
        """Close client sockets (all, or only those the lock never answered) and wait."""
        active = self._active[0] if self._active else None
        doomed = {w: t for w, t in self._clients.items() if not hung_only or w is not active}
        for writer in doomed:
            writer.close()
        if doomed:
            await asyncio.wait(doomed.values(), timeout=1.0)

    @property
    def client_connected(self) -> bool:
        """Whether a client holds the connection and could receive a push now."""
        return self._active is not None and self._active[1].ready and not self._silent

    async def push(self, dps: Mapping[str, Any], cid: str | None = None) -> bool:
        """Report DPs to the connected client at once; False when there is none to tell."""
        if self._active is None or self._silent or not dps:
            return False
        writer, session = self._active
        if not session.ready or writer.is_closing():
            return False
        body = status_push(self._version, self._device_id, dps, int(self._clock()), cid)
        await self._send(writer, [session.seal(Command.STATUS, body)])
        return True

    def _push_later(self, delay: float, dps: Mapping[str, Any], cid: str | None) -> None:
        async def later() -> None:
            await asyncio.sleep(delay)
            await self.push(dps, cid)

        task = asyncio.get_running_loop().create_task(later())
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._listening:  # accepted just before the port closed
            writer.close()
            return
        self.connections += 1
        task = asyncio.current_task()
        if task is not None:  # always: start_server runs each callback in a task
            self._clients[writer] = task
        try:
            if self._silent:
                await _drain(reader, None)
            elif not await self._claim():
                _LOGGER.debug("busy: hanging up on a second client")
                await self._hang_up(reader, writer)
            else:
                session = Session(self._version, self._local_key)
                self._active = (writer, session)
                try:
                    polite = await self._converse(reader, writer, session)
                finally:
                    self._active = None
                    self._free.set()
                if not polite:
                    await self._hang_up(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._clients.pop(writer, None)
            writer.close()

    async def _claim(self) -> bool:
        if self._active is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(BUSY_GRACE):
                    await self._free.wait()
        if self._active is not None:
            return False
        self._free.clear()
        return True

    async def _hang_up(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Half-close so the client reads a clean end of stream, then wait for it to leave."""
        with contextlib.suppress(OSError, RuntimeError):
            writer.write_eof()
        await _drain(reader, self._idle_timeout)

    async def _converse(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, session: Session
    ) -> bool:
        """Serve frames until the client leaves or idles out (True), or misbehaves (False)."""
        while True:
            try:
                async with asyncio.timeout(self._idle_timeout):
                    data = await read_frame(reader)
            except TimeoutError:
                _LOGGER.debug("idle for %.1f s: dropping the client", self._idle_timeout)
                return True
            except asyncio.IncompleteReadError:
                return True
            except FrameError as err:
                _LOGGER.debug("not a frame: %s", err)
                return False
            self.frames_in += 1
            if self._silent:
                continue
            try:
                replies = self._dispatch(session, session.open(data))
            except ProtocolError as err:
                _LOGGER.debug("hanging up: %s", err)
                return False
            await self._send(writer, replies)

    def _dispatch(self, session: Session, frame: Frame) -> list[bytes]:
        """The frames that answer one client frame."""
        cmd = frame.cmd
        if cmd in NEGOTIATION:
            reply = session.negotiate(frame)
            return [] if reply is None else [reply]
        if cmd == Command.HEART_BEAT:
            self.heartbeats += 1
            return [session.seal(cmd, b"", frame.seq)]
        message = decode(frame.payload)
        self.received.append((cmd, message))
        cid = message_cid(message)
        if cmd in (Command.DP_QUERY, Command.DP_QUERY_NEW):
            dps = self._handler.query(cid)
            body = (
                NO_CID_REPLY
                if dps is None
                else query_reply(self._version, self._device_id, dps, cid)
            )
            return [session.seal(cmd, body, frame.seq)]
        if cmd == Command.LAN_EXT_STREAM:
            answer = self._handler.extension(message)
            return [] if answer is None else [session.seal(cmd, encode(answer), frame.seq)]
        if cmd in (Command.CONTROL, Command.CONTROL_NEW):
            report = self._handler.control(control_dps(message), cid)
            if report is None:
                return []
        elif cmd == Command.UPDATEDPS:
            wanted = message.get("dpId")
            current = self._handler.query(cid) or {}
            wanted_dps = wanted if isinstance(wanted, list) else []
            report = {str(dp): current[str(dp)] for dp in wanted_dps if str(dp) in current}
        else:
            report = {}
        ack = session.seal(cmd, b"", frame.seq)
        if not report:
            return [ack]
        delay = self._handler.report_delay(cid)
        if delay > 0:
            self._push_later(delay, report, cid)
            return [ack]
        body = status_push(self._version, self._device_id, report, int(self._clock()), cid)
        return [ack, session.seal(Command.STATUS, body)]

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, frames: list[bytes]) -> None:
        if not frames or writer.is_closing():
            return
        writer.write(b"".join(frames))
        with contextlib.suppress(ConnectionError):
            await writer.drain()


async def _drain(reader: asyncio.StreamReader, limit: float | None) -> None:
    """Read and discard until the peer closes (or `limit` seconds pass)."""
    with contextlib.suppress(TimeoutError, ConnectionError):
        async with asyncio.timeout(limit):
            while await reader.read(4096):
                pass
