"""The issue's traps, one test each, against figures worked out by hand: mixed currencies, deals
moved between pipelines, reopened deals, recurring-deal templates, simple CRM mode, deleted
records and the portal's +03:00 period boundaries."""

import pytest

from b24metrics import pipeline
from b24metrics.extract import STREAMS
from b24metrics.kpis.catalogue import catalogue
from b24metrics.kpis.refresh import refresh_kpis
from tests.kpis.scenario import Scenario
from tests.kpis.test_sales_oracle import OLGA, RATES, by_key, month

MARCH, APRIL = "2026-03-01", "2026-04-01"


@pytest.fixture
def s():
    with Scenario() as scenario:
        yield scenario


def test_mixed_currencies_are_never_summed_and_convert_only_with_rates(s):
    for day, amount, currency in ((3, 100_000, "RUB"), (4, 20_000, "RUB"), (5, 1_000, "USD"), (6, 500, "EUR")):
        s.deal(created="2026-03-01 10:00", stage="WON", amount=amount, currency=currency, manager=5,
               moved=f"2026-03-0{day} 10:00")
    s.sync()
    rows = by_key(month(s.rows("revenue", period="month"), MARCH), "currency")
    # one row per currency; RUB 100,000 + 20,000 = 120,000 over 2 -> 60,000; nothing adds USD or EUR to it
    assert set(rows) == {"RUB", "USD", "EUR"}
    assert (rows["RUB"]["revenue"], rows["RUB"]["won_deals"], rows["RUB"]["avg_check"]) == (120_000, 2, 60_000)
    assert (rows["USD"]["revenue"], rows["EUR"]["revenue"]) == (1_000, 500)
    # no rates configured: no converted figure at all, and all 4 deals said to be unconverted
    (converted,) = month(s.rows("revenue_converted", period="month"), MARCH)
    assert (converted["revenue_base"], converted["won_deals"], converted["unconverted_deals"]) == (None, 4, 4)
    (olga,) = month(s.rows("manager_performance", period="month", by="manager"), MARCH)
    assert (olga["revenue_base"], olga["unconverted_deals"]) == (None, 4)

    # base RUB, 1 USD = 90 RUB, no rate for EUR
    refresh_kpis(s.warehouse, s.settings(kpis=RATES))
    rows = by_key(month(s.rows("revenue", period="month"), MARCH), "currency")
    assert (rows["RUB"]["revenue"], rows["USD"]["revenue"], rows["EUR"]["revenue"]) == (120_000, 1_000, 500)
    (converted,) = month(s.rows("revenue_converted", period="month"), MARCH)
    # 120,000 + 1,000 x 90 = 210,000 over 3 convertible deals -> 70,000; EUR stays apart
    assert (converted["revenue_base"], converted["avg_check_base"]) == (210_000, 70_000)
    assert converted["unconverted_deals"] == 1
    (olga,) = month(s.rows("manager_performance", period="month", by="manager"), MARCH)
    assert (olga["revenue_base"], olga["unconverted_deals"]) == (210_000, 1)


def test_a_deal_moved_between_pipelines_counts_once_in_the_pipeline_it_is_in(s):
    moved = s.deal(created="2026-03-01 10:00", stage="C1:WON", category=1, amount=70_000, manager=5,
                   moved="2026-03-10 10:00")
    s.history("deal", moved, "NEW", at="2026-03-01 10:00", category=0)
    s.history("deal", moved, "PREPARATION", at="2026-03-03 10:00", category=0)
    s.history("deal", moved, "C1:NEW", at="2026-03-05 10:00", category=1)
    s.history("deal", moved, "C1:WON", at="2026-03-10 10:00", category=1)
    s.deal(created="2026-03-01 10:00", stage="WON", amount=10_000, manager=5, moved="2026-03-12 10:00")
    s.sync()
    rows = by_key(month(s.rows("revenue", period="month", by="pipeline"), MARCH), "pipeline")
    # the moved deal only in "Повторные продажи" (pipeline 1); pipeline 0 holds the other deal alone
    assert set(rows) == {"Общая", "Повторные продажи"}
    assert (rows["Повторные продажи"]["revenue"], rows["Повторные продажи"]["won_deals"]) == (70_000, 1)
    assert (rows["Общая"]["revenue"], rows["Общая"]["won_deals"]) == (10_000, 1)
    wins = by_key(month(s.rows("win_loss", period="month", by="pipeline"), MARCH), "pipeline")
    assert (wins["Повторные продажи"]["won"], wins["Общая"]["won"]) == (1, 1)
    (olga,) = month(s.rows("manager_performance", period="month", by="manager"), MARCH)
    assert olga["deals_won"] == 2                                      # 1 + 1, the moved one once


