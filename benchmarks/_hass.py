"""A real Home Assistant on 127.0.0.1 for the whole-process benchmarks, set up as the demo does.

The configuration directory, the login and the HTTP API come from `demo/__main__.py`. The
integration and its first lock are added through Home Assistant's config and subentry flow
APIs; further locks are copies of that first lock's subentry written into
`.storage/core.config_entries` while Home Assistant is stopped, because every lock added
through the flow reloads the entry and reconnects every lock so far (500 locks would take
125,000 connections). Home Assistant is then started afresh, which is what is measured.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
import importlib.util
import json
import os
from pathlib import Path
import shutil
import socket
import sys
import time
from typing import Any
import uuid

import aiohttp

from demo.__main__ import HomeAssistantApi, _add_user, _write_config
from simulators.stays_server import StaysSimulator
from simulators.tuya_lock import SimulatedLock

from ._locks import KEY

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DOMAIN = "smartlock_tuya"
STAYS_CLIENT_ID = "demo-client"
STAYS_CLIENT_SECRET = "demo-secret"  # noqa: S105 - the simulator's throwaway login
VERSIONS = ("3.3", "3.4", "3.5")
#: Every lock is a Wi-Fi Lock Pro (the simulator's default family) on its own port.
PROFILE = "lock_pro_dp51"
CLK_TCK = os.sysconf("SC_CLK_TCK")

#: The same for every instance, with or without the integration: loopback HTTP, the config API
#: the flows need, and the probe. No default_config, no zeroconf.
CONFIGURATION = """\
# Written by benchmarks/_hass.py. Loopback only: no default_config, no zeroconf.
homeassistant:
  name: SmartLock Tuya benchmark
  time_zone: America/Sao_Paulo
  country: BR
  unit_system: metric
  latitude: -27.4397
  longitude: -48.5000
  elevation: 5
  auth_providers:
    - type: homeassistant
http:
  server_host: {host}
  server_port: {port}
config:
bench_probe:
  lag_interval_ms: {lag_interval_ms}
  executor_probe_s: {executor_probe_s}
logger:
  default: warning
