"""`status` and `kpi` answer while a long write-back runs: the write-back holds the warehouse only
while it writes its ledger, not while the portal answers (writeback/push.py, warehouse/lease.py).

The write-back is made long by holding one of its update commands at the sandbox, not by the
clock: while the hold is in place the write-back is certainly under way, and both readers must
finish before it is let go, with `warehouse.busy_timeout` at 2 s (a reader kept out longer
exits 5)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import duckdb


def _env(portal, db) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("B24M_")}
    return {**env, "B24M_PORTAL__WEBHOOK_URL": portal.webhook_url, "B24M_PORTAL__RATE": "50",
            "B24M_PORTAL__BURST": "100", "B24M_WAREHOUSE__PATH": str(db), "B24M_WAREHOUSE__BUSY_TIMEOUT": "2"}


def _cli(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "b24metrics", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def test_status_and_kpi_answer_while_a_write_back_is_held_mid_way(portals, tmp_path):
    portal = portals(seed=41, leads=2000, rate=50.0, burst=100)
    db = tmp_path / "wh.duckdb"
    env = _env(portal, db)
    assert _cli(env, "sync").returncode == 0
    # the 601st lead update (in the 13th batch of 50) waits until released
    hold = portal.faults.hold(601, "crm.lead.update", timeout=300)
    writer = subprocess.Popen([sys.executable, "-m", "b24metrics", "writeback"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240   # a safety net: the wait is for the event
        while not portal.faults.settled(hold, 0.1):
            assert writer.poll() is None, writer.communicate()
            assert time.monotonic() < deadline, "the write-back never reached the held update"
        status = _cli(env, "status")
        kpi = _cli(env, "kpi", "leads_by_channel", "--period", "all")
        # both answered while the write-back was held, with it still running
        assert not hold.released.is_set() and writer.poll() is None
    finally:
        hold.release()
    out, err = writer.communicate(timeout=300)
    assert status.returncode == 0, status.stderr
    assert kpi.returncode == 0, kpi.stderr
    assert "Now: a write-back is running" in " ".join(status.stdout.split())
    assert "writeback" in status.stdout                         # its run, listed as running
    assert "leads_by_channel" in kpi.stdout or "M1" in kpi.stdout
    assert writer.returncode == 0, err
    con = duckdb.connect(str(db), read_only=True)
    applied = con.execute("SELECT count(*) FROM writeback_ledger WHERE entity = 'lead' AND outcome = 'applied'"
                          ).fetchall()[0][0]
    con.close()
    assert applied >= 2000   # the held write-back went on to the end
