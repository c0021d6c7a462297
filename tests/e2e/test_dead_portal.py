"""A dead or wrong portal, over real sockets on 127.0.0.1: the run ends in bounded time with one
line that names the host and says what happened, and never shows the webhook's secret."""

import http.server
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from b24metrics import errors, pipeline
from b24metrics.extract import STREAMS

TOKEN = "deadportal0secret0token"
GIVE_UP = 3.0


def _closed_port() -> int:
    """A port nothing listens on: bound once to get a free number, then let go."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def answering_501():
    """A tiny web server that is no Bitrix24 portal: it answers every POST 501."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_error(501)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _sync(webhook_url: str, tmp_path, **portal):
    env = {**os.environ, "B24M_PORTAL__WEBHOOK_URL": webhook_url, "B24M_PORTAL__MAX_RETRIES": "50",
           "B24M_PORTAL__GIVE_UP_AFTER_SECONDS": str(GIVE_UP), "B24M_WAREHOUSE__PATH": str(tmp_path / "wh.duckdb"),
           **{f"B24M_PORTAL__{k.upper()}": str(v) for k, v in portal.items()}}
    env.pop("B24M_CONFIG", None)
    began = time.monotonic()
    run = subprocess.run([sys.executable, "-m", "b24metrics", "sync"], capture_output=True, text=True,
                         timeout=120, env=env, cwd=tmp_path)
    return run, time.monotonic() - began


def _error_line(run) -> str:
    lines = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, run.stderr
    return lines[0]


def test_a_closed_port_is_given_up_on_in_bounded_time_with_exit_4(tmp_path):
    port = _closed_port()
    run, took = _sync(f"http://127.0.0.1:{port}/rest/1/{TOKEN}/", tmp_path)
    assert run.returncode == errors.EXIT_RETRY, run.stderr
    assert took < GIVE_UP + 10  # process start included; 50 retries would take minutes
    line = _error_line(run)
    assert f"127.0.0.1:{port}" in line and "connection refused" in line and "gave up" in line
    assert TOKEN not in run.stdout + run.stderr


def test_a_server_answering_501_is_a_wrong_url_at_once(tmp_path, answering_501):
    run, took = _sync(f"http://127.0.0.1:{answering_501}/rest/1/{TOKEN}/", tmp_path)
    assert run.returncode == errors.EXIT_STOP, run.stderr
    line = _error_line(run)
    assert f"127.0.0.1:{answering_501}" in line and "HTTP 501" in line and "portal.webhook_url" in line
    assert "transient" not in line and "retry" not in run.stderr
    assert TOKEN not in run.stdout + run.stderr


def test_https_to_a_plain_http_port_is_a_wrong_url_at_once(tmp_path, portals):
    portal = portals(seed=3, leads=20)
    run, took = _sync(f"https://127.0.0.1:{portal.port}/rest/1/{TOKEN}/", tmp_path)
    assert run.returncode == errors.EXIT_STOP, run.stderr
    line = _error_line(run)
    assert f"127.0.0.1:{portal.port}" in line and "does not speak https on this port" in line
    assert "transient" not in line and "retry" not in run.stderr
    assert TOKEN not in run.stdout + run.stderr


def test_a_portal_that_stops_answering_mid_sync_ends_the_sync_in_bounded_time(portals, settings_for):
    """The measured case: a portal that died mid-sync kept the sync retrying for ~20 minutes (every
    stream's refused ranges were sent again 30 times). Here the portal hangs, so every request
    times out (1 s): without a give-up, 30 deferrals of a stream alone would take minutes."""
    portal = portals(seed=84, leads=3_000, rate=50.0, burst=50)
    holds = []
    # After the first batch and two range batches, the next method call waits, and every request
    # after it with it: the portal hangs while the streams' ranges are under way.
    portal.on_request(lambda p: holds.append(p.faults.hold(1)), after=3)
    settings = settings_for(portal, sync={"workers": 3},
                            portal_settings={"timeout": 1.0, "give_up_after_seconds": GIVE_UP})
    warehouse = pipeline.open_warehouse(settings)
    began = time.monotonic()
    try:
        with pipeline.open_client(settings) as client, pytest.raises(errors.PortalUnreachable) as caught:
            pipeline.sync(client, warehouse, list(STREAMS.values()), settings)
        took = time.monotonic() - began
    finally:
        for hold in holds:
            hold.release()
    assert holds and holds[0].reached.is_set()
    assert client.stats.requests > 3  # it died mid-sync, not before
    assert took < GIVE_UP + 10
    text = str(caught.value)
    assert f"127.0.0.1:{portal.port}" in text and "timed out" in text and portal.token not in text