"""


def _python_path() -> list[str]:
    """The frontend's package if it is not installed in this environment.

    The project itself is not on the path (unlike the demo): `custom_components` must be the
    configuration's own, which links both the integration and the probe.

    Home Assistant always loads `frontend` and falls back to recovery mode (no custom
    integrations) without it; the test requirements do not install it, so point
    `HASS_FRONTEND_PATH` at a directory holding `hass_frontend` (the version
    `homeassistant/package_constraints.txt` pins).
    """
    path: list[str] = []
    if importlib.util.find_spec("hass_frontend") is None:
        extra = os.environ.get("HASS_FRONTEND_PATH", "")
        if not extra or not (Path(extra) / "hass_frontend").is_dir():
            raise RuntimeError(
                "Home Assistant needs home-assistant-frontend: install it in this environment "
                "or set HASS_FRONTEND_PATH to a directory holding hass_frontend"
            )
        path.append(extra)
    return path


def free_port() -> int:
    """A free TCP port on loopback (for Home Assistant's HTTP server)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass
class SimLock:
    """A simulated LAN lock and the subentry data that points Home Assistant at it."""

    lock: SimulatedLock
    data: dict[str, Any]

    @property
    def connected(self) -> bool:
        """Whether a client holds the lock's one local session now."""
        return self.lock._server._active is not None  # noqa: SLF001 - seen from the lock's side


async def start_locks(prefix: str, count: int, listing_ids: list[str]) -> list[SimLock]:
    """`count` Lock Pros on loopback, each on its own free port; versions in turn."""
    locks: list[SimLock] = []
    for number in range(count):
        version = VERSIONS[number % 3]
        device_id = f"{prefix}{number:04d}".ljust(20, "0")[:22]
        lock = SimulatedLock(device_id=device_id, local_key=KEY, version=version)
        await lock.start(HOST)
        data = {
            "name": f"{prefix} lock {number:04d}",
            "device_id": device_id,
            "backend": "lan",
            "host": f"{HOST}:{lock.port}",
            "local_key": KEY,
            "protocol_version": version,
            "profile": PROFILE,
            "listing_ids": [listing_ids[number % len(listing_ids)]],
            "cloud_offline_passwords": False,
        }
        locks.append(SimLock(lock, data))
    return locks


def proc_sample(pid: int) -> dict[str, Any]:
    """CPU seconds, RSS and each thread's context switches, read from /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(stat[11]) + int(stat[12])) / CLK_TCK  # utime, stime (fields 14, 15)
    rss_kb = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kb = int(line.split()[1])
    voluntary: dict[int, int] = {}
    involuntary: dict[int, int] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread may end while we read
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    voluntary[int(task.name)] = int(line.split()[1])
                elif line.startswith("nonvoluntary_ctxt_switches:"):
                    involuntary[int(task.name)] = int(line.split()[1])
    return {
        "pid": pid,
        "time": time.monotonic(),
        "cpu": cpu,
        "rss_mb": rss_kb / 1024,
        "voluntary": voluntary,
        "involuntary": involuntary,
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


def load_average() -> str:
    """The machine's load average over 1, 5 and 15 minutes."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def switches(before: dict[int, int], after: dict[int, int]) -> tuple[int, int]:
    """Context switches between two samples, over threads alive at the end; threads gone."""
    total = sum(count - before.get(tid, 0) for tid, count in after.items())
    return total, len(set(before) - set(after))


@dataclass
class HomeAssistant:
    """One Home Assistant process with its own configuration directory and port."""

    name: str
    config: Path
    lag_interval_ms: float = 0
    executor_probe_s: float = 0
    port: int = field(default_factory=free_port)
    process: asyncio.subprocess.Process | None = None
    session: aiohttp.ClientSession | None = None
    api: HomeAssistantApi | None = None
    started_at: float = 0.0
    up_after: float = 0.0
    running_after: float = 0.0

    @property
    def base(self) -> str:
        """Home Assistant's URL."""
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        """The process id (it must be running)."""
        assert self.process is not None
        return self.process.pid

    def prepare(self) -> None:
        """A fresh configuration directory: the demo's, with the benchmark's configuration."""
        if self.config.exists():
            shutil.rmtree(self.config)
        _write_config(self.config, self.port)  # onboarding done, integration linked
        (self.config / "configuration.yaml").write_text(
            CONFIGURATION.format(
                host=HOST,
                port=self.port,
                lag_interval_ms=self.lag_interval_ms,
                executor_probe_s=self.executor_probe_s,
            )
        )
        (self.config / "custom_components" / "bench_probe").symlink_to(
            ROOT / "benchmarks" / "probe"
        )
        _add_user(self.config)

    async def start(self, seconds: float = 600) -> None:
        """Start `hass` and log in once its HTTP API answers."""
        self.started_at = time.monotonic()
        self.process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "hass"),
            "-c",
            str(self.config),
            "--skip-pip",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(_python_path())},
        )
        self.session = aiohttp.ClientSession()
        self.api = HomeAssistantApi(self.session, self.base)
        await self.api.wait_until_up(self.process, seconds)
        self.up_after = time.monotonic() - self.started_at
        await self.api.login()
        await self._wait_until_running(seconds)

    async def _wait_until_running(self, seconds: float) -> None:
        """HTTP answers early in start-up; integrations (the probe too) load afterwards."""
        assert self.session is not None
        assert self.api is not None
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            async with self.session.get(
                f"{self.base}/api/config",
                headers=self.api._headers,  # noqa: SLF001 - the demo's API keeps the token
            ) as response:
                if response.status == 200 and (await response.json())["state"] == "RUNNING":
                    self.running_after = time.monotonic() - self.started_at
                    return
            await asyncio.sleep(0.5)
        raise RuntimeError(f"{self.name}: Home Assistant did not finish starting")

    async def stop(self) -> None:
        """Stop Home Assistant (SIGTERM, then SIGKILL after 60 s)."""
        if self.session is not None:
            await self.session.close()
            self.session = None
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 60)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self.process = None

    async def probe(self, *, reset: bool = False) -> dict[str, Any]:
        """The probe's counters."""
        assert self.session is not None
        assert self.api is not None
        async with self.session.get(
            f"{self.base}/api/bench_probe",
            params={"reset": "1"} if reset else {},
            headers=self.api._headers,  # noqa: SLF001 - the demo's API keeps the token
        ) as response:
            response.raise_for_status()
            return dict(await response.json())

    async def add_integration(self, stays: StaysSimulator, locks: list[SimLock]) -> None:
        """The entry and the first lock through the flows, the rest copied; then a restart."""
        api = self.api
        assert api is not None
        result = await api.config_flow(
            DOMAIN,
            {
                "base_url": stays.url,
                "client_id": STAYS_CLIENT_ID,
                "client_secret": STAYS_CLIENT_SECRET,
            },
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"config flow did not create the entry: {result}")
        entry_id = str((await api.wait_until_loaded(DOMAIN, 120))["entry_id"])
        if locks:
            result = await api.subentry_flow(entry_id, "lock", locks[0].data)
            if result.get("type") != "create_entry":
                raise RuntimeError(f"adding the first lock failed: {result}")
            await api.wait_until_loaded(DOMAIN, 120)
        await self.stop()
        if len(locks) > 1:
            _copy_lock_subentries(self.config, entry_id, locks[1:])
        for sim in locks:  # the first lock's session ended with Home Assistant
            await sim.lock.drop_connections()

    async def entity_ids_by_subentry(self, domain: str) -> dict[str, str]:
        """Each lock subentry's entity of `domain`, from the entity registry."""
        registry = await self.websocket_call({"type": "config/entity_registry/list"})
        return {
            item["config_subentry_id"]: item["entity_id"]
            for item in registry
            if item["entity_id"].startswith(f"{domain}.") and item.get("config_subentry_id")
        }

    async def websocket_call(self, message: dict[str, Any]) -> Any:
        """One websocket command's result."""
        async with self.websocket() as ws:
            await ws.send_json({"id": 1, **message})
            reply = await ws.receive_json()
            if not reply.get("success"):
                raise RuntimeError(f"{message['type']}: {reply}")
            return reply["result"]

    @contextlib.asynccontextmanager
    async def websocket(self) -> Any:
        """An authenticated websocket to Home Assistant."""
        assert self.session is not None
        assert self.api is not None
        token = self.api._headers["Authorization"].removeprefix("Bearer ")  # noqa: SLF001
        async with self.session.ws_connect(f"{self.base}/api/websocket", max_msg_size=0) as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json({"type": "auth", "access_token": token})
            reply = await ws.receive_json()
            if reply.get("type") != "auth_ok":
                raise RuntimeError(f"websocket auth: {reply}")
            yield ws


