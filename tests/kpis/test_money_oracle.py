"""Oracle tests of M5 (cost per lead, CAC, ROMI) and R2 (plan vs actual with a forecast):
figures worked out by hand from a fixed data set, a spend file and a plan file."""

from datetime import date, datetime

import pytest

from tests.kpis.scenario import Scenario
from tests.kpis.test_inputs import delete_on_portal, refresh_with_inputs, write

SPEND = ("month,channel,amount,currency\n"
         '2026-03,WEB,"50 000",RUB\n'               # by code
         '2026-03,Реклама,"1 000,00",USD\n'         # by name, in dollars ...
         "2026-03,ADVERTISING,20000,RUB\n"          # ... and in roubles
         "2026-02,Веб-сайт,40000,RUB\n")
PLAN = """\
[[plan]]
period = "2026-03"
metric = "leads"
target = 20

[[plan]]
period = "2026-03"
metric = "leads"
target = 8
channel = "WEB"

[[plan]]
period = "2026-03"
metric = "revenue"
target = "500 000"
currency = "RUB"

[[plan]]
period = "2026-Q1"
metric = "won_deals"
target = 10
manager = "Ольга Кузнецова"

[[plan]]
period = "2026-W10"
metric = "calls"
target = 5

[[plan]]
period = "2026"
metric = "new_clients"
target = 24

[[plan]]
period = "2026-02"
metric = "deals"
target = 3

[[plan]]
period = "2026-04"
metric = "leads"
target = 10

[[plan]]
period = "2026-03"
metric = "leads"
target = 5
manager = "Нет Такого"

[[plan]]
period = "2026-03"
metric = "visits"
target = 5
"""
NOW = datetime(2026, 3, 11)        # 10 days of March gone, 69 of Q1 (31 + 28 + 10), 69 of 2026
USD, USD_EUR = {"USD": 90}, {"USD": 90, "EUR": 100}


