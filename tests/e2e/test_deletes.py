"""Deletes found by the ID sweep, over real HTTP: only a complete sweep marks anything."""

import pytest

from b24metrics import errors, pipeline
from b24metrics.extract import STREAMS
from b24metrics.kpis import refresh_grades


def _live(warehouse):
    with warehouse.connect() as con:
        return {r[0] for r in con.execute("SELECT id FROM leads WHERE NOT deleted").fetchall()}


def test_sweep_marks_deletes_and_revivals(portals, settings_for):
    portal = portals(seed=31, leads=3000, rate=20.0, burst=50)
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    streams = list(STREAMS.values())
    ids = sorted(portal.state.leads)
    gone = {ids[0], ids[49], ids[50], ids[2499], ids[-1]}  # page and batch boundaries included
    with pipeline.open_client(settings) as client:
        pipeline.sync(client, warehouse, streams, settings)
        with portal.state.lock:
            removed = {i: portal.state.leads.pop(i) for i in gone}
        pipeline.sync(client, warehouse, streams, settings)
        assert len(_live(warehouse)) == 3000  # an incremental pass cannot see a delete
        (leads,) = [s for s in pipeline.sweep(client, warehouse, streams) if s.stream == "leads"]
        assert (leads.portal_ids, leads.deleted, leads.revived) == (2995, 5, 0)
        assert _live(warehouse) == set(ids) - gone
        assert refresh_grades(warehouse, settings.grading) == 2995

        with portal.state.lock:
            portal.state.leads[ids[49]] = removed[ids[49]]  # restored under its old ID
        (leads,) = [s for s in pipeline.sweep(client, warehouse, streams) if s.stream == "leads"]
        assert (leads.deleted, leads.revived) == (0, 1)


def test_an_interrupted_sweep_marks_nothing(portals, settings_for):
    portal = portals(seed=32, leads=3000, rate=20.0, burst=50)
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.open_client(settings) as client:
        pipeline.sync(client, warehouse, [STREAMS["leads"]], settings)
        with portal.state.lock:
            for i in sorted(portal.state.leads)[:10]:
                del portal.state.leads[i]
        client.max_retries, client.backoff = 1, 0.01
        portal.faults.fail_next(2, status=500, error="INTERNAL_SERVER_ERROR", method="batch")
        with pytest.raises(errors.PortalUnavailable):
            pipeline.sweep(client, warehouse, [STREAMS["leads"]])
    assert len(_live(warehouse)) == 3000
