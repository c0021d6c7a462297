"""crm.lead.update semantics and crm.lead.userfield.add/list."""

from __future__ import annotations

import pytest

NOW = 1_800_000_000.0  # 2027-01-15T11:00:00+03:00


@pytest.fixture
def portal_at_fixed_time(fresh_portal):
    fresh_portal.clock = lambda: NOW
    return fresh_portal


def first_lead(portal):
    return min(portal.state.leads)


def add_field(rest, portal, **fields):
    return rest(portal, "crm.lead.userfield.add", {"fields": fields})


# ---------------------------------------------------------------- update


def test_update_bumps_date_modify_only_on_real_change(portal_at_fixed_time, rest):
    portal = portal_at_fixed_time
    lead_id = first_lead(portal)
    before = dict(portal.state.leads[lead_id])
    body = rest(portal, "crm.lead.update", {"id": lead_id, "fields": {"TITLE": before["TITLE"]},
                                            "params": {"REGISTER_SONET_EVENT": "N"}})
    assert body["result"] is True
    assert portal.state.leads[lead_id] == before
    assert portal.stats.lead_update_calls == 1 and portal.stats.lead_updates_changed == 0

    rest(portal, "crm.lead.update", {"id": lead_id, "fields": {"TITLE": "Новое название"}})
    after = portal.state.leads[lead_id]
    assert after["TITLE"] == "Новое название"
    assert after["DATE_MODIFY"] == "2027-01-15T11:00:00+03:00"
    assert after["MODIFY_BY_ID"] == str(portal.user_id)
    assert portal.stats.lead_update_calls == 2 and portal.stats.lead_updates_changed == 1
    listed = rest(portal, "crm.lead.list", {"filter": {"ID": lead_id}, "select": ["TITLE", "DATE_MODIFY"]})
    assert listed["result"] == [{"ID": str(lead_id), "TITLE": "Новое название",
                                 "DATE_MODIFY": "2027-01-15T11:00:00+03:00"}]


def test_update_coerces_before_comparing(portal_at_fixed_time, rest):
    portal = portal_at_fixed_time
    lead_id = first_lead(portal)
    lead = portal.state.leads[lead_id]
    amount = float(lead["OPPORTUNITY"])
    same = {"OPPORTUNITY": f"{amount:.1f}", "ASSIGNED_BY_ID": int(lead["ASSIGNED_BY_ID"]),
            "OPENED": lead["OPENED"], "STATUS_ID": lead["STATUS_ID"]}
    before = dict(lead)
    rest(portal, "crm.lead.update", {"id": lead_id, "fields": same})
    assert portal.state.leads[lead_id] == before and portal.stats.lead_updates_changed == 0


def test_update_ignores_unknown_and_read_only_fields(portal_at_fixed_time, rest):
    portal = portal_at_fixed_time
    lead_id = first_lead(portal)
    before = dict(portal.state.leads[lead_id])
    rest(portal, "crm.lead.update", {"id": lead_id, "fields": {
        "ID": 999999, "DATE_CREATE": "2020-01-01", "DATE_MODIFY": "2020-01-01", "CREATED_BY_ID": 77,
        "NO_SUCH_FIELD": "x", "UF_CRM_NOT_DEFINED": "y", "STATUS_SEMANTIC_ID": "S"}})
    assert portal.state.leads[lead_id] == before
    assert portal.stats.lead_updates_changed == 0


def test_status_change_moves_the_lead(portal_at_fixed_time, rest):
    portal = portal_at_fixed_time
    lead_id = next(i for i, r in portal.state.leads.items() if r["STATUS_ID"] != "CONVERTED")
    rest(portal, "crm.lead.update", {"id": lead_id, "fields": {"STATUS_ID": "CONVERTED"}})
    lead = portal.state.leads[lead_id]
    assert lead["STATUS_SEMANTIC_ID"] == "S"
    assert lead["MOVED_TIME"] == lead["DATE_CLOSED"] == lead["DATE_MODIFY"] == "2027-01-15T11:00:00+03:00"
    assert rest(portal, "crm.lead.update", {"id": lead_id, "fields": {"STATUS_ID": "NOPE"}}, expect=400)["error"] == ""


