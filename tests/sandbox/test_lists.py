"""crm.lead.list / crm.company.list / crm.status.list: filter, order, select, paging."""

from __future__ import annotations

from datetime import datetime

import pytest

from b24metrics.sandbox.schema import LEAD_NAMES


def ids(rows):
    return [int(row["ID"]) for row in rows]


def truth(portal, predicate):
    return sorted(i for i, lead in portal.state.leads.items() if predicate(lead))


def num(value):
    return None if value in (None, "") else float(value)


@pytest.fixture
def leads_where(rest, fetch_all, portal):
    def run(flt, **extra):
        return ids(fetch_all(portal, "crm.lead.list", {"filter": flt, "select": ["ID"], **extra}))

    return run


# ---------------------------------------------------------------- filter prefixes


def test_numeric_prefixes_compare_as_numbers(portal, leads_where):
    # string values (as from a query string) must compare numerically: "100" > "99"
    assert leads_where({">ID": "99"}) == truth(portal, lambda r: int(r["ID"]) > 99)
    assert leads_where({">=ID": "100", "<ID": "250"}) == truth(portal, lambda r: 100 <= int(r["ID"]) < 250)
    assert leads_where({"<=ID": 9}) == truth(portal, lambda r: int(r["ID"]) <= 9)
    assert leads_where({">OPPORTUNITY": "150000"}) == truth(
        portal, lambda r: num(r["OPPORTUNITY"]) > 150000)
    assert leads_where({"=OPPORTUNITY": "0"}) == truth(portal, lambda r: num(r["OPPORTUNITY"]) == 0)
    assert leads_where({">=ASSIGNED_BY_ID": "10"}) == truth(portal, lambda r: int(r["ASSIGNED_BY_ID"]) >= 10)


def test_equality_and_negation(portal, leads_where):
    assert leads_where({"STATUS_ID": "CONVERTED"}) == truth(portal, lambda r: r["STATUS_ID"] == "CONVERTED")
    assert leads_where({"=STATUS_ID": "JUNK"}) == truth(portal, lambda r: r["STATUS_ID"] == "JUNK")
    not_junk = truth(portal, lambda r: r["STATUS_ID"] != "JUNK")
    assert leads_where({"!STATUS_ID": "JUNK"}) == not_junk
    assert leads_where({"!=STATUS_ID": "JUNK"}) == not_junk
    # a != on a nullable field keeps the empty ones (SQL "IS NULL OR <>")
    assert leads_where({"!SOURCE_ID": "WEB"}) == truth(portal, lambda r: r["SOURCE_ID"] != "WEB")
    assert leads_where({"OPENED": "N", "HAS_PHONE": "Y"}) == truth(
        portal, lambda r: r["OPENED"] == "N" and r["HAS_PHONE"] == "Y")


def test_in_and_not_in(portal, leads_where):
    wanted = ["NEW", "IN_PROCESS"]
    assert leads_where({"@STATUS_ID": wanted}) == truth(portal, lambda r: r["STATUS_ID"] in wanted)
    assert leads_where({"!@STATUS_ID": wanted}) == truth(portal, lambda r: r["STATUS_ID"] not in wanted)
    assert leads_where({"@ID": ["1", 5, "7"]}) == truth(portal, lambda r: r["ID"] in ("1", "5", "7"))
    assert leads_where({"STATUS_ID": wanted}) == truth(portal, lambda r: r["STATUS_ID"] in wanted)


def test_like_prefixes(portal, leads_where):
    assert leads_where({"%TITLE": "звонок"}) == truth(portal, lambda r: "звонок" in r["TITLE"].lower())
    assert leads_where({"=%TITLE": "Входящий%"}) == truth(portal, lambda r: r["TITLE"].startswith("Входящий"))
    assert leads_where({"!%TITLE": "звонок"}) == truth(portal, lambda r: "звонок" not in r["TITLE"].lower())


def test_null_fields_and_empty_values(portal, leads_where):
    no_company = truth(portal, lambda r: r["COMPANY_ID"] is None)
    assert 0 < len(no_company) < len(portal.state.leads)
    assert leads_where({"=COMPANY_ID": ""}) == no_company
    assert leads_where({"COMPANY_ID": ""}) == no_company
    assert leads_where({"!COMPANY_ID": ""}) == truth(portal, lambda r: r["COMPANY_ID"] is not None)
    assert leads_where({"=SOURCE_ID": ""}) == truth(portal, lambda r: r["SOURCE_ID"] is None)
    # comparisons never match empty fields and do not crash
    assert leads_where({">COMPANY_ID": 0}) == truth(portal, lambda r: r["COMPANY_ID"] is not None)
    assert leads_where({"<DATE_CLOSED": "2030-01-01"}) == truth(portal, lambda r: r["DATE_CLOSED"] is not None)
    # an empty value for a comparison drops the condition
    everything = sorted(portal.state.leads)
    assert leads_where({">ID": ""}) == everything
    assert leads_where({">=DATE_CREATE": "", "<OPPORTUNITY": None}) == everything
    # unknown filter fields are ignored
    assert leads_where({"NO_SUCH_FIELD": "x"}) == everything


