"""LAN backend: tinytuya's local protocol, every blocking call in an executor.

tinytuya is synchronous and a Tuya device serves one local connection at a time, so each
lock gets one `tinytuya.Device`, one persistent socket and one `asyncio.Lock` around every
use of it. A PIN operation succeeds only when the lock's own report on the PIN's DP says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
import itertools
import logging
from typing import Any, Final

import tinytuya

from .backend import (
    Capabilities,
    CreatedPin,
    LockBackend,
    LockInfo,
    LockStatus,
    PinRequest,
    PinUnlockEvent,
    StatusEvent,
)
from .codecs import CODECS, PinPayload, PinReport, ReportStatus, decode_raw, encode_raw
from .errors import (
    CodecError,
    InvalidPinError,
    LockAuthError,
    LockError,
    LockFullError,
    LockOfflineError,
    LockRejectedError,
    LockTimeoutError,
    UnsupportedOperationError,
)
from .profiles import PinProfile

_LOGGER = logging.getLogger(__name__)


class _TinytuyaDebugFilter(logging.Filter):
    """tinytuya's debug lines print local keys, tokens and raw PIN payloads: none pass."""

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

VERSIONS: Final = ("3.3", "3.4", "3.5")
AUTO: Final = "auto"
DEFAULT_PORT: Final = 6668

type RunBlocking = Callable[[Callable[[], Any]], Awaitable[Any]]


async def _to_thread(function: Callable[[], Any]) -> Any:
    return await asyncio.to_thread(function)


def error_for(result: Any) -> LockError | None:
    """The typed error for a tinytuya error dict, or `None` when `result` is not one."""
    if not isinstance(result, dict) or "Err" not in result:
        return None
    code = str(result.get("Err"))
    if code in ("901", "905"):
        return LockOfflineError("the lock does not accept connections")
    if code == "902":
        return LockTimeoutError("the lock did not answer")
    if code in ("904", "914"):
        # A second client, a wrong key and a wrong version all look like this.
        return LockAuthError(
            "the lock refused the session: wrong local key or protocol version, "
            "or another app holds its only local connection"
        )
    if code == "900":
        return LockRejectedError("the lock answered with an error")
    return LockError(f"tinytuya error {code}")


