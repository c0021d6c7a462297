"""Everything here runs over real HTTP against the sandbox portal on 127.0.0.1."""

import signal
import subprocess
import time
from contextlib import ExitStack

import httpx
import pytest

from b24metrics.config import load_settings
from b24metrics.portal import PortalClient
from b24metrics.sandbox import SandboxPortal


@pytest.fixture
def portals():
    """Start sandbox portals on demand; all of them stop when the test ends."""
    with ExitStack() as stack:
        def start(**kwargs) -> SandboxPortal:
            return stack.enter_context(SandboxPortal(**kwargs))

        yield start


@pytest.fixture
def settings_for(tmp_path):
    def build(portal: SandboxPortal, *, portal_settings: dict | None = None, **overrides):
        return load_settings(
            read_file=False,
            portal={"webhook_url": portal.webhook_url, "rate": portal_rate(portal), "burst": portal_burst(portal),
                    "max_retries": 4, **(portal_settings or {})},
            warehouse={"path": str(tmp_path / "wh.duckdb")},
            **overrides,
        )

    return build


def portal_rate(portal):
    return getattr(portal, "rate", 2.0)


def portal_burst(portal):
    return getattr(portal, "burst", 50)


@pytest.fixture
def client_for():
    clients = []

    def build(portal: SandboxPortal, **kwargs) -> PortalClient:
        kwargs.setdefault("rate", portal_rate(portal))
        kwargs.setdefault("burst", portal_burst(portal))
        client = PortalClient(portal.webhook_url, **kwargs)
        clients.append(client)
        return client

    yield build
    for c in clients:
        c.close()


def portal_leads(portal: SandboxPortal, select=("ID", "UF_*")) -> list[dict]:
    """Read every lead the way any third-party script would: plain offset paging over HTTP."""
    rows, start = [], 0
    with httpx.Client(timeout=30) as http:
        while True:
            body = http.post(portal.webhook_url + "crm.lead.list",
                             json={"select": list(select), "order": {"ID": "ASC"}, "start": start}).json()
            rows += body["result"]
            if "next" not in body:
                return rows
            start = body["next"]


def crash_on_answer(n: int):
    """A progress callback that interrupts a sync on its n-th committed answer, and the row
    counts of the answers committed until then."""
    answers: list[int] = []

    def progress(stream, rows, requests):
        answers.append(rows)
        if len(answers) == n:
            raise KeyboardInterrupt

    return progress, answers


def run_and_kill(command: list[str], env: dict, portal: SandboxPortal, after: int, methods, linger: float = 0.0) -> bool:
    """Start a command and kill -9 it once its `after`-th call of `methods` has reached the
    portal and every other request under way has been answered: that call is held unanswered
    until the kill, so a command that gets that far is cut mid-way on any machine, fast or
    loaded, with the answers before it in hand. `linger` seconds more let it commit some of them
    (how many depends on the machine's speed; that it is cut does not). True if it was cut
    (False: it ended first)."""
    hold = portal.faults.hold(after, methods)
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240  # a safety net only: the wait is for the event
        while not portal.faults.settled(hold, 0.05):
            if proc.poll() is not None or time.monotonic() > deadline:
                break
        else:
            time.sleep(linger)
        killed = proc.poll() is None and hold.reached.is_set()
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        hold.release()  # a hold never reached is dropped: it must not catch the next command
    return killed
