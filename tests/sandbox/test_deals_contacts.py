"""crm.deal.*, crm.deal.userfield.*, crm.contact.*, crm.category.list and the new crm.status.list rows."""

from __future__ import annotations

import pytest

from b24metrics.sandbox.schema_streams import CONTACT_NAMES, DEAL_NAMES

NOW = 1_800_000_000.0  # 2027-01-15T11:00:00+03:00
NOW_TEXT = "2027-01-15T11:00:00+03:00"


def ids(rows):
    return [int(row["ID"]) for row in rows]


@pytest.fixture
def fixed_time(fresh_portal):
    fresh_portal.clock = lambda: NOW
    return fresh_portal


# ---------------------------------------------------------------- crm.deal.list / get


def test_deal_list_is_a_bare_array_without_contact_ids(portal, rest):
    body = rest(portal, "crm.deal.list", {})
    assert isinstance(body["result"], list) and len(body["result"]) == 50
    assert body["total"] == len(portal.state.deals) and body["next"] == 50
    assert all(list(row) == DEAL_NAMES for row in body["result"])
    first = body["result"][0]
    assert "CONTACT_IDS" not in first and first == portal.state.deals[int(first["ID"])]
    # CONTACT_IDS can neither be selected nor filtered on
    picked = rest(portal, "crm.deal.list", {"select": ["ID", "CONTACT_IDS", "CONTACT_ID"]})["result"]
    assert all(set(row) == {"ID", "CONTACT_ID"} for row in picked)
    assert rest(portal, "crm.deal.list", {"filter": {"CONTACT_IDS": [1]}})["total"] == len(portal.state.deals)
    got = rest(portal, "crm.deal.get", {"id": first["ID"]})["result"]
    assert got == first and "CONTACT_IDS" not in got
    assert rest(portal, "crm.deal.get", {"id": max(portal.state.deals) + 1}, expect=400)["error_description"] == \
        "Not found"


def test_method_names_are_case_insensitive(portal, rest):
    for method in ("CRM.Deal.List", "crm.stagehistory.list.json", "User.Get", "VOXIMPLANT.STATISTIC.GET",
                   "crm.Activity.list", "crm.CATEGORY.list", "crm.contact.LIST"):
        body = rest(portal, method, {"entityTypeId": 2, "start": -1})
        assert body["result"]
    assert portal.stats.method_calls["crm.deal.list"] >= 1


def test_deal_filters(portal, fetch_all):
    def where(flt):
        return ids(fetch_all(portal, "crm.deal.list", {"filter": flt, "select": ["ID"]}))

    def truth(predicate):
        return sorted(i for i, deal in portal.state.deals.items() if predicate(deal))

    assert where({"CATEGORY_ID": 1}) == truth(lambda d: d["CATEGORY_ID"] == "1")
    assert where({"STAGE_SEMANTIC_ID": "S", "!CATEGORY_ID": 0}) == truth(
        lambda d: d["STAGE_SEMANTIC_ID"] == "S" and d["CATEGORY_ID"] != "0")
    assert where({"@STAGE_ID": ["WON", "C1:WON"]}) == truth(lambda d: d["STAGE_ID"] in ("WON", "C1:WON"))
    assert where({"IS_RECURRING": "N", "CLOSED": "N"}) == truth(
        lambda d: d["IS_RECURRING"] == "N" and d["CLOSED"] == "N")
    assert where({">DATE_MODIFY": "2026-06-01"}) == truth(lambda d: d["DATE_MODIFY"] > "2026-06-01T00:00:00+03:00")
    assert where({"!LEAD_ID": ""}) == truth(lambda d: d["LEAD_ID"] is not None)
    # date fields compare as dates, whatever time Bitrix writes into them
    day = next(iter(portal.state.deals.values()))["CLOSEDATE"][:10]
    assert where({"CLOSEDATE": day}) == truth(lambda d: d["CLOSEDATE"][:10] == day)
    assert where({"<=CLOSEDATE": day}) == truth(lambda d: d["CLOSEDATE"][:10] <= day)
    assert where({"><OPPORTUNITY": [10000, 500000]}) == truth(lambda d: 10000 <= float(d["OPPORTUNITY"]) <= 500000)


