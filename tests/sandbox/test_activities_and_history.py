"""crm.activity.list and crm.stagehistory.list over HTTP."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from b24metrics.sandbox.schema_streams import ACTIVITY_NAMES, DEAL_HISTORY_NAMES, LEAD_HISTORY_NAMES


def ids(rows):
    return [int(row["ID"]) for row in rows]


def instant(text):
    return datetime.fromisoformat(text).timestamp()


# ---------------------------------------------------------------- activities


def test_activity_list_shape_and_default_order(portal, rest):
    body = rest(portal, "crm.activity.list", {})
    rows = body["result"]
    assert isinstance(rows, list) and len(rows) == 50 and body["total"] == len(portal.state.activities)
    assert all(list(row) == ACTIVITY_NAMES for row in rows)
    assert rows[0] == portal.state.activities[int(rows[0]["ID"])]
    starts = [(instant(r["START_TIME"]), int(r["ID"])) for r in rows]
    assert starts == sorted(starts)  # START_TIME ascending by default
    earliest = min(instant(a["START_TIME"]) for a in portal.state.activities.values())
    assert starts[0][0] == earliest
    one = rest(portal, "crm.activity.get", {"id": rows[0]["ID"]})["result"]
    assert one == rows[0]


def test_incremental_filter_on_last_updated(portal, fetch_all):
    cut = "2026-09-15T00:00:00+03:00"
    for flt in ({">=LAST_UPDATED": cut}, {">=LAST_UPDATED": "2026-09-15"}, {">=LAST_UPDATED": "2026-09-15 00:00:00"}):
        rows = fetch_all(portal, "crm.activity.list", {"filter": flt, "order": {"LAST_UPDATED": "ASC"},
                                                       "select": ["ID", "LAST_UPDATED"]})
        expected = sorted(i for i, a in portal.state.activities.items() if instant(a["LAST_UPDATED"]) >= instant(cut))
        assert 0 < len(rows) < len(portal.state.activities)
        assert sorted(ids(rows)) == expected
        stamps = [instant(r["LAST_UPDATED"]) for r in rows]
        assert stamps == sorted(stamps)
    later = fetch_all(portal, "crm.activity.list", {"filter": {">LAST_UPDATED": cut, "<LAST_UPDATED": "2026-10-01"},
                                                    "select": ["ID"]})
    assert sorted(ids(later)) == sorted(
        i for i, a in portal.state.activities.items()
        if instant(cut) < instant(a["LAST_UPDATED"]) < instant("2026-10-01T00:00:00+03:00"))


def test_activity_keyset_and_prefixes(portal, rest):
    seen, last = [], 0
    while True:
        rows = rest(portal, "crm.activity.list", {"order": {"ID": "ASC"}, "filter": {">ID": last},
                                                  "select": ["ID"], "start": -1})["result"]
        seen += ids(rows)
        if len(rows) < 50:
            break
        last = rows[-1]["ID"]
    assert seen == sorted(portal.state.activities)
    some = sorted(portal.state.activities)[100]
    assert ids(rest(portal, "crm.activity.list", {"order": {"ID": "DESC"}, "filter": {"<=ID": some},
                                                  "select": ["ID"]})["result"])[0] == some
    calls = rest(portal, "crm.activity.list", {"filter": {"TYPE_ID": 2, "DIRECTION": 2, "OWNER_TYPE_ID": 1},
                                               "select": ["ID", "PROVIDER_ID", "SUBJECT"]})
    assert calls["total"] == sum(a["TYPE_ID"] == "2" and a["DIRECTION"] == "2" and a["OWNER_TYPE_ID"] == "1"
                                 for a in portal.state.activities.values())
    assert all(r["PROVIDER_ID"] == "VOXIMPLANT_CALL" for r in calls["result"])
    overdue = rest(portal, "crm.activity.list", {"filter": {"COMPLETED": "N", "<DEADLINE": "2026-11-01"}})
    assert overdue["total"] > 0 and all(r["STATUS"] == "1" for r in overdue["result"])


def test_bindings_filter_finds_deal_activities_by_contact(portal, fetch_all):
    deal = next(d for d in portal.state.deals.values()
                if d["CONTACT_ID"] and any(a["OWNER_TYPE_ID"] == "2" and a["OWNER_ID"] == d["ID"]
                                           for a in portal.state.activities.values()))
    contact_id = int(deal["CONTACT_ID"])
    rows = fetch_all(portal, "crm.activity.list", {
        "filter": {"BINDINGS": [{"OWNER_TYPE_ID": 3, "OWNER_ID": contact_id}]}, "select": ["ID", "OWNER_TYPE_ID"]})
    expected = sorted(i for i, bound in portal.state.activity_bindings.items() if (3, contact_id) in bound)
    assert sorted(ids(rows)) == expected
    assert any(r["OWNER_TYPE_ID"] == "2" for r in rows)  # bound to the contact through the deal


# ---------------------------------------------------------------- stage history


def test_stagehistory_envelope_and_types(portal, rest):
    body = rest(portal, "crm.stagehistory.list", {"entityTypeId": 2, "order": {"ID": "ASC"}})
    items = body["result"]["items"]
    assert set(body["result"]) == {"items"} and len(items) == 50 and body["next"] == 50
    assert all(list(item) == DEAL_HISTORY_NAMES for item in items)
    first = items[0]
    assert all(isinstance(first[key], int) for key in ("ID", "TYPE_ID", "OWNER_ID", "CATEGORY_ID"))
    assert isinstance(first["CREATED_TIME"], str) and first["CREATED_TIME"].endswith("+03:00")
    leads = rest(portal, "crm.stagehistory.list", {"entityTypeId": 1, "select": ["ID", "STATUS_ID", "OWNER_ID"]})
    assert leads["total"] == len(portal.state.stage_history[1])
    assert all(set(item) == {"ID", "STATUS_ID", "OWNER_ID"} for item in leads["result"]["items"])
    full = rest(portal, "crm.stagehistory.list", {"entityTypeId": "1", "filter": {"OWNER_ID": 1}})["result"]["items"]
    assert all(list(item) == LEAD_HISTORY_NAMES for item in full)
    assert rest(portal, "crm.stagehistory.list", {"entityTypeId": 31})["result"] == {"items": []}
    unsupported = rest(portal, "crm.stagehistory.list", {"entityTypeId": 3}, expect=400)
    assert unsupported["error"] == "ENTITY_TYPE_NOT_SUPPORTED"
    bad_filter = rest(portal, "crm.stagehistory.list", {"entityTypeId": 1, "filter": {"STAGE_ID": "NEW"}}, expect=400)
    assert bad_filter["error"] == "INVALID_ARG_VALUE"
    assert rest(portal, "crm.stagehistory.list", {"entityTypeId": 2, "order": {"ID": "UP"}},
                expect=400)["error"] == "INVALID_ARG_VALUE"


def test_history_over_http_matches_current_stages(portal, rest, fetch_all):
    def all_items(entity_type):
        items, start = [], 0
        while True:
            body = rest(portal, "crm.stagehistory.list", {"entityTypeId": entity_type, "start": start})
            items += body["result"]["items"]
            if "next" not in body:
                return items
            start = body["next"]

    lead_history = defaultdict(list)
    for item in all_items(1):
        lead_history[item["OWNER_ID"]].append(item)
    for lead in fetch_all(portal, "crm.lead.list", {"select": ["ID", "STATUS_ID", "MOVED_TIME", "DATE_CREATE"]}):
        rows = lead_history[int(lead["ID"])]
        assert rows[0]["TYPE_ID"] == 1 and rows[0]["CREATED_TIME"] == lead["DATE_CREATE"]
        assert (rows[-1]["STATUS_ID"], rows[-1]["CREATED_TIME"]) == (lead["STATUS_ID"], lead["MOVED_TIME"])
    deal_history = defaultdict(list)
    for item in all_items(2):
        deal_history[item["OWNER_ID"]].append(item)
    for deal in fetch_all(portal, "crm.deal.list", {"select": ["ID", "STAGE_ID", "CATEGORY_ID", "MOVED_TIME"]}):
        rows = deal_history[int(deal["ID"])]
        assert (rows[-1]["STAGE_ID"], str(rows[-1]["CATEGORY_ID"]), rows[-1]["CREATED_TIME"]) == (
            deal["STAGE_ID"], deal["CATEGORY_ID"], deal["MOVED_TIME"])
        # only rows of the deal's current pipeline come back, as on Bitrix24
        assert {str(row["CATEGORY_ID"]) for row in rows} == {deal["CATEGORY_ID"]}
        assert rows[0]["TYPE_ID"] in (1, 5)


def test_rows_of_a_left_pipeline_are_hidden_unless_asked(portal, rest):
    moved = {r["OWNER_ID"] for r in portal.state.stage_history[2].values() if r["TYPE_ID"] == 5}
    assert moved
    owner = min(moved)
    stored = [r for r in portal.state.stage_history[2].values() if r["OWNER_ID"] == owner]
    listed = rest(portal, "crm.stagehistory.list", {"entityTypeId": 2, "filter": {"OWNER_ID": owner}})["result"]
    assert listed["items"][0]["TYPE_ID"] == 5 and len(listed["items"]) < len(stored)
    portal.stagehistory_current_pipeline_only = False
    try:
        everything = rest(portal, "crm.stagehistory.list", {"entityTypeId": 2, "filter": {"OWNER_ID": owner}})
    finally:
        portal.stagehistory_current_pipeline_only = True
    assert everything["result"]["items"] == stored and everything["result"]["items"][0]["TYPE_ID"] == 1


def test_stagehistory_keyset_through_batch_uses_the_items_wrapper(portal, rest):
    visible = sorted(i for i, r in portal.state.stage_history[2].items()
                     if str(r["CATEGORY_ID"]) == portal.state.deals[r["OWNER_ID"]]["CATEGORY_ID"])
    pages = -(-len(visible) // 50)
    assert 1 < pages <= 50
    cmd = {}
    for i in range(pages):
        after = "0" if i == 0 else f"$result[p{i - 1}][items][49][ID]"
        cmd[f"p{i}"] = (f"crm.stagehistory.list?entityTypeId=2&order[ID]=ASC&filter[>ID]={after}"
                        "&select[]=ID&select[]=OWNER_ID&select[]=STAGE_ID&start=-1")
    body = rest(portal, "batch", {"halt": 1, "cmd": cmd})["result"]
    assert body["result_error"] == []
    got = [item["ID"] for i in range(pages) for item in body["result"][f"p{i}"]["items"]]
    assert got == visible
    # the plain keyset loop agrees
    seen, last = [], 0
    while True:
        items = rest(portal, "crm.stagehistory.list", {"entityTypeId": 2, "order": {"ID": "ASC"},
                                                       "filter": {">ID": last}, "start": -1})["result"]["items"]
        seen += [item["ID"] for item in items]
        if len(items) < 50:
            break
        last = items[-1]["ID"]
    assert seen == visible


def test_lead_status_change_adds_a_history_row(fresh_portal, rest):
    fresh_portal.clock = lambda: 1_800_000_000.0
    lead_id = next(i for i, lead in fresh_portal.state.leads.items() if lead["STATUS_ID"] == "NEW")
    rest(fresh_portal, "crm.lead.update", {"id": lead_id, "fields": {"STATUS_ID": "JUNK"}})
    items = rest(fresh_portal, "crm.stagehistory.list", {"entityTypeId": 1, "filter": {"OWNER_ID": lead_id}})
    last = items["result"]["items"][-1]
    assert (last["STATUS_ID"], last["STATUS_SEMANTIC_ID"], last["TYPE_ID"]) == ("JUNK", "F", 3)
    assert last["CREATED_TIME"] == fresh_portal.state.leads[lead_id]["MOVED_TIME"]
