"""Every stream of the catalogue lands whole, in its own shape, and stays fresh."""

import httpx

from b24metrics import pipeline
from b24metrics.extract import STREAMS


def _counts(warehouse):
    with warehouse.connect() as con:
        return {s.table: con.execute(f"SELECT count(*) FROM {s.table}").fetchall()[0][0] for s in STREAMS.values()}


def test_every_stream_equals_the_portal(portals, settings_for):
    portal = portals(seed=51, leads=700, rate=20.0, burst=50)
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.open_client(settings) as client:
        results = {r.stream: r for r in pipeline.sync(client, warehouse, list(STREAMS.values()), settings)}
    st = portal.state
    expected = {
        "statuses": len(st.statuses), "deal_categories": len(st.categories), "users": len(st.users),
        "companies": len(st.companies), "contacts": len(st.contacts), "leads": len(st.leads),
        "deals": len(st.deals), "activities": len(st.activities), "lead_history": len(st.stage_history[1]),
        # The portal shows a deal's history in its current pipeline only (as Bitrix24 does):
        # count what it shows, as any client would, by its own total.
        "deal_history": httpx.post(portal.webhook_url + "crm.stagehistory.list", json={"entityTypeId": 2},
                                   timeout=10).json()["total"],
        "calls": len(st.calls),
    }
    # the custom field definitions: the lead's and the deal's, both in one table
    fields = {"lead_fields": len(st.lead_userfields), "deal_fields": len(st.deal_userfields)}
    assert fields["lead_fields"] >= 2
    assert _counts(warehouse) == {**expected, "userfields": sum(fields.values())}
    assert {name: r.rows for name, r in results.items()} == {**expected, **fields}
    assert all(r.quarantined == 0 for r in results.values())
    with warehouse.connect() as con:
        # Typed as they should be: a deal's planned close date is a date, history rows know their
        # stage, calls their tracking number and duration in seconds.
        deal = con.execute("SELECT closedate, stage_semantic_id FROM deals WHERE closedate IS NOT NULL LIMIT 1").fetchall()
        history_ok = con.execute(
            "SELECT count(*) FROM deal_history h JOIN deals d ON d.id = h.owner_id WHERE h.stage_id IS NULL"
        ).fetchall()[0][0]
        calls = con.execute("SELECT min(call_duration), count(DISTINCT portal_number) FROM calls").fetchall()[0]
    assert str(type(deal[0][0]).__name__) == "date" and deal[0][1] in ("P", "S", "F")
    assert history_ok == 0 and calls[0] >= 0 and calls[1] >= 2


def test_rows_that_never_change_are_read_on_from_the_highest_id(portals, settings_for):
    portal = portals(seed=52, leads=300, rate=20.0, burst=50)
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    streams = [STREAMS["calls"], STREAMS["deal_history"]]
    with pipeline.open_client(settings) as client:
        pipeline.sync(client, warehouse, streams, settings)
        with portal.state.lock:
            last_call = max(portal.state.calls)
            record = dict(portal.state.calls[last_call])
            for n in (1, 2, 3):  # three calls end now; their records get new IDs
                record = dict(record, ID=str(last_call + n), CALL_ID=f"new-{n}")
                portal.state.calls[last_call + n] = record
        results = {r.stream: r for r in pipeline.sync(client, warehouse, streams, settings)}
    assert results["calls"].mode == "incremental" and results["calls"].rows == 3
    assert results["deal_history"].rows == 0
    assert _counts(warehouse)["calls"] == len(portal.state.calls)


def test_more_custom_fields_than_a_list_page_land_whole(portals, settings_for):
    """The field lists answer 50 a page like any list: a portal an integrator set up has more
    lead fields than that, and a grading rule on the 51st must find it (grading/checks.py)."""
    portal = portals(seed=53, leads=20, deals=5, rate=1000.0, burst=1000)
    for i in range(120):
        answer = httpx.post(portal.webhook_url + "crm.lead.userfield.add", timeout=10,
                            json={"fields": {"FIELD_NAME": f"EXTRA_{i}", "USER_TYPE_ID": "string"}}).json()
        assert "result" in answer, answer
    first = httpx.post(portal.webhook_url + "crm.lead.userfield.list", json={}, timeout=10).json()
    assert (len(first["result"]), first["next"]) == (50, 50)     # the sandbox pages as the portal does
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    fields = [STREAMS["lead_fields"], STREAMS["deal_fields"]]
    with pipeline.open_client(settings) as client:
        results = {r.stream: r for r in pipeline.sync(client, warehouse, fields, settings)}
    st = portal.state
    assert len(st.lead_userfields) > 120
    assert (results["lead_fields"].rows, results["lead_fields"].requests) == (
        len(st.lead_userfields), -(-len(st.lead_userfields) // 50))
    with warehouse.connect() as con:
        names = {r[0] for r in con.execute("SELECT field_name FROM userfields WHERE entity_id = 'CRM_LEAD'").fetchall()}
    assert names == {d["FIELD_NAME"] for d in st.lead_userfields} and "UF_CRM_EXTRA_119" in names
