"""A third-party client, fast-bitrix24 1.8.14, works against the sandbox unchanged
(also on the wrapped crm.stagehistory.list and the UPPERCASE voximplant.statistic.get)."""

from __future__ import annotations

import pytest

fast_bitrix24 = pytest.importorskip("fast_bitrix24")

from b24metrics.sandbox import SandboxPortal  # noqa: E402


@pytest.fixture
def sandbox():
    # the client's own throttle (2 req/s, pool 50) stays well inside these limits
    with SandboxPortal(seed=4, leads=1234, rate=50, burst=200) as portal:
        yield portal


def test_get_all_reads_every_lead(sandbox):
    bitrix = fast_bitrix24.Bitrix(sandbox.webhook_url, verbose=False)
    leads = bitrix.get_all("crm.lead.list", {"select": ["ID", "TITLE"]})
    assert sorted(int(lead["ID"]) for lead in leads) == sorted(sandbox.state.leads)
    assert all(set(lead) == {"ID", "TITLE"} for lead in leads)
    assert sandbox.stats.status_codes.keys() == {200}


def test_call_update_and_userfield_list(sandbox):
    bitrix = fast_bitrix24.Bitrix(sandbox.webhook_url, verbose=False)
    ids = sorted(sandbox.state.leads)[:3]
    assert bitrix.call("crm.lead.update", [{"id": i, "fields": {"TITLE": f"fb {i}"}} for i in ids]) == (True,) * 3
    assert [sandbox.state.leads[i]["TITLE"] for i in ids] == [f"fb {i}" for i in ids]
    field_id = bitrix.call("crm.lead.userfield.add", {"fields": {"FIELD_NAME": "FB", "USER_TYPE_ID": "string"}})
    fields = bitrix.get_all("crm.lead.userfield.list", {"filter": {"FIELD_NAME": "UF_CRM_FB"}})
    assert [f["ID"] for f in fields] == [str(field_id)]
    statuses = bitrix.get_all("crm.status.list", {"filter": {"ENTITY_ID": "STATUS"}})
    assert len(statuses) == 5


def test_get_all_reads_deals_and_wrapped_stage_history(sandbox):
    bitrix = fast_bitrix24.Bitrix(sandbox.webhook_url, verbose=False)
    deals = bitrix.get_all("crm.deal.list")
    assert sorted(int(deal["ID"]) for deal in deals) == sorted(sandbox.state.deals)
    assert all("CONTACT_IDS" not in deal for deal in deals)
    # crm.stagehistory.list answers result.items: the client unwraps it, page after page
    history = bitrix.get_all("crm.stagehistory.list", {"entityTypeId": 2})
    visible = sorted(i for i, row in sandbox.state.stage_history[2].items()
                     if str(row["CATEGORY_ID"]) == sandbox.state.deals[row["OWNER_ID"]]["CATEGORY_ID"])
    assert len(history) > 50 and sorted(row["ID"] for row in history) == visible
    leads_history = bitrix.get_all("crm.stagehistory.list", {"entityTypeId": 1, "filter": {"STATUS_ID": "CONVERTED"}})
    assert {row["STATUS_SEMANTIC_ID"] for row in leads_history} == {"S"}
    assert sandbox.stats.status_codes.keys() == {200}


def test_get_all_reads_activities_users_and_calls(sandbox):
    bitrix = fast_bitrix24.Bitrix(sandbox.webhook_url, verbose=False)
    recent = bitrix.get_all("crm.activity.list", {"filter": {">=LAST_UPDATED": "2026-10-01T00:00:00+03:00"}})
    assert sorted(int(a["ID"]) for a in recent) == sorted(
        i for i, a in sandbox.state.activities.items() if a["LAST_UPDATED"] >= "2026-10-01T00:00:00+03:00")
    assert sorted(int(u["ID"]) for u in bitrix.get_all("user.get")) == sorted(sandbox.state.users)
    calls = bitrix.get_all("voximplant.statistic.get", {"FILTER": {"CALL_TYPE": 1}})
    assert sorted(int(c["ID"]) for c in calls) == sorted(
        i for i, c in sandbox.state.calls.items() if c["CALL_TYPE"] == "1")