@pytest.fixture(scope="module")
def s(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    kpis = {"spend_file": write(folder, "spend.csv", SPEND), "plan_file": write(folder, "plan.toml", PLAN),
            "base_currency": "RUB"}
    with Scenario(kpis=kpis) as scenario:
        gone = build(scenario)
        scenario.sync()
        delete_on_portal(scenario, **gone)
        refresh_with_inputs(scenario, scenario.settings())
        yield scenario


def refresh(s, rates: dict | None = None) -> list[str]:
    """The inputs again with these currency rates (RUB the base) and the clock fixed at NOW."""
    settings = s.settings(kpis={**s.settings_overrides["kpis"], "currency_rates": rates or {}})
    return refresh_with_inputs(s, settings, now=NOW)


def build(s) -> dict:
    # leads: 10 from the web in March (the first at 00:30 local on March 1st, February in UTC),
    # one more deleted on the portal; 2 in February; 4 from adverts in March
    web = [s.lead(created="2026-03-01 00:30", source="WEB")]
    web += [s.lead(created=f"2026-03-{d:02d} 10:00", source="WEB") for d in range(2, 11)]
    deleted_lead = s.lead(created="2026-03-05 11:00", source="WEB")
    early = s.lead(created="2026-02-15 10:00", source="WEB")
    s.lead(created="2026-02-28 23:30", source="WEB")
    for d in range(3, 7):
        s.lead(created=f"2026-03-{d:02d} 10:00", source="ADVERTISING")

    k1, k2, k3, k9 = (s.company(created="2025-12-01 10:00") for _ in range(4))
    p1, p2, p3, p4 = (s.contact(created="2025-12-01 10:00") for _ in range(4))
    won = dict(stage="WON", source="WEB")
    # web deals; manager 5 (Ольга Кузнецова) wins W0, W1, W3 and W9
    s.deal(created="2026-01-05 10:00", moved="2026-01-10 10:00", amount=10000, company=k2, manager=5, **won)  # W0
    s.deal(created="2026-03-02 10:00", moved="2026-03-10 12:00", amount=100000, company=k1, manager=5, **won)  # W1 new
    s.deal(created="2026-03-02 11:00", moved="2026-03-15 12:00", amount=50000, company=k1, **won)  # W2: k1 again
    s.deal(created="2026-03-03 10:00", moved="2026-03-20 12:00", amount=30000, contact=p1, manager=5, **won)  # W3 new
    # W4: a lead's deal with no company or contact (the lead is the client), won 00:30 on March 1st
    s.deal(created="2026-02-20 10:00", moved="2026-03-01 00:30", amount=20000, lead=early, **won)
    s.deal(created="2026-03-04 10:00", moved="2026-03-25 12:00", amount=40000, company=k2, **won)  # W5: k2 again
    s.deal(created="2026-03-04 10:00", moved="2026-03-12 12:00", amount=999999, company=k9, recurring=True, **won)
    deleted_deal = s.deal(created="2026-03-04 10:00", moved="2026-03-12 12:00", amount=77777, company=k9, **won)
    s.deal(created="2026-03-04 10:00", moved="2026-03-12 12:00", amount=5000, company=k9, stage="LOSE", source="WEB")
    # W9: won in February, reopened, won again in March: a March sale and a March new client
    w9 = s.deal(created="2026-02-01 10:00", moved="2026-03-12 12:00", amount=60000, company=k3, manager=5, **won)
    for stage, at in (("NEW", "2026-02-01 10:00"), ("WON", "2026-02-10 10:00"), ("EXECUTING", "2026-02-20 10:00"),
                      ("WON", "2026-03-12 12:00")):
        s.history("deal", w9, stage, at=at)
    # W10: opened in pipeline 0, moved to pipeline 1 and won there
    w10 = s.deal(created="2026-03-01 10:00", moved="2026-03-05 10:00", amount=10000, contact=p2,
                 stage="C1:WON", category=1, source="WEB")
    s.history("deal", w10, "NEW", at="2026-03-01 10:00")
    s.history("deal", w10, "C1:NEW", at="2026-03-03 10:00", category=1)
    s.history("deal", w10, "C1:WON", at="2026-03-05 10:00", category=1)
    # advert deals in foreign currencies
    s.deal(created="2026-03-03 10:00", moved="2026-03-08 10:00", amount=5000, currency="USD", contact=p3,
           stage="WON", source="ADVERTISING")
    s.deal(created="2026-03-03 10:00", moved="2026-03-09 10:00", amount=100, currency="EUR", contact=p4,
           stage="WON", source="ADVERTISING")

    # calls around ISO week 10 (Monday March 2nd to Sunday March 8th, local)
    s.call(number="+74951112233", at="2026-03-01 23:30")                   # Sunday: week 9
    s.call(number="+74951112233", at="2026-03-02 00:30")                   # Monday 00:30 (Sunday in UTC)
    s.call(number="+74951112233", at="2026-03-05 12:00", incoming=False)   # outgoing calls count too
    s.call(number="+74951112233", at="2026-03-08 23:50")                   # Sunday 23:50
    s.call(number="+74951112233", at="2026-03-09 00:30")                   # Monday: week 11
    return {"leads": [deleted_lead], "deals": [deleted_deal]}


def by_channel(s, currency: str | None = None, period: str = "2026-03-01") -> dict:
    return {r["channel"]: r for r in s.rows("spend_return", period="month", by="channel")
            if str(r["period"]) == period and (currency is None or r["currency"] == currency)}


def test_cost_per_lead_cac_romi_per_channel(s):
    refresh(s, USD_EUR)
    web = by_channel(s, "RUB")["Веб-сайт"]
    # 10 March leads (the deleted one not); new clients: k1 (W1), p1 (W3), the lead of W4, k3 (W9),
    # p2 (W10) - not k1 again (W2), not k2 (first won in January); no recurring template, no
    # deleted or lost deal
    assert (web["spend"], web["leads"], web["new_clients"]) == (50000.0, 10, 5)
    assert web["cpl"] == 5000.0 and web["cac"] == 10000.0            # 50,000 / 10, 50,000 / 5
    # revenue 100,000 + 50,000 + 30,000 + 20,000 + 40,000 + 60,000 + 10,000 = 310,000
    assert web["revenue"] == 310000.0
    assert web["romi"] == 520.0                                       # (310,000 - 50,000) / 50,000
    # February: 40,000 for 2 leads, no client, no revenue
    assert (web["cpl_prev"], web["cac_prev"], web["romi_prev"]) == (20000.0, None, -100.0)
    # adverts, converted: 1,000 USD * 90 + 20,000 = 110,000 for 4 leads and 2 new clients (p3, p4);
    # revenue 5,000 USD * 90 + 100 EUR * 100 = 460,000
    advert = by_channel(s, "RUB")["Реклама"]
    assert (advert["spend"], advert["cpl"], advert["cac"], advert["revenue"]) == (110000.0, 27500.0, 55000.0, 460000.0)
    assert advert["romi"] == 318.2                                    # (460,000 - 110,000) / 110,000
    (total,) = [r for r in s.rows("spend_return", period="month") if str(r["period"]) == "2026-03-01"]
    # 160,000 / 14 leads, 160,000 / 7 new clients
    assert (total["spend"], total["leads"], total["cpl"], total["cac"]) == (160000.0, 14, 11428.57, 22857.14)


def test_currencies_without_a_rate_stay_apart(s):
    refresh(s)                      # no rates: dollars, euros and roubles each on their own
    rub, usd, eur = by_channel(s, "RUB"), by_channel(s, "USD"), by_channel(s, "EUR")
    assert (rub["Реклама"]["spend"], usd["Реклама"]["spend"], usd["Реклама"]["revenue"]) == (20000.0, 1000.0, 5000.0)
    assert (eur["Реклама"]["spend"], eur["Реклама"]["revenue"]) == (0.0, 100.0)
    # the spend is in two currencies: no cost per lead or client, no ROMI is true in either
    for row in (rub["Реклама"], usd["Реклама"], eur["Реклама"]):
        assert (row["cpl"], row["cac"], row["romi"]) == (None, None, None)
    # and each says which other currencies it lacks a rate to (the euros bought nothing: no cost)
    assert [(r["unconverted"], r["unconverted_spend"]) for r in (rub["Реклама"], usd["Реклама"], eur["Реклама"])] == [
        ("EUR, USD", "USD"), ("EUR, RUB", "RUB"), ("RUB, USD", None)]
    assert (rub["Веб-сайт"]["unconverted"], rub["Веб-сайт"]["unconverted_spend"]) == (None, None)
    assert (rub["Веб-сайт"]["cpl"], rub["Веб-сайт"]["romi"]) == (5000.0, 520.0)
    refresh(s, USD)                 # dollars converted, euros not: spend in one currency, revenue in two
    rub, eur = by_channel(s, "RUB"), by_channel(s, "EUR")
    assert (rub["Реклама"]["spend"], rub["Реклама"]["cpl"], rub["Реклама"]["cac"]) == (110000.0, 27500.0, 55000.0)
    assert (rub["Реклама"]["revenue"], rub["Реклама"]["romi"]) == (450000.0, None)
    assert (rub["Реклама"]["unconverted"], rub["Реклама"]["unconverted_spend"]) == ("EUR", None)
    assert eur["Реклама"]["revenue"] == 100.0


def test_plan_vs_actual_with_forecast(s):
    problems = refresh(s, USD_EUR)
    plan = s.settings_overrides["kpis"]["plan_file"]
    assert problems == [f"{plan}:50: unknown metric 'visits'; one of leads, deals, won_deals, revenue, "
                        "new_clients, calls; row skipped",
                        f"{plan}:44: manager 'Нет Такого': no user of the portal has that name; row skipped"]
    leads = {r["channel"]: r for r in s.rows("plan_leads", period="month", by="channel")
             if str(r["period"]) == "2026-03-01"}
    march, web = leads["(all channels)"], leads["Веб-сайт"]
    # 14 March leads (10 web, 4 adverts) of 20; forecast 14 / (10 / 31) = 43.4
    assert (march["target"], march["actual"], march["done_pct"]) == (20.0, 14.0, 70.0)
    assert (march["forecast"], march["forecast_pct"]) == (43.4, 217.0)
    # the web's 10 of 8; forecast 10 * 31 / 10 = 31
    assert (web["actual"], web["done_pct"], web["forecast"], web["forecast_pct"]) == (10.0, 125.0, 31.0, 387.5)
    (revenue,) = s.rows("plan_revenue", period="month")
    # 310,000 + 450,000 + 10,000 = 770,000 of 500,000; forecast 770,000 * 3.1
    assert (revenue["currency"], revenue["actual"], revenue["done_pct"]) == ("RUB", 770000.0, 154.0)
    assert (revenue["forecast"], revenue["other_currency_deals"]) == (2387000.0, 0)
    (won,) = s.rows("plan_won_deals", period="quarter", by="manager")
    # manager 5 won W0 (January), W1, W3, W9 in Q1: 4 of 10; forecast 4 * 90 / 69 = 5.217
    assert (won["manager"], won["actual"], won["done_pct"]) == ("Ольга Кузнецова #5", 4.0, 40.0)
    assert (won["forecast"], won["forecast_pct"]) == (5.22, 52.2)
    (calls,) = s.rows("plan_calls", period="week")
    # week 10 is over: 3 calls (Monday 00:30, the outgoing one, Sunday 23:50), forecast = actual
    assert (str(calls["period"]), calls["actual"], calls["done_pct"], calls["forecast"]) == ("2026-03-02", 3.0, 60.0, 3.0)
    (clients,) = s.rows("plan_new_clients", period="year")
    # k2, k1, p1, the lead of W4, k3, p2, p3, p4: 8 of 24; forecast 8 * 365 / 69 = 42.32
    assert (clients["actual"], clients["done_pct"], clients["forecast"], clients["forecast_pct"]) == (8.0, 33.3, 42.32, 176.3)
    (deals,) = s.rows("plan_deals", period="month")
    # February is over: W9 (Feb 1st) and W4 (Feb 20th)
    assert (deals["actual"], deals["done_pct"], deals["forecast"]) == (2.0, 66.7, 2.0)
    april = [r for r in s.rows("plan_leads", period="month") if str(r["period"]) == "2026-04-01"]
    assert [(r["actual"], r["done_pct"], r["forecast"]) for r in april] == [(0.0, 0.0, None)]   # not begun
    # Levels: without a dimension March is the team's 20 leads, not 20 + the web's 8; by manager,
    # "(all managers)" is that team row alone. Q1 has only a manager's target: that is the level.
    (team,) = [r for r in s.rows("plan_leads", period="month") if str(r["period"]) == "2026-03-01"]
    assert (team["target"], team["actual"], team["done_pct"]) == (20.0, 14.0, 70.0)
    (everyone,) = [r for r in s.rows("plan_leads", period="month", by="manager") if str(r["period"]) == "2026-03-01"]
    assert (everyone["manager"], everyone["target"], everyone["actual"]) == ("(all managers)", 20.0, 14.0)
    (quarter,) = s.rows("plan_won_deals", period="quarter")
    assert (quarter["target"], quarter["actual"]) == (10.0, 4.0)
    # "all" counts the plans of every period, or those that begin in --since/--until
    (whole,) = s.rows("plan_leads", period="all")
    assert (whole["target"], whole["actual"]) == (30.0, 14.0)                # March's 20, April's 10
    (later,) = s.rows("plan_leads", period="all", since=date(2026, 4, 1))
    assert (later["target"], later["actual"]) == (10.0, 0.0)
    assert s.rows("plan_leads", period="all", until=date(2026, 3, 1)) == []
    overview = {str(r["period"]): r for r in s.rows("plan_vs_actual", period="month")}
    # March: leads, web leads, revenue, week 10 calls; met: web leads and revenue; on pace: + all leads
    assert [(overview[p]["plans"], overview[p]["met"], overview[p]["on_pace"]) for p in sorted(overview)] == [
        (2, 0, 1), (1, 0, 0), (4, 2, 3), (1, 0, 0)]    # January (Q1, 2026), February, March, April


def test_revenue_plan_counts_unconverted_currencies_apart(s):
    refresh(s)
    (revenue,) = s.rows("plan_revenue", period="month")
    # roubles only: 310,000 of 500,000; the dollar and the euro deal are shown, not added
    assert (revenue["actual"], revenue["done_pct"], revenue["other_currency_deals"]) == (310000.0, 62.0, 2)


def test_simple_crm_mode_cac_and_romi_without_leads(tmp_path):
    spend = write(tmp_path, "spend.csv", "month,channel,amount,currency\n2026-03,WEB,25000,RUB\n")
    plan = write(tmp_path, "plan.csv", "period,metric,target\n2026-03,leads,10\n2026-03,won_deals,2\n")
    with Scenario(kpis={"spend_file": spend, "plan_file": plan}) as s:
        contact = s.contact(created="2026-03-01 10:00")
        s.deal(created="2026-03-02 10:00", moved="2026-03-05 10:00", stage="WON", amount=100000,
               contact=contact, source="WEB")
        settings = s.sync()
        refresh_with_inputs(s, settings)
        (web,) = s.rows("spend_return", period="month", by="channel")
        # no leads on the portal: no cost per lead; 25,000 / 1 client; (100,000 - 25,000) / 25,000
        assert (web["leads"], web["cpl"], web["cac"], web["romi"]) == (0, None, 25000.0, 300.0)
        # a plan of leads says why it has nothing to show; a plan of won deals works: 1 of 2
        leads = s.cut("plan_leads", period="month")
        assert leads.rows == [] and "simple CRM mode" in leads.note
        (won,) = s.rows("plan_won_deals", period="month")
        assert (won["actual"], won["done_pct"]) == (1.0, 50.0)