def _instant(text):
    return datetime.fromisoformat(text).timestamp()


def test_datetime_filters_accept_three_formats_in_portal_time(portal, leads_where):
    cut = "2026-03-01T00:00:00+03:00"
    expected = truth(portal, lambda r: _instant(r["DATE_CREATE"]) >= _instant(cut))
    assert 0 < len(expected) < len(portal.state.leads)
    assert leads_where({">=DATE_CREATE": cut}) == expected
    assert leads_where({">=DATE_CREATE": "2026-03-01 00:00:00"}) == expected
    assert leads_where({">=DATE_CREATE": "2026-03-01"}) == expected
    assert leads_where({">=DATE_CREATE": "2026-03-01T00:00:00"}) == expected
    # another offset is the same instant: 2026-02-28T21:00:00Z == 2026-03-01T00:00:00+03:00
    assert leads_where({">=DATE_CREATE": "2026-02-28T21:00:00+00:00"}) == expected
    assert leads_where({">=DATE_CREATE": "2026-02-28T21:00:00Z"}) == expected
    window = leads_where({">DATE_MODIFY": "2026-06-01", "<=DATE_MODIFY": "2026-07-01T12:00:00+03:00"})
    assert window == truth(portal, lambda r: _instant("2026-06-01T00:00:00+03:00")
                           < _instant(r["DATE_MODIFY"]) <= _instant("2026-07-01T12:00:00+03:00"))


def test_unparseable_date_filter_does_not_crash(portal, rest):
    body = rest(portal, "crm.lead.list", {"filter": {">DATE_CREATE": "yesterday"}, "select": ["ID"]})
    assert body["total"] == len(portal.state.leads)


# ---------------------------------------------------------------- order


def test_order_several_keys(portal, fetch_all):
    rows = fetch_all(portal, "crm.lead.list", {
        "order": {"STATUS_ID": "ASC", "OPPORTUNITY": "DESC"},
        "select": ["ID", "STATUS_ID", "OPPORTUNITY"],
    })
    assert len(rows) == len(portal.state.leads)
    keys = [(r["STATUS_ID"], -float(r["OPPORTUNITY"]), int(r["ID"])) for r in rows]
    assert keys == sorted(keys)


def test_order_numeric_and_datetime_and_desc_ids(portal, rest):
    body = rest(portal, "crm.lead.list", {"order": {"ID": "desc"}, "select": ["ID"]})
    assert ids(body["result"]) == sorted(portal.state.leads, reverse=True)[:50]
    body = rest(portal, "crm.lead.list", {"order": {"OPPORTUNITY": "DESC"}, "select": ["ID", "OPPORTUNITY"]})
    amounts = [float(r["OPPORTUNITY"]) for r in body["result"]]
    assert amounts == sorted(amounts, reverse=True)
    assert amounts[0] == max(float(r["OPPORTUNITY"]) for r in portal.state.leads.values())
    body = rest(portal, "crm.lead.list", {"order": {"DATE_MODIFY": "DESC"}, "select": ["DATE_MODIFY"]})
    stamps = [_instant(r["DATE_MODIFY"]) for r in body["result"]]
    assert stamps == sorted(stamps, reverse=True)


# ---------------------------------------------------------------- select


def test_select_rules(portal, rest):
    one = {"filter": {"ID": 1}}
    default = rest(portal, "crm.lead.list", one)["result"][0]
    assert list(default) == LEAD_NAMES  # all standard fields, no UF
    star = rest(portal, "crm.lead.list", {**one, "select": ["*"]})["result"][0]
    assert star == default
    uf = rest(portal, "crm.lead.list", {**one, "select": ["UF_*"]})["result"][0]
    assert list(uf) == ["ID"] + [d["FIELD_NAME"] for d in portal.state.lead_userfields]
    both = rest(portal, "crm.lead.list", {**one, "select": ["*", "UF_*"]})["result"][0]
    assert set(both) == set(default) | set(uf)
    few = rest(portal, "crm.lead.list", {**one, "select": ["TITLE", "NO_SUCH", "STATUS_ID"]})["result"][0]
    assert set(few) == {"ID", "TITLE", "STATUS_ID"}


def test_values_are_bitrix_strings(portal, rest):
    rows = rest(portal, "crm.lead.list", {"select": ["*", "UF_*"]})["result"]
    for row in rows:
        assert row["ID"].isdigit()
        assert row["COMPANY_ID"] is None or row["COMPANY_ID"].isdigit()
        assert row["OPPORTUNITY"].count(".") == 1 and len(row["OPPORTUNITY"].split(".")[1]) == 2
        assert row["OPENED"] in ("Y", "N") and row["HAS_EMAIL"] in ("Y", "N")
        assert row["DATE_CREATE"].endswith("+03:00")
        assert row["DATE_CREATE"] <= row["DATE_MODIFY"]


