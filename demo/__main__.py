"""Run the demo: `scripts/demo` calls this with the project's virtual environment.

Everything listens on 127.0.0.1: the Stays simulator, and Home Assistant with neither
`default_config` nor `zeroconf`, so nothing is announced on the network. The integration is
set up through Home Assistant's own config flow API, as a user would.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import UTC, date, datetime
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
from typing import Any

import aiohttp
from homeassistant.const import __version__ as HA_VERSION  # noqa: N812 - a constant

from demo.scenario import (
    LEAD_TIME_MINUTES,
    RunningLock,
    ShortNotice,
    add_short_notice_reservations,
    pin_changes,
    start_locks,
    stop_locks,
    total_pins,
    watch_pins,
)
from simulators.stays_server import StaysSimulator, load_sample_account

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
HOST = "127.0.0.1"
USERNAME = "demo"
PASSWORD = "demo-smartlock"  # noqa: S105 - a throwaway login for a loopback-only demo
STAYS_CLIENT_ID = "demo-client"
STAYS_CLIENT_SECRET = "demo-secret"  # noqa: S105

CONFIGURATION = """\
# Written by scripts/demo. Loopback only: no default_config, no zeroconf.
homeassistant:
  name: SmartLock Tuya demo
  time_zone: America/Sao_Paulo
  country: BR
  currency: BRL
  unit_system: metric
  latitude: -27.4397
  longitude: -48.5000
  elevation: 5
  auth_providers:
    - type: homeassistant
http:
  server_host: {host}
  server_port: {port}
frontend:
config:
calendar:
history:
logbook:
script: !include scripts.yaml
template: !include templates.yaml
lovelace:
  dashboards:
    smartlock-demo:
      mode: yaml
      title: SmartLock demo
      icon: mdi:lock-smart
      show_in_sidebar: true
      filename: dashboard.yaml
logger:
  default: warning
  logs:
    custom_components.smartlock_tuya: debug
"""


#: The guests' messages go here: a script (no network needed) that shows each one as a
#: persistent notification in Home Assistant. The integration calls it like a notify action.
GUEST_MESSAGE_SCRIPT = """\
# Written by scripts/demo: stands in for a notify action (e-mail, SMS) in the demo.
demo_guest_message:
  alias: Demo guest message
  description: Shows the message a guest would receive as a notification.
  mode: queued
  fields:
    message:
      description: The guest's message
    target:
      description: The guest's e-mail and phone
  sequence:
    - action: persistent_notification.create
      data:
        title: "Message to {{ (target | default([])) | join(', ') or 'the guest' }}"
        message: "{{ message }}"

"""
NOTIFY_SERVICE = "script.demo_guest_message"


def _write_config(config: Path, port: int) -> None:
    """A fresh configuration directory with onboarding done and the integration linked."""
    config.mkdir(parents=True, exist_ok=True)
    (config / "configuration.yaml").write_text(CONFIGURATION.format(host=HOST, port=port))
    # The examples are loaded as they ship, so the demo shows (and checks) them.
    scripts = GUEST_MESSAGE_SCRIPT + (EXAMPLES / "scripts.yaml").read_text(encoding="utf-8")
    (config / "scripts.yaml").write_text(scripts, encoding="utf-8")
    for name in ("templates.yaml", "dashboard.yaml"):
        shutil.copyfile(EXAMPLES / name, config / name)
    blueprints = config / "blueprints" / "automation" / "smartlock_tuya"
    blueprints.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(
        EXAMPLES / "blueprints" / "pin_failed_and_checkin.yaml",
        blueprints / "pin_failed_and_checkin.yaml",
    )
    storage = config / ".storage"
    storage.mkdir(exist_ok=True)
    onboarding = {
        "version": 4,
        "minor_version": 1,
        "key": "onboarding",
        "data": {"done": ["user", "core_config", "analytics", "integration"]},
    }
    (storage / "onboarding").write_text(json.dumps(onboarding))
    links = config / "custom_components"
    links.mkdir(exist_ok=True)
    link = links / "smartlock_tuya"
    # Relative, so that it holds both on this machine and in the Python 3.14 chroot, where
    # the project is mounted elsewhere.
    target = os.path.relpath(ROOT / "custom_components" / "smartlock_tuya", links)
    if link.is_symlink() and os.readlink(link) != target:
        link.unlink()
    if not link.is_symlink():
        link.symlink_to(target)


def _add_user(config: Path) -> None:
    """Create the demo login with Home Assistant's own auth script (before it starts)."""
    if (config / ".storage" / "auth_provider.homeassistant").exists():
        return
    subprocess.run(  # noqa: S603 - fixed arguments, our own venv's hass
        [
            str(Path(sys.executable).parent / "hass"),
            "--script",
            "auth",
            "-c",
            str(config),
            "add",
            USERNAME,
            PASSWORD,
        ],
        check=True,
        capture_output=True,
    )


