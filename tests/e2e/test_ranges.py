"""A big table is cut into ID ranges read side by side under one request bucket."""

import threading
import time

import pytest

from b24metrics import pipeline
from b24metrics.extract import STREAMS
from b24metrics.extract.sync import sync_full
from b24metrics.sandbox import server as sandbox_server

from .conftest import crash_on_answer


@pytest.fixture
def in_flight(monkeypatch):
    """Track how many batch requests the sandbox is handling at the same moment.

    The first range batch (the second batch) waits until another one arrives, with 30 s as a
    safety net only: reading side by side shows on a loaded machine too, where the workers'
    requests may come further apart than any fixed pause. Every batch also lingers 50 ms, so
    that more of them meet and a pass that ran more than its workers at once would show."""
    seen = {"now": 0, "max": 0, "batches": 0}
    met = threading.Condition()
    execute = sandbox_server.execute

    def tracked(portal, method, params):
        if method != "batch":
            return execute(portal, method, params)
        with met:
            seen["now"] += 1
            seen["batches"] += 1
            seen["max"] = max(seen["max"], seen["now"])
            met.notify_all()
            if seen["batches"] == 2:  # the first batch reads the first page alone
                met.wait_for(lambda: seen["max"] >= 2, timeout=30)
        try:
            time.sleep(0.05)
            return execute(portal, method, params)
        finally:
            with met:
                seen["now"] -= 1

    monkeypatch.setattr(sandbox_server, "execute", tracked)
    return seen


def _ids(warehouse, table="leads"):
    with warehouse.connect() as con:
        return [r[0] for r in con.execute(f"SELECT id FROM {table} ORDER BY id").fetchall()]


def test_ranges_are_read_at_once_and_every_row_lands_once(portals, settings_for, in_flight):
    portal = portals(seed=61, leads=12_000, rate=50.0, burst=50)
    settings = settings_for(portal, sync={"workers": 4})
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.open_client(settings) as client:
        result = sync_full(client, warehouse, STREAMS["leads"])
    assert _ids(warehouse) == sorted(portal.state.leads)
    assert result.rows == 12_000
    assert 2 <= in_flight["max"] <= 4  # side by side, never more than the workers
    # 1 request for the first page and the top ID, then 4 ranges of ~2,990 rows: 2 batches each.
    assert result.requests <= 1 + 4 * 2
    assert portal.stats.rejected_503 == 0


def test_an_interrupted_pass_resumes_every_range_where_it_stopped(portals, settings_for):
    portal = portals(seed=62, leads=12_000, rate=50.0, burst=50)
    settings = settings_for(portal, sync={"workers": 4})
    warehouse = pipeline.open_warehouse(settings)
    crash_on_the_fourth_answer, answers = crash_on_answer(4)
    with pipeline.open_client(settings) as client:
        with pytest.raises(KeyboardInterrupt):
            sync_full(client, warehouse, STREAMS["leads"], progress=crash_on_the_fourth_answer)
        with warehouse.connect() as con:
            ranges = con.execute("SELECT ranges FROM sync_state WHERE stream = 'leads'").fetchall()[0][0]
        kept = len(_ids(warehouse))
        assert kept == sum(answers)
        assert ranges.count("[") - 1 >= 2  # several ranges open, each with its own position
        result = sync_full(client, warehouse, STREAMS["leads"])
    assert result.resumed and result.rows == 12_000 - kept
    assert _ids(warehouse) == sorted(portal.state.leads)


def test_rows_created_during_the_pass_land_in_the_open_last_range(portals, settings_for):
    portal = portals(seed=63, leads=6_000, rate=50.0, burst=50)
    settings = settings_for(portal, sync={"workers": 3})
    warehouse = pipeline.open_warehouse(settings)
    created = []

    def create_after_the_first_answer(stream, rows, requests):
        if not created:
            with portal.state.lock:
                source = portal.state.leads[max(portal.state.leads)]
                for offset in range(1, 121):
                    new_id = max(portal.state.leads) + 1
                    portal.state.leads[new_id] = {**source, "ID": str(new_id), "TITLE": f"new {offset}"}
                    created.append(new_id)

    with pipeline.open_client(settings) as client:
        sync_full(client, warehouse, STREAMS["leads"], progress=create_after_the_first_answer)
    assert set(created) <= set(_ids(warehouse))
    assert _ids(warehouse) == sorted(portal.state.leads)
