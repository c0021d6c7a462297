"""Oracle tests of the marketing KPIs (M1-M4, M6, M7): figures worked out by hand from fixed data sets."""

from datetime import date

import pytest

from b24metrics import pipeline
from b24metrics.extract import STREAMS
from b24metrics.kpis.refresh import refresh_kpis
from b24metrics.sandbox.userfields import DEAL_UF, LEAD_UF, userfield_add
from tests.kpis.scenario import Scenario


@pytest.fixture
def s():
    with Scenario() as scenario:
        yield scenario


def test_leads_by_channel_per_portal_month_with_prev_and_year_before(s):
    # portal +03:00: 2026-03-01 01:30 local is still February in UTC; it counts in March
    for when in ("2026-03-01 01:30", "2026-03-15 12:00", "2026-03-31 23:59"):
        s.lead(created=when, source="CALL")
    s.lead(created="2026-03-10 10:00", source="WEB")
    s.lead(created="2026-02-28 23:59", source="CALL")     # February, local
    s.lead(created="2025-03-05 10:00", source="CALL")     # a year before
    s.lead(created="2025-03-06 10:00", source="CALL")
    s.sync()
    rows = s.rows("leads_by_channel", period="month", by="channel")
    march = {r["channel"]: r for r in rows if str(r["period"]) == "2026-03-01"}
    call, web = march["Звонок"]["leads"], march["Веб-сайт"]["leads"]
    assert (call, web) == (3, 1)
    assert march["Звонок"]["share"] == 75.0 and march["Веб-сайт"]["share"] == 25.0
    assert march["Звонок"]["leads_prev"] == 1 and march["Звонок"]["leads_yoy"] == 2
    assert march["Веб-сайт"]["leads_prev"] is None


def test_simple_crm_mode_says_so_instead_of_zeros(s):
    s.deal(created="2026-03-01 10:00", stage="WON", amount=1000)
    s.deal(created="2026-03-01 10:00", stage="LOSE", amount=1000)
    s.sync()
    for name in ("leads_by_channel", "qualification_rates", "lead_to_won", "lead_rejections"):
        result = s.cut(name, period="month")
        assert result.rows == [] and "simple CRM mode" in result.note, name
    # lost deals do not need leads
    (lost,) = s.rows("deal_rejections", period="month")
    assert lost["lost"] == 1 and lost["share"] == 100.0


# -- helpers for M3-M7 ---------------------------------------------------------------------------

def delete_on_portal(s, settings, **gone):
    """After s.sync(): records removed on the portal (leads=[...], deals=[...], contacts=[...]);
    a real ID sweep marks them deleted in the warehouse and the KPI tables are rebuilt."""
    with s.state.lock:
        for table, ids in gone.items():
            for record_id in ids:
                getattr(s.state, table).pop(record_id)
    with pipeline.open_client(settings) as client:
        pipeline.sweep(client, s.warehouse, list(STREAMS.values()))
    refresh_kpis(s.warehouse, settings)


def lead_status(s, status_id, name, semantics, sort):
    """A portal's own lead status (crm.status with ENTITY_ID STATUS)."""
    extra = {"SEMANTICS": {"S": "success", "F": "failure"}.get(semantics, "process"), "COLOR": "#999999"}
    with s.state.lock:
        s.state.statuses.append({
            "ID": str(900 + len(s.state.statuses)), "ENTITY_ID": "STATUS", "STATUS_ID": status_id, "NAME": name,
            "NAME_INIT": "", "SORT": str(sort), "SYSTEM": "N", "CATEGORY_ID": None, "COLOR": "#999999",
            "SEMANTICS": semantics, "EXTRA": extra})


def in_period(rows, key, period):
    """The rows of one period, by their `key` column."""
    return {r[key]: r for r in rows if str(r["period"]) == period}


# -- M3 qualification rates ---------------------------------------------------------------------

