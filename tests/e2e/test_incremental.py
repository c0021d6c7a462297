"""Incremental passes over real HTTP: what changed is read, nothing else, nothing missed."""

from datetime import datetime, timedelta, timezone

import httpx

from b24metrics import pipeline
from b24metrics.extract import STREAMS


def _sync(client, warehouse, settings, **kw):
    return {r.stream: r for r in pipeline.sync(client, warehouse, list(STREAMS.values()), settings, **kw)}


def _update(portal, lead_id, **fields):
    body = httpx.post(portal.webhook_url + "crm.lead.update", json={"id": lead_id, "fields": fields}, timeout=10).json()
    assert body["result"] is True


def test_no_change_costs_one_request_and_changes_are_read(portals, settings_for):
    portal = portals(seed=21, leads=300, rate=20.0, burst=50)
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.open_client(settings) as client:
        first = _sync(client, warehouse, settings)
        assert {r.mode for r in first.values()} == {"full"} and first["leads"].rows == 300

        before = portal.stats.http_requests
        quiet = _sync(client, warehouse, settings)
        # Every stream's first page in one batch; the dictionaries (over 50 rows) need a second.
        assert portal.stats.http_requests - before <= 2
        assert quiet["leads"].mode == quiet["companies"].mode == "incremental"
        assert quiet["leads"].rows == quiet["companies"].rows == 0
        assert quiet["statuses"].mode == "full"  # dictionaries have no modification date

        ids = sorted(portal.state.leads)
        for lead_id in (ids[0], ids[150], ids[-1]):
            _update(portal, lead_id, TITLE=f"changed {lead_id}")
        before = portal.stats.http_requests
        changed = _sync(client, warehouse, settings)
        assert portal.stats.http_requests - before <= 2
        assert changed["leads"].rows == 3
    with warehouse.connect() as con:
        titles = dict(con.execute("SELECT id, title FROM leads WHERE title LIKE 'changed %'").fetchall())
        count = con.execute("SELECT count(*) FROM leads").fetchall()[0][0]
    assert titles == {i: f"changed {i}" for i in (ids[0], ids[150], ids[-1])} and count == 300


def test_120_rows_in_one_second_across_a_page_boundary_are_all_read(portals, settings_for):
    portal = portals(seed=22, leads=400, rate=20.0, burst=50)
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.open_client(settings) as client:
        _sync(client, warehouse, settings)
        stamp = portal.format_time(portal.clock())
        ids = sorted(portal.state.leads)[100:220]
        with portal.state.lock:
            for i in ids:
                portal.state.leads[i]["DATE_MODIFY"] = stamp
                portal.state.leads[i]["TITLE"] = f"same second {i}"
        result = _sync(client, warehouse, settings)
    assert result["leads"].rows == 120 and result["leads"].pages == 3
    with warehouse.connect() as con:
        n = con.execute("SELECT count(*) FROM leads WHERE title LIKE 'same second %'").fetchall()[0][0]
    assert n == 120


def test_since_and_full_are_honoured(portals, settings_for):
    portal = portals(seed=23, leads=200, rate=20.0, burst=50)
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    with portal.state.lock:
        modified = sorted(datetime.fromisoformat(l["DATE_MODIFY"]) for l in portal.state.leads.values())
    cut = modified[-40]
    with pipeline.open_client(settings) as client:
        _sync(client, warehouse, settings)
        recent = _sync(client, warehouse, settings, since=cut)
        assert recent["leads"].mode == "incremental"
        assert recent["leads"].rows == sum(1 for m in modified if m >= cut)
        again = _sync(client, warehouse, settings, full=True)
        assert again["leads"].mode == "full" and again["leads"].rows == 200


def test_the_watermark_is_the_portal_clock_not_ours(portals, settings_for):
    portal = portals(seed=24, leads=60, rate=20.0, burst=50)
    skew = timedelta(hours=3, minutes=7)
    portal.clock = lambda: datetime.now(timezone.utc).timestamp() - skew.total_seconds()  # the portal is behind
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.open_client(settings) as client:
        _sync(client, warehouse, settings)
        lead_id = sorted(portal.state.leads)[5]
        _update(portal, lead_id, TITLE="edited on a portal whose clock is behind")
        result = _sync(client, warehouse, settings)
    assert result["leads"].rows == 1
    with warehouse.connect() as con:
        since = con.execute("SELECT since FROM sync_state WHERE stream = 'leads'").fetchall()[0][0]
    assert abs(datetime.now(timezone.utc) - skew - since) < timedelta(minutes=1)
