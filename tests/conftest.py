"""Fixtures: a real Stays simulator on loopback and a config entry pointing at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
import logging
import os
from pathlib import Path
import re
import socket
from typing import Any
from unittest.mock import PropertyMock, patch

import freezegun
from freezegun.api import StepTickTimeFactory, TickingDateTimeFactory
from homeassistant import block_async_io

# Imported before the clock is frozen: mashumaro cannot build its decoders for freezegun's
# datetime class, and diagnostics imports hassio (which uses it) on first request.
import homeassistant.components.hassio  # noqa: F401
from homeassistant.const import CONF_CLIENT_ID, CONF_CLIENT_SECRET, MAJOR_VERSION, MINOR_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util, loop as loop_util
from hypothesis import settings
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion
from syrupy.location import PyTestLocation

# Import our package before the plugin's testing_config shadows `custom_components`.
from custom_components.smartlock_tuya import PLATFORMS
from custom_components.smartlock_tuya.const import (
    CONF_BACKEND,
    CONF_BASE_URL,
    CONF_DEVICE_ID,
    CONF_HOST,
    CONF_LISTING_IDS,
    CONF_LOCAL_KEY,
    CONF_NAME,
    CONF_PROFILE,
    CONF_PROTOCOL_VERSION,
    DOMAIN,
    SUBENTRY_LOCK,
)
from simulators.stays_server import StaysSimulator
from simulators.tuya_cloud import FakeTuyaCloud
from simulators.tuya_lock import SimulatedLock

# Every property test replays the same examples for a given commit, so a red CI run is
# reproducible from its commit; SMARTLOCK_HYPOTHESIS_RANDOM=1 explores new ones.
settings.register_profile("replay", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(
    "explore" if os.environ.get("SMARTLOCK_HYPOTHESIS_RANDOM") == "1" else "replay"
)

# A blocking call counts when our code is on its stack; the test tools' own file reads
# (snapshots, hypothesis' caches) are theirs to answer for.
_OUR_FRAME = re.compile(
    rf'File "{re.escape(str(Path(__file__).parent.parent))}/(custom_components|simulators|demo)/'
)

CLIENT_ID = "test-client"
CLIENT_SECRET = "test-secret"
TODAY = date(2026, 3, 10)
# Noon in São Paulo on TODAY.
NOW = "2026-03-10T15:00:00+00:00"

type Clock = TickingDateTimeFactory | StepTickTimeFactory

CLOUD_ACCESS_ID = "fake-access-id"
CLOUD_SECRET = "0123456789abcdef0123456789abcdef"
WIFI, ZIGBEE = "wifi-lock-1", "zigbee-lock-1"
LOCAL_KEY = "0123456789abcdef"
FRONT_DOOR = "front-door-1"
LOCK_SUBENTRY = "01JLOCKSUBENTRY0000000001"
_PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from this repository."""


@pytest.fixture(autouse=True)
def clock() -> Iterator[Clock]:
    """Start every test at `NOW` with a clock that keeps running.

    A ticking clock, unlike a frozen one, lets real sockets time out while tests still jump
    ahead with `clock.tick()`.
    """
    with freezegun.freeze_time(NOW, tick=True) as factory:
        yield factory


@pytest.fixture(autouse=True)
def no_blocking_calls(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail any test during which something blocked the event loop.

    Home Assistant's own detector is on for the test only, file and directory checks included
    (it skips those under tests by default); pytest's housekeeping is left alone.
    """
    loop_util._PREVIOUSLY_REPORTED.clear()  # a repeat would only be logged at debug level
    with patch.object(block_async_io, "_IN_TESTS", False):
        block_async_io.enable()
    yield
    calls = block_async_io._BLOCKED_CALLS.calls
    for call in calls:
        setattr(call.object, call.function, call.original_func)
    calls.clear()
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    blocking = [
        message
        for record in records
        if "Detected blocking call" in (message := record.getMessage())
        and _OUR_FRAME.search(message)
        and "/asyncio/events.py" in message  # in the event loop, not a plain test function
    ]
    assert blocking == []


@pytest.fixture(autouse=True)
def fast_retries() -> Iterator[None]:
    """Back off without waiting: the retry logic runs, the clock does not."""
    with (
        patch("custom_components.smartlock_tuya.RETRY_BACKOFF", 0),
        patch("custom_components.smartlock_tuya.config_flow.RETRY_BACKOFF", 0),
        patch("custom_components.smartlock_tuya.POLL_REQUEST_TIMEOUT", 1.0),
        patch("custom_components.smartlock_tuya.config_flow.FLOW_REQUEST_TIMEOUT", 1.0),
    ):
        yield


@pytest.fixture
def entity_registry_enabled_by_default() -> Iterator[None]:
    """Create entities that are disabled by default as enabled, to test them."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
        new_callable=PropertyMock,
    ):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots in Home Assistant's format, which leaves out ids and timestamps."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