class LanBackend(LockBackend):
    """A lock on the local network, spoken to with tinytuya."""

    def __init__(
        self,
        *,
        device_id: str,
        host: str,
        local_key: str,
        profile: PinProfile,
        version: str = AUTO,
        port: int = DEFAULT_PORT,
        run_blocking: RunBlocking = _to_thread,
        timeout: float = 5.0,
        confirm_timeout: float = 10.0,
        poll_interval: float = 2.0,
        heartbeat_interval: float = 9.0,
        gateway_id: str | None = None,
        node_id: str | None = None,
    ) -> None:
        """Describe the lock; nothing is opened until `connect`.

        For a Zigbee sub-device, `host`, `local_key` and `version` are its gateway's,
        `gateway_id` the gateway's device id and `node_id` the lock's cid.
        """
        super().__init__()
        if version != AUTO and version not in VERSIONS:
            raise ValueError(f"unknown protocol version {version!r}")
        if (gateway_id is None) != (node_id is None):
            raise ValueError("a sub-device needs both gateway_id and node_id")
        self._gateway_id = gateway_id
        self.node_id = node_id
        self.device_id = device_id
        self.host = host
        self._key = local_key
        self.profile = profile
        self._codec = CODECS[profile.codec]
        self.version: str | None = None if version == AUTO else version
        self._versions = VERSIONS if version == AUTO else (version,)
        self._port = port
        self._run = run_blocking
        self._timeout = timeout
        self._confirm_timeout = confirm_timeout
        self._poll_interval = poll_interval
        self._heartbeat_interval = heartbeat_interval
        self._device: Any = None
        self._lock = asyncio.Lock()
        self._uuids = itertools.cycle(range(1, 0xFFFF))
        self._keepalive: asyncio.Task[None] | None = None
        self.last_status = LockStatus()
        self.capabilities = Capabilities(
            lock_control=profile.can_control,
            modify_window=profile.can_modify,
            list_pins=False,
            push_events=True,
        )

    # -- connection -------------------------------------------------------------------------

    async def connect(self) -> LockInfo:
        """Open the session, trying each protocol version in `auto` and keeping the first."""
        async with self._lock:
            await self._open()
        return LockInfo(protocol_version=self.version)

    async def _open(self) -> None:
        last: LockError = LockOfflineError("no protocol version to try")
        for version in [self.version] if self.version else self._versions:
            device = await self._run(partial(self._make_device, version))
            result = await self._run(device.status)
            if (error := error_for(result)) is None and isinstance(result, dict):
                self._device, self.version, self.available = device, version, True
                self._take_dps(result.get("dps"), emit=False)
                return
            await self._run(_closer(device))
            last = error or LockRejectedError("the lock sent no status")
            if isinstance(last, LockOfflineError):
                break  # nothing listens: another version will not change that
        self.available = False
        raise last

    def _make_device(self, version: str) -> Any:
        device = tinytuya.Device(
            self._gateway_id or self.device_id,
            address=self.host,
            local_key=self._key,
            version=float(version),
            persist=True,
            connection_timeout=self._timeout,
            connection_retry_limit=1,
            connection_retry_delay=1,
            port=self._port,
        )
        device.set_socketRetryLimit(1)
        if self.node_id is None:
            return device
        # tinytuya addresses a sub-device as a child riding on its gateway's socket.
        return tinytuya.Device(self.device_id, cid=self.node_id, parent=device)

    async def _call(self, function: Callable[[Any], Any]) -> Any:
        """Run `function(device)` in the executor, opening the session first if needed.

        Callers hold `self._lock`. A failure drops the session so the next call reopens it.
        """
        reopened = self._device is None
        if reopened:
            await self._open()
        result = await self._run(partial(function, self._device))
        if isinstance(error := error_for(result), LockAuthError) and not reopened:
            # A session the lock dropped looks like a refused one: open a new one and try
            # again once (a repeated PIN command is recognised by the lock as ours).
            await self._drop()
            await self._open()
            result = await self._run(partial(function, self._device))
            error = error_for(result)
        if error is not None:
            await self._drop()
            raise error
        self.available = True
        return result

    async def _drop(self) -> None:
        self.available = False
        if self._device is not None:
            device, self._device = self._device, None
            await self._run(_closer(device))

    @asynccontextmanager
    async def released(self) -> AsyncIterator[None]:
        """Close the session and hold every other call until the block ends."""
        async with self._lock:
            await self._drop()
            yield

    async def close(self) -> None:
        """Stop the keep-alive and close the socket."""
        if self._keepalive is not None:
            self._keepalive.cancel()
            self._keepalive = None
        async with self._lock:
            await self._drop()

    # -- state ------------------------------------------------------------------------------

    async def status(self) -> LockStatus:
        """Ask the lock for all its DPs."""
        async with self._lock:
            result = await self._call(lambda device: device.status())
            self._take_dps(result.get("dps") if isinstance(result, dict) else None, emit=False)
            return self.last_status

    def _take_dps(self, dps: Any, *, emit: bool = True) -> None:
        """Fold reported DPs into the status, and tell listeners what happened."""
        if not isinstance(dps, dict) or not dps:
            return
        merged = {**self.last_status.dps, **{str(key): value for key, value in dps.items()}}
        dp_map = self.profile.dps
        state = merged.get(str(dp_map.state)) if dp_map.state else None
        battery = merged.get(str(dp_map.battery)) if dp_map.battery else None
        self.last_status = LockStatus(
            locked=None if (unlocked := self.profile.is_unlocked(state)) is None else not unlocked,
            battery=battery if isinstance(battery, int) and not isinstance(battery, bool) else None,
            dps=merged,
        )
        if not emit:
            return
        used = dps.get(str(dp_map.unlock_temporary)) if dp_map.unlock_temporary else None
        if used is not None and (lock_pin_id := self._codec.decode_unlock(used)) is not None:
            self._emit(PinUnlockEvent(lock_pin_id, self.last_status))
        else:
            self._emit(StatusEvent(self.last_status))

    # -- PINs -------------------------------------------------------------------------------

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
            ok=(ReportStatus.DONE,),
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
            ok=(ReportStatus.DONE, ReportStatus.MISSING),
        )

    async def _command(
        self,
        dp: int,
        data: bytes,
        decode: Callable[[bytes], PinReport],
        *,
        ok: tuple[ReportStatus, ...],
    ) -> PinReport:
        """Send one PIN command and return the lock's report about it, or raise."""
        async with self._lock:
            result = await self._call(lambda device: device.set_value(dp, encode_raw(data)))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self._confirm_timeout
            while True:
                if (report := self._report_in(result, dp, decode, data)) is not None:
                    return _checked(report, ok)
                if loop.time() >= deadline:
                    raise LockTimeoutError("the lock did not confirm the PIN operation")
                result = await self._call(lambda device: device.receive())

    def _report_in(
        self,
        result: Any,
        dp: int,
        decode: Callable[[bytes], PinReport],
        command: bytes,
    ) -> PinReport | None:
        """The report on this command among the DPs a message carries, if it is there."""
        dps = result.get("dps") if isinstance(result, dict) else None
        if not isinstance(dps, dict):
            return None
        raw = dps.pop(str(dp), None)
        self._take_dps(dps)
        if raw is None:
            return None
        try:
            report = decode(decode_raw(raw))
        except CodecError as err:
            _LOGGER.warning("Ignoring an unreadable report from lock %s: %s", self.device_id, err)
            return None
        if not self._codec.is_reply_to(report, command):
            _LOGGER.debug("Ignoring a report about another PIN on lock %s", self.device_id)
            return None
        return report

    # -- lock control -----------------------------------------------------------------------

    async def lock(self) -> None:
        """Lock, confirmed by the lock's state report."""
        await self._set_locked(True)

    async def unlock(self) -> None:
        """Unlock, confirmed by the lock's state report."""
        await self._set_locked(False)

    async def _set_locked(self, locked: bool) -> None:
        control = self.profile.dps.control
        if control is None:
            raise UnsupportedOperationError("this lock cannot be locked or unlocked remotely")
        if self.profile.unlocked_value is None:
            raise UnsupportedOperationError("this lock's profile names no unlocked state value")
        value = not self.profile.unlocked_value if locked else self.profile.unlocked_value
        async with self._lock:
            result = await self._call(lambda device: device.set_value(control, value))
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self._confirm_timeout
            while True:
                dps = result.get("dps") if isinstance(result, dict) else None
                self._take_dps(dps)
                if self.last_status.locked is locked:
                    return
                if loop.time() >= deadline:
                    raise LockTimeoutError("the lock did not report the new state")
                result = await self._call(lambda device: device.receive())

    # -- keep-alive -------------------------------------------------------------------------

    def start_keepalive(self) -> None:
        """Keep the session open and read what the lock pushes (keypad unlocks, battery)."""
        if self._keepalive is None:
            self._keepalive = asyncio.get_running_loop().create_task(
                self._keep_alive(), name=f"tuya lock {self.device_id} keep-alive"
            )

    async def _keep_alive(self) -> None:
        loop = asyncio.get_running_loop()
        next_heartbeat = loop.time() + self._heartbeat_interval
        failures = 0
        while True:
            await asyncio.sleep(min(self._poll_interval * 2**failures, 300))
            try:
                async with self._lock:
                    if loop.time() >= next_heartbeat:
                        next_heartbeat = loop.time() + self._heartbeat_interval
                        await self._call(lambda device: device.heartbeat(nowait=True))
                    result = await self._call(_poll_once(self._poll_interval / 4))
                    self._take_dps(result.get("dps") if isinstance(result, dict) else None)
                if failures:
                    self._emit(StatusEvent(self.last_status))  # reachable again
                failures = 0
            except LockError as err:
                if failures == 0:
                    _LOGGER.debug("Lock %s unreachable: %s", self.device_id, err)
                    self._emit(StatusEvent(self.last_status))
                failures = min(failures + 1, 7)


def _poll_once(timeout: float) -> Callable[[Any], Any]:
    """Read one pushed message, waiting no longer than `timeout`."""

    def poll(device: Any) -> Any:
        previous = device.connection_timeout
        device.set_socketTimeout(timeout)
        try:
            return device.receive()
        finally:
            device.set_socketTimeout(previous)

    return poll


def _closer(device: Any) -> Callable[[], Any]:
    """Close the socket: a sub-device's belongs to its gateway."""
    owner = device.parent if device.parent is not None else device
    close: Callable[[], Any] = owner.close
    return close


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