def test_deal_keyset_through_batch(portal, rest):
    pages = -(-len(portal.state.deals) // 50)
    cmd = {}
    for i in range(pages):
        after = "0" if i == 0 else f"$result[d{i - 1}][49][ID]"
        cmd[f"d{i}"] = f"crm.deal.list?order[ID]=ASC&filter[>ID]={after}&select[]=ID&select[]=STAGE_ID&start=-1"
    body = rest(portal, "batch", {"halt": 1, "cmd": cmd})["result"]
    rows = [row for i in range(pages) for row in body["result"][f"d{i}"]]
    assert [int(row["ID"]) for row in rows] == sorted(portal.state.deals)
    assert all(row["STAGE_ID"] == portal.state.deals[int(row["ID"])]["STAGE_ID"] for row in rows)
    assert body["result_error"] == [] and body["result_total"] == {f"d{i}": 0 for i in range(pages)}


# ---------------------------------------------------------------- crm.deal.update


def test_deal_update_bumps_date_modify_only_on_real_change(fixed_time, rest):
    portal = fixed_time
    deal_id = min(portal.state.deals)
    before = dict(portal.state.deals[deal_id])
    same = {"TITLE": before["TITLE"], "OPPORTUNITY": float(before["OPPORTUNITY"]),
            "ASSIGNED_BY_ID": int(before["ASSIGNED_BY_ID"]), "STAGE_ID": before["STAGE_ID"],
            "CATEGORY_ID": 99, "DATE_CREATE": "2020-01-01", "CLOSED": "Y", "NO_SUCH": 1}
    assert rest(portal, "crm.deal.update", {"id": deal_id, "fields": same})["result"] is True
    assert portal.state.deals[deal_id] == before
    assert portal.stats.deal_update_calls == 1 and portal.stats.deal_updates_changed == 0
    rest(portal, "crm.deal.update", {"id": deal_id, "fields": {"TITLE": "Новая сделка", "CLOSEDATE": "2027-02-01"}})
    after = portal.state.deals[deal_id]
    assert after["TITLE"] == "Новая сделка" and after["DATE_MODIFY"] == NOW_TEXT
    assert after["CLOSEDATE"] == "2027-02-01T03:00:00+03:00"  # a date field, written the Bitrix way
    assert after["MODIFY_BY_ID"] == str(portal.user_id) and after["MOVED_TIME"] == before["MOVED_TIME"]
    assert portal.stats.deal_updates_changed == 1
    assert rest(portal, "crm.deal.update", {"id": max(portal.state.deals) + 1, "fields": {"TITLE": "x"}},
                expect=400)["error_description"] == "Not found"


def test_deal_stage_change_moves_the_deal_and_its_history(fixed_time, rest):
    portal = fixed_time
    deal_id = next(i for i, d in portal.state.deals.items() if d["CATEGORY_ID"] == "0" and d["CLOSED"] == "N")
    history_before = len(portal.state.stage_history[2])
    rest(portal, "crm.deal.update", {"id": deal_id, "fields": {"STAGE_ID": "WON"}})
    deal = portal.state.deals[deal_id]
    assert (deal["STAGE_ID"], deal["STAGE_SEMANTIC_ID"], deal["CLOSED"], deal["IS_NEW"]) == ("WON", "S", "Y", "N")
    assert deal["MOVED_TIME"] == deal["DATE_MODIFY"] == NOW_TEXT
    last = list(portal.state.stage_history[2].values())[-1]
    assert len(portal.state.stage_history[2]) == history_before + 1
    assert (last["OWNER_ID"], last["TYPE_ID"], last["STAGE_ID"], last["CATEGORY_ID"], last["CREATED_TIME"]) == (
        deal_id, 3, "WON", 0, NOW_TEXT)
    items = rest(portal, "crm.stagehistory.list", {"entityTypeId": 2, "filter": {"OWNER_ID": deal_id},
                                                   "order": {"ID": "DESC"}})["result"]["items"]
    assert items[0]["STAGE_ID"] == "WON"
    # a stage of another pipeline is refused: CATEGORY_ID cannot change through crm.deal.update
    assert rest(portal, "crm.deal.update", {"id": deal_id, "fields": {"STAGE_ID": "C1:NEW"}},
                expect=400)["error"] == ""
    rest(portal, "crm.deal.update", {"id": deal_id, "fields": {"STAGE_ID": "PREPARATION"}})
    assert portal.state.deals[deal_id]["CLOSED"] == "N"
    assert list(portal.state.stage_history[2].values())[-1]["TYPE_ID"] == 2


def test_deal_user_fields(fixed_time, rest):
    portal = fixed_time
    field_id = rest(portal, "crm.deal.userfield.add", {"fields": {
        "FIELD_NAME": "KPI_SCORE", "USER_TYPE_ID": "double", "SETTINGS": {"PRECISION": 1}, "LABEL": "KPI"}})["result"]
    listed = rest(portal, "crm.deal.userfield.list", {"filter": {"FIELD_NAME": "UF_CRM_KPI_SCORE"}})["result"]
    assert [d["ID"] for d in listed] == [str(field_id)] and listed[0]["ENTITY_ID"] == "CRM_DEAL"
    assert rest(portal, "crm.lead.userfield.list", {"filter": {"FIELD_NAME": "UF_CRM_KPI_SCORE"}})["result"] == []
    assert rest(portal, "crm.deal.userfield.add", {"fields": {"FIELD_NAME": "KPI_SCORE", "USER_TYPE_ID": "string"}},
                expect=400)["error"] == "ERROR_CORE"
    deal_id = min(portal.state.deals)
    before = portal.state.deals[deal_id]["DATE_MODIFY"]
    rest(portal, "crm.deal.update", {"id": deal_id, "fields": {"UF_CRM_KPI_SCORE": None}})
    assert portal.state.deals[deal_id]["DATE_MODIFY"] == before  # null -> null is no change
    rest(portal, "crm.deal.update", {"id": deal_id, "fields": {"UF_CRM_KPI_SCORE": "87,46"}})
    row = rest(portal, "crm.deal.list", {"filter": {"ID": deal_id}, "select": ["UF_*"]})["result"][0]
    assert row == {"ID": str(deal_id), "UF_CRM_KPI_SCORE": "87.5"}
    assert portal.state.deals[deal_id]["DATE_MODIFY"] == NOW_TEXT
    # no select: '*' + 'UF_*' for deals, as documented
    assert "UF_CRM_KPI_SCORE" in rest(portal, "crm.deal.list", {"filter": {"ID": deal_id}})["result"][0]
    assert rest(portal, "crm.deal.fields")["result"]["UF_CRM_KPI_SCORE"]["type"] == "double"
    rest(portal, "crm.deal.userfield.delete", {"id": field_id})
    assert "UF_CRM_KPI_SCORE" not in portal.state.deals[deal_id]


# ---------------------------------------------------------------- contacts


def test_contact_multifields_only_when_selected(portal, rest):
    star = rest(portal, "crm.contact.list", {"select": ["*"]})["result"]
    assert all(list(row) == CONTACT_NAMES for row in star)
    assert rest(portal, "crm.contact.list", {})["result"] == star
    rows = rest(portal, "crm.contact.list", {"select": ["ID", "NAME", "PHONE", "EMAIL"]})["result"]
    assert any("PHONE" in row for row in rows) and any("EMAIL" in row for row in rows)
    for row in rows:
        contact = portal.state.contacts[int(row["ID"])]
        assert row.get("PHONE") == contact.get("PHONE") and row.get("EMAIL") == contact.get("EMAIL")
        for item in row.get("PHONE", []):
            assert item["TYPE_ID"] == "PHONE" and item["VALUE"].startswith("+7") and item["ID"].isdigit()
    phone = next(c for c in portal.state.contacts.values() if c.get("PHONE"))["PHONE"][0]["VALUE"]
    found = rest(portal, "crm.contact.list", {"filter": {"PHONE": phone}, "select": ["ID"]})["result"]
    assert ids(found) == sorted(i for i, c in portal.state.contacts.items()
                                if any(p["VALUE"] == phone for p in c.get("PHONE", [])))
    one = rest(portal, "crm.contact.get", {"id": found[0]["ID"]})["result"]
    assert one["PHONE"][0]["VALUE"] == phone


def test_contact_filters(portal, fetch_all):
    rows = fetch_all(portal, "crm.contact.list", {"filter": {"!LEAD_ID": "", "TYPE_ID": "CLIENT"}, "select": ["ID"]})
    assert ids(rows) == sorted(i for i, c in portal.state.contacts.items()
                               if c["LEAD_ID"] is not None and c["TYPE_ID"] == "CLIENT")


# ---------------------------------------------------------------- pipelines and dictionaries


def test_category_list(portal, rest):
    body = rest(portal, "crm.category.list", {"entityTypeId": 2})
    categories = body["result"]["categories"]
    assert body["total"] == len(categories) == 3 and "next" not in body
    assert [c["id"] for c in categories] == [0, 1, 3]
    default = categories[0]
    assert default == {"id": 0, "name": "Общая", "sort": 100, "entityTypeId": 2, "isDefault": "Y"}
    for category in categories[1:]:
        assert set(category) == {"id", "name", "sort", "entityTypeId", "isDefault", "originId", "originatorId"}
        assert isinstance(category["sort"], int) and category["isDefault"] == "N"
    assert rest(portal, "crm.category.list", {"entityTypeId": "2"})["result"] == body["result"]
    assert rest(portal, "crm.category.list", {"entityTypeId": 1}, expect=400)["error"] == "ENTITY_TYPE_NOT_SUPPORTED"
    assert rest(portal, "crm.category.list", {"entityTypeId": 4})["result"]["categories"][0]["isDefault"] == "Y"


def test_status_list_has_every_pipeline_and_new_dictionaries(portal, rest, fetch_all):
    rows = fetch_all(portal, "crm.status.list")
    assert [int(r["ID"]) for r in rows[:44]] == list(range(1, 44)) + [81]  # the old rows, unchanged
    assert [r["STATUS_ID"] for r in rows if r["ENTITY_ID"] == "DEAL_STAGE"] == [
        "NEW", "PREPARATION", "PREPAYMENT_INVOICE", "EXECUTING", "FINAL_INVOICE", "WON", "LOSE", "APOLOGY"]
    for category in (1, 3):
        stages = rest(portal, "crm.status.list", {"filter": {"ENTITY_ID": f"DEAL_STAGE_{category}"},
                                                  "order": {"SORT": "ASC"}})["result"]
        assert stages and all(s["STATUS_ID"].startswith(f"C{category}:") for s in stages)
        assert all(s["CATEGORY_ID"] == str(category) for s in stages)
        assert {s["SEMANTICS"] for s in stages} == {None, "S", "F"}
        assert {s["EXTRA"]["SEMANTICS"] for s in stages} >= {"process", "success", "failure"}
        assert any(":UC_" in s["STATUS_ID"] for s in stages)
    used = {(d["CATEGORY_ID"], d["STAGE_ID"]) for d in portal.state.deals.values()}
    known = {(r["CATEGORY_ID"] or "0", r["STATUS_ID"]) for r in rows if r["ENTITY_ID"].startswith("DEAL_STAGE")}
    assert used <= known
    types = {r["ENTITY_ID"]: [] for r in rows}
    for r in rows:
        types[r["ENTITY_ID"]].append(r["STATUS_ID"])
    assert {d["TYPE_ID"] for d in portal.state.deals.values()} <= set(types["DEAL_TYPE"])
    assert {c["TYPE_ID"] for c in portal.state.contacts.values()} <= set(types["CONTACT_TYPE"])
