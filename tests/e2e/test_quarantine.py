"""Unknown statuses, stages and sources are quarantined by value, exactly; the rows still load."""

from b24metrics import pipeline
from b24metrics.extract import STREAMS


def _touch(portal, record, **fields):
    record.update(fields)
    record["DATE_MODIFY"] = portal.format_time(portal.clock())


def test_unknown_references_are_quarantined_exactly_and_leave_when_fixed(portals, settings_for):
    portal = portals(seed=71, leads=300, rate=50.0, burst=50)
    state = portal.state
    with state.lock:
        lead_ids, deal_ids = sorted(state.leads), sorted(state.deals)
        unknown_status = lead_ids[3:8]              # 5 leads in a status the portal does not have
        unknown_source = lead_ids[100:103]          # 3 leads from a source nobody defined
        for i in unknown_status:
            _touch(portal, state.leads[i], STATUS_ID="NO_SUCH_STATUS")
        for i in unknown_source:
            _touch(portal, state.leads[i], SOURCE_ID="PIGEON")
        # A deal in pipeline 0 whose stage belongs to pipeline 1: unknown in its own pipeline.
        in_main = [i for i in deal_ids if state.deals[i]["CATEGORY_ID"] in ("0", 0)]
        foreign = next(s["STATUS_ID"] for s in state.statuses if s["ENTITY_ID"] == "DEAL_STAGE_1")
        wrong_stage = in_main[0]
        _touch(portal, state.deals[wrong_stage], STAGE_ID=foreign)
        leads_with_empty_source = [i for i in lead_ids if not state.leads[i].get("SOURCE_ID")]
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.open_client(settings) as client:
        results = {r.stream: r for r in pipeline.sync(client, warehouse, list(STREAMS.values()), settings)}
    assert results["leads"].rows == 300  # every row loads
    assert results["leads"].unresolved == 8 and results["deals"].unresolved == 1
    with warehouse.connect() as con:
        rows = con.execute("SELECT entity, id, field, raw_value, error FROM quarantine ORDER BY entity, field, id").fetchall()
        stored = con.execute("SELECT status_id FROM leads WHERE id = ?", [unknown_status[0]]).fetchall()[0][0]
    expected = sorted(
        [("deal", str(wrong_stage), "STAGE_ID", foreign, "unknown value: not in DEAL_STAGE")]
        + [("lead", str(i), "SOURCE_ID", "PIGEON", "unknown value: not in SOURCE") for i in unknown_source]
        + [("lead", str(i), "STATUS_ID", "NO_SUCH_STATUS", "unknown value: not in STATUS") for i in unknown_status],
        key=lambda r: (r[0], r[2], r[1]),
    )
    assert rows == expected
    assert stored == "NO_SUCH_STATUS"  # the value is kept as the portal holds it
    assert all(str(i) not in {r[1] for r in rows} for i in leads_with_empty_source)  # empty is not unknown

    with state.lock:  # the portal gets fixed: one lead moved to a real status, the source defined
        _touch(portal, state.leads[unknown_status[0]], STATUS_ID="IN_PROCESS")
        new_id = max(int(s["ID"]) for s in state.statuses) + 1
        state.statuses.append({**next(s for s in state.statuses if s["ENTITY_ID"] == "SOURCE"),
                               "ID": str(new_id), "STATUS_ID": "PIGEON", "NAME": "Carrier pigeon"})
    with pipeline.open_client(settings) as client:
        again = {r.stream: r for r in pipeline.sync(client, warehouse, list(STREAMS.values()), settings)}
    assert again["leads"].unresolved == 4 and again["deals"].unresolved == 1
    with warehouse.connect() as con:
        left = con.execute("SELECT id FROM quarantine WHERE entity = 'lead' ORDER BY id").fetchall()
    assert sorted(int(r[0]) for r in left) == unknown_status[1:]