#: The Home Assistant release under test, as `major.minor`: snapshots of what Home Assistant
#: itself shapes differently between releases are kept per release.
HA_RELEASE = f"{MAJOR_VERSION}.{MINOR_VERSION}"


class ReleaseSnapshotExtension(HomeAssistantSnapshotExtension):
    """Snapshots kept per Home Assistant release, in `snapshots_by_release/ha-<major.minor>/`.

    Outside `snapshots/`: syrupy walks a snapshot folder with its subfolders, and would take
    another release's snapshots for unused ones.
    """

    @classmethod
    def dirname(cls, *, test_location: PyTestLocation) -> str:
        """One folder per release, beside the shared snapshots."""
        tests = Path(test_location.filepath).parent
        return str(tests / "snapshots_by_release" / f"ha-{HA_RELEASE}")


@pytest.fixture
def release_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots of what differs between Home Assistant releases (registry entries)."""
    return snapshot.use_extension(ReleaseSnapshotExtension)


#: How Home Assistant reports a deprecated call it traced to our code: `report_usage`
#: (helpers/frame.py) names the integration and file; deprecated constants, functions and
#: classes (helpers/deprecation.py, logged under the deprecated thing's module) say
#: "The deprecated ... was used from <integration>".
_FRAME_REPORT = re.compile(rf"custom integration '{DOMAIN}'|custom_components/{DOMAIN}/")
_DEPRECATED_USE = re.compile(rf"^The deprecated .+ from {DOMAIN}\.")


def _reports_our_deprecation(record: logging.LogRecord) -> bool:
    message = record.getMessage()
    if record.name == "homeassistant.helpers.frame":
        return bool(_FRAME_REPORT.search(message))
    return record.name.startswith("homeassistant") and bool(_DEPRECATED_USE.search(message))


@pytest.fixture(autouse=True)
def no_deprecated_calls(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail any test during which Home Assistant reported our code using a deprecated API.

    Home Assistant's `report_usage` only logs (or raises, for some calls) what it traces to
    a custom integration; this turns each such report into a failure on every release tested.
    """
    yield
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    reported = {record.getMessage() for record in records if _reports_our_deprecation(record)}
    assert reported == set()


@pytest.fixture
async def stays(socket_enabled: None) -> AsyncIterator[StaysSimulator]:
    """A Stays account on loopback with no listings yet."""
    simulator = StaysSimulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    simulator.timeout_delay = 5.0
    await simulator.start("127.0.0.1")
    yield simulator
    await simulator.stop()


@pytest.fixture
async def account(stays: StaysSimulator) -> StaysSimulator:
    """An account with two listings and reservations around `TODAY`."""
    beach = stays.add_listing(
        name="Casa da Praia", listing_id="L-beach", short_id="CP01", check_in_time="15:00"
    )
    loft = stays.add_listing(
        name="Loft Centro",
        listing_id="L-loft",
        short_id="LC02",
        check_in_time="16:00",
        check_out_time="10:00",
    )
    await stays.add_reservation(
        listing_id=beach["_id"],
        check_in=date(2026, 3, 9),
        check_out=date(2026, 3, 12),
        guest_name="Maria Silva",
        email="maria@example.com",
        reservation_id="R-maria",
        short_id="EV23J",
        check_in_time="15:00",
        check_out_time="11:00",
    )
    await stays.add_reservation(
        listing_id=beach["_id"],
        check_in=date(2026, 3, 14),
        check_out=date(2026, 3, 16),
        guest_name="João Souza",
        partner="API booking.com",
        reservation_id="R-joao",
        short_id="JS111",
    )
    await stays.add_reservation(
        listing_id=loft["_id"],
        check_in=date(2026, 3, 11),
        check_out=date(2026, 3, 13),
        guest_name="Ana Costa",
        partner="Direct",
        reservation_id="R-ana",
        short_id="AC222",
    )
    await stays.add_reservation(
        listing_id=loft["_id"],
        check_in=date(2026, 3, 20),
        check_out=date(2026, 3, 22),
        guest_name="Canceled Guest",
        reservation_id="R-gone",
        short_id="CG333",
        type="canceled",
    )
    return stays


