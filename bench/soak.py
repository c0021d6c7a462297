"""Soak: the daemon against a sandbox portal that misbehaves on a schedule, killed -9 every few
cycles; at the end the warehouse must equal the portal and every card field its KPI.

    python bench/soak.py [--cycles 30] [--leads 1500] [--seed 16]

The sandbox runs in this process with its fault knobs on (sandbox/chaos.py): 503 storms, 429
blocks, requests held past the client's timeout, leads and deals edited and leads deleted while
lists are paged, lead updates refused twice, malformed values. `b24metrics run` runs as a process
of its own with cycles back to back; every few cycles it is killed with SIGKILL at a random
moment of a cycle and started again. After the last cycle the faults stop, one `sync --sweep`
finds the deletes, a daemon cycle writes back, and one more `sync` reads what the cards hold:
- the warehouse against the portal: leads and deals missing, duplicated, stale (title or
  DATE_MODIFY differing) or still live after the portal deleted them: all must be 0;
- every card field against its KPI: what `writeback --dry-run` would still send after that sync
  (the diff of each field's KPI value against what the portal returned) must be 0 values, and
  the lead grade read from the portal equals the grade in the KPI table for every lead.
It prints the cycles, the faults injected, the kills and the comparison; exit 1 if any count is
not 0.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import duckdb
import httpx

from b24metrics.sandbox import SandboxPortal
from b24metrics.sandbox.chaos import Chaos


class Daemon:
    """`b24metrics run` in its own process; its JSON log events in a queue-like list."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "b24metrics", "run"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.events: list[dict] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            try:
                self.events.append(json.loads(line))
            except ValueError:
                self.events.append({"event": "text", "message": line.rstrip()})

    def count(self, event: str) -> int:
        return sum(1 for e in list(self.events) if e.get("event") == event)

    def wait_for(self, event: str, n: int, timeout: float = 600) -> bool:
        deadline = time.monotonic() + timeout
        while self.count(event) < n:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._reader.join(5)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=600)
        self._reader.join(5)
        return code


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "b24metrics", *args], env=env, capture_output=True, text=True,
                          timeout=1800)


