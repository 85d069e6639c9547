"""Drive headless Chromium over the DevTools protocol: the demo's login page, then its dashboard.

Run by scripts/browser-check. Chromium's screenshots alone cannot tell a rendered page from a
blank one, and Home Assistant renders inside shadow roots that `--dump-dom` does not show; so
the page's text is read through every shadow root and checked, and only then captured.
Logging in: the username and password are typed into the login page's fields and Enter is
pressed, as a user would. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import itertools
import json
from pathlib import Path
import re
import sys
import tempfile
from typing import Any

import aiohttp

USERNAME = "demo"
PASSWORD = "demo-smartlock"  # noqa: S105 - the loopback demo's throwaway login
#: The text of a page, read through every shadow root.
DEEP_TEXT = """(() => {
  const parts = [];
  const walk = (node) => {
    if (node.shadowRoot) walk(node.shadowRoot);
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) parts.push(child.textContent);
      else if (child.nodeType === Node.ELEMENT_NODE) {
        if (child.getAttribute("label")) parts.push(child.getAttribute("label"));
        walk(child);
      }
    }
  };
  walk(document.documentElement);
  return parts.join(" ").replace(/\\s+/g, " ");
})()"""


#: Focus the first visible input of a type (through shadow roots); true when there is one.
FOCUS_INPUT = """(() => {
  const found = [];
  const walk = (root) => {
    root.querySelectorAll("input").forEach((input) => found.push(input));
    root.querySelectorAll("*").forEach((node) => node.shadowRoot && walk(node.shadowRoot));
  };
  walk(document);
  const input = found.find((node) => node.type === %s && node.offsetParent !== null);
  if (input) input.focus();
  return Boolean(input);
})()"""


class Page:
    """One Chromium tab, spoken to over its DevTools websocket."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        """Number the commands; answers come back with the same id."""
        self._socket = socket
        self._ids = itertools.count(1)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command and wait for its answer (events in between are skipped)."""
        command_id = next(self._ids)
        await self._socket.send_json({"id": command_id, "method": method, "params": params})
        while True:
            message = await self._socket.receive_json(timeout=60)
            if message.get("id") == command_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))

    async def text(self) -> str:
        """The page's visible text, shadow roots included."""
        result = await self.send("Runtime.evaluate", expression=DEEP_TEXT, returnByValue=True)
        return str(result.get("result", {}).get("value", ""))

    async def wait_for(self, wanted: list[str], seconds: float) -> str:
        """Wait until every one of `wanted` is on the page; return its text."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        text = ""
        while loop.time() < deadline:
            try:
                text = await self.text()
            except RuntimeError:  # the page navigated (a redirect) while being read
                text = ""
            if all(item in text for item in wanted):
                return text
            await asyncio.sleep(0.5)
        await self.screenshot(Path("demo-config") / "browser-check-failed.png")
        missing = [item for item in wanted if item not in text]
        raise RuntimeError(
            f"not on the page after {seconds:.0f} s: {missing}; it shows: {text[:300]}"
        )

    async def log_in(self, username: str, password: str) -> None:
        """Type into the login form as a user would, and press Enter."""
        for kind, value in (("text", username), ("password", password)):
            focused = await self.send(
                "Runtime.evaluate", expression=FOCUS_INPUT % json.dumps(kind), returnByValue=True
            )
            if not focused.get("result", {}).get("value"):
                raise RuntimeError(f"the login page has no {kind} field")
            await self.send("Input.insertText", text=value)
        for event in ("keyDown", "keyUp"):
            await self.send(
                "Input.dispatchKeyEvent",
                type=event,
                key="Enter",
                code="Enter",
                windowsVirtualKeyCode=13,
                text="\r" if event == "keyDown" else "",
            )

    async def screenshot(self, path: Path) -> None:
        """Save what the tab shows as a PNG."""
        result = await self.send("Page.captureScreenshot", format="png")
        await asyncio.to_thread(path.write_bytes, base64.b64decode(result["data"]))


async def _start_chromium(chromium: str, profile: str) -> tuple[asyncio.subprocess.Process, str]:
    """Start headless Chromium with a DevTools port; return it and the port's HTTP address."""
    process = await asyncio.create_subprocess_exec(
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=1440,1100",
        "--lang=en-US",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        "about:blank",
        stderr=asyncio.subprocess.PIPE,
    )
    if process.stderr is None:
        raise RuntimeError("Chromium's output is not readable")
    async with asyncio.timeout(60):
        while line := (await process.stderr.readline()).decode(errors="replace"):
            if match := re.search(r"DevTools listening on ws://([^/]+)/", line):
                return process, f"http://{match.group(1)}"
    raise RuntimeError("Chromium did not open its DevTools port")


async def check(base: str, chromium: str, out: Path) -> None:
    """The login page renders; after logging in, the demo's dashboard shows its locks."""
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        process, devtools = await _start_chromium(chromium, profile)
        try:
            async with aiohttp.ClientSession() as session:
                async with session.put(f"{devtools}/json/new?about:blank") as response:
                    target = await response.json()
                async with session.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                    page = Page(ws)
                    await page.send("Page.enable")
                    await page.send("Emulation.setTimezoneOverride", timezoneId="America/Sao_Paulo")

                    await page.send("Page.navigate", url=f"{base}/")
                    await page.wait_for(["Username", "Password"], 60)
                    await page.screenshot(out / "login.png")
                    print(
                        f"login page: rendered (username and password fields); {out / 'login.png'}"
                    )

                    await page.log_in(USERNAME, PASSWORD)
                    await page.wait_for(["Overview"], 60)  # logged in: the sidebar is there
                    await page.send("Page.navigate", url=f"{base}/smartlock-demo/doors")
                    try:
                        await page.wait_for(["Porta Lagoa", "Porta Jurerê"], 90)
                    except RuntimeError:
                        await page.screenshot(out / "dashboard.png")  # to look at
                        raise
                    await asyncio.sleep(2)  # let the cards finish drawing for the picture
                    await page.screenshot(out / "dashboard.png")
                    print(f"dashboard: logged in, the demo's locks shown; {out / 'dashboard.png'}")
        finally:
            process.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 10)


def main() -> int:
    """Check the demo at --base with the Chromium at --chromium."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="http://127.0.0.1:8123")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", default="demo-config")
    args = parser.parse_args()
    try:
        asyncio.run(check(args.base, args.chromium, Path(args.out)))
    except (RuntimeError, aiohttp.ClientError, TimeoutError) as err:
        print(f"browser check failed: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
