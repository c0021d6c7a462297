"""The portal's own companies (IS_MY_COMPANY = Y, the legal entities that issue its invoices) are
listed by crm.company.list with the clients. They count in no client KPI, and the write-back
never writes into their cards: counted at the sandbox portal. Figures worked out by hand."""

from __future__ import annotations

import pytest

from b24metrics import pipeline
from b24metrics.extract import STREAMS
from b24metrics.kpis.refresh import refresh_kpis
from tests.kpis.scenario import Scenario
from tests.kpis.test_speed_oracle import keyed

MARCH = "2026-03-01"


@pytest.fixture(scope="module")
def s():
    with Scenario() as scenario:
        s = scenario
        s.own = s.company(created="2026-03-01 09:00", title="ООО «Мы сами»", IS_MY_COMPANY="Y")
        s.client = s.company(created="2026-03-02 09:00", title="ООО «Ромашка»", IS_MY_COMPANY="N")
        s.unmarked = s.company(created="2026-03-03 09:00", title="ИП Иванов")   # no flag at all: a client
        contact = s.contact(created="2026-03-04 09:00")
        s.deal(created="2026-03-05 10:00", stage="WON", amount=1000, company=s.client, moved="2026-03-10 10:00")
        # bound to our own company by mistake (an internal deal): its client is the contact, not us
        s.deal(created="2026-03-06 10:00", stage="WON", amount=500, company=s.own, contact=contact,
               moved="2026-03-11 10:00")
        settings = s.settings()
        s.warehouse = pipeline.open_warehouse(settings)
        with pipeline.open_client(settings) as client:
            pipeline.run_sync(client, s.warehouse, settings, list(STREAMS.values()))
        yield s


def test_the_stream_keeps_the_flag(s):
    assert s.sql("SELECT id, is_my_company FROM companies ORDER BY id") == [
        (s.own, True), (s.client, False), (s.unmarked, None)]


def test_own_company_is_in_no_client_kpi(s):
    base = keyed(s.rows("contact_base_growth", period="month"), "period", None)
    assert base[next(p for p in base if str(p) == MARCH)]["new_companies"] == 2      # client, unmarked
    ltv = keyed(s.rows("company_ltv", period="month", by="company"), "company", MARCH)
    assert {k: (v["clients"], v["revenue"]) for k, v in ltv.items()} == {"ООО «Ромашка» #2": (1, 1000.0)}
    revenue = s.rows("revenue", period="month")
    assert [(r["won_deals"], r["new_clients"]) for r in revenue if str(r["period"]) == MARCH] == [(2, 2)]
    assert s.sql("SELECT deal_id, company_id, client FROM kpi_deals ORDER BY deal_id") == [
        (1, s.client, f"company {s.client}"), (2, None, "contact 1")]
    assert s.sql("SELECT company_id, purchases FROM kpi_company_cards ORDER BY 1") == [
        (s.client, 1), (s.unmarked, 0)]


def test_nothing_is_written_into_the_own_companys_card(s):
    settings = s.settings()
    with pipeline.open_client(settings) as client:
        report = pipeline.writeback(client, s.warehouse, settings)
    assert report.push is not None and report.push.updates_sent > 0, report
    written = {(entity, record) for entity, record, _ in s.portal.stats.uf_writes}
    assert {("company", s.client), ("company", s.unmarked)} <= written
    assert ("company", s.own) not in written
    with s.state.lock:
        own = dict(s.state.companies[s.own])
    assert not any(own.get(name) for name in own if name.startswith("UF_CRM_B24M"))


def test_a_company_marked_own_later_leaves_the_client_kpis_at_the_next_refresh(s):
    with s.state.lock:
        s.state.companies[s.unmarked]["IS_MY_COMPANY"] = "Y"
    settings = s.settings()
    with pipeline.open_client(settings) as client:
        pipeline.sync(client, s.warehouse, [STREAMS["companies"]], settings, full=True)
    done = refresh_kpis(s.warehouse, settings)
    assert done.full       # which companies are own is in the fingerprint: a deal's client may change
    assert s.sql("SELECT company_id FROM kpi_company_cards") == [(s.client,)]
    base = keyed(s.rows("contact_base_growth", period="month"), "period", None)
    assert base[next(p for p in base if str(p) == MARCH)]["new_companies"] == 1
