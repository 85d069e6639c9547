"""`LanBackend`: a lock's PINs and state over a shared, push-driven local connection.

The lock's reports are read the moment they arrive (see `connection`); a PIN operation
succeeds only when the lock's own report on the PIN's DP says so, and a report for another
PIN (the family's codec decides: `CredentialCodec.is_reply_to`), or another sub-device (`cid`),
never confirms it. Which DP, which bytes and which report answers which command live in
`_command` alone; the bytes themselves in the family's codec.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
import itertools
import logging
import secrets
import time
from typing import Any

from tinytuya.core import command_types

from custom_components.smartlock_tuya.tuya.backend import (
    Capabilities,
    CreatedCredential,
    CredentialRequest,
    CredentialUnlockEvent,
    LockBackend,
    LockInfo,
    LockStatus,
    StatusEvent,
)
from custom_components.smartlock_tuya.tuya.codecs import (
    CODECS,
    CredentialPayload,
    CredentialReport,
    ReportStatus,
)
from custom_components.smartlock_tuya.tuya.errors import (
    DeleteRefusedError,
    DuplicatePinError,
    InvalidPinError,
    LockError,
    LockRejectedError,
    LockTimeoutError,
    UnsupportedOperationError,
)
from custom_components.smartlock_tuya.tuya.profiles import PinProfile

from .confirm import Confirmations, Resend
from .connection import (
    AUTO,
    BACKOFF_MAX,
    BACKOFF_START,
    DEFAULT_PORT,
    HEARTBEAT_INTERVAL,
    LanConnection,
)
from .pool import ConnectionPool, shared_pool
from .reports import checked, dps_of, parse_lock_pin_id
from .wire import VERSIONS

_LOGGER = logging.getLogger(__name__)

#: How long ago the probe's window ended, and how long it lasted (`_prove_free`).
PROBE_AGE = 2 * 86_400
PROBE_SPAN = 60


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
        self._confirmations = Confirmations(
            device_id=device_id,
            node_id=node_id,
            codec=self._codec,
            timeout=confirm_timeout,
            on_confirmed=self._confirmed,
        )
        self._uuids = itertools.cycle(range(1, 0xFFFF))
        self._refresh: asyncio.Task[None] | None = None
        self.last_status = LockStatus()
        self.capabilities = Capabilities(
            lock_control=profile.can_control,
            modify_window=profile.can_modify,
            list_credentials=False,
            push_events=True,
            resend_create=bool(self._codec.ref_range),
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

    def _confirmed(self) -> None:
        """The lock confirmed a command: it is there."""
        self.available = True

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
        self._take_dps(dps_of(reply.body or {}), emit=False)
        return self.last_status

    def _on_report(self, body: dict[str, Any]) -> None:
        """A report from the lock, the moment it arrives."""
        dps = dps_of(body)
        if dps is None:
            return
        self._confirmations.offer(dps)
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
            locked=None if (unlocked := self.profile.is_unlocked(state)) is None else not unlocked,
            battery=battery if isinstance(battery, int) and not isinstance(battery, bool) else None,
            dps=merged,
        )
        if not emit:
            return
        used = dps.get(str(dp_map.unlock_temporary)) if dp_map.unlock_temporary else None
        if used is not None and (lock_pin_id := self._codec.decode_unlock(used)) is not None:
            self._emit(CredentialUnlockEvent(lock_pin_id, self.last_status))
        else:
            self._emit(StatusEvent(self.last_status))

    # -- PINs ----------------------------------------------------------------------------------

    def _payload(self, request: CredentialRequest) -> CredentialPayload:
        if (problem := self.profile.check_pin(request.pin)) is not None:
            raise InvalidPinError(problem)
        return CredentialPayload(
            ref=request.ref,
            pin=request.pin,
            start=request.window.start_ts,
            end=request.window.end_ts,
            once=request.once,
            uuid=next(self._uuids),
        )

    async def create_credential(self, request: CredentialRequest) -> CreatedCredential:
        """Write the create DP and wait for the lock's confirmation of this PIN.

        The lock-side id is what the reply names: the hardware id a Lock Pro chose, our own id
        on a Zigbee lock. A create whose reply is lost is never confirmed by a later "already
        there": sent again as it is, a Zigbee lock would refuse it as a duplicate of itself.
        So where we choose the id (Zigbee) that id is deleted before the create is sent again,
        and only the lock's fresh "done" confirms it. A Lock Pro's create is never sent again:
        its reply names only the id it chose, so a second copy could not be told from the
        first; the `LockTimeoutError` leaves the PIN "maybe on the lock" until its window
        ends (docs/tuya-payloads.md, Lock Pro). A "duplicate" is `DuplicatePinError`, unless
        our own id turns out to hold the PIN (`_adopt`).
        """
        payload = self._payload(request)
        if self._codec.ref_range:

            async def cleanup(connection: LanConnection) -> None:
                await self._clear(connection, payload.ref)

        else:

            async def cleanup(connection: LanConnection) -> None:
                raise LockTimeoutError("the lock did not confirm the create; not sent twice")

        try:
            report = await self._command(
                self.profile.dps.create,
                self._codec.encode_create(payload),
                self._codec.decode_create_report,
                ok=(ReportStatus.DONE,),
                before_resend=cleanup,
                probe=not self._codec.ref_range,
            )
        except DuplicatePinError:
            if not (self._codec.ref_range and self.profile.can_modify):
                raise
            return await self._adopt(request)
        return CreatedCredential(lock_pin_id=str(report.lock_pin_id))

    async def _adopt(self, request: CredentialRequest) -> CreatedCredential:
        """Take a "duplicate" as ours only if our own id holds this very PIN.

        A create we sent before a restart lost its record comes back as a duplicate of itself.
        Where we choose the id (Zigbee) we can tell: rewriting our id with this PIN and window
        succeeds only if the lock holds that id, and then it holds exactly what we asked for.
        A lock that does not hold our id answers failure, and the duplicate stands.
        """
        try:
            await self.modify_credential(str(request.ref), request)
        except LockRejectedError:
            raise DuplicatePinError("the lock already holds this PIN and refused it") from None
        return CreatedCredential(lock_pin_id=str(request.ref))

    async def _clear(self, connection: LanConnection, ref: int) -> None:
        """Delete our own id after a create of unknown outcome: absent or removed, go on.

        Should the delete go unanswered too, the create is not sent again (a "duplicate"
        would then be ambiguous): the `LockTimeoutError` ends it, unconfirmed.
        """
        await self._confirmations.exchange(
            connection,
            self.profile.dps.delete,
            self._codec.encode_delete(ref=ref, lock_pin_id=ref, uuid=next(self._uuids)),
            self._codec.decode_delete_report,
        )

    async def modify_credential(self, lock_pin_id: str, request: CredentialRequest) -> str:
        """Write the modify DP, where the profile has one."""
        modify = self.profile.dps.modify
        if modify is None or not self.profile.can_modify:
            raise UnsupportedOperationError("this profile cannot change a PIN's window")
        payload = self._payload(request)
        report = await self._command(
            modify,
            self._codec.encode_modify(payload, lock_pin_id=parse_lock_pin_id(lock_pin_id)),
            self._codec.decode_modify_report,
            ok=(ReportStatus.DONE,),
        )
        return str(report.lock_pin_id)

    async def delete_credential(self, lock_pin_id: str, ref: int) -> None:
        """Write the delete DP; a lock that says it no longer has the PIN counts as done.

        A lock with no "absent" status (Zigbee) answers a delete of an id it does not hold
        with its failure status, like a real refusal. Then the id is proven free or not
        (`_prove_free`); only a proof counts as done.
        """
        lock_pin_number = parse_lock_pin_id(lock_pin_id)
        try:
            await self._delete(ref, lock_pin_number)
        except LockRejectedError:
            if not self._codec.silent_on_absent:
                raise
            await self._prove_free(lock_pin_number)

    async def _delete(self, ref: int, lock_pin_id: int) -> None:
        await self._command(
            self.profile.dps.delete,
            self._codec.encode_delete(ref=ref, lock_pin_id=lock_pin_id, uuid=next(self._uuids)),
            self._codec.decode_delete_report,
            ok=(ReportStatus.DONE, ReportStatus.MISSING),
        )

    async def _prove_free(self, lock_pin_id: int) -> None:
        """Prove a refused delete's id free: a harmless PIN is created there, then deleted.

        The probe's window ended two days ago (past any local-clock offset: the lock judges
        windows by its local time) and it is single-use, so it never opens the door. A lock
        that stores it under our id did not hold the guest's PIN there (it refuses a create
        for an id it holds), and one that overwrote it no longer has the guest's PIN either;
        deleting the probe then leaves the id empty. Anything else is `DeleteRefusedError`:
        the PIN may still be on the lock.
        """
        ended = int(time.time()) - PROBE_AGE
        probe = CredentialPayload(
            ref=lock_pin_id,
            pin=f"{secrets.randbelow(10**6):06d}",
            start=ended - PROBE_SPAN,
            end=ended,
            once=True,
            uuid=next(self._uuids),
        )
        try:
            await self._command(
                self.profile.dps.create,
                self._codec.encode_create(probe),
                self._codec.decode_create_report,
                ok=(ReportStatus.DONE,),
            )
            await self._delete(lock_pin_id, lock_pin_id)
        except LockRejectedError as err:
            raise DeleteRefusedError(
                "the lock refused to delete the PIN, and its id is not free"
            ) from err
        _LOGGER.debug(
            "Lock %s did not hold id %s: the PIN was already gone", self.device_id, lock_pin_id
        )

    async def _command(
        self,
        dp: int,
        data: bytes,
        decode: Callable[[bytes], CredentialReport],
        *,
        ok: tuple[ReportStatus, ...],
        before_resend: Resend | None = None,
        probe: bool = False,
    ) -> CredentialReport:
        """Send one credential command and return the lock's report about it, or raise.

        With `probe`, the session is proven alive first: a command sent only once must not
        be lost to a session the device closed while idle.
        """
        async with self.connection.exclusive() as connection:
            if probe:
                await connection.probe()
            report = await self._confirmations.exchange(connection, dp, data, decode, before_resend)
        return checked(report, ok)

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
        unlocked_value = self.profile.unlocked_value
        if unlocked_value is None:
            raise UnsupportedOperationError("this lock's profile names no unlocked state value")
        value = not unlocked_value if locked else unlocked_value
        moved: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

        def wait_for_state(dps: dict[str, Any]) -> None:
            if dps.get(str(state or control)) is value and not moved.done():
                moved.set_result(True)

        async with self.connection.exclusive() as connection:
            await self._confirmations.send_and_wait(
                connection, {str(control): value}, wait_for_state, moved
            )