def test_a_reopened_deal_counts_once_by_where_it_ended(s):
    a = s.company(created="2026-01-10 10:00", title="Альфа")
    lost = s.deal(created="2026-03-01 10:00", stage="LOSE", amount=50_000, company=a, manager=5,
                  moved="2026-03-12 10:00")
    for stage, at in (("NEW", "03-01"), ("WON", "03-05"), ("PREPARATION", "03-08"), ("LOSE", "03-12")):
        s.history("deal", lost, stage, at=f"2026-{at} 10:00")          # won, reopened, lost
    rewon = s.deal(created="2026-03-01 10:00", stage="WON", amount=10_000, manager=5, moved="2026-04-02 10:00")
    for stage, at in (("NEW", "03-01"), ("WON", "03-03"), ("NEW", "03-06"), ("WON", "04-02")):
        s.history("deal", rewon, stage, at=f"2026-{at} 10:00")         # won, reopened, won again in April
    s.sync()
    revenue = s.rows("revenue", period="month")
    # no revenue in March (the March win was undone); April: 10,000 once
    assert month(revenue, MARCH) == []
    (april,) = month(revenue, APRIL)
    assert (april["revenue"], april["won_deals"]) == (10_000, 1)
    wins = s.rows("win_loss", period="month")
    assert [(r["won"], r["lost"]) for r in month(wins, MARCH)] == [(0, 1)]
    assert [(r["won"], r["lost"]) for r in month(wins, APRIL)] == [(1, 0)]
    (march,) = month(s.rows("manager_performance", period="month", by="manager"), MARCH, manager=OLGA)
    assert (march["deals_won"], march["deals_lost"], march["win_rate"]) == (0, 1, 0.0)
    assert s.rows("company_ltv", period="all") == []                   # Альфа never kept a purchase


def test_recurring_deal_templates_are_excluded(s):
    a = s.company(created="2026-01-10 10:00", title="Альфа")
    s.deal(created="2026-03-01 10:00", stage="WON", amount=50_000, company=a, manager=5,
           moved="2026-03-02 10:00", recurring=True)                   # a template, not a sale
    s.deal(created="2026-03-01 10:00", stage="NEW", amount=0, manager=5, recurring=True)
    s.deal(created="2026-03-03 10:00", stage="WON", amount=10_000, company=a, manager=5, moved="2026-03-04 10:00")
    s.sync()
    (march,) = month(s.rows("revenue", period="month"), MARCH)
    assert (march["revenue"], march["won_deals"], march["new_clients"]) == (10_000, 1, 1)
    (alpha,) = s.rows("company_ltv", period="all", by="company")
    assert (alpha["revenue"], alpha["purchases"]) == (10_000, 1)
    (olga,) = month(s.rows("manager_performance", period="month", by="manager"), MARCH)
    assert (olga["deals_won"], olga["win_rate"]) == (1, 100.0)
    (discipline,) = s.rows("data_discipline", period="all", by="manager")
    # 1 real deal, won, with an amount and no activity: the template without an amount is no deal
    assert (discipline["deals_no_amount"], discipline["items_no_activity"]) == (0, 1)
    assert [r["won"] for r in s.rows("win_loss", period="all")] == [1]


def test_simple_crm_mode_lead_figures_say_so(s):
    s.deal(created="2026-03-01 10:00", stage="WON", amount=10_000, manager=5, moved="2026-03-02 10:00")
    s.deal(created="2026-03-01 10:00", stage="NEW", amount=0, manager=5)
    s.call(number="+74950000001", at="2026-03-02 10:00", duration=60, user=5, incoming=False)
    s.sync()
    for kpi in catalogue().values():
        if kpi.needs_leads:
            assert "simple CRM mode" in (s.cut(kpi.name, period="month").note or ""), kpi.name
    (olga,) = month(s.rows("manager_performance", period="month", by="manager"), MARCH)
    # no leads handled is not "0 leads": the portal keeps none
    assert (olga["leads_handled"], olga["deals_won"], olga["calls"]) == (None, 1, 1)
    (discipline,) = s.rows("data_discipline", period="all", by="manager")
    assert (discipline["leads_no_source"], discipline["no_source_share"]) == (None, None)
    assert (discipline["deals_no_amount"], discipline["no_amount_share"]) == (1, 50.0)  # 1 of 2 open or won
    (march,) = month(s.rows("revenue", period="month"), MARCH)
    assert march["revenue"] == 10_000