# ---------------------------------------------------------------- paging


def test_paging_next_and_total(portal, rest):
    total = len(portal.state.leads)
    seen = []
    start = 0
    while True:
        body = rest(portal, "crm.lead.list", {"select": ["ID"], "start": start})
        assert body["total"] == total
        assert len(body["result"]) == min(50, total - start)
        seen += ids(body["result"])
        if "next" not in body:
            break
        assert body["next"] == start + 50
        start = body["next"]
    assert seen == sorted(portal.state.leads)
    # past the end: empty page, no next
    body = rest(portal, "crm.lead.list", {"start": total + 10})
    assert body["result"] == [] and "next" not in body and body["total"] == total


def test_start_minus_one_skips_counting(portal, rest):
    body = rest(portal, "crm.lead.list", {"select": ["ID"], "start": -1, "filter": {">ID": 10}})
    assert body["total"] == 0 and "next" not in body
    assert ids(body["result"]) == [i for i in sorted(portal.state.leads) if i > 10][:50]
    body = rest(portal, "crm.lead.list", {"select": ["ID"], "start": "-1",
                                          "order": {"DATE_CREATE": "DESC"}})
    assert len(body["result"]) == 50 and body["total"] == 0 and "next" not in body


def test_keyset_walk_reads_everything(portal, rest):
    last, seen = 0, []
    while True:
        page = rest(portal, "crm.lead.list", {"order": {"ID": "ASC"}, "filter": {">ID": last},
                                              "select": ["ID"], "start": -1})["result"]
        seen += ids(page)
        if len(page) < 50:
            break
        last = seen[-1]
    assert seen == sorted(portal.state.leads)


# ---------------------------------------------------------------- companies and statuses


def test_company_list(portal, rest, fetch_all):
    rows = fetch_all(portal, "crm.company.list", {"select": ["ID", "TITLE", "EMPLOYEES", "REVENUE"]})
    assert ids(rows) == sorted(portal.state.companies)
    assert {r["EMPLOYEES"] for r in rows} == {f"EMPLOYEES_{i}" for i in range(1, 6)}
    big = fetch_all(portal, "crm.company.list", {"filter": {">=REVENUE": "1000000000"}, "select": ["ID"]})
    assert ids(big) == sorted(i for i, c in portal.state.companies.items()
                              if c["REVENUE"] is not None and float(c["REVENUE"]) >= 1e9)


def test_status_list(portal, rest, fetch_all):
    body = rest(portal, "crm.status.list", {"filter": {"ENTITY_ID": "STATUS"}, "order": {"SORT": "ASC"}})
    assert [r["STATUS_ID"] for r in body["result"]] == ["NEW", "IN_PROCESS", "PROCESSED", "CONVERTED", "JUNK"]
    by_id = {r["STATUS_ID"]: r for r in body["result"]}
    assert by_id["JUNK"]["SEMANTICS"] == "F" and by_id["JUNK"]["EXTRA"]["SEMANTICS"] == "failure"
    assert by_id["CONVERTED"]["SEMANTICS"] == "S" and by_id["CONVERTED"]["EXTRA"]["SEMANTICS"] == "success"
    assert by_id["NEW"]["SEMANTICS"] is None and by_id["NEW"]["EXTRA"]["SEMANTICS"] == "process"
    assert all(r["ID"].isdigit() and r["SORT"].isdigit() for r in body["result"])
    bands = rest(portal, "crm.status.list", {"filter": {"ENTITY_ID": "EMPLOYEES"}})["result"]
    assert {r["STATUS_ID"]: r["NAME"] for r in bands} == {
        "EMPLOYEES_1": "менее 50", "EMPLOYEES_2": "50-250", "EMPLOYEES_3": "250-500",
        "EMPLOYEES_4": "500-1000", "EMPLOYEES_5": "более 1000"}
    assert all("EXTRA" not in r for r in bands)
    sources = rest(portal, "crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"}})["result"]
    assert {r["STATUS_ID"] for r in sources} >= {"CALL", "EMAIL", "WEB", "ADVERTISING", "PARTNER",
                                                  "RECOMMENDATION", "TRADE_SHOW", "WEBFORM", "CALLBACK", "OTHER"}
    everything = fetch_all(portal, "crm.status.list")
    assert len(everything) == len(portal.state.statuses)
    assert {r["ENTITY_ID"] for r in everything} >= {"STATUS", "SOURCE", "EMPLOYEES", "INDUSTRY", "COMPANY_TYPE"}


def test_lead_get(portal, rest):
    lead = rest(portal, "crm.lead.get", {"id": 1})["result"]
    assert lead == portal.state.leads[1]
    missing = max(portal.state.leads) + 1
    assert rest(portal, "crm.lead.get", {"id": missing}, expect=400) == {"error": "", "error_description": "Not found"}
