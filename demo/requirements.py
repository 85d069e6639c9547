"""Install what the demo's Home Assistant loads, for whichever Home Assistant is installed.

The demo starts Home Assistant with `--skip-pip`, so that nothing is fetched while it runs and
a missing package shows up here, before the start, rather than as recovery mode
("No module named 'hass_frontend'"). The packages are read from the manifests of the
integrations Home Assistant will set up: the ones the demo's configuration names, the ones
Home Assistant always sets up (its bootstrap lists), ours, and all their dependencies; pinned
by Home Assistant's own constraints file. Run as `python -m demo.requirements`.
"""

from __future__ import annotations

from collections.abc import Iterable
import json
from pathlib import Path
import subprocess
import sys

from homeassistant import bootstrap
import homeassistant.components
from homeassistant.const import __version__ as ha_version
from homeassistant.util.package import is_installed
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
COMPONENTS = Path(homeassistant.components.__file__).parent
CONSTRAINTS = COMPONENTS.parent / "package_constraints.txt"
OURS = ROOT / "custom_components" / "smartlock_tuya" / "manifest.json"
#: What the demo's configuration.yaml sets up (see demo/__main__.py), plus the platforms
#: the integration forwards its entry to.
CONFIGURED = (
    "http",
    "frontend",
    "config",
    "calendar",
    "history",
    "logbook",
    "script",
    "template",
    "lovelace",
    "logger",
    "persistent_notification",
    "event",
    "lock",
    "sensor",
)


def always_set_up() -> set[str]:
    """The integrations Home Assistant's bootstrap sets up without being configured."""
    domains: set[str] = set()
    for name in ("CORE_INTEGRATIONS", "DEFAULT_INTEGRATIONS"):
        domains |= set(getattr(bootstrap, name, ()))
    return domains


def _manifest(domain: str) -> dict[str, object] | None:
    path = COMPONENTS / domain / "manifest.json"
    if not path.is_file():
        return None
    manifest: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def requirements(domains: Iterable[str]) -> list[str]:
    """The requirements of these integrations and of everything they depend on."""
    ours = json.loads(OURS.read_text(encoding="utf-8"))
    pending = [*domains, *ours.get("dependencies", [])]
    wanted: set[str] = set(ours.get("requirements", []))
    seen: set[str] = set()
    while pending:
        domain = pending.pop()
        if domain in seen:
            continue
        seen.add(domain)
        manifest = _manifest(domain)
        if manifest is None:
            continue
        wanted.update(str(item) for item in manifest.get("requirements", []))  # type: ignore[attr-defined]
        pending.extend(str(item) for item in manifest.get("dependencies", []))  # type: ignore[attr-defined]
    return sorted(wanted)


def _install(packages: list[str]) -> bool:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if CONSTRAINTS.is_file():
        command += ["--constraint", str(CONSTRAINTS)]
    done = subprocess.run([*command, *packages], check=False, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        # pip's own complaint, without the chatter about package indexes it skips.
        lines = [line for line in done.stderr.splitlines() if "is ignored" not in line]
        print("\n".join(lines[-15:]), file=sys.stderr)
    return done.returncode == 0


def _install_nearest(requirement: str) -> bool:
    """A release with a ready build for this Python, where the pinned one has none.

    Some pins of Home Assistant's default integrations have no wheel for the newest Python
    and need a compiler to build. Left out, they break more than their integration (the
    frontend's list of actions fails to load), so the newest release with a wheel stands in.
    """
    name = Requirement(requirement).name
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    done = subprocess.run(  # noqa: S603
        [*command, "--only-binary=:all:", name], check=False, capture_output=True
    )
    if done.returncode == 0:
        print(f"demo: {requirement} has no build for this Python; installed the newest {name}")
    return done.returncode == 0


def main() -> int:
    """Install what is missing; print nothing when everything is there already.

    What the configuration names (the frontend above all: without it Home Assistant starts in
    recovery mode) must install. What Home Assistant sets up by default is installed where a
    package for this platform exists; one that does not only costs that integration.
    """
    needed = requirements(CONFIGURED)
    missing = [req for req in needed if not is_installed(req)]
    if missing:
        print(f"Installing what the demo loads: {', '.join(missing)}", flush=True)
        if not _install(missing):
            print("demo: installing the demo's requirements failed", file=sys.stderr)
            return 1
    # The defaults are tried once per Home Assistant version in this environment: retrying a
    # package with no build for this platform at every start would only slow the demo down.
    stamp = Path(sys.prefix) / ".smartlock-demo-requirements"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == ha_version:
        return 0
    extra = [
        req for req in requirements(always_set_up()) if req not in needed and not is_installed(req)
    ]
    if extra and not _install(extra):
        for req in extra:
            if not _install([req]) and not _install_nearest(req):
                print(f"demo: {req} did not install; its integration will not load")
    stamp.write_text(ha_version, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