def test_qualification_rates_seed_001_100_leads_30_briefs_20_accepted_by_sales(s):
    # a worked example: 100 requests -> 30 left after the brief (SAL) -> 20 taken by sales (SQL), the other
    # 10 found poor. Manager 5 has 60 of the leads, manager 6 has 40:
    #   manager 5: 40 never taken into work, 20 accepted: 15 converted, 5 junked after the brief
    #   manager 6: 30 never taken into work, 10 accepted:  5 converted, 5 junked after the brief
    def accepted(manager, fate, when="2026-03-10 10:00"):
        lead = s.lead(created=when, source="WEB", manager=manager, status=fate)
        s.history("lead", lead, "NEW", at=when)
        s.history("lead", lead, "IN_PROCESS", at="2026-03-11 10:00")
        s.history("lead", lead, fate, at="2026-03-12 10:00")
        return lead

    for manager, untouched, converted, junk in ((5, 40, 15, 5), (6, 30, 5, 5)):
        for i in range(untouched):
            # the +03:00 trap: 00:30 local on March 1st is February 28th in UTC; it is March
            s.lead(created="2026-03-01 00:30" if i == 0 else "2026-03-05 10:00", source="WEB", manager=manager)
        for _ in range(converted - 1):
            accepted(manager, "CONVERTED")
        for _ in range(junk):
            accepted(manager, "JUNK")
    # the last converted lead of each manager: a deal made from it while it sits in PROCESSED
    for manager in (5, 6):
        s.deal(created="2026-03-13 10:00", stage="NEW", lead=accepted(manager, "PROCESSED"))
    gone = accepted(5, "CONVERTED")                          # deleted on the portal: not counted
    accepted(5, "CONVERTED", when="2026-02-28 23:30")        # February, local: the previous period
    settings = s.sync()
    delete_on_portal(s, settings, leads=[gone])

    march = [r for r in s.rows("qualification_rates", period="month") if str(r["period"]) == "2026-03-01"]
    assert len(march) == 1
    m = march[0]
    assert (m["leads"], m["accepted"], m["converted"], m["junk"]) == (100, 30, 20, 10)
    assert m["sal_rate"] == 30.0      # 30 / 100
    assert m["sql_rate"] == 66.7      # 20 / 30 = 66.67
    assert m["junk_rate"] == 10.0     # 10 / 100
    assert m["sal_rate_prev"] == 100.0 and m["leads_prev"] == 1   # February: 1 lead, accepted

    managers = {k.rsplit("#", 1)[1]: r for k, r in in_period(
        s.rows("qualification_rates", period="month", by="manager"), "manager", "2026-03-01").items()}
    five, six = managers["5"], managers["6"]
    assert (five["sal_rate"], five["sql_rate"], five["junk_rate"]) == (33.3, 75.0, 8.3)   # 20/60, 15/20, 5/60
    assert (six["sal_rate"], six["sql_rate"], six["junk_rate"]) == (25.0, 50.0, 12.5)     # 10/40, 5/10, 5/40


def test_a_lead_junked_straight_from_the_initial_status_was_never_accepted(s):
    taken = s.lead(created="2026-03-02 10:00", status="IN_PROCESS")
    s.history("lead", taken, "NEW", at="2026-03-02 10:00")
    s.history("lead", taken, "IN_PROCESS", at="2026-03-02 11:00")
    rejected = s.lead(created="2026-03-02 10:00", status="JUNK")     # junked at once, never in work
    s.history("lead", rejected, "NEW", at="2026-03-02 10:00")
    s.history("lead", rejected, "JUNK", at="2026-03-02 10:05")
    s.lead(created="2026-03-02 10:00", status="JUNK")                 # junk, no history at all
    s.lead(created="2026-03-02 10:00", status="NEW")
    s.sync()
    (m,) = s.rows("qualification_rates", period="month")
    assert m["sal_rate"] == 25.0      # 1 accepted / 4 leads
    assert m["junk_rate"] == 50.0     # 2 / 4