def _copy_lock_subentries(config: Path, entry_id: str, locks: list[SimLock]) -> None:
    """Add one subentry per lock, shaped like the first one the flow made."""
    path = config / ".storage" / "core.config_entries"
    stored = json.loads(path.read_text())
    entry = next(e for e in stored["data"]["entries"] if e["entry_id"] == entry_id)
    template = entry["subentries"][0]
    for sim in locks:
        entry["subentries"].append(
            {
                **template,
                "subentry_id": uuid.uuid4().hex.upper()[:26],
                "title": sim.data["name"],
                "unique_id": sim.data["device_id"],
                "data": sim.data,
            }
        )
    path.write_text(json.dumps(stored))


def subentry_ids(config: Path) -> dict[str, str]:
    """Device id to subentry id, from the stored entry."""
    stored = json.loads((config / ".storage" / "core.config_entries").read_text())
    return {
        sub["data"]["device_id"]: sub["subentry_id"]
        for entry in stored["data"]["entries"]
        if entry["domain"] == DOMAIN
        for sub in entry.get("subentries", [])
    }


async def wait_all_connected(locks: list[SimLock], seconds: float) -> float:
    """Seconds until every lock holds a session (seen from the locks), or `seconds` run out."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if all(sim.connected for sim in locks):
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    missing = sum(not sim.connected for sim in locks)
    raise RuntimeError(f"{missing} of {len(locks)} locks not connected after {seconds:.0f} s")
