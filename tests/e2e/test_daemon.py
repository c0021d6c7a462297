"""`b24metrics run` as a real process against the sandbox portal over HTTP: cycles, misfires,
SIGTERM, one writer at a time, readers beside it, health and metrics."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import duckdb
import httpx
import pytest

from b24metrics.extract import STREAMS


class DaemonProcess:
    """`python -m b24metrics run` with JSON log lines collected from its stderr."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "b24metrics", "run"], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        self.lines: list[dict] = []
        self.raw: list[str] = []
        self._new: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.raw.append(line)
            try:
                record = json.loads(line)
            except ValueError:
                continue
            self.lines.append(record)
            self._new.put(record)

    def wait_for(self, event: str, count: int = 1, timeout: float = 60.0, **match) -> list[dict]:
        """The first `count` log records of this event (and these fields), waiting for them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.lines if r.get("event") == event and all(r.get(k) == v for k, v in match.items())]
            if len(found) >= count:
                return found[:count]
            if self.proc.poll() is not None and self._new.empty():
                raise AssertionError(f"daemon exited {self.proc.returncode} before {count} x {event}:\n"
                                     + "".join(self.raw[-30:]))
            try:
                self._new.get(timeout=max(0.01, min(0.5, deadline - time.monotonic())))
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise AssertionError(f"no {count} x {event} in {timeout} s:\n" + "".join(self.raw[-30:])) from None

    def events(self, event: str) -> list[dict]:
        return [r for r in self.lines if r.get("event") == event]

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def daemon_env(tmp_path):
    def build(portal, **settings: object) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("B24M_")}
        env.update(B24M_PORTAL__WEBHOOK_URL=portal.webhook_url, B24M_PORTAL__RATE=str(portal.rate),
                   B24M_PORTAL__BURST=str(int(portal.burst)), B24M_WAREHOUSE__PATH=str(tmp_path / "wh.duckdb"),
                   B24M_DAEMON__PORT="0", B24M_DAEMON__SWEEP_AT="")
        env.update({f"B24M_{k.upper()}": str(v) for k, v in settings.items()})
        return env

    return build


@pytest.fixture
def start_daemon():
    started: list[DaemonProcess] = []

    def start(env: dict[str, str]) -> DaemonProcess:
        daemon = DaemonProcess(env)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.kill()


def cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "b24metrics", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


#: the write-back's first call of a cycle (one batch of field lookups): it comes after the sync and
#: the KPI refresh, outside any DuckDB step, while the cycle holds the writer lock. The sync reads
#: the lead and deal field definitions itself (streams lead_fields, deal_fields), so the batch is
#: known by its lookup of the company fields (on by default), which only the write-back asks for.
FIELD_LOOKUPS = ("crm.company.userfield.list",)
assert not set(FIELD_LOOKUPS) & {stream.method for stream in STREAMS.values()}


def updates_sent(portal) -> int:
    """crm.*.update calls the portal executed (batch sub-commands included)."""
    return sum(n for method, n in portal.stats.snapshot()["method_calls"].items()
               if re.fullmatch(r"crm\.\w+\.update", method))


def test_ten_cycles_write_only_in_the_first_and_readers_work_meanwhile(portals, daemon_env, start_daemon):
    portal = portals(seed=21, leads=150, rate=50.0, burst=50)
    # No overlap: the second cycle reads back what the first wrote (their DATE_MODIFY moved) and
    # must send nothing; the later ones read nothing, which keeps ten cycles short.
    env = daemon_env(portal, daemon__interval_seconds=1, sync__overlap_seconds=0)
    # The first call waits until two more ticks of the interval came due during the first cycle
    # (the daemon's own log says so), however late a loaded machine makes them.
    hold = portal.faults.hold(1)
    daemon = start_daemon(env)
    try:
        daemon.wait_for("cycle_coalesced", timeout=60)
    finally:
        hold.release()

    first = daemon.wait_for("cycle_finished", timeout=60)[0]
    assert first["outcome"] == "ok" and first["writes"] >= 150  # every lead, and deals and companies
    # Misfire: the ticks that came due during the first cycle are one cycle, run at once after it.
    late = daemon.events("cycle_late")
    assert late and late[0]["kind"] == "cycle"
    second_start = daemon.wait_for("cycle_started", count=2)[1]
    assert second_start["late_seconds"] > 0.5  # it was due while the first one ran
    # and it is that catch-up, not the next tick: it came due before the first one finished
    assert _gap(second_start["due_at"], first["ts"]) > 0

    # Readers while cycles run back to back (a cycle takes about as long as the interval).
    readers = [cli(env, "status"), cli(env, "kpi", "M1", "--period", "year", "--format", "json"), cli(env, "status")]
    for run in readers:
        assert run.returncode == 0, run.stderr
        assert "Traceback" not in run.stderr
    assert sum(r["leads"] for r in json.loads(readers[1].stdout)) == 150

    finished = daemon.wait_for("cycle_finished", count=10, timeout=90)
    assert daemon.stop() == 0
    assert [c["outcome"] for c in finished] == ["ok"] * 10
    assert [c["writes"] for c in finished[1:]] == [0] * 9
    assert updates_sent(portal) == first["writes"]  # the portal's own count: nothing after the first cycle
    starts = daemon.events("cycle_started")
    assert len(starts) >= 10
    # Never two cycles at once: each starts after the previous one finished.
    ends = daemon.events("cycle_finished")
    for start, end_before in zip(starts[1:], ends):
        assert _gap(end_before["ts"], start["ts"]) >= 0


def _gap(earlier: str, later: str) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def test_sigterm_mid_cycle_commits_the_page_under_way_and_exits_0(portals, daemon_env, start_daemon, tmp_path):
    portal = portals(seed=22, leads=6000, companies=20, deals=0, contacts=0, activities=0, calls=0,
                     rate=50.0, burst=50, latency=0.5)
    env = daemon_env(portal, daemon__interval_seconds=3600, sync__workers=1)
    daemon_box: list[DaemonProcess] = []
    seen: dict[str, int | str] = {}

    def maybe_stop(p) -> None:
        # Called just before an answer goes out: the first answer that carries lead pages beyond
        # the first batch gets SIGTERM sent while it is on its way, and goes out only once the
        # daemon has logged the stop (however long a loaded machine takes to get there).
        pages = p.stats.snapshot()["method_calls"].get("crm.lead.list", 0)
        if "pages" not in seen and pages > 2 and daemon_box:
            seen["pages"], seen["requests"] = pages, p.stats.http_requests
            daemon_box[0].proc.send_signal(signal.SIGTERM)
            try:
                daemon_box[0].wait_for("stop_requested", timeout=60)
            except AssertionError as exc:
                seen["no stop"] = str(exc)

    for after in range(2, 10):
        portal.on_request(maybe_stop, after=after)
    daemon_box.append(start_daemon(env))
    began = time.monotonic()
    assert daemon_box[0].proc.wait(timeout=60) == 0
    daemon = daemon_box[0]
    assert "pages" in seen, "the daemon finished before a lead page was read: the test means nothing"
    assert "no stop" not in seen, seen.get("no stop")
    assert time.monotonic() - began < 30
    assert "Traceback" not in "".join(daemon.raw)
    end = daemon.wait_for("cycle_finished")[0]
    assert end["outcome"] == "interrupted"
    daemon.wait_for("daemon_stopped")

    # No request went out after the stop, and the answer under way was committed: every lead
    # page the portal served (the first batch also asked for the top ID) is in the warehouse.
    assert portal.stats.http_requests == seen["requests"]
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    leads = con.execute("SELECT count(*), count(DISTINCT id) FROM leads").fetchall()[0]
    run = con.execute("SELECT status FROM sync_runs ORDER BY run_id DESC LIMIT 1").fetchall()[0][0]
    con.close()
    assert leads == (50 * (seen["pages"] - 1),) * 2
    assert end["rows"] >= leads[0]
    assert run == "interrupted"

    portal.latency = 0
    resumed = cli(env, "sync", "--entity", "leads")
    assert resumed.returncode == 0, resumed.stderr
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT id) FROM leads").fetchall()[0] == (6000, 6000)
    con.close()


def test_a_second_writer_is_told_who_writes_and_exits_5(portals, daemon_env, start_daemon):
    portal = portals(seed=23, leads=300, rate=50.0, burst=50)
    env = daemon_env(portal, daemon__interval_seconds=3600)
    # The cycle stops at its write-back's first call, holding the writer lock, until released:
    # it is certainly under way while the commands below run, on a fast or a loaded machine.
    hold = portal.faults.hold(1, FIELD_LOOKUPS)
    daemon = start_daemon(env)
    try:
        daemon.wait_for("cycle_started")
        pid = daemon.wait_for("daemon_started")[0]["pid"]
        assert hold.wait_reached(120)

        began = time.monotonic()
        second = cli(env, "sync", "--full")
        assert second.returncode == 5, second.stderr
        assert time.monotonic() - began < 15  # told at once, not after a timeout
        # held at the write-back's first call: the line names that step, not "a sync"
        assert f"a write-back is running (pid {pid}, started at " in second.stderr
        assert "b24metrics run, cycle" in second.stderr and "nothing was done" in second.stderr
        assert "Traceback" not in second.stderr

        # status reads while the cycle writes (between its DuckDB steps) and says who writes.
        status = cli(env, "status")
        assert status.returncode == 0, status.stderr
        assert f"Now: a write-back is running (pid {pid}, started at " in " ".join(status.stdout.split())

        # --wait: the same sync waits for the cycle to end (it says so before the cycle goes
        # on), then runs.
        waiting = subprocess.Popen([sys.executable, "-m", "b24metrics", "sync", "--entity", "leads", "--wait", "60"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        said: list[str] = []

        def read() -> None:
            for line in waiting.stderr:
                said.append(line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        deadline = time.monotonic() + 120  # a safety net: the wait is for the line
        while not any("waiting up to 60 s" in line for line in said) and waiting.poll() is None:
            assert time.monotonic() < deadline, "".join(said)
            time.sleep(0.05)
    finally:
        hold.release()
    assert waiting.wait(timeout=120) == 0, "".join(said)
    reader.join(10)
    assert any(f"a write-back is running (pid {pid}" in line and "waiting up to 60 s" in line for line in said)
    assert daemon.wait_for("cycle_finished")[0]["outcome"] == "ok"
    assert daemon.stop() == 0


def test_health_and_metrics_tell_the_numbers_of_the_cycles(portals, daemon_env, start_daemon, tmp_path):
    portal = portals(seed=24, leads=120, rate=50.0, burst=50)
    env = daemon_env(portal, daemon__interval_seconds=2, daemon__health_max_age_seconds=8, portal__max_retries=3)
    portal.faults.fail_next(2, 503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
    # The first cycle stops at its write-back's first call, its sync done; from then on the next
    # cycle's first call (its first batch reads crm.lead.list) is held. So the test sees the
    # numbers of exactly one cycle, whenever the ticks come on a fast or a loaded machine.
    lookup = portal.faults.hold(1, FIELD_LOOKUPS)
    daemon = start_daemon(env)
    try:
        assert lookup.wait_reached(120)
        next_cycle = portal.faults.hold(1, "crm.lead.list")
    finally:
        lookup.release()
    port = daemon.wait_for("daemon_started")[0]["port"]
    base = f"http://127.0.0.1:{port}"
    first = daemon.wait_for("cycle_finished")[0]
    assert first["outcome"] == "ok"

    try:
        health = httpx.get(base + "/healthz", timeout=5)
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "ok" and body["last_success"] and body["last_cycle"]["rows"] == first["rows"]

        # The next cycle under way, held at its first request: the numbers of the first one,
        # and the portal's own (which counted the held request as it came).
        assert next_cycle.wait_reached(60)
        metrics = _metrics(httpx.get(base + "/metrics", timeout=5).text)
        stats = portal.stats.snapshot()
        assert metrics["b24metrics_cycle_running"] == 1
        assert metrics['b24metrics_cycles_total{kind="cycle",outcome="ok"}'] == 1
        assert metrics["b24metrics_last_success_timestamp_seconds"] > time.time() - 30
        assert metrics["b24metrics_portal_requests_total"] == stats["http_requests"] - 1 == first["requests"]
        assert metrics["b24metrics_portal_rate_limited_total"] == 2 == stats["status_codes"][503]
        assert metrics["b24metrics_portal_retries_total"] == 2
        assert metrics["b24metrics_portal_time_limited_total"] == 0
        assert metrics["b24metrics_writeback_updates_total"] == updates_sent(portal) == first["writes"] >= 120
        assert metrics["b24metrics_rows_loaded_total"] == first["rows"] > 120
        held_metrics = metrics

        # The portal turns us away (401) from the next request on: cycles fail, are counted, and
        # health turns 503 once the last success is older than daemon.health_max_age_seconds.
        portal.faults.storm(60, 401, "NO_AUTH_FOUND", "Wrong authorization data")
    finally:
        next_cycle.release()
    failed = daemon.wait_for("cycle_finished", count=2, timeout=30)[1]
    assert failed["outcome"] == "failed" and failed["error"] == "AuthFailed"
    deadline = time.monotonic() + 30
    while (health := httpx.get(base + "/healthz", timeout=5)).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert health.status_code == 503 and health.json()["status"] == "failing"
    metrics = _metrics(httpx.get(base + "/metrics", timeout=5).text)
    assert metrics['b24metrics_errors_total{error="AuthFailed"}'] >= 1
    assert metrics['b24metrics_cycles_total{kind="cycle",outcome="ok"}'] == 1
    assert httpx.get(base + "/nothing", timeout=5).status_code == 404
    assert daemon.stop() == 0
    assert portal.token not in "".join(daemon.raw)  # the webhook's secret in no log line
    con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)  # the held cycle had it open
    loaded = con.execute("SELECT rows_loaded FROM sync_runs WHERE kind = 'cycle' ORDER BY run_id LIMIT 1").fetchall()
    con.close()
    assert held_metrics["b24metrics_rows_loaded_total"] == loaded[0][0]


def _metrics(text: str) -> dict[str, float]:
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_the_nightly_run_sweeps_deletes_then_runs_the_cycle(portals, settings_for):
    from datetime import datetime, timezone

    from b24metrics import pipeline
    from b24metrics.daemon import Daemon
    from b24metrics.daemon.schedule import CYCLE, NIGHTLY

    portal = portals(seed=25, leads=200, rate=50.0, burst=50)
    daemon = Daemon(settings_for(portal, daemon={"port": 0}))
    daemon.client = pipeline.open_client(daemon.settings, stop=daemon.stop)
    try:
        assert daemon.run_one(CYCLE, datetime.now(timezone.utc)).outcome == "ok"
        with portal.state.lock:
            gone = sorted(portal.state.leads)[:3]
            for lead_id in gone:
                del portal.state.leads[lead_id]
        nightly = daemon.run_one(NIGHTLY, datetime.now(timezone.utc))
    finally:
        daemon.client.close()
    assert nightly.outcome == "ok" and nightly.kind == NIGHTLY
    con = duckdb.connect(str(daemon.settings.warehouse.path), read_only=True)
    deleted = {r[0] for r in con.execute("SELECT id FROM leads WHERE deleted").fetchall()}
    runs = [r[0] for r in con.execute("SELECT kind FROM sync_runs ORDER BY run_id").fetchall()]
    con.close()
    assert deleted == set(gone)
    assert runs == ["cycle", "sweep", "cycle"]
