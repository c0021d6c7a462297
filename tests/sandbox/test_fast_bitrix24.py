"""A third-party client, fast-bitrix24 1.8.14, works against the sandbox unchanged."""

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