def account_entry(stays: StaysSimulator, *subentries: dict[str, Any]) -> MockConfigEntry:
    """The account's entry, as the config flow would have made it, with these subentries."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id="01JSTAYSACCOUNTENTRY00001",
        title="127.0.0.1",
        unique_id="127.0.0.1",
        data={
            CONF_BASE_URL: stays.url,
            CONF_CLIENT_ID: CLIENT_ID,
            CONF_CLIENT_SECRET: CLIENT_SECRET,
        },
        options={"time_zone": "America/Sao_Paulo"},
        subentries_data=subentries,
    )


async def set_up(
    request: pytest.FixtureRequest, hass: HomeAssistant, entry: MockConfigEntry
) -> MockConfigEntry:
    """Set the entry up; a test parametrising the fixture indirectly loads that platform alone."""
    platforms = [request.param] if hasattr(request, "param") else PLATFORMS
    entry.add_to_hass(hass)
    with patch("custom_components.smartlock_tuya.PLATFORMS", platforms):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)  # locks connect in those
    return entry


@pytest.fixture
def mock_config_entry(stays: StaysSimulator) -> MockConfigEntry:
    """The account's entry without locks."""
    return account_entry(stays)


@pytest.fixture
async def init_integration(
    request: pytest.FixtureRequest,
    hass: HomeAssistant,
    account: StaysSimulator,
    mock_config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """The integration set up against the sample account, without locks."""
    return await set_up(request, hass, mock_config_entry)


@pytest.fixture
def resolved(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every host looked up during the test; anything but loopback fails at once.

    urllib3 resolves even IP literals through ``socket.getaddrinfo``, so this sees every
    connection tinytuya's cloud client makes (Home Assistant's plugin also blocks others).
    """
    seen: list[Any] = []
    real = socket.getaddrinfo

    def guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(host)
        if host != "127.0.0.1":
            raise OSError(f"test tried to reach {host!r}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    yield seen
    assert set(seen) <= {"127.0.0.1"}


@pytest.fixture
async def fake(
    socket_enabled: None, monkeypatch: pytest.MonkeyPatch, resolved: list[Any]
) -> AsyncIterator[FakeTuyaCloud]:
    """A fake Tuya Cloud with one online lock of each kind, trusted by ``requests``."""
    cloud = FakeTuyaCloud(access_id=CLOUD_ACCESS_ID, access_secret=CLOUD_SECRET)
    cloud.add_device(WIFI)
    cloud.add_device(ZIGBEE, kind="zigbee")
    await cloud.start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", cloud.ca_file)
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    yield cloud
    await cloud.stop()


@pytest.fixture
def lock_profile() -> str:
    """The PIN profile of the simulated LAN lock; override to test another."""
    return "lock_pro_dp51"


@pytest.fixture
async def lan_lock(socket_enabled: None, lock_profile: str) -> AsyncIterator[SimulatedLock]:
    """A LAN lock (a Lock Pro) on loopback speaking protocol 3.4, on the tests' clock."""
    lock = SimulatedLock(
        device_id=FRONT_DOOR,
        local_key=LOCAL_KEY,
        version="3.4",
        clock=lambda: dt_util.utcnow().timestamp(),
    )
    await lock.start()
    yield lock
    await lock.stop()


def lan_lock_data(lock: SimulatedLock, profile: str, **changes: Any) -> dict[str, Any]:
    """Subentry data of the simulated lock, as the lock flow stores it."""
    return {
        CONF_NAME: "Front door",
        CONF_DEVICE_ID: lock.device_id,
        CONF_BACKEND: "lan",
        CONF_HOST: f"127.0.0.1:{lock.port}",
        CONF_LOCAL_KEY: LOCAL_KEY,
        CONF_PROTOCOL_VERSION: "auto",
        CONF_PROFILE: profile,
        CONF_LISTING_IDS: ["L-beach"],
        **changes,
    }


@pytest.fixture
def lock_entry(
    stays: StaysSimulator, lan_lock: SimulatedLock, lock_profile: str
) -> MockConfigEntry:
    """The account's entry with the LAN lock as a subentry serving the beach house."""
    return account_entry(
        stays,
        {
            "data": lan_lock_data(lan_lock, lock_profile),
            "subentry_id": LOCK_SUBENTRY,
            "subentry_type": SUBENTRY_LOCK,
            "title": "Front door",
            "unique_id": FRONT_DOOR,
        },
    )


@pytest.fixture
async def init_lock(
    request: pytest.FixtureRequest,
    hass: HomeAssistant,
    account: StaysSimulator,
    lock_entry: MockConfigEntry,
) -> MockConfigEntry:
    """The integration set up with one LAN lock."""
    return await set_up(request, hass, lock_entry)


@pytest.fixture
async def started(hass: HomeAssistant, init_lock: MockConfigEntry) -> MockConfigEntry:
    """The integration with one lock, its lifecycle through the start-up reconciliation."""
    for _ in range(3):  # a sync may ask for another
        await hass.async_block_till_done(wait_background_tasks=True)
    return init_lock