class HomeAssistantApi:
    """Just enough of Home Assistant's HTTP API to log in and drive config flows."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        """Talk to the Home Assistant at `base`."""
        self._session = session
        self._base = base
        self._token = ""

    async def wait_until_up(self, process: asyncio.subprocess.Process, seconds: float) -> None:
        """Poll a public endpoint until Home Assistant answers."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            if process.returncode is not None:
                raise RuntimeError("Home Assistant exited; see demo-config/home-assistant.log")
            with contextlib.suppress(aiohttp.ClientError):
                async with self._session.get(f"{self._base}/auth/providers") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(1)
        raise RuntimeError("Home Assistant did not start in time")

    async def login(self) -> None:
        """The same login flow the browser uses, ending with an access token."""
        client_id = f"{self._base}/"
        flow = await self._post(
            "/auth/login_flow",
            {
                "client_id": client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": f"{self._base}/",
            },
        )
        result = await self._post(
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": client_id, "username": USERNAME, "password": PASSWORD},
        )
        async with self._session.post(
            f"{self._base}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": result["result"],
                "client_id": client_id,
            },
        ) as response:
            response.raise_for_status()
            self._token = (await response.json())["access_token"]

    async def refuse_recovery_mode(self) -> None:
        """Stop at once if Home Assistant fell back to recovery mode.

        Recovery mode loads no custom integration, so every later step would fail with
        "Invalid handler specified"; its cause (a missing package, most often) is in the log.
        """
        async with self._session.get(f"{self._base}/api/config", headers=self._headers) as response:
            response.raise_for_status()
            config = await response.json()
        if config.get("recovery_mode") or config.get("safe_mode"):
            raise RuntimeError(
                "Home Assistant started in recovery mode; see demo-config/home-assistant.log"
            )
        if "frontend" not in config.get("components", []):
            raise RuntimeError("Home Assistant has no frontend; see demo-config/home-assistant.log")

    async def keep_http_config(self) -> None:
        """Confirm the HTTP settings the demo wrote, where Home Assistant asks for that.

        Since 2026.x Home Assistant moves `http:` from YAML into its own storage as a trial
        that it reverts after five minutes unless confirmed (the "Confirm new HTTP server
        configuration" dialog): reverted, it would listen on every address at port 8123.
        Confirming keeps it on 127.0.0.1. Older releases have no such command.
        """
        async with self._session.ws_connect(f"{self._base}/api/websocket") as socket:
            await socket.receive_json()  # auth_required
            await socket.send_json({"type": "auth", "access_token": self._token})
            if (await socket.receive_json()).get("type") != "auth_ok":
                raise RuntimeError("Home Assistant refused the demo's token on its websocket")
            await socket.send_json({"id": 1, "type": "http/config/promote"})
            result = await socket.receive_json()
        error = (result.get("error") or {}).get("code")
        if not result.get("success") and error not in ("unknown_command", "not_allowed"):
            raise RuntimeError(f"confirming the HTTP settings failed: {result}")

    async def entries(self, domain: str) -> list[dict[str, Any]]:
        """Config entries of a domain."""
        async with self._session.get(
            f"{self._base}/api/config/config_entries/entry",
            params={"domain": domain},
            headers=self._headers,
        ) as response:
            response.raise_for_status()
            return list(await response.json())

    async def config_flow(self, handler: str, *steps: dict[str, Any]) -> dict[str, Any]:
        """Run a config flow through its steps; return the last result."""
        result = await self._post("/api/config/config_entries/flow", {"handler": handler})
        for step in steps:
            result = await self._post(f"/api/config/config_entries/flow/{result['flow_id']}", step)
        return result

    async def options_flow(self, entry_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change some options through the options flow, keeping the form's other values."""
        form = await self._post("/api/config/config_entries/options/flow", {"handler": entry_id})
        options = {
            field["name"]: field["description"]["suggested_value"]
            for field in form.get("data_schema", [])
            if "suggested_value" in (field.get("description") or {})
        }
        return await self._post(
            f"/api/config/config_entries/options/flow/{form['flow_id']}", options | changes
        )

    async def subentry_flow(
        self, entry_id: str, subentry_type: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Add a subentry through its flow (the form the "Add lock" button opens)."""
        form = await self._post(
            "/api/config/config_entries/subentries/flow", {"handler": [entry_id, subentry_type]}
        )
        if form.get("type") != "form":
            return form
        return await self._post(
            f"/api/config/config_entries/subentries/flow/{form['flow_id']}", data
        )

    async def wait_until_loaded(self, domain: str, seconds: float) -> dict[str, Any]:
        """The domain's first entry once it is loaded (entries reload after each change)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            entries = await self.entries(domain)
            if entries and entries[0].get("state") == "loaded":
                return entries[0]
            await asyncio.sleep(0.5)
        raise RuntimeError(f"{domain} did not load; see demo-config/home-assistant.log")

    async def states(self) -> list[dict[str, Any]]:
        """Every entity's state."""
        async with self._session.get(f"{self._base}/api/states", headers=self._headers) as response:
            response.raise_for_status()
            return list(await response.json())

    async def call(self, domain: str, service: str, data: dict[str, Any]) -> None:
        """Call an action and wait for it."""
        async with self._session.post(
            f"{self._base}/api/services/{domain}/{service}", json=data, headers=self._headers
        ) as response:
            if response.status >= 400:
                raise RuntimeError(f"{domain}.{service}: {response.status} {await response.text()}")

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self._session.post(
            f"{self._base}{path}", json=body, headers=self._headers
        ) as response:
            if response.status >= 400:
                raise RuntimeError(f"{path}: {response.status} {await response.text()}")
            return dict(await response.json())


async def _set_up_integration(
    api: HomeAssistantApi, stays: StaysSimulator, locks: list[RunningLock]
) -> str:
    """Connect the simulated Stays account and its locks unless a previous run already did."""
    if not await api.entries("smartlock_tuya"):
        result = await api.config_flow(
            "smartlock_tuya",
            {
                "base_url": stays.url,
                "client_id": STAYS_CLIENT_ID,
                "client_secret": STAYS_CLIENT_SECRET,
            },
        )
        if result.get("type") != "create_entry":
            raise RuntimeError(f"config flow did not create the entry: {result}")
    entry_id = str((await api.wait_until_loaded("smartlock_tuya", 60))["entry_id"])
    # Options first: the guests' messages go out as soon as the locks confirm their PINs.
    result = await api.options_flow(
        entry_id,
        {
            "lead_time_minutes": LEAD_TIME_MINUTES,
            "grace_minutes": 0,
            "poll_interval_minutes": 1,
            "time_zone": "America/Sao_Paulo",
            "notify_service": NOTIFY_SERVICE,
        },
    )
    if result.get("type") != "create_entry":
        raise RuntimeError(f"options flow did not save: {result}")
    for running in locks:
        for _attempt in range(20):
            # Each new lock reloads the entry; the form refuses while it is reloading.
            await api.wait_until_loaded("smartlock_tuya", 60)
            result = await api.subentry_flow(entry_id, "lock", running.form)
            if result.get("reason") != "entry_not_loaded":
                break
            await asyncio.sleep(1)
        if result.get("type") == "abort" and result.get("reason") == "already_configured":
            continue
        if result.get("type") != "create_entry":
            raise RuntimeError(f"adding lock {running.spec.name} failed: {result}")
    await api.wait_until_loaded("smartlock_tuya", 60)
    return entry_id


async def _wait_for_pins(api: HomeAssistantApi, locks: list[RunningLock], seconds: float) -> str:
    """The smoke test: lock entities in Home Assistant and a PIN on a simulated lock."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        entities = sorted(s["entity_id"] for s in await api.states())
        lock_entities = [e for e in entities if e.startswith("lock.")]
        if len(lock_entities) >= len(locks) and total_pins(locks):
            return (
                f"check: {len(lock_entities)} lock entities ({', '.join(lock_entities)}); "
                f"{total_pins(locks)} PINs on the simulated locks"
            )
        if loop.time() > deadline:
            raise RuntimeError(
                f"check failed: lock entities {lock_entities}, {total_pins(locks)} PINs on locks"
            )
        await asyncio.sleep(1)


def _shown_path(path: Path) -> Path:
    """A path in the project as the user knows it (the project is elsewhere in the chroot)."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _schedule(base: str, notice: ShortNotice) -> str:
    """What the user will see, and when."""
    return (
        f"What to watch (times in America/Sao_Paulo):\n"
        f"  Dashboard: {base}/smartlock-demo  (locks, calendars, check-ins, PINs)\n"
        f"  Now: PINs on the locks for the stay in progress, today's and tomorrow's arrivals\n"
        f"    (written 24 h before check-in - {LEAD_TIME_MINUTES} min); each guest's message\n"
        f"    appears as a notification (bell icon) once the lock confirms the PIN.\n"
        f"  {notice.pushed:%H:%M}  Tiago's PIN goes onto Portão do prédio (Copacabana check-in\n"
        f"    {notice.arrives:%d/%m %H:%M}, 24 h + {LEAD_TIME_MINUTES} min ahead).\n"
        f"  {notice.leaves:%H:%M}  Helena checks out of Casa na Lagoa: her PIN is removed from\n"
        f"    Porta Lagoa (grace 0 min); logbook shows smartlock_tuya_pin_revoked.\n"
        f"  Lines below show every PIN written to or removed from the simulated locks."
    )


def prepare(args: argparse.Namespace) -> Path:
    """The configuration directory, written before anything starts.

    A configuration another Home Assistant version wrote is started afresh: an older release
    cannot read a newer one's storage, and the demo's simulated locks forget their PINs anyway.
    """
    config = Path(args.config).resolve()
    # Newer releases read `http:` from YAML once, so a new port also needs a fresh start.
    marker = config / ".smartlock-demo-version"
    written = marker.read_text(encoding="utf-8") if marker.is_file() else None
    if config.exists() and (args.reset or written != f"{HA_VERSION} {args.port}"):
        if not args.reset:
            print(f"Home Assistant {HA_VERSION} on port {args.port}: a fresh demo configuration.")
        shutil.rmtree(config)
    _write_config(config, args.port)
    _add_user(config)
    marker.write_text(f"{HA_VERSION} {args.port}", encoding="utf-8")
    return config


async def run(args: argparse.Namespace, config: Path) -> None:
    """Start everything, print how to get in, and stop everything on Ctrl-C."""
    stays = StaysSimulator(client_id=STAYS_CLIENT_ID, client_secret=STAYS_CLIENT_SECRET)
    await stays.start(HOST, args.stays_port)
    await load_sample_account(stays, date.today())  # noqa: DTZ011 - the demo's local today
    locks: list[RunningLock] = []
    process: asyncio.subprocess.Process | None = None
    watcher: asyncio.Task[None] | None = None
    try:
        locks = await start_locks(stays, HOST, args.lock_port)
        process = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "hass"),
            "-c",
            str(config),
            "--skip-pip",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        base = f"http://{HOST}:{args.port}"
        async with aiohttp.ClientSession() as session:
            api = HomeAssistantApi(session, base)
            print(
                f"Starting Home Assistant {HA_VERSION} (the first start takes a minute)...",
                flush=True,
            )
            await api.wait_until_up(process, args.start_timeout)
            await api.login()
            await api.refuse_recovery_mode()
            await api.keep_http_config()
            print("Connecting the Stays account and adding the three locks...", flush=True)
            entry_id = await _set_up_integration(api, stays, locks)
            notice = await add_short_notice_reservations(stays, datetime.now(UTC))
            await api.wait_until_loaded("smartlock_tuya", 60)
            await api.call("smartlock_tuya", "sync", {"config_entry_id": entry_id})
            print(
                f"\nSmartLock Tuya demo is running.\n"
                f"  Home Assistant: {base}  (user {USERNAME!r}, password {PASSWORD!r})\n"
                f"  Stays simulator: {stays.api_url}  (control API {stays.url}/_sim)\n"
                f"  Locks (simulated, Tuya LAN protocol): "
                + ", ".join(
                    f"{r.spec.name} {r.form['host']} v{r.spec.version} {r.spec.profile}"
                    for r in locks
                )
                + f"\n  Logs: {_shown_path(config)}/home-assistant.log\n\n"
                + _schedule(base, notice)
                + "\nPress Ctrl-C to stop.",
                flush=True,
            )
            if args.check:
                print(await _wait_for_pins(api, locks, 90), flush=True)
                for line in pin_changes(locks):
                    print(f"  {line}", flush=True)
                return
            watcher = asyncio.create_task(watch_pins(locks, lambda line: print(line, flush=True)))
            await stop.wait()
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
        await stop_locks(locks)
        await stays.stop()
        print("Demo stopped.", flush=True)


def main() -> None:
    """Parse the options and run until Ctrl-C."""
    parser = argparse.ArgumentParser(description="SmartLock Tuya demo on loopback.")
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant's HTTP port")
    parser.add_argument("--stays-port", type=int, default=8765)
    parser.add_argument(
        "--lock-port", type=int, default=6668, help="the first of three simulated locks' ports"
    )
    parser.add_argument("--config", default=str(ROOT / "demo-config"))
    parser.add_argument("--reset", action="store_true", help="start from an empty config")
    parser.add_argument("--start-timeout", type=float, default=300)
    parser.add_argument(
        "--check", action="store_true", help="stop once everything is up (for a smoke test)"
    )
    args = parser.parse_args()
    asyncio.run(run(args, prepare(args)))


if __name__ == "__main__":
    main()
