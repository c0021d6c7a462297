"""kill -9 of a sync at random points, then a rerun: the warehouse equals the portal."""

import math
import os
import random
import subprocess
import sys
from datetime import datetime

import duckdb
import httpx

from b24metrics.portal import PAGE
from b24metrics.warehouse import read_bookmark

from .conftest import run_and_kill

STREAMS = {"leads": "crm.lead.list", "companies": "crm.company.list"}


def pages_left(db, portal) -> int:
    """List calls the next `sync --full` cannot do without: one per page of the rows its pass
    has still to read (an interrupted pass resumes; otherwise a new full pass reads them all)."""
    marks = {}
    if db.exists():
        con = duckdb.connect(str(db), read_only=True)
        marks = {name: read_bookmark(con, name) for name in STREAMS}
        con.close()
    pages = 0
    with portal.state.lock:
        tables = {"leads": set(portal.state.leads), "companies": set(portal.state.companies)}
    for name, ids in tables.items():
        mark = marks.get(name)
        if mark is not None and not mark.complete and mark.ranges:
            ids = {i for i in ids if any(after < i and (upper is None or i <= upper) for after, upper in mark.ranges)}
        elif mark is not None and not mark.complete and mark.cursor_id:
            ids = {i for i in ids if i > mark.cursor_id}
        pages += math.ceil(len(ids) / PAGE)
    return pages


def test_kill_9_at_random_points_loses_and_duplicates_nothing(portals, tmp_path):
    portal = portals(seed=61, leads=4000, rate=25.0, burst=50)
    db = tmp_path / "wh.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("B24M_")}
    env.update(B24M_PORTAL__WEBHOOK_URL=portal.webhook_url, B24M_WAREHOUSE__PATH=str(db),
               B24M_PORTAL__RATE="25", B24M_PORTAL__BURST="50")
    rng = random.Random(61)
    sync = [sys.executable, "-m", "b24metrics", "sync", "--entity", "leads", "--entity", "companies"]
    kills, points = 0, []
    for run in range(10):
        left = pages_left(db, portal)
        if left < 2:
            # Too little left to cut: finish this pass, and the next --full starts a new one.
            assert subprocess.run(sync + ["--full"], env=env, capture_output=True, timeout=300).returncode == 0
            left = pages_left(db, portal)
        # Killed when the k-th list call of this run reaches the portal, k drawn over what is left
        # of the pass: every run reaches it before it can end, on any machine.
        k = rng.randint(1, left - 1)
        points.append((k, left))
        kills += run_and_kill(sync + ["--full"], env, portal, k, STREAMS.values(), linger=rng.uniform(0, 0.5))
        # The portal moves on between runs: edits, including to rows already copied.
        for lead_id in rng.sample(sorted(portal.state.leads), 5):
            httpx.post(portal.webhook_url + "crm.lead.update",
                       json={"id": lead_id, "fields": {"TITLE": f"run {run} edit {lead_id}"}}, timeout=10)
    assert kills == 10, f"only {kills} of 10 runs were killed mid-way (call k of pages left: {points})"
    # The cuts fell all over the pass, not only at its start.
    assert max(k / left for k, left in points) > 0.5, points
    done = subprocess.run(sync + ["--sweep"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr

    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT id, title, date_modify FROM leads WHERE NOT deleted").fetchall()
    dupes = con.execute("SELECT count(*) - count(DISTINCT id) FROM leads").fetchall()[0][0]
    runs = dict(con.execute("SELECT status, count(*) FROM sync_runs GROUP BY status").fetchall())
    con.close()
    # Each killed run was left 'running'; the next writer closed it as interrupted.
    assert runs.get("running", 0) == 0 and runs["interrupted"] >= 10, runs
    with portal.state.lock:
        portal_rows = {i: (l["TITLE"], datetime.fromisoformat(l["DATE_MODIFY"])) for i, l in portal.state.leads.items()}
    ours = {i: (title, modified) for i, title, modified in rows}
    assert dupes == 0
    assert ours.keys() == portal_rows.keys()                     # 0 missing, 0 extra
    stale = [i for i in ours if ours[i] != portal_rows[i]]
    assert stale == []                                            # 0 stale