def compare(db: Path, portal: SandboxPortal) -> tuple[dict[str, int], str]:
    con = duckdb.connect(str(db), read_only=True)
    counts: dict[str, int] = {}
    with portal.state.lock:
        tables = {"leads": {i: (r["TITLE"], r["DATE_MODIFY"]) for i, r in portal.state.leads.items()},
                  "deals": {i: (r["TITLE"], r["DATE_MODIFY"]) for i, r in portal.state.deals.items()}}
        grades = {i: r.get("UF_CRM_B24M_GRADE") or None for i, r in portal.state.leads.items()}
    for table, theirs in tables.items():
        rows = con.execute(f"SELECT id, title, date_modify, deleted FROM {table}").fetchall()
        dupes = con.execute(f"SELECT count(*) - count(DISTINCT id) FROM {table}").fetchall()[0][0]
        live = {i: (t, m) for i, t, m, deleted in rows if not deleted}
        counts[f"{table} on the portal"] = len(theirs)
        counts[f"{table} missing"] = len(theirs.keys() - live.keys())
        counts[f"{table} duplicated"] = dupes
        counts[f"{table} deleted on the portal, live here"] = len(live.keys() - theirs.keys())
        counts[f"{table} stale"] = sum(1 for i in theirs.keys() & live.keys()
                                       if live[i] != (theirs[i][0], datetime.fromisoformat(theirs[i][1])))
    kpi = dict(con.execute("SELECT lead_id, grade FROM kpi_lead_cards").fetchall())
    runs = con.execute("SELECT kind, status, count(*) FROM sync_runs GROUP BY ALL ORDER BY ALL").fetchall()
    recorded = "runs recorded in the warehouse: " + ", ".join(f"{n} {kind} {status}" for kind, status, n in runs)
    con.close()
    counts["lead cards checked"] = len(grades)
    counts["lead grades differing from the KPI"] = sum(1 for i, g in grades.items() if kpi.get(i) != g)
    return counts, recorded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--leads", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=16)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    began = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="b24metrics-soak-"))
    db = work / "wh.duckdb"
    # time_scale: the portal's 10-minute execution-time window lasts 10 s, so that a 429 block
    # (after which the client waits for the window's reset) costs seconds, not minutes
    with SandboxPortal(seed=options.seed, leads=options.leads, rate=20.0, burst=50, time_scale=60.0) as portal:
        chaos = Chaos(storm_every=20, storm_seconds=2, block_every=30, block_seconds=6, timeout_every=25,
                      timeout_seconds=8, churn_every=6, refuse=0.02, malformed=12, seed=options.seed)
        env = {k: v for k, v in os.environ.items() if not k.startswith("B24M_")}
        env.update(B24M_PORTAL__WEBHOOK_URL=portal.webhook_url, B24M_PORTAL__RATE="20", B24M_PORTAL__BURST="50",
                   B24M_PORTAL__TIMEOUT="5", B24M_WAREHOUSE__PATH=str(db), B24M_DAEMON__INTERVAL_SECONDS="1",
                   B24M_DAEMON__PORT="0", B24M_DAEMON__SWEEP_AT="", B24M_DAEMON__LOG_FORMAT="json",
                   B24M_REPORT__ENABLED="false")
        chaos.start(portal)
        cycles, kills, outcomes = 0, 0, Counter()
        next_kill = rng.randint(2, 5)
        daemons = [Daemon(env)]
        try:
            while cycles < options.cycles:
                daemon = daemons[-1]
                started = daemon.count("cycle_started")
                if not daemon.wait_for("cycle_started", started + 1):
                    raise SystemExit(f"the daemon stopped or hung: {daemon.events[-5:]}")
                cycles += 1
                next_kill -= 1
                if next_kill == 0:
                    time.sleep(rng.uniform(0.0, 4.0))  # somewhere in the cycle: sync, refresh or write-back
                    daemon.kill()
                    kills += 1
                    next_kill = rng.randint(2, 5)
                    daemons.append(Daemon(env))
            daemon = daemons[-1]
            daemon.wait_for("cycle_finished", daemon.count("cycle_finished") + 1)
            assert daemon.stop() == 0
        finally:
            for daemon in daemons:
                if daemon.proc.poll() is None:
                    daemon.kill()
        for daemon in daemons:
            outcomes.update(e["outcome"] for e in daemon.events if e.get("event") == "cycle_finished")
        outcomes["killed"] = kills
        chaos.stop()
        portal.faults.clear()
        for method in ("crm.lead.list", "crm.deal.list", "crm.activity.list", "crm.lead.update"):
            portal.block_method(method, 0)
        # the deletes (a sweep), one quiet cycle to write back, a sync to read what the cards hold
        steps = {"sync --sweep": cli(env, "sync", "--sweep"), "writeback": cli(env, "writeback"),
                 "sync": cli(env, "sync")}
        dry = cli(env, "writeback", "--dry-run")
        for name, step in {**steps, "writeback --dry-run": dry}.items():
            if step.returncode != 0:
                raise SystemExit(f"{name} exited {step.returncode}: {step.stderr[-2000:]}")
        would = re.search(r"Would write (\d+) values", dry.stdout)
        counts, recorded = compare(db, portal)
        counts["card values differing from their KPI (writeback --dry-run)"] = int(would.group(1)) if would else -1
        stats = portal.stats
        injected = dict(chaos.injected)
    print(f"soak: {options.leads} leads, seed {options.seed}, {time.monotonic() - began:.0f} s")
    print(f"daemon cycles: at least {cycles} started; outcomes logged {dict(outcomes)}")
    print(f"kills (SIGKILL mid-cycle): {kills}")
    print(recorded)
    print("faults injected: " + ", ".join(f"{n} {what}" for what, n in sorted(injected.items())))
    print(f"portal: {stats.http_requests} requests, answered by status {dict(sorted(stats.status_codes.items()))}")
    bad = 0
    for name, value in counts.items():
        print(f"  {name}: {value}")
        if name not in ("leads on the portal", "deals on the portal", "lead cards checked") and value != 0:
            bad += 1
    print("warehouse equals portal, every card equals its KPI" if not bad else f"{bad} comparisons are not 0")
    if not bad:
        shutil.rmtree(work, ignore_errors=True)  # kept for a look when something differs
    else:
        print(f"the warehouse is kept at {db}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
