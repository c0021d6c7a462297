"""user.get and voximplant.statistic.get over HTTP."""

from __future__ import annotations

from datetime import datetime

import pytest

from b24metrics.sandbox import SandboxPortal
from b24metrics.sandbox.schema_streams import CALL_NAMES, USER_NAMES

from .conftest import UNLIMITED


def ids(rows):
    return [int(row["ID"]) for row in rows]


@pytest.fixture(scope="module")
def staff_portal():
    """A portal with more users than one page of user.get."""
    with SandboxPortal(seed=5, leads=30, users=64, **UNLIMITED) as running:
        yield running


# ---------------------------------------------------------------- user.get


def test_user_get_shape(portal, rest):
    body = rest(portal, "user.get", {})
    users = body["result"]
    assert isinstance(users, list) and body["total"] == 8 and "next" not in body
    assert ids(users) == sorted(portal.state.users) == [1, 5, 6, 9, 11, 14, 17, 23]
    for user in users:
        assert list(user) == USER_NAMES
        assert user["ACTIVE"] is True and user["USER_TYPE"] == "employee"
        assert isinstance(user["UF_DEPARTMENT"], list) and all(isinstance(d, int) for d in user["UF_DEPARTMENT"])
        assert user["ID"].isdigit() and user["DATE_REGISTER"].endswith("+03:00")
    owners = {lead["ASSIGNED_BY_ID"] for lead in portal.state.leads.values()}
    assert owners <= {user["ID"] for user in users}


def test_user_get_sort_order_filter(portal, rest):
    assert ids(rest(portal, "user.get", {"sort": "ID", "order": "DESC"})["result"]) == [23, 17, 14, 11, 9, 6, 5, 1]
    by_name = rest(portal, "user.get", {"sort": "LAST_NAME", "order": "ASC"})["result"]
    assert [u["LAST_NAME"] for u in by_name] == sorted(u["LAST_NAME"] for u in by_name)
    assert ids(rest(portal, "user.get", {"FILTER": {">ID": 9}})["result"]) == [11, 14, 17, 23]
    assert ids(rest(portal, "user.get", {"filter": {">ID": 9}})["result"]) == [11, 14, 17, 23]
    assert ids(rest(portal, "user.get", {"FILTER": {"@ID": [1, 6, 99]}})["result"]) == [1, 6]
    department = rest(portal, "user.get", {"FILTER": {"UF_DEPARTMENT": 5}})["result"]
    assert department and all(5 in u["UF_DEPARTMENT"] for u in department)
    assert rest(portal, "user.get", {"FILTER": {"ACTIVE": True, "USER_TYPE": "employee"}, "ADMIN_MODE": True})[
        "total"] == 8
    assert rest(portal, "user.get", {"FILTER": {"ACTIVE": "N"}})["result"] == []
    found = rest(portal, "user.get", {"FILTER": {"NAME_SEARCH": "ольга кузн"}})["result"]
    assert [u["LAST_NAME"] for u in found] == ["Кузнецова"]
    assert ids(rest(portal, "user.get", {"FILTER": {"%WORK_POSITION": "продаж"}, "sort": "ID"})["result"]) == [
        5, 6, 9, 11, 14, 17]
    picked = rest(portal, "user.get", {"select": ["ID", "NAME"], "sort": "ID"})["result"]
    assert picked[0] == {"ID": "1", "NAME": portal.state.users[1]["NAME"]}


def test_user_get_pages_of_fifty(staff_portal, rest):
    first = rest(staff_portal, "user.get", {"FILTER": {"ACTIVE": True}})
    active = sorted(i for i, u in staff_portal.state.users.items() if u["ACTIVE"])
    assert first["total"] == len(active) and len(first["result"]) == min(50, len(active))
    everyone = rest(staff_portal, "user.get", {})
    assert everyone["total"] == 64 and everyone["next"] == 50
    rest_page = rest(staff_portal, "user.get", {"start": 50})
    assert ids(everyone["result"]) + ids(rest_page["result"]) == sorted(staff_portal.state.users)
    assert "next" not in rest_page
    assert any(user["ACTIVE"] is False for user in staff_portal.state.users.values())


