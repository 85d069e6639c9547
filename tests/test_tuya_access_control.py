"""The access-control panel (`mk`): simulator bytes, then create/delete through tinytuya.

The panel's create head is Tuya's (access-control DP reference); its replies and delete layout
are ours on both sides (simulator and codec), so these tests prove the two agree and that the
integration drives the panel end to end, not that a real panel answers this way.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smartlock_tuya.const import CONF_PROFILE
from custom_components.smartlock_tuya.tuya import (
    CredentialRequest,
    CredentialUnlockEvent,
    CredentialWindow,
    LanBackend,
    LockEvent,
    LockFullError,
    load_profiles,
)
from simulators.tuya.access_control import PasswordCommand, reply
from simulators.tuya_lock import AccessControlPanel, SimulatedLock

from .conftest import LOCAL_KEY, lan_lock_data
from .test_lock_flow import _start, _submit

PANEL = "panel-1"
PROFILE = load_profiles()["mk_access_control"]
NOW = 1_780_000_000


def test_panel_bytes() -> None:
    """Create picks the first free hardware id; delete of an unknown one says "absent"."""
    panel = AccessControlPanel(capacity=1)
    create = PasswordCommand(5, 0xFFFF, NOW, NOW + 3600, 0, "2468", 0x0102).encode()
    assert panel.apply({"1": _b64(create)}) == {"1": _b64(reply(5, 0, 0, 0x0102))}
    assert panel.pins[0].pin == "2468"
    full = PasswordCommand(6, 0xFFFF, NOW, NOW + 3600, 0, "1357", 0x0103).encode()
    assert panel.apply({"1": _b64(full)})["1"] == _b64(reply(6, 0xFFFF, 3, 0x0103))
    assert panel.keypad("2468", NOW + 10) == {"11": "0"}
    assert panel.keypad("2468", NOW + 3600) is None
    delete = bytes.fromhex("01 00 00 0005 0000 0104")
    assert panel.apply({"2": _b64(delete)})["2"] == _b64(reply(5, 0, 0, 0x0104))
    assert panel.apply({"2": _b64(delete)})["2"] == _b64(reply(5, 0, 4, 0x0104))
    assert panel.apply({"2": _b64(b"\x01")})["2"] == _b64(reply(0, 0xFFFF, 1, 0))
    bad = bytearray(create)
    bad[0] = 0x03  # a fingerprint, not a password
    assert panel.apply({"1": _b64(bytes(bad))})["1"] == _b64(reply(5, 0xFFFF, 1, 0x0102))
    refused = [
        create[:10],  # too short
        create[:15] + b"\x01" + create[16:],  # a weekly schedule this panel does not take
        create[:-4] + b"\x0a" + create[-3:],  # a "digit" above 9
        PasswordCommand(5, 0x0007, NOW, NOW + 3600, 0, "2468", 9).encode(),  # id not ours to pick
    ]
    for raw in refused:
        assert base64.b64decode(panel.apply({"1": _b64(raw)})["1"])[6] == 1
    modify = PasswordCommand(7, 0, NOW, NOW + 7200, 0, "2468", 10).encode()  # another member
    assert base64.b64decode(panel.apply({"3": _b64(modify)})["3"])[6] == 1
    assert base64.b64decode(panel.apply({"3": _b64(b"")})["3"])[6] == 1
    card = bytes.fromhex("02 00 00 0005 0000 0105")
    assert base64.b64decode(panel.apply({"2": _b64(card)})["2"])[6] == 1
    assert panel.set_battery(10) == {}
    assert panel.set_locked(False) == {}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.fixture(params=["3.3", "3.4", "3.5"])
async def panel(
    socket_enabled: None, request: pytest.FixtureRequest
) -> AsyncIterator[SimulatedLock]:
    """A panel on loopback speaking each protocol version in turn."""
    device = SimulatedLock(
        device_id=PANEL,
        local_key=LOCAL_KEY,
        version=str(request.param),
        family=AccessControlPanel(capacity=2),
        clock=lambda: dt_util.utcnow().timestamp(),
    )
    await device.start()
    yield device
    await device.stop()


def _request(ref: int, pin: str) -> CredentialRequest:
    now = dt_util.utcnow()
    window = CredentialWindow(starts=now - timedelta(hours=1), ends=now + timedelta(hours=3))
    return CredentialRequest(ref=ref, pin=pin, window=window, name="Maria")


async def test_create_unlock_delete_through_tinytuya(panel: SimulatedLock) -> None:
    """Create, the keypad's DP 11 naming it, delete, delete again (absent), and full."""
    backend = LanBackend(
        device_id=PANEL,
        host="127.0.0.1",
        port=panel.port,
        local_key=LOCAL_KEY,
        profile=PROFILE,
        timeout=0.5,
        confirm_timeout=2.0,
    )
    events: list[LockEvent] = []
    unlocked = asyncio.Event()

    def listen(event: LockEvent) -> None:
        events.append(event)
        if isinstance(event, CredentialUnlockEvent):
            unlocked.set()

    backend.add_listener(listen)
    try:
        status = await backend.connect()
        assert status.protocol_version == panel.version
        assert (backend.last_status.locked, backend.last_status.battery) == (None, None)
        created = await backend.create_credential(_request(41, "97531"))
        assert panel.pins[int(created.lock_pin_id)].pin == "97531"
        assert await panel.keypad("97531")
        async with asyncio.timeout(5):
            await unlocked.wait()
        assert [e.lock_pin_id for e in events if isinstance(e, CredentialUnlockEvent)] == ["0"]

        moved = _request(41, "97531")
        moved = CredentialRequest(
            ref=41,
            pin="97531",
            window=CredentialWindow(
                starts=moved.window.starts, ends=moved.window.ends + timedelta(days=1)
            ),
            name="Maria",
        )
        assert await backend.modify_credential(created.lock_pin_id, moved) == created.lock_pin_id
        assert panel.pins[int(created.lock_pin_id)].end == moved.window.end_ts
        await backend.delete_credential(created.lock_pin_id, ref=41)
        assert panel.pins == {}
        await backend.delete_credential(created.lock_pin_id, ref=41)  # "no such password": done

        await backend.create_credential(_request(42, "1111"))
        await backend.create_credential(_request(43, "2222"))
        with pytest.raises(LockFullError):
            await backend.create_credential(_request(44, "3333"))
    finally:
        await backend.close()


async def test_panel_detected_by_its_dps(
    hass: HomeAssistant, init_integration: MockConfigEntry, panel: SimulatedLock
) -> None:
    """Its text DPs 1/11/16 on first contact name the family; the profile is unverified."""
    result = await _start(hass, init_integration)
    data: dict[str, Any] = lan_lock_data(panel, "auto", device_id=PANEL, name="Gate")
    result = await _submit(hass, result["flow_id"], data)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_PROFILE] == "mk_access_control"
