"""`LanBackend`: a lock's PINs and state over a shared, push-driven local connection.

The lock's reports are read the moment they arrive (see `connection`); a PIN operation
succeeds only when the lock's own report on the PIN's DP says so, and a report for another
PIN, or another sub-device (`cid`), never confirms it. The PIN-command logic - which DP,
which bytes, which report answers which command - lives in `_command` and `_PinWaiter` alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
import itertools
import logging
from typing import Any

from tinytuya.core import command_types

from custom_components.smartlock_tuya.tuya.backend import (
    Capabilities,
    CreatedPin,
    LockBackend,
    LockInfo,
    LockStatus,
    PinRequest,
    PinUnlockEvent,
    StatusEvent,
)
from custom_components.smartlock_tuya.tuya.codecs import (
    CODECS,
    PinPayload,
    PinReport,
    ReportStatus,
    decode_raw,
    encode_raw,
)
from custom_components.smartlock_tuya.tuya.errors import (
    CodecError,
    InvalidPinError,
    LockError,
    LockFullError,
    LockRejectedError,
    LockTimeoutError,
    UnsupportedOperationError,
)
from custom_components.smartlock_tuya.tuya.profiles import PinProfile

from .connection import (
    AUTO,
    BACKOFF_MAX,
    BACKOFF_START,
    DEFAULT_PORT,
    HEARTBEAT_INTERVAL,
    LanConnection,
)
from .pool import ConnectionPool, shared_pool
from .wire import VERSIONS

_LOGGER = logging.getLogger(__name__)

type Waiter = Callable[[dict[str, Any]], None]


class LanBackend(LockBackend):
    """A lock on the local network, alone or as a sub-device (`node_id`) of a gateway."""

    def __init__(
        self,
        *,
        device_id: str,
        host: str,
        local_key: str,
        profile: PinProfile,
        version: str = AUTO,
        port: int = DEFAULT_PORT,
        gateway_id: str | None = None,
        node_id: str | None = None,
        pool: ConnectionPool | None = None,
        timeout: float = 5.0,
        confirm_timeout: float = 10.0,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        reconnect_backoff: tuple[float, float] = (BACKOFF_START, BACKOFF_MAX),
    ) -> None:
        """Describe the lock; nothing is opened until `connect`.

        For a sub-device, `host`, `local_key` and `version` are the gateway's, `gateway_id`
        its device id and `node_id` the lock's cid.
        """
        super().__init__()
        if version != AUTO and version not in VERSIONS:
            raise ValueError(f"unknown protocol version {version!r}")
        if (gateway_id is None) != (node_id is None):
            raise ValueError("a sub-device needs both gateway_id and node_id")
        self.device_id = device_id
        self.host = host
        self.node_id = node_id
        self.profile = profile
        self._codec = CODECS[profile.codec]
        self._pool = pool
        self._connection_options: dict[str, Any] = {
            "device_id": gateway_id or device_id,
            "host": host,
            "port": port,
            "local_key": local_key,
            "version": version,
            "timeout": timeout,
            "heartbeat_interval": heartbeat_interval,
            "backoff": reconnect_backoff,
        }
        self._connection: LanConnection | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._confirm_timeout = confirm_timeout
        self._uuids = itertools.cycle(range(1, 0xFFFF))
        self._waiter: Waiter | None = None
        self._refresh: asyncio.Task[None] | None = None
        self.last_status = LockStatus()
        self.capabilities = Capabilities(
            lock_control=profile.can_control,
            modify_window=profile.can_modify,
            list_pins=False,
            push_events=True,
        )

    @property
    def version(self) -> str | None:
        """The protocol version in use, once known."""
        return self._connection.version if self._connection else None

    @property
    def connection(self) -> LanConnection:
        """The (possibly shared) connection, taken from the pool on first use."""
        if self._connection is None:
            self._pool = self._pool or shared_pool()
            self._connection = self._pool.acquire(**self._connection_options)
            self._unsubscribe = self._connection.subscribe(
                self.node_id, self._on_report, self._on_state
            )
        return self._connection

    # -- connection ----------------------------------------------------------------------------

    async def connect(self) -> LockInfo:
        """Open the session (or join the gateway's) and read the lock's state."""
        await self.status()
        return LockInfo(protocol_version=self.version)

    @asynccontextmanager
    async def released(self) -> AsyncIterator[None]:
        """Close the session and hold every other call until the block ends."""
        async with self.connection.paused_for_others():
            yield

    async def close(self) -> None:
        """Leave the connection; the last lock on it closes it."""
        if self._refresh is not None:
            self._refresh.cancel()
            self._refresh = None
        if self._connection is not None and self._pool is not None:
            connection, self._connection = self._connection, None
            if self._unsubscribe is not None:
                self._unsubscribe()
            await self._pool.release(connection)
        self.available = False

    def _on_state(self, available: bool) -> None:
        """The connection went away or came back: say so, and catch up on what was missed."""
        self.available = available
        self._emit(StatusEvent(self.last_status))
        if available and self._refresh is None and self.last_status.dps:
            self._refresh = asyncio.get_running_loop().create_task(self._catch_up())

    async def _catch_up(self) -> None:
        try:
            await self.status()
            self._emit(StatusEvent(self.last_status))
        except LockError as err:
            _LOGGER.debug("Lock %s: no status after reconnecting: %s", self.device_id, err)
        finally:
            self._refresh = None

    # -- state ---------------------------------------------------------------------------------

    async def status(self) -> LockStatus:
        """Ask the lock for all its DPs."""
        async with self.connection.exclusive() as connection:
            device = connection.device(self.device_id, self.node_id)
            query = device.generate_payload(command_types.DP_QUERY)
            reply = await connection.send(query)
        self.available = True
        self._take_dps(_dps_of(reply.body or {}), emit=False)
        return self.last_status

    def _on_report(self, body: dict[str, Any]) -> None:
        """A report from the lock, the moment it arrives."""
        dps = _dps_of(body)
        if dps is None:
            return
        if self._waiter is not None:
            self._waiter(dps)
        self._take_dps(dps)

    def _take_dps(self, dps: dict[str, Any] | None, *, emit: bool = True) -> None:
        """Fold reported DPs into the status, and tell listeners what happened."""
        if not dps:
            return
        merged = {**self.last_status.dps, **dps}
        dp_map = self.profile.dps
        state = merged.get(str(dp_map.state)) if dp_map.state else None
        battery = merged.get(str(dp_map.battery)) if dp_map.battery else None
        self.last_status = LockStatus(
            locked=(state == self.profile.locked_value) if isinstance(state, bool) else None,
            battery=battery if isinstance(battery, int) and not isinstance(battery, bool) else None,
            dps=merged,
        )
        if not emit:
            return
        used = dps.get(str(dp_map.unlock_temporary)) if dp_map.unlock_temporary else None
        if used is not None and not isinstance(used, bool):
            self._emit(PinUnlockEvent(str(used), self.last_status))
        else:
            self._emit(StatusEvent(self.last_status))

    # -- PINs ----------------------------------------------------------------------------------

    def _payload(self, request: PinRequest) -> PinPayload:
        if (problem := self.profile.check_pin(request.pin)) is not None:
            raise InvalidPinError(problem)
        return PinPayload(
            ref=request.ref,
            pin=request.pin,
            start=request.window.start_ts,
            end=request.window.end_ts,
            once=request.once,
            uuid=next(self._uuids),
        )

    async def create_pin(self, request: PinRequest) -> CreatedPin:
        """Write the create DP and wait for the lock's confirmation of this PIN."""
        payload = self._payload(request)
        report = await self._command(
            self.profile.dps.create,
            self._codec.encode_create(payload),
            self._codec.decode_create_report,
            payload,
            ok=(ReportStatus.DONE, ReportStatus.EXISTS),
        )
        return CreatedPin(lock_pin_id=str(report.slot))

    async def modify_pin(self, lock_pin_id: str, request: PinRequest) -> str:
        """Write the modify DP, where the profile has one."""
        modify = self.profile.dps.modify
        if modify is None or not self.profile.can_modify:
            raise UnsupportedOperationError("this profile cannot change a PIN's window")
        payload = self._payload(request)
        report = await self._command(
            modify,
            self._codec.encode_modify(payload, slot=_slot(lock_pin_id)),
            self._codec.decode_modify_report,
            payload,
            ok=(ReportStatus.DONE,),
        )
        return str(report.slot)

    async def delete_pin(self, lock_pin_id: str, ref: int) -> None:
        """Write the delete DP; a lock that no longer has the PIN counts as done."""
        uuid = next(self._uuids)
        await self._command(
            self.profile.dps.delete,
            self._codec.encode_delete(ref=ref, slot=_slot(lock_pin_id), uuid=uuid),
            self._codec.decode_delete_report,
            PinPayload(ref=ref, pin="0", start=0, end=1, uuid=uuid),
            ok=(ReportStatus.DONE, ReportStatus.MISSING),
        )

    async def _command(
        self,
        dp: int,
        data: bytes,
        decode: Callable[[bytes], PinReport],
        payload: PinPayload,
        *,
        ok: tuple[ReportStatus, ...],
    ) -> PinReport:
        """Send one PIN command and return the lock's report about it, or raise.

        A command whose ack or report is lost is sent once more, as tinytuya itself retries:
        the lock recognises a repeated create of ours (same reference) as already there.
        """
        loop = asyncio.get_running_loop()
        reported: asyncio.Future[PinReport] = loop.create_future()

        def wait_for_report(dps: dict[str, Any]) -> None:
            if (raw := dps.pop(str(dp), None)) is None or reported.done():
                return
            try:
                report = decode(decode_raw(raw))
            except CodecError as err:
                _LOGGER.warning(
                    "Ignoring an unreadable report from lock %s: %s", self.device_id, err
                )
                return
            if report.ref != payload.ref or (
                report.uuid is not None and report.uuid != payload.uuid
            ):
                _LOGGER.debug("Ignoring a report about another PIN on lock %s", self.device_id)
                return
            reported.set_result(report)

        report = await self._control({str(dp): encode_raw(data)}, wait_for_report, reported)
        return _checked(report, ok)

    # -- lock control --------------------------------------------------------------------------

    async def lock(self) -> None:
        """Lock, confirmed by the lock's state report."""
        await self._set_locked(True)

    async def unlock(self) -> None:
        """Unlock, confirmed by the lock's state report."""
        await self._set_locked(False)

    async def _set_locked(self, locked: bool) -> None:
        control, state = self.profile.dps.control, self.profile.dps.state
        if control is None:
            raise UnsupportedOperationError("this lock cannot be locked or unlocked remotely")
        value = self.profile.locked_value if locked else not self.profile.locked_value
        moved: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def wait_for_state(dps: dict[str, Any]) -> None:
            if dps.get(str(state or control)) == value and not moved.done():
                moved.set_result(True)

        await self._control({str(control): value}, wait_for_state, moved)

    async def _control[T](
        self, dps: dict[str, Any], waiter: Waiter, confirmed: asyncio.Future[T]
    ) -> T:
        """Send a CONTROL and wait for the report `waiter` recognises; retry once if lost."""
        async with self.connection.exclusive() as connection:
            message = connection.device(self.device_id, self.node_id).generate_payload(
                command_types.CONTROL, dps
            )
            self._waiter = waiter
            try:
                for attempt in (1, 2):
                    try:
                        await connection.send(message)
                        async with asyncio.timeout(self._confirm_timeout):
                            result = await asyncio.shield(confirmed)
                    except LockTimeoutError:
                        if attempt == 2:
                            raise
                    except TimeoutError:
                        if attempt == 2:
                            raise LockTimeoutError(
                                "the lock did not confirm the operation"
                            ) from None
                    else:
                        self.available = True
                        return result
                raise AssertionError("unreachable")
            finally:
                self._waiter = None
                confirmed.cancel()


def _dps_of(body: dict[str, Any]) -> dict[str, Any] | None:
    """The DPs a message carries: top level on 3.3 and in replies, in `data` in 3.4+ pushes."""
    dps = body.get("dps")
    if not isinstance(dps, dict):
        data = body.get("data")
        dps = data.get("dps") if isinstance(data, dict) else None
    if not isinstance(dps, dict):
        return None
    return {str(key): value for key, value in dps.items()}


def _slot(lock_pin_id: str) -> int:
    try:
        return int(lock_pin_id)
    except ValueError:
        raise CodecError(f"not a slot number: {lock_pin_id!r}") from None


def _checked(report: PinReport, ok: tuple[ReportStatus, ...]) -> PinReport:
    """Turn a report's status into the outcome: done, or the reason it is not."""
    if report.status in ok:
        return report
    if report.status is ReportStatus.FULL:
        raise LockFullError("the lock has no free slot for another PIN")
    raise LockRejectedError("the lock refused the PIN operation")
