"""Headless Chromium driven over the DevTools protocol on a pipe, with the standard library only.

Why not Playwright: its Python package brings a Node driver (tens of MB) and is built against
one Chromium revision of its own, while here the browser is Debian's `chromium` of whatever
version the distribution ships; the handful of DevTools commands a render test needs
(open a page, intercept requests, evaluate, screenshot) are stable across versions. With
--remote-debugging-pipe Chromium reads commands on fd 3 and writes answers on fd 4 (JSON, each
message ending in a NUL byte): no port is opened, nothing else on the machine can drive it.

Every request the page makes is paused (Fetch domain, pattern "*"): the page's own file goes
on, anything else is failed and recorded, and the network is emulated offline besides.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"  # Debian's package; .ci/run installs it
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
         "--remote-debugging-pipe"]


class ChromiumMissing(RuntimeError):
    pass


class Browser:
    def __init__(self, executable: str = CHROMIUM, timeout: float = 60.0) -> None:
        if not (Path(executable).is_file() and os.access(executable, os.X_OK)):
            raise ChromiumMissing(f"{executable} not found: install Debian's chromium (apt-get install -y chromium); "
                                  ".ci/run does it on CI")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="b24m-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire() -> None:
            # fds 3 and 4 in the child, without the close-on-exec flag os.pipe() sets
            a, b = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.process = subprocess.Popen([executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                        preexec_fn=wire, close_fds=False, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        self.version = self.call("Browser.getVersion")["product"]

    # -- protocol -------------------------------------------------------------------------------

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> int:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        return self._id

    def read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_browser], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError(f"Chromium did not answer within {self.timeout:.0f} s")
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe (it crashed or exited)")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict[str, Any]:
        wanted = self.send(method, params, session)
        while True:
            message = self.read()
            if message.get("id") == wanted:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._on_event(message)

    def _on_event(self, message: dict[str, Any]) -> None:
        self.events.append(message)
        if message.get("method") == "Fetch.requestPaused":
            params = message["params"]
            if params["request"]["url"] == self._allowed:
                self.send("Fetch.continueRequest", {"requestId": params["requestId"]}, message.get("sessionId"))
            else:
                self.blocked.append(params["request"]["url"])
                self.send("Fetch.failRequest", {"requestId": params["requestId"], "errorReason": "BlockedByClient"},
                          message.get("sessionId"))

    # -- a page ---------------------------------------------------------------------------------

    def open(self, path: Path, *, width: int = 1280, height: int = 900) -> "Page":
        """Load a local file with every other request blocked and the network offline."""
        self._allowed = path.resolve().as_uri()
        self.blocked: list[str] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Network.enable", {}, session)
        self.call("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1,
                                                       "uploadThroughput": -1}, session)
        self.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session)
        self.call("Page.enable", {}, session)
        self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": False}, session)
        self.events.clear()
        self.call("Page.navigate", {"url": self._allowed}, session)
        deadline = time.monotonic() + self.timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{path} did not finish loading")
            self._on_event(self.read())
        return Page(self, session)

    def requests(self) -> list[str]:
        """Every URL the page asked for (Network.requestWillBeSent), its own file included."""
        return [e["params"]["request"]["url"] for e in self.events if e.get("method") == "Network.requestWillBeSent"]

    def close(self) -> None:
        try:
            self.send("Browser.close")
            self.process.wait(10)
        except Exception:
            self.process.kill()
            self.process.wait(10)
        finally:
            os.close(self._to_browser)
            os.close(self._from_browser)
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Page:
    def __init__(self, browser: Browser, session: str) -> None:
        self.browser, self.session = browser, session

    def evaluate(self, expression: str) -> Any:
        result = self.browser.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                        "awaitPromise": True}, self.session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, *, full_page: bool = True, max_height: int | None = None) -> bytes:
        metrics = self.browser.call("Page.getLayoutMetrics", {}, self.session)
        size = metrics["cssContentSize"]
        height = size["height"] if full_page else metrics["cssVisualViewport"]["clientHeight"]
        if max_height:
            height = min(height, max_height)
        shot = self.browser.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": height, "scale": 1}}, self.session)
        data = base64.b64decode(shot["data"])
        path.write_bytes(data)
        return data
