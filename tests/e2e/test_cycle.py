"""The whole cycle, portal -> warehouse -> grades -> portal, over real HTTP."""


import pytest

from b24metrics import pipeline
from b24metrics.extract import STREAMS
from b24metrics.extract.sync import sync_full
from b24metrics.kpis import refresh_grades
from b24metrics.kpis.incremental import statements
from b24metrics.sqlfiles import sql_file
from b24metrics.warehouse import mark_synced

from .conftest import crash_on_answer, portal_leads


def _cycle(portal, settings):
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.open_client(settings) as client:
        return pipeline.run_cycle(client, warehouse, settings), warehouse


def test_cycle_fills_every_lead_then_sends_nothing(portals, settings_for):
    portal = portals(seed=7, leads=400, rate=20.0, burst=50)
    settings = settings_for(portal)
    names = settings.writeback.lead_fields

    first, warehouse = _cycle(portal, settings)
    created = {(f.entity, f.name) for f in first.fields.created}
    assert {("lead", names.grade), ("lead", names.score), ("lead", names.factors)} <= created
    assert {e for e, _ in created} == {"lead", "deal", "company"} and len(created) == 9
    assert first.graded == 400
    assert portal.stats.lead_updates_changed == 400
    # every lead, company and deal gets its card, but a recurring template, which is no deal anyone works on,
    # and the portal's own company (IS_MY_COMPANY), which is no client
    worked_deals = sum(deal["IS_RECURRING"] != "Y" for deal in portal.state.deals.values())
    clients = sum(company["IS_MY_COMPANY"] != "Y" for company in portal.state.companies.values())
    assert clients < len(portal.state.companies)
    assert first.push.updates_sent == 400 + worked_deals + clients
    assert first.push.requests == -(-first.push.updates_sent // 50)  # 50 updates a batch

    with warehouse.connect() as con:
        expected = {r[0]: r[1:] for r in con.execute("SELECT lead_id, grade, score, factors FROM lead_grades").fetchall()}
    leads = portal_leads(portal)
    assert len(leads) == 400
    for lead in leads:
        grade, score, factors = expected[int(lead["ID"])]
        assert lead[names.grade] == grade in "ABCD"
        assert float(lead[names.score]) == score
        assert lead[names.factors] == factors and factors

    calls_before, changed_before = portal.stats.lead_update_calls, portal.stats.lead_updates_changed
    second, _ = _cycle(portal, settings)
    assert second.fields.created == [] and len(second.fields.existing) == 9
    assert second.push.values == 0 and second.push.requests == 0
    assert portal.stats.lead_update_calls == calls_before  # 0 updates sent the second time
    assert portal.stats.lead_updates_changed == changed_before


def test_a_changed_company_regrades_only_its_leads(portals, settings_for):
    portal = portals(seed=3, leads=200, rate=20.0, burst=50)
    settings = settings_for(portal)
    _cycle(portal, settings)
    with portal.state.lock:
        lead = next(l for l in portal.state.leads.values() if l.get("COMPANY_ID"))
        company = portal.state.companies[int(lead["COMPANY_ID"])]
        company["EMPLOYEES"] = "EMPLOYEES_5"  # now a 1000+ company
        company["REVENUE"] = None
        company["DATE_MODIFY"] = portal.format_time(portal.clock())  # as the portal does on an edit
        affected = {i for i, l in portal.state.leads.items() if l.get("COMPANY_ID") == lead["COMPANY_ID"]}
    report, warehouse = _cycle(portal, settings)
    changed_leads = {i for e, i in _written(warehouse, report.run_id) if e == "lead"}
    assert changed_leads and changed_leads <= affected
    with warehouse.connect() as con:
        grades = dict(con.execute("SELECT lead_id, grade FROM lead_grades").fetchall())
    assert all(grades[i] == "A" for i in affected)


def test_a_crash_mid_sync_resumes_without_loss_or_duplicates(portals, settings_for):
    portal = portals(seed=5, leads=6000, rate=20.0, burst=50)
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    crash_after_two_answers, pages_seen = crash_on_answer(2)
    with pipeline.open_client(settings) as client:
        with pytest.raises(KeyboardInterrupt):
            sync_full(client, warehouse, STREAMS["leads"], progress=crash_after_two_answers)
        with warehouse.connect() as con:
            kept = con.execute("SELECT count(*) FROM leads").fetchall()[0][0]
        assert kept == sum(pages_seen) and 50 < kept < 6000  # the first page, then one batch of a range
        result = sync_full(client, warehouse, STREAMS["leads"])
    assert result.resumed
    assert result.rows == 6000 - kept  # the resumed ranges read exactly what was not committed
    with warehouse.connect() as con:
        ids = [r[0] for r in con.execute("SELECT id FROM leads ORDER BY id").fetchall()]
        raw = con.execute("SELECT count(*) FROM raw_records WHERE entity = 'lead'").fetchall()[0][0]
        state = con.execute("SELECT complete, mode FROM sync_state WHERE stream = 'leads'").fetchall()
    assert ids == sorted(portal.state.leads) and raw == 6000
    # The resumed pass was followed by an incremental catch-up from the resumed pass's start.
    assert state == [(True, "incremental")]


def test_a_malformed_value_is_quarantined_and_the_rest_loads(portals, settings_for):
    portal = portals(seed=9, leads=120, rate=20.0, burst=50)
    with portal.state.lock:
        bad_id = sorted(portal.state.leads)[10]
        portal.state.leads[bad_id]["OPPORTUNITY"] = "двенадцать тысяч"
        portal.state.leads[bad_id]["DATE_CREATE"] = "31.02.2025"
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.open_client(settings) as client:
        result = sync_full(client, warehouse, STREAMS["leads"])
    assert result.rows == 120 and result.quarantined == 2
    with warehouse.connect() as con:
        q = con.execute("SELECT id, field, raw_value FROM quarantine ORDER BY field").fetchall()
        lead = con.execute("SELECT opportunity, date_create, title FROM leads WHERE id = ?", [bad_id]).fetchall()[0]
    assert q == [(str(bad_id), "DATE_CREATE", "31.02.2025"), (str(bad_id), "OPPORTUNITY", "двенадцать тысяч")]
    assert lead[0] is None and lead[1] is None and lead[2]

    with portal.state.lock:  # someone fixes the record on the portal
        portal.state.leads[bad_id]["OPPORTUNITY"] = "12000.00"
        portal.state.leads[bad_id]["DATE_CREATE"] = "2025-02-28T10:00:00+03:00"
    with pipeline.open_client(settings) as client:
        result = sync_full(client, warehouse, STREAMS["leads"])
    assert result.quarantined == 0
    with warehouse.connect() as con:
        assert con.execute("SELECT count(*) FROM quarantine").fetchall()[0][0] == 0
        assert con.execute("SELECT opportunity FROM leads WHERE id = ?", [bad_id]).fetchall()[0][0] == 12000.0


def _written(warehouse, run_id):
    with warehouse.connect() as con:
        return con.execute("SELECT DISTINCT entity, entity_id FROM writeback_ledger WHERE run_id = ?",
                           [run_id]).fetchall()


def _synced_and_graded(client, portal, settings):
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.recorded_run(warehouse, client, "sync") as run:
        pipeline.sync(client, warehouse, list(STREAMS.values()), settings)
        refresh_grades(warehouse, settings.grading)  # no deal and company KPIs: only leads are written
        with warehouse.connect() as con:  # the lead cards' view only: the write-back reads it
            con.execute(next(s for s in statements(sql_file("b24metrics.kpis", "cards.sql"), incremental=False)
                             if "VIEW kpi_lead_cards " in s))
        mark_synced(warehouse, run.run_id)
    return warehouse


def test_writeback_twice_without_a_sync_sends_nothing_the_second_time(portals, settings_for):
    portal = portals(seed=13, leads=120, rate=20.0, burst=50)
    settings = settings_for(portal)
    with pipeline.open_client(settings) as client:
        warehouse = _synced_and_graded(client, portal, settings)
        dry_run = pipeline.writeback(client, warehouse, settings, dry_run=True)
        ours = {settings.writeback.lead_fields.grade, settings.writeback.lead_fields.score,
                settings.writeback.lead_fields.factors}
        assert portal.stats.lead_update_calls == 0  # the dry run wrote nothing
        assert not ours & {f["FIELD_NAME"] for f in portal.state.lead_userfields}
        # four values per lead: grade, score, factors, engagement
        assert len(dry_run.fields.planned) == 9 and dry_run.push.values == 480
        first = pipeline.writeback(client, warehouse, settings).push
        second = pipeline.writeback(client, warehouse, settings).push
    assert first.applied_values == 480 and portal.stats.lead_update_calls == 120
    assert second.values == 0 and portal.stats.lead_update_calls == 120
    with warehouse.connect() as con:
        ledger = con.execute("SELECT outcome, count(*) FROM writeback_ledger GROUP BY ALL").fetchall()
    assert ledger == [("applied", 480)]


def test_one_rejected_update_does_not_fail_its_batch(portals, settings_for):
    portal = portals(seed=14, leads=100, rate=20.0, burst=50)
    settings = settings_for(portal)
    with pipeline.open_client(settings) as client:
        warehouse = _synced_and_graded(client, portal, settings)
        gone = sorted(portal.state.leads)[7]
        with portal.state.lock:
            del portal.state.leads[gone]  # deleted on the portal after our sync
        push = pipeline.writeback(client, warehouse, settings).push
    assert list(push.rejected) == [("lead", gone)] and "Not found" in push.rejected[("lead", gone)]
    assert push.applied_values == 99 * 4
    with warehouse.connect() as con:
        rows = con.execute("SELECT DISTINCT entity_id, outcome, error FROM writeback_ledger WHERE outcome <> 'applied'").fetchall()
    assert rows == [(gone, "rejected", "Not found")]


def test_a_failed_cycle_is_recorded_as_failed(portals, settings_for):
    portal = portals(seed=15, leads=60, rate=20.0, burst=50)
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    portal.faults.fail_next(50, status=500, error="INTERNAL_SERVER_ERROR", description="down for maintenance")
    with pipeline.open_client(settings) as client:
        client.backoff = 0.01
        with pytest.raises(Exception, match="INTERNAL_SERVER_ERROR"):
            pipeline.run_cycle(client, warehouse, settings)
    with warehouse.connect() as con:
        runs = con.execute("SELECT kind, status, error, requests FROM sync_runs").fetchall()
    assert len(runs) == 1 and runs[0][:2] == ("cycle", "failed")
    assert "down for maintenance" in runs[0][2] and runs[0][3] == 5  # the first try and 4 retries
