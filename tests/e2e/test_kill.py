"""kill -9 of a sync at random points, then a rerun: the warehouse equals the portal."""

import os
import random
import subprocess
import sys
from datetime import datetime

import duckdb
import httpx

from .conftest import run_and_kill


def test_kill_9_at_random_points_loses_and_duplicates_nothing(portals, tmp_path):
    portal = portals(seed=61, leads=4000, rate=25.0, burst=50)
    db = tmp_path / "wh.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("B24M_")}
    env.update(B24M_PORTAL__WEBHOOK_URL=portal.webhook_url, B24M_WAREHOUSE__PATH=str(db),
               B24M_PORTAL__RATE="25", B24M_PORTAL__BURST="50")
    rng = random.Random(61)
    sync = [sys.executable, "-m", "b24metrics", "sync", "--entity", "leads", "--entity", "companies"]
    kills = 0
    for run in range(10):
        # --full: every run is long enough to be cut (an interrupted full pass resumes).
        kills += run_and_kill(sync + ["--full"], env, rng.uniform(0.8, 3.5))
        # The portal moves on between runs: edits, including to rows already copied.
        for lead_id in rng.sample(sorted(portal.state.leads), 5):
            httpx.post(portal.webhook_url + "crm.lead.update",
                       json={"id": lead_id, "fields": {"TITLE": f"run {run} edit {lead_id}"}}, timeout=10)
    assert kills >= 5, f"only {kills} of 10 runs were killed mid-way: the test would mean little"
    done = subprocess.run(sync + ["--sweep"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr

    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT id, title, date_modify FROM leads WHERE NOT deleted").fetchall()
    dupes = con.execute("SELECT count(*) - count(DISTINCT id) FROM leads").fetchall()[0][0]
    con.close()
    with portal.state.lock:
        portal_rows = {i: (l["TITLE"], datetime.fromisoformat(l["DATE_MODIFY"])) for i, l in portal.state.leads.items()}
    ours = {i: (title, modified) for i, title, modified in rows}
    assert dupes == 0
    assert ours.keys() == portal_rows.keys()                     # 0 missing, 0 extra
    stale = [i for i in ours if ours[i] != portal_rows[i]]
    assert stale == []                                            # 0 stale