def test_update_errors(fresh_portal, rest):
    missing = max(fresh_portal.state.leads) + 1
    assert rest(fresh_portal, "crm.lead.update", {"id": missing, "fields": {"TITLE": "x"}}, expect=400) == {
        "error": "", "error_description": "Not found"}
    assert rest(fresh_portal, "crm.lead.update", {"fields": {"TITLE": "x"}}, expect=400)["error"] == ""
    assert fresh_portal.stats.lead_update_calls == 2


def test_update_through_form_encoding(fresh_portal, http):
    lead_id = first_lead(fresh_portal)
    response = http.post(fresh_portal.webhook_url + "crm.lead.update",
                         content=f"id={lead_id}&fields[TITLE]=%D0%A2%D0%B5%D1%81%D1%82+1&params[REGISTER_SONET_EVENT]=N",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.json()["result"] is True
    assert fresh_portal.state.leads[lead_id]["TITLE"] == "Тест 1"


# ---------------------------------------------------------------- user fields


def test_userfield_name_rules(fresh_portal, rest):
    def listed():
        return [d["FIELD_NAME"] for d in rest(fresh_portal, "crm.lead.userfield.list")["result"]]

    field_id = add_field(rest, fresh_portal, FIELD_NAME="KPI_GRADE", USER_TYPE_ID="string", LABEL="Оценка")["result"]
    assert isinstance(field_id, int)
    add_field(rest, fresh_portal, FIELD_NAME="UF_X", USER_TYPE_ID="integer")
    add_field(rest, fresh_portal, FIELD_NAME="UF_CRM_Y", USER_TYPE_ID="double")
    add_field(rest, fresh_portal, FIELD_NAME="lower_case", USER_TYPE_ID="boolean")
    assert {"UF_CRM_KPI_GRADE", "UF_CRM_X", "UF_CRM_Y", "UF_CRM_LOWER_CASE"} <= set(listed())

    exists = rest(fresh_portal, "crm.lead.userfield.add",
                  {"fields": {"FIELD_NAME": "kpi_grade", "USER_TYPE_ID": "string"}}, expect=400)
    assert exists["error"] == "ERROR_CORE" and "exists" in exists["error_description"]
    for bad in ("KPI-GRADE", "ОЦЕНКА", "A" * 44, "", "UF_CRM_"):
        body = rest(fresh_portal, "crm.lead.userfield.add",
                    {"fields": {"FIELD_NAME": bad, "USER_TYPE_ID": "string"}}, expect=400)
        assert body["error"] == "ERROR_CORE", bad
    assert add_field(rest, fresh_portal, FIELD_NAME="B" * 43, USER_TYPE_ID="string")["result"]  # 50 with prefix
    assert rest(fresh_portal, "crm.lead.userfield.add", {"fields": {"FIELD_NAME": "Z"}}, expect=400)["error"]
    assert rest(fresh_portal, "crm.lead.userfield.add",
                {"fields": {"FIELD_NAME": "Z", "USER_TYPE_ID": "file"}}, expect=400)["error"]


def test_userfield_list_shape_and_filter(fresh_portal, rest):
    field_id = add_field(rest, fresh_portal, FIELD_NAME="KPI_SCORE", USER_TYPE_ID="double",
                         XML_ID="b24m_score", LABEL={"ru": "Скоринг", "en": "Score"},
                         SETTINGS={"PRECISION": 2})["result"]
    body = rest(fresh_portal, "crm.lead.userfield.list", {"filter": {"FIELD_NAME": "UF_CRM_KPI_SCORE"}})
    assert isinstance(body["result"], list) and len(body["result"]) == 1
    definition = body["result"][0]
    assert definition["ID"] == str(field_id) and definition["ENTITY_ID"] == "CRM_LEAD"
    assert definition["USER_TYPE_ID"] == "double" and definition["XML_ID"] == "b24m_score"
    assert definition["SORT"] == "100" and definition["MULTIPLE"] == "N" and definition["EDIT_IN_LIST"] == "Y"
    assert definition["EDIT_FORM_LABEL"] == "Скоринг" and definition["LIST_COLUMN_LABEL"] == "Скоринг"
    assert definition["SETTINGS"]["PRECISION"] == 2
    english = rest(fresh_portal, "crm.lead.userfield.list", {"filter": {"XML_ID": "b24m_score", "LANG": "en"}})
    assert english["result"][0]["LIST_FILTER_LABEL"] == "Score"
    doubles = rest(fresh_portal, "crm.lead.userfield.list", {"filter": {"USER_TYPE_ID": "double"}})["result"]
    assert [d["FIELD_NAME"] for d in doubles] == ["UF_CRM_KPI_SCORE"]
    ordered = rest(fresh_portal, "crm.lead.userfield.list", {"order": {"ID": "DESC"}})["result"]
    assert [int(d["ID"]) for d in ordered] == sorted((int(d["ID"]) for d in ordered), reverse=True)


def test_new_field_is_null_everywhere_and_selectable(fresh_portal, rest):
    add_field(rest, fresh_portal, FIELD_NAME="KPI_GRADE", USER_TYPE_ID="string")
    assert all(lead["UF_CRM_KPI_GRADE"] is None for lead in fresh_portal.state.leads.values())
    lead_id = first_lead(fresh_portal)
    for select in (["UF_*"], ["*", "UF_*"], ["UF_CRM_KPI_GRADE"]):
        row = rest(fresh_portal, "crm.lead.list", {"filter": {"ID": lead_id}, "select": select})["result"][0]
        assert row["UF_CRM_KPI_GRADE"] is None, select
    row = rest(fresh_portal, "crm.lead.list", {"filter": {"ID": lead_id}})["result"][0]
    assert "UF_CRM_KPI_GRADE" not in row


def test_uf_writes_and_no_op_writes(portal_at_fixed_time, rest):
    portal = portal_at_fixed_time
    add_field(rest, portal, FIELD_NAME="KPI_GRADE", USER_TYPE_ID="string")
    add_field(rest, portal, FIELD_NAME="KPI_SCORE", USER_TYPE_ID="double", SETTINGS={"PRECISION": 2})
    add_field(rest, portal, FIELD_NAME="KPI_COUNT", USER_TYPE_ID="integer")
    lead_id = first_lead(portal)
    date_modify = portal.state.leads[lead_id]["DATE_MODIFY"]

    def update(fields, expect=200):
        return rest(portal, "crm.lead.update", {"id": lead_id, "fields": fields}, expect=expect)

    update({"UF_CRM_KPI_GRADE": "A", "UF_CRM_KPI_SCORE": 12.5, "UF_CRM_KPI_COUNT": "7"})
    lead = portal.state.leads[lead_id]
    assert (lead["UF_CRM_KPI_GRADE"], lead["UF_CRM_KPI_SCORE"], lead["UF_CRM_KPI_COUNT"]) == ("A", "12.5", "7")
    assert lead["DATE_MODIFY"] != date_modify and portal.stats.lead_updates_changed == 1

    portal.clock = lambda: NOW + 3600
    update({"UF_CRM_KPI_GRADE": "A", "UF_CRM_KPI_SCORE": "12.50", "UF_CRM_KPI_COUNT": 7})
    assert portal.state.leads[lead_id]["DATE_MODIFY"] == "2027-01-15T11:00:00+03:00"
    assert portal.stats.lead_updates_changed == 1

    update({"UF_CRM_KPI_SCORE": "87,555"})  # comma accepted, rounded to PRECISION 2
    assert portal.state.leads[lead_id]["UF_CRM_KPI_SCORE"] == "87.56"
    assert portal.state.leads[lead_id]["DATE_MODIFY"] == "2027-01-15T12:00:00+03:00"
    row = rest(portal, "crm.lead.list", {"filter": {"ID": lead_id}, "select": ["UF_*"]})["result"][0]
    assert row["UF_CRM_KPI_SCORE"] == "87.56" and row["UF_CRM_KPI_COUNT"] == "7"

    bad = update({"UF_CRM_KPI_COUNT": "7.5", "UF_CRM_KPI_GRADE": "B"}, expect=400)
    assert "UF_CRM_KPI_COUNT" in bad["error_description"]
    assert portal.state.leads[lead_id]["UF_CRM_KPI_GRADE"] == "A"  # nothing applied
    update({"UF_CRM_KPI_GRADE": ""})
    assert portal.state.leads[lead_id]["UF_CRM_KPI_GRADE"] is None


def test_double_without_precision_rounds_to_integer_like_bitrix(fresh_portal, rest):
    add_field(rest, fresh_portal, FIELD_NAME="KPI_RAW", USER_TYPE_ID="double")
    lead_id = first_lead(fresh_portal)
    rest(fresh_portal, "crm.lead.update", {"id": lead_id, "fields": {"UF_CRM_KPI_RAW": 87.5}})
    assert fresh_portal.state.leads[lead_id]["UF_CRM_KPI_RAW"] == "88"


def test_uf_filters_are_typed(fresh_portal, rest):
    add_field(rest, fresh_portal, FIELD_NAME="KPI_SCORE", USER_TYPE_ID="double", SETTINGS={"PRECISION": 1})
    ids = sorted(fresh_portal.state.leads)[:3]
    for lead_id, score in zip(ids, (9.5, 10, 100)):
        rest(fresh_portal, "crm.lead.update", {"id": lead_id, "fields": {"UF_CRM_KPI_SCORE": score}})
    body = rest(fresh_portal, "crm.lead.list", {"filter": {">UF_CRM_KPI_SCORE": "9.9"}, "select": ["ID"]})
    assert [int(r["ID"]) for r in body["result"]] == ids[1:]
    body = rest(fresh_portal, "crm.lead.list", {"filter": {"!UF_CRM_KPI_SCORE": ""},
                                                "order": {"UF_CRM_KPI_SCORE": "DESC"},
                                                "select": ["UF_CRM_KPI_SCORE"]})
    assert [r["UF_CRM_KPI_SCORE"] for r in body["result"]] == ["100", "10", "9.5"]


def test_multiple_enumeration_field(fresh_portal, rest):
    add_field(rest, fresh_portal, FIELD_NAME="TAGS", USER_TYPE_ID="enumeration", MULTIPLE="Y",
              LIST=[{"VALUE": "горячий"}, {"VALUE": "повторный"}])
    definition = rest(fresh_portal, "crm.lead.userfield.list", {"filter": {"FIELD_NAME": "UF_CRM_TAGS"}})["result"][0]
    item_ids = [item["ID"] for item in definition["LIST"]]
    assert definition["MULTIPLE"] == "Y" and [i["VALUE"] for i in definition["LIST"]] == ["горячий", "повторный"]
    lead_id = first_lead(fresh_portal)
    rest(fresh_portal, "crm.lead.update", {"id": lead_id, "fields": {"UF_CRM_TAGS": [int(i) for i in item_ids]}})
    assert fresh_portal.state.leads[lead_id]["UF_CRM_TAGS"] == item_ids
    rest(fresh_portal, "crm.lead.update", {"id": lead_id, "fields": {"UF_CRM_TAGS": item_ids}})
    assert fresh_portal.stats.lead_updates_changed == 1
    found = rest(fresh_portal, "crm.lead.list", {"filter": {"UF_CRM_TAGS": item_ids[1]}, "select": ["ID"]})
    assert found["result"] == [{"ID": str(lead_id)}]