# -- M4 lead -> won deal -------------------------------------------------------------------------

def test_lead_to_won_deal_per_channel(s):
    # Звонок (CALL), March: 5 leads
    won = s.lead(created="2026-03-02 10:00", source="CALL")
    s.deal(created="2026-03-03 10:00", stage="WON", lead=won, amount=100)
    moved = s.lead(created="2026-03-02 10:00", source="CALL")        # won after a move to pipeline 1
    moved_deal = s.deal(created="2026-03-03 10:00", stage="C1:WON", category=1, lead=moved,
                        moved="2026-03-20 10:00")
    s.history("deal", moved_deal, "NEW", at="2026-03-03 10:00")
    s.history("deal", moved_deal, "C1:NEW", at="2026-03-10 10:00", category=1)
    s.history("deal", moved_deal, "C1:WON", at="2026-03-20 10:00", category=1)
    reopened = s.lead(created="2026-03-02 10:00", source="CALL")     # won once, reopened: a deal, not won
    reopened_deal = s.deal(created="2026-03-03 10:00", stage="EXECUTING", lead=reopened, moved="2026-03-25 10:00")
    s.history("deal", reopened_deal, "WON", at="2026-03-15 10:00")
    s.history("deal", reopened_deal, "EXECUTING", at="2026-03-25 10:00")
    template = s.lead(created="2026-03-02 10:00", source="CALL")     # only a recurring template: no deal
    s.deal(created="2026-03-03 10:00", stage="WON", lead=template, recurring=True)
    s.lead(created="2026-03-01 00:30", source="CALL")                # +03:00: still March, no deal
    # Веб-сайт (WEB), March: 3 leads
    twice = s.lead(created="2026-03-04 10:00", source="WEB")         # two won deals, one lead
    s.deal(created="2026-03-05 10:00", stage="WON", lead=twice, amount=10, currency="RUB")
    s.deal(created="2026-03-06 10:00", stage="WON", lead=twice, amount=10, currency="USD")
    deleted = s.lead(created="2026-03-04 10:00", source="WEB")       # its won deal is deleted
    gone = s.deal(created="2026-03-05 10:00", stage="WON", lead=deleted)
    lost = s.lead(created="2026-03-04 10:00", source="WEB")
    s.deal(created="2026-03-05 10:00", stage="LOSE", lead=lost)
    # Веб-сайт, April: 00:30 local on April 1st (March 31st in UTC)
    april = s.lead(created="2026-04-01 00:30", source="WEB")
    s.deal(created="2026-04-02 10:00", stage="WON", lead=april)
    settings = s.sync()
    delete_on_portal(s, settings, deals=[gone])

    (total,) = [r for r in s.rows("lead_to_won", period="month") if str(r["period"]) == "2026-03-01"]
    assert (total["leads"], total["with_deal"], total["won"]) == (8, 5, 3)
    assert (total["won_rate"], total["deal_rate"]) == (37.5, 62.5)   # 3/8, 5/8
    rows = s.rows("lead_to_won", period="month", by="channel")
    march, april_rows = in_period(rows, "channel", "2026-03-01"), in_period(rows, "channel", "2026-04-01")
    call, web = march["Звонок"], march["Веб-сайт"]
    assert (call["leads"], call["with_deal"], call["won"]) == (5, 3, 2)
    assert (call["won_rate"], call["deal_rate"]) == (40.0, 60.0)     # 2/5, 3/5
    assert (web["leads"], web["with_deal"], web["won"]) == (3, 2, 1)
    assert (web["won_rate"], web["deal_rate"]) == (33.3, 66.7)       # 1/3, 2/3
    assert april_rows["Веб-сайт"]["won_rate"] == 100.0 and april_rows["Веб-сайт"]["won_rate_prev"] == 33.3


# -- M6 rejection reasons ------------------------------------------------------------------------

