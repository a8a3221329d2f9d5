"""A small driver of headless Chromium over the Chrome DevTools Protocol, for the viewer tests.

It starts the system ``chromium`` (Debian's package; never a downloaded browser), connects
to its page over a websocket and offers what the tests need: go to a URL, evaluate
JavaScript, wait for a condition, click at a point, set a file input, take a screenshot.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import time
import urllib.request
from itertools import count
from pathlib import Path
from typing import Any

import websocket

__all__ = ["Browser", "BrowserError", "find_chromium"]


class BrowserError(RuntimeError):
    """The browser could not be started, or a command or a wait failed."""


def find_chromium() -> str:
    """The path of the system Chromium; raises when it is not installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise BrowserError(
        "the viewer's browser tests need Chromium: apt-get install -y chromium (.ci/run does)"
    )


class Browser:
    """One headless Chromium with one page; use as a context manager."""

    def __init__(self, profile: Path, *, width: int = 1280, height: int = 800) -> None:
        self._proc = subprocess.Popen(
            [
                find_chromium(),
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-extensions",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._ids = count(1)
        self.errors: list[str] = []
        try:
            port = self._debug_port()
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                targets = json.load(r)
            page = next(t for t in targets if t["type"] == "page")
            self._ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
            self.send("Page.enable")
            self.send("Runtime.enable")
            # every Content-Security-Policy violation of every page is kept for the tests
            self.send(
                "Page.addScriptToEvaluateOnNewDocument",
                source="window.cspViolations = []; document.addEventListener("
                "'securitypolicyviolation', (e) => window.cspViolations.push("
                "e.violatedDirective + ' ' + e.blockedURI));",
            )
        except Exception:
            self.close()
            raise

    def _debug_port(self) -> int:
        assert self._proc.stderr is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self._proc.stderr.readline()
            if not line and self._proc.poll() is not None:
                break
            found = re.search(r"ws://127\.0\.0\.1:(\d+)/", line)
            if found:
                return int(found.group(1))
        raise BrowserError("chromium did not start its DevTools endpoint")

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the browser."""
        ws = getattr(self, "_ws", None)
        if ws is not None:
            ws.close()
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)
        if self._proc.stderr is not None:
            self._proc.stderr.close()

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Run one DevTools command and return its result."""
        ident = next(self._ids)
        self._ws.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("method") == "Runtime.exceptionThrown":
                details = message["params"]["exceptionDetails"]
                self.errors.append(str(details.get("exception", {}).get("description", details)))
            if (
                message.get("method") == "Runtime.consoleAPICalled"
                and message["params"].get("type") == "error"
            ):
                args = message["params"].get("args", [])
                self.errors.append(" ".join(str(a.get("value", "")) for a in args))
            if message.get("id") == ident:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result

    def eval(self, expression: str) -> Any:
        """The value of a JavaScript expression (promises awaited)."""
        result = self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression: str, *, timeout: float = 15.0) -> Any:
        """Wait until a JavaScript expression is truthy; its value (an element: True)."""
        deadline = time.monotonic() + timeout
        probe = f"(() => {{ const v = ({expression}); return v instanceof Node ? true : v; }})()"
        while True:
            value = self.eval(probe)
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out waiting for {expression}; errors: {self.errors}")
            time.sleep(0.05)

    def goto(self, url: str) -> None:
        """Open ``url`` and wait for its document to load."""
        self.send("Page.navigate", url=url)
        self.wait("document.readyState === 'complete'")

    def click_at(self, x: float, y: float) -> None:
        """A real left click (pointer down and up) at page coordinates."""
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def click(self, selector: str) -> None:
        """Click the middle of the first element matching ``selector``."""
        box = self.wait(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) "
            "return null; e.scrollIntoView({block: 'center'}); "
            "const r = e.getBoundingClientRect(); "
            "return r.width ? [r.left + r.width / 2, r.top + r.height / 2] : null; })()"
        )
        self.click_at(*box)

    def set_files(self, selector: str, *paths: Path) -> None:
        """Choose files in a file input."""
        root = self.send("DOM.getDocument")["root"]["nodeId"]
        node = self.send("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        if not node:
            raise BrowserError(f"no element {selector!r}")
        self.send("DOM.setFileInputFiles", nodeId=node, files=[str(p) for p in paths])

    def allow_downloads(self, folder: Path) -> None:
        """Save downloads into ``folder``."""
        self.send("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(folder))

    def screenshot(self) -> bytes:
        """The page as PNG bytes."""
        return base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])
