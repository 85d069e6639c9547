"""Run the demo: `scripts/demo` calls this with the project's virtual environment.

Everything listens on 127.0.0.1: the Stays simulator, and Home Assistant with neither
`default_config` nor `zeroconf`, so nothing is announced on the network. The integration is
set up through Home Assistant's own config flow API, as a user would.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import date
import json
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
from typing import Any

import aiohttp

from simulators.stays_server import StaysSimulator, load_sample_account

ROOT = Path(__file__).resolve().parent.parent
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
logger:
  default: warning
  logs:
    custom_components.smartlock_tuya: debug
"""


def _write_config(config: Path, port: int) -> None:
    """A fresh configuration directory with onboarding done and the integration linked."""
    config.mkdir(parents=True, exist_ok=True)
    (config / "configuration.yaml").write_text(CONFIGURATION.format(host=HOST, port=port))
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
    if not link.exists():
        link.symlink_to(ROOT / "custom_components" / "smartlock_tuya")


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

    async def options_flow(self, entry_id: str, options: dict[str, Any]) -> dict[str, Any]:
        """Set an entry's options through its options flow."""
        result = await self._post("/api/config/config_entries/options/flow", {"handler": entry_id})
        return await self._post(
            f"/api/config/config_entries/options/flow/{result['flow_id']}", options
        )

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


async def _set_up_integration(api: HomeAssistantApi, stays: StaysSimulator) -> None:
    """Connect the simulated Stays account unless a previous run already did."""
    if await api.entries("smartlock_tuya"):
        return
    result = await api.config_flow(
        "smartlock_tuya",
        {"base_url": stays.url, "client_id": STAYS_CLIENT_ID, "client_secret": STAYS_CLIENT_SECRET},
    )
    if result.get("type") != "create_entry":
        raise RuntimeError(f"config flow did not create the entry: {result}")


def prepare(args: argparse.Namespace) -> Path:
    """The configuration directory, written before anything starts."""
    config = Path(args.config).resolve()
    if args.reset and config.exists():
        shutil.rmtree(config)
    _write_config(config, args.port)
    _add_user(config)
    return config


async def run(args: argparse.Namespace, config: Path) -> None:
    """Start everything, print how to get in, and stop everything on Ctrl-C."""
    stays = StaysSimulator(client_id=STAYS_CLIENT_ID, client_secret=STAYS_CLIENT_SECRET)
    await stays.start(HOST, args.stays_port)
    await load_sample_account(stays, date.today())  # noqa: DTZ011 - the demo's local today

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
    try:
        base = f"http://{HOST}:{args.port}"
        async with aiohttp.ClientSession() as session:
            api = HomeAssistantApi(session, base)
            print("Starting Home Assistant (the first start takes a minute)...", flush=True)
            await api.wait_until_up(process, args.start_timeout)
            await api.login()
            await _set_up_integration(api, stays)
        print(
            f"\nSmartLock Tuya demo is running.\n"
            f"  Home Assistant: {base}  (user {USERNAME!r}, password {PASSWORD!r})\n"
            f"  Stays simulator: {stays.api_url}  (control API {stays.url}/_sim)\n"
            f"  Logs: {config}/home-assistant.log\n"
            f"Press Ctrl-C to stop.",
            flush=True,
        )
        if args.check:
            return
        await stop.wait()
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
        await stays.stop()
        print("Demo stopped.", flush=True)


def main() -> None:
    """Parse the options and run until Ctrl-C."""
    parser = argparse.ArgumentParser(description="SmartLock Tuya demo on loopback.")
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant's HTTP port")
    parser.add_argument("--stays-port", type=int, default=8765)
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