def test_rejections_by_final_status_and_stage_from_semantics(s):
    lead_status(s, "UC_NOTARGET", "Нецелевой", "F", 55)   # the portal's own failure status
    for _ in range(3):
        s.lead(created="2026-03-03 10:00", source="CALL", status="JUNK")
    s.lead(created="2026-03-03 10:00", source="WEB", status="UC_NOTARGET", STATUS_SEMANTIC_ID="F")
    s.lead(created="2026-03-03 10:00", source="WEB", status="IN_PROCESS")            # not lost
    gone = s.lead(created="2026-03-03 10:00", source="WEB", status="JUNK")            # deleted
    s.lead(created="2026-04-01 00:30", source="CALL", status="JUNK")                  # April, local

    for _ in range(2):
        s.deal(created="2026-03-03 10:00", stage="LOSE", source="CALL")
    # a loss whose name does not say so: semantics F
    s.deal(created="2026-03-03 10:00", stage="APOLOGY", source="CALL")
    # moved to the tenders pipeline and lost there
    tender = s.deal(created="2026-03-03 10:00", stage="C3:APOLOGY", category=3, source="WEB")
    s.history("deal", tender, "NEW", at="2026-03-03 10:00")
    s.history("deal", tender, "C3:APOLOGY", at="2026-03-09 10:00", category=3)
    reopened = s.deal(created="2026-03-03 10:00", stage="EXECUTING", source="CALL")   # lost, then reopened
    s.history("deal", reopened, "LOSE", at="2026-03-05 10:00")
    s.history("deal", reopened, "EXECUTING", at="2026-03-06 10:00")
    s.deal(created="2026-03-03 10:00", stage="LOSE", source="CALL", recurring=True)   # a template
    s.deal(created="2026-03-03 10:00", stage="WON", source="CALL")
    settings = s.sync()
    delete_on_portal(s, settings, leads=[gone])

    leads = in_period(s.rows("lead_rejections", period="month", by="stage"), "stage", "2026-03-01")
    assert {k: (r["lost"], r["share"]) for k, r in leads.items()} == {
        "Некачественный лид": (3, 75.0), "Нецелевой": (1, 25.0)}                       # of 4 lost leads
    channels = in_period(s.rows("lead_rejections", period="month", by="channel"), "channel", "2026-03-01")
    assert {k: r["lost"] for k, r in channels.items()} == {"Звонок": 3, "Веб-сайт": 1}
    april = in_period(s.rows("lead_rejections", period="month", by="stage"), "stage", "2026-04-01")
    assert april["Некачественный лид"]["lost"] == 1 and april["Некачественный лид"]["lost_prev"] == 3

    deals = in_period(s.rows("deal_rejections", period="month", by="stage"), "stage", "2026-03-01")
    assert {k: (r["lost"], r["share"]) for k, r in deals.items()} == {                  # of 4 lost deals
        "Сделка провалена": (2, 50.0), "Анализ причины провала": (1, 25.0), "Отказ от участия": (1, 25.0)}
    pipelines = in_period(s.rows("deal_rejections", period="month", by="pipeline"), "pipeline", "2026-03-01")
    assert {k: r["lost"] for k, r in pipelines.items()} == {"Общая": 3, "Тендеры": 1}


REASON = "UF_CRM_LOSS_REASON"


def losses_with_reasons(s):
    """A string field holding the loss reason on leads and on deals (the same name on both), and
    lost leads and deals that fill it in or leave it empty."""
    for entity in (LEAD_UF, DEAL_UF):
        userfield_add(s.portal, {"fields": {"FIELD_NAME": REASON, "USER_TYPE_ID": "string"}}, entity)
    for reason in ("дорого", "дорого", " ", None):
        s.lead(created="2026-03-03 10:00", status="JUNK", **{REASON: reason})
    s.lead(created="2026-03-03 10:00", status="IN_PROCESS", **{REASON: "дорого"})    # not lost
    s.deal(created="2026-03-03 10:00", stage="LOSE", **{REASON: "выбрали конкурента"})
    s.deal(created="2026-03-03 10:00", stage="WON", **{REASON: "выбрали конкурента"})  # not lost
    return s.sync(kpis={"rejection_field": REASON})