# ---------------------------------------------------------------- voximplant.statistic.get


def test_statistic_shape_and_string_values(portal, rest):
    body = rest(portal, "voximplant.statistic.get", {})
    rows = body["result"]
    assert isinstance(rows, list) and len(rows) == 50 and body["total"] == len(portal.state.calls)
    assert body["next"] == 50 and ids(rows) == sorted(portal.state.calls)[:50]
    for row in rows:
        assert list(row) == CALL_NAMES
        assert all(value is None or isinstance(value, str) for value in row.values())
        assert row["CALL_DURATION"].isdigit() and row["COST"].count(".") == 1 and len(row["COST"].split(".")[1]) == 4
        assert datetime.fromisoformat(row["CALL_START_DATE"]).utcoffset() is not None
        assert row["CRM_ENTITY_TYPE"] in ("LEAD", "CONTACT", "COMPANY", None)
        assert row["CALL_CATEGORY"] == "external" and row["CALL_TYPE"] in ("1", "2", "3", "4")


def test_statistic_uppercase_params(portal, rest, fetch_all):
    last = sorted(portal.state.calls)[120]
    after = rest(portal, "voximplant.statistic.get", {"FILTER": {">ID": last}, "SORT": "ID", "ORDER": "ASC"})
    assert ids(after["result"]) == [i for i in sorted(portal.state.calls) if i > last][:50]
    assert after["total"] == sum(i > last for i in portal.state.calls)
    longest = rest(portal, "voximplant.statistic.get", {"SORT": "CALL_DURATION", "ORDER": "DESC"})["result"]
    durations = [int(r["CALL_DURATION"]) for r in longest]
    assert durations == sorted(durations, reverse=True)
    assert durations[0] == max(int(c["CALL_DURATION"]) for c in portal.state.calls.values())
    newest = rest(portal, "voximplant.statistic.get", {"SORT": "CALL_START_DATE", "ORDER": "DESC"})["result"]
    assert newest[0]["CALL_START_DATE"] == max(c["CALL_START_DATE"] for c in portal.state.calls.values())
    missed = fetch_all(portal, "voximplant.statistic.get", {"FILTER": {"CALL_FAILED_CODE": "304", "CALL_TYPE": 2}})
    assert sorted(ids(missed)) == sorted(i for i, c in portal.state.calls.items()
                                         if c["CALL_FAILED_CODE"] == "304" and c["CALL_TYPE"] == "2")
    window = fetch_all(portal, "voximplant.statistic.get", {"FILTER": {
        ">=CALL_START_DATE": "2026-06-01T00:00:00+03:00", "<CALL_START_DATE": "2026-07-01", ">CALL_DURATION": "60"}})
    assert sorted(ids(window)) == sorted(
        i for i, c in portal.state.calls.items()
        if "2026-06-01" <= c["CALL_START_DATE"][:10] < "2026-07-01" and int(c["CALL_DURATION"]) > 60)
    between = rest(portal, "voximplant.statistic.get", {"FILTER": {"><CALL_DURATION": [10, 30]}})
    assert between["total"] == sum(10 <= int(c["CALL_DURATION"]) <= 30 for c in portal.state.calls.values())


def test_statistic_keyset_through_batch(portal, rest):
    cmd = {}
    for i in range(4):
        after = "0" if i == 0 else f"$result[v{i - 1}][49][ID]"
        cmd[f"v{i}"] = f"voximplant.statistic.get?FILTER[>ID]={after}&SORT=ID&ORDER=ASC"
    body = rest(portal, "batch", {"halt": 1, "cmd": cmd})["result"]
    got = [int(row["ID"]) for i in range(4) for row in body["result"][f"v{i}"]]
    assert got == sorted(portal.state.calls)[:200]
    assert body["result_total"]["v0"] == len(portal.state.calls)