def test_deleted_records_disappear_from_every_kpi(s):
    gone_lead = s.lead(created="2026-03-02 10:00", source=None, manager=5)
    s.lead(created="2026-03-03 10:00", source="CALL", manager=5)
    a = s.company(created="2026-01-10 10:00", title="Альфа")
    gone_company = s.company(created="2026-01-11 10:00", title="Бета")
    c = s.company(created="2026-01-12 10:00", title="Гамма")
    gone_deal = s.deal(created="2026-03-01 10:00", stage="WON", amount=30_000, company=a, manager=5,
                       moved="2026-03-05 10:00")
    s.activity(owner=("deal", gone_deal), at="2026-03-05 10:00", type_id=3, completed=False,
               deadline="2026-03-06 10:00", responsible=5)             # overdue; stays on the portal
    s.deal(created="2026-03-01 10:00", stage="WON", amount=5_000, company=gone_company, manager=5,
           moved="2026-03-06 10:00")
    s.deal(created="2026-03-01 10:00", stage="WON", amount=10_000, company=c, manager=5, moved="2026-03-07 10:00")
    settings = s.sync()
    (march,) = month(s.rows("revenue", period="month"), MARCH)
    assert (march["revenue"], march["won_deals"], march["new_clients"]) == (45_000, 3, 3)

    with s.state.lock:
        del s.state.leads[gone_lead], s.state.deals[gone_deal], s.state.companies[gone_company]
    with pipeline.open_client(settings) as client:
        pipeline.sweep(client, s.warehouse, list(STREAMS.values()))
    s.sync()

    (march,) = month(s.rows("revenue", period="month"), MARCH)
    # 5,000 + 10,000 = 15,000 over 2 -> 7,500; new clients 2: Гамма, and the deal of the deleted Бета,
    # which counts as its own one-off client (kpi_deals.client falls back to the lead, then the deal)
    assert (march["revenue"], march["won_deals"], march["avg_check"], march["new_clients"]) == (15_000, 2, 7_500, 2)
    assert [r["company"] for r in s.rows("company_ltv", period="all", by="company")] == ["Гамма #3"]
    (olga,) = month(s.rows("manager_performance", period="month", by="manager"), MARCH)
    assert (olga["leads_handled"], olga["deals_won"], olga["overdue_activities"]) == (1, 2, 0)
    (discipline,) = s.rows("data_discipline", period="all", by="manager")
    assert (discipline["leads_no_source"], discipline["overdue_activities"]) == (0, 0)
    leads = month(s.rows("leads_by_channel", period="month", by="channel"), MARCH)
    assert [(r["channel"], r["leads"]) for r in leads] == [("Звонок", 1)]
    # and no KPI table holds the deleted lead or deal any more
    for table in sorted({kpi.table for kpi in catalogue().values()}):
        columns = {row[0] for row in s.sql(f"DESCRIBE {table}")}
        for column, gone in (("deal_id", gone_deal), ("lead_id", gone_lead)):
            if column in columns:
                assert s.sql(f"SELECT count(*) FROM {table} WHERE {column} = ?", [gone]) == [(0,)], (table, column)


def test_period_boundaries_are_the_portals_midnight(s):
    x = s.company(created="2026-01-10 10:00", title="Икс")
    y = s.company(created="2026-01-10 10:00", title="Игрек")
    # +03:00: 00:30 on April 1st is 21:30 UTC on March 31st, yet April; 23:59 on March 31st is March
    april = s.deal(created="2026-03-20 10:00", stage="WON", amount=2_000, company=x, manager=5,
                   moved="2026-04-01 00:30")
    s.history("deal", april, "WON", at="2026-04-01 00:30")              # won time from stage history
    s.deal(created="2026-03-20 10:00", stage="WON", amount=1_000, company=y, manager=5,
           moved="2026-03-31 23:59")                                   # won time from MOVED_TIME
    s.lead(created="2026-04-01 00:30", manager=5)
    s.lead(created="2026-03-31 23:59", manager=5)
    s.sync()
    revenue = s.rows("revenue", period="month")
    assert [r["revenue"] for r in month(revenue, MARCH)] == [1_000]
    assert [(r["revenue"], r["revenue_prev"]) for r in month(revenue, APRIL)] == [(2_000, 1_000)]
    days = {str(r["period"]): r["revenue"] for r in s.rows("revenue", period="day")}
    assert days == {"2026-03-31": 1_000, "2026-04-01": 2_000}
    performance = s.rows("manager_performance", period="month", by="manager")
    assert [(r["deals_won"], r["leads_handled"]) for r in month(performance, MARCH)] == [(1, 1)]
    assert [(r["deals_won"], r["leads_handled"]) for r in month(performance, APRIL)] == [(1, 1)]
    cohorts = s.rows("company_ltv", period="month", by="company")
    assert [(r["company"], r["revenue"]) for r in month(cohorts, MARCH)] == [("Игрек #2", 1_000)]
    assert [(r["company"], r["revenue"]) for r in month(cohorts, APRIL)] == [("Икс #1", 2_000)]
    assert [r["leads"] for r in month(s.rows("leads_by_channel", period="month"), APRIL)] == [1]
    assert [r["won"] for r in month(s.rows("win_loss", period="month"), APRIL)] == [1]


def test_a_lost_deal_moved_between_failure_stages_stays_lost_when_it_first_failed(s):
    # NEW on March 1, LOSE on March 10, then tidied into APOLOGY on April 10: lost in March
    deal = s.deal(created="2026-03-01 10:00", stage="APOLOGY", moved="2026-04-10 10:00")
    s.history("deal", deal, "NEW", at="2026-03-01 10:00")
    s.history("deal", deal, "LOSE", at="2026-03-10 10:00")
    s.history("deal", deal, "APOLOGY", at="2026-04-10 10:00")
    s.sync()
    months = {str(r["period"]): (r["won"], r["lost"]) for r in s.rows("win_loss", period="month")}
    assert months == {"2026-03-01": (0, 1)}