def test_rejection_reason_field_read_from_the_payload(s):
    losses_with_reasons(s)     # the refresh reads the field named by kpis.rejection_field
    assert s.sql("SELECT kind, reason, count(*) FROM kpi_rejections GROUP BY ALL ORDER BY ALL") == [
        ("deal", "выбрали конкурента", 1),
        ("lead", "(none)", 2),            # a blank and an empty reason
        ("lead", "дорого", 2),
    ]


def test_rejections_cut_by_the_configured_reason_field(s):
    losses_with_reasons(s)
    leads = in_period(s.rows("lead_rejections", period="month", by="reason"), "reason", "2026-03-01")
    assert {k: (r["lost"], r["share"]) for k, r in leads.items()} == {"дорого": (2, 50.0), "(none)": (2, 50.0)}
    deals = in_period(s.rows("deal_rejections", period="month", by="reason"), "reason", "2026-03-01")
    assert {k: r["lost"] for k, r in deals.items()} == {"выбрали конкурента": 1}


# -- M7 contact base growth ----------------------------------------------------------------------

def test_contact_base_growth_cumulative_across_empty_periods_and_the_cut(s):
    s.contact(created="2025-03-15 10:00")                       # a year before
    s.contact(created="2026-01-10 10:00")
    s.contact(created="2026-01-20 10:00")
    # February: no new contact
    s.contact(created="2026-03-01 00:30")                       # +03:00: February 28th in UTC, March here
    s.contact(created="2026-03-20 10:00")
    gone = s.contact(created="2026-03-05 10:00")                # deleted on the portal
    s.company(created="2026-02-28 23:30")                       # February, local (20:30 UTC)
    s.company(created="2026-03-10 10:00")
    settings = s.sync()
    delete_on_portal(s, settings, contacts=[gone])

    months = {str(r["period"]): r for r in s.rows("contact_base_growth", period="month")}
    assert (months["2025-03-01"]["new_contacts"], months["2025-03-01"]["contacts_total"]) == (1, 1)
    assert months["2025-12-01"]["contacts_total"] == 1           # no new contacts since, the base stays
    feb, mar = months["2026-02-01"], months["2026-03-01"]
    assert (feb["new_contacts"], feb["contacts_total"]) == (0, 3)                 # 1 + 2 in January
    assert (feb["new_companies"], feb["companies_total"]) == (1, 1)
    assert (mar["new_contacts"], mar["contacts_total"]) == (2, 5)                 # 3 + 2
    assert (mar["new_companies"], mar["companies_total"]) == (1, 2)
    assert (mar["new_contacts_prev"], mar["contacts_total_prev"]) == (0, 3)       # February's row exists
    assert (mar["new_contacts_yoy"], mar["contacts_total_yoy"]) == (1, 1)         # March 2025

    # a cut that begins in March still counts the base built before it
    (only,) = s.rows("contact_base_growth", period="month", since=date(2026, 3, 1), until=date(2026, 4, 1))
    assert (only["new_contacts"], only["contacts_total"], only["contacts_total_prev"]) == (2, 5, 3)
    quarters = {str(r["period"]): r for r in s.rows("contact_base_growth", period="quarter")}
    q1 = quarters["2026-01-01"]
    assert (q1["new_contacts"], q1["contacts_total"], q1["contacts_total_prev"]) == (4, 5, 1)   # 2 + 2; 1
    (everything,) = s.rows("contact_base_growth", period="all")
    assert (everything["new_contacts"], everything["contacts_total"], everything["companies_total"]) == (5, 5, 2)
