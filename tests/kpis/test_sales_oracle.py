"""Oracle tests of R1, R3 and R4: figures worked out by hand from fixed data sets."""

from datetime import date

import pytest

from tests.kpis.scenario import Scenario

OLGA, DMITRY = "Ольга Кузнецова #5", "Дмитрий Волков #6"   # sandbox users 5 and 6
RATES = {"base_currency": "RUB", "currency_rates": {"USD": 90.0}}  # [kpis]: 1 USD = 90 RUB


def by_key(rows, *keys):
    """Rows by the value of one key, or by a tuple of several."""
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in rows}


def month(rows, period, **match):
    """The rows of one period ("2026-03-01") and of the given key values."""
    return [r for r in rows if str(r["period"]) == period and all(r[k] == v for k, v in match.items())]


@pytest.fixture
def s():
    with Scenario() as scenario:
        yield scenario


def test_revenue_average_check_and_new_clients_per_currency(s):
    a = s.company(created="2025-12-01 10:00", title="Альфа")
    b = s.company(created="2026-01-15 10:00", title="Бета")
    p = s.contact(created="2026-02-01 10:00")
    # March 2026
    s.deal(created="2026-03-01 10:00", stage="WON", amount=100_000, company=a, manager=5, source="WEB",
           moved="2026-03-05 12:00")                                   # A's first purchase: a new client
    s.deal(created="2026-03-02 10:00", stage="WON", amount=50_000, company=a, manager=5, source="WEB",
           moved="2026-03-20 12:00")                                   # A again: not new
    s.deal(created="2026-03-03 10:00", stage="C1:WON", category=1, amount=30_000, contact=p, manager=6,
           source="CALL", moved="2026-03-10 12:00")                   # contact-only client: new
    s.deal(created="2026-03-04 10:00", stage="WON", amount=1_000, currency="USD", company=b, manager=5,
           source="WEB", moved="2026-03-15 12:00")                    # B's second purchase, in USD
    s.deal(created="2026-03-05 10:00", stage="LOSE", amount=999, manager=5, moved="2026-03-06 10:00")
    s.deal(created="2026-03-06 10:00", stage="PREPARATION", amount=777, manager=5)
    # the month before and a year before
    s.deal(created="2026-02-01 10:00", stage="WON", amount=20_000, company=b, manager=5, source="WEB",
           moved="2026-02-10 12:00")                                   # B's first purchase: new in February
    s.deal(created="2025-03-01 10:00", stage="WON", amount=40_000, manager=5, source="WEB",
           moved="2025-03-12 12:00")                                   # no company, no contact: no client
    s.sync(kpis=RATES)

    march = by_key(month(s.rows("revenue", period="month"), "2026-03-01"), "currency")
    rub, usd = march["RUB"], march["USD"]
    # RUB: 100,000 + 50,000 + 30,000 = 180,000 over 3 won deals -> check 60,000; new clients A and P = 2
    assert (rub["revenue"], rub["won_deals"], rub["avg_check"], rub["new_clients"]) == (180_000, 3, 60_000, 2)
    assert (rub["revenue_prev"], rub["revenue_yoy"], rub["new_clients_prev"]) == (20_000, 40_000, 1)
    assert (usd["revenue"], usd["won_deals"], usd["avg_check"], usd["new_clients"]) == (1_000, 1, 1_000, 0)

    managers = by_key(month(s.rows("revenue", period="month", by="manager"), "2026-03-01"), "manager", "currency")
    # Olga: 100,000 + 50,000 = 150,000 over 2 -> 75,000; Dmitry: 30,000
    assert (managers[OLGA, "RUB"]["revenue"], managers[OLGA, "RUB"]["avg_check"]) == (150_000, 75_000)
    assert managers[DMITRY, "RUB"]["revenue"] == 30_000 and managers[OLGA, "USD"]["revenue"] == 1_000

    pipelines = by_key(s.rows("revenue", period="year", since=date(2026, 1, 1), by="pipeline"), "pipeline", "currency")
    # 2026 pipeline 0: 100,000 + 50,000 + 20,000 = 170,000 RUB and 1,000 USD; pipeline 1: 30,000
    assert pipelines["Общая", "RUB"]["revenue"] == 170_000 and pipelines["Общая", "USD"]["revenue"] == 1_000
    assert pipelines["Повторные продажи", "RUB"]["revenue"] == 30_000

    channels = by_key(s.rows("revenue", period="all", by="channel"), "channel", "currency")
    # WEB: 100,000 + 50,000 + 20,000 + 40,000 = 210,000 RUB; CALL: 30,000
    assert channels["Веб-сайт", "RUB"]["revenue"] == 210_000 and channels["Звонок", "RUB"]["revenue"] == 30_000

    (march,) = month(s.rows("revenue_converted", period="month"), "2026-03-01")
    # 180,000 RUB + 1,000 USD x 90 = 270,000 over 4 deals -> 67,500; new clients A and P = 2
    assert (march["revenue_base"], march["avg_check_base"], march["won_deals"]) == (270_000, 67_500, 4)
    assert (march["new_clients"], march["unconverted_deals"]) == (2, 0)


def test_manager_performance(s):
    for when in ("2026-03-01 09:00", "2026-03-15 09:00", "2026-03-31 09:00"):
        s.lead(created=when, manager=5)
    s.lead(created="2026-02-20 09:00", manager=5)                    # February
    s.lead(created="2026-03-10 09:00", manager=6)
    s.deal(created="2026-03-01 10:00", stage="WON", amount=100_000, manager=5, moved="2026-03-05 10:00")
    s.deal(created="2026-03-01 10:00", stage="WON", amount=1_000, currency="USD", manager=5, moved="2026-03-06 10:00")
    lost = s.deal(created="2026-03-01 10:00", stage="LOSE", manager=5, moved="2026-03-07 10:00")
    s.deal(created="2026-02-01 10:00", stage="LOSE", manager=5, moved="2026-02-07 10:00")  # February
    s.deal(created="2026-03-01 10:00", stage="APOLOGY", manager=6, moved="2026-03-08 10:00")
    s.deal(created="2026-03-01 10:00", stage="EXECUTING", manager=5)  # open: neither won nor lost
    s.call(number="+74950000001", at="2026-03-02 10:00", duration=120, user=5, incoming=False)
    s.call(number="+74950000001", at="2026-03-03 10:00", duration=300, user=5, incoming=False)
    s.call(number="+74950000001", at="2026-03-04 10:00", duration=0, failed_code="304", user=5, incoming=False)
    s.call(number="+74950000001", at="2026-03-05 10:00", duration=600, user=5, incoming=True)  # not made by her
    s.activity(owner=("deal", lost), at="2026-03-01 10:00", type_id=3, completed=False,
               deadline="2026-03-10 18:00", responsible=5)            # open, deadline passed: overdue
    s.activity(owner=("deal", lost), at="2026-03-01 10:00", type_id=3, completed=True,
               deadline="2026-03-11 18:00", responsible=5)            # done: not overdue
    s.activity(owner=("deal", lost), at="2026-03-01 10:00", type_id=3, completed=False,
               deadline="2099-03-12 18:00", responsible=5)            # not due yet
    s.sync(kpis=RATES)

    rows = by_key(month(s.rows("manager_performance", period="month", by="manager"), "2026-03-01"), "manager")
    olga, dmitry = rows[OLGA], rows[DMITRY]
    assert olga["leads_handled"] == 3 and olga["leads_handled_prev"] == 1
    # won 2, lost 1: 2 / 3 = 66.7 %; revenue 100,000 RUB + 1,000 USD x 90 = 190,000 RUB
    assert (olga["deals_won"], olga["deals_lost"], olga["win_rate"]) == (2, 1, 66.7)
    assert olga["revenue_base"] == 190_000 and olga["deals_lost_prev"] == 1
    # 3 outgoing calls, 2 answered; (120 + 300 + 0) s = 7.0 min; answered mean (120 + 300) / 2 = 210 s
    calls = (olga["calls"], olga["calls_answered"], olga["call_minutes"], olga["mean_talk_seconds"])
    assert calls == (3, 2, 7.0, 210.0)
    assert olga["overdue_activities"] == 1
    # Dmitry: 1 lead, 0 won of 1 closed -> 0 %, no calls
    assert (dmitry["leads_handled"], dmitry["deals_won"], dmitry["win_rate"], dmitry["calls"]) == (1, 0, 0.0, 0)
    assert (dmitry["call_minutes"], dmitry["mean_talk_seconds"], dmitry["revenue_base"]) == (0.0, None, None)

    money = by_key(s.rows("manager_revenue", period="all", by="manager"), "manager", "currency")
    assert (money[OLGA, "RUB"]["revenue"], money[OLGA, "USD"]["revenue"]) == (100_000, 1_000)


def test_ltv_and_repeat_purchases_per_company_and_contact(s):
    a = s.company(created="2026-01-01 10:00", title="Альфа")
    b = s.company(created="2026-03-05 10:00", title="Бета")
    c = s.company(created="2026-02-01 10:00", title="Гамма")
    s.lead(created="2025-12-22 10:00", company=a)                   # A's first contact: its lead
    came_from = s.lead(created="2026-02-10 10:00")
    p = s.contact(created="2026-02-20 10:00", LEAD_ID=str(came_from))  # P's first contact: the lead it came from
    won = dict(stage="WON", manager=5, source="WEB")
    s.deal(created="2026-02-25 10:00", amount=100_000, company=a, contact=p, moved="2026-03-01 10:00", **won)
    s.deal(created="2026-03-02 10:00", amount=50_000, company=a, moved="2026-03-31 10:00", **won)
    s.deal(created="2026-04-01 10:00", amount=30_000, company=a, moved="2026-05-30 10:00", **won)
    s.deal(created="2026-03-20 10:00", stage="LOSE", amount=9_999, company=a, moved="2026-03-25 10:00")
    s.deal(created="2026-03-06 10:00", amount=20_000, company=b, moved="2026-03-15 10:00", **won)
    s.deal(created="2026-03-20 10:00", amount=1_000, currency="USD", company=b, moved="2026-04-14 10:00", **won)
    s.deal(created="2026-01-22 10:00", amount=10_000, company=c, moved="2026-04-02 10:00",
           stage="WON", manager=6, source="CALL")                    # C's first contact: this deal's creation
    s.deal(created="2026-03-05 10:00", amount=5_000, contact=p, moved="2026-03-11 10:00", **won)
    s.sync()

    companies = by_key(s.rows("company_ltv", period="all", by="company"), "company", "currency")
    alpha = companies["Альфа #1", "RUB"]
    # 100,000 + 50,000 + 30,000; gaps Mar 1 -> Mar 31 = 30 d, Mar 31 -> May 30 = 60 d, mean 45;
    # first contact Dec 22 -> first purchase Mar 1 = 10 + 31 + 28 = 69 d
    assert (alpha["ltv"], alpha["purchases"], alpha["repeat_clients"]) == (180_000, 3, 1)
    assert (alpha["mean_days_between"], alpha["days_to_first_purchase"]) == (45.0, 69.0)
    beta_rub, beta_usd = companies["Бета #2", "RUB"], companies["Бета #2", "USD"]
    # created Mar 5 -> bought Mar 15 = 10 d; the USD deal is its second purchase, 30 d later
    assert (beta_rub["revenue"], beta_rub["purchases"], beta_rub["days_to_first_purchase"]) == (20_000, 1, 10.0)
    assert (beta_usd["revenue"], beta_usd["mean_days_between"], beta_usd["repeat_clients"]) == (1_000, 30.0, 1)
    gamma = companies["Гамма #3", "RUB"]
    # deal created Jan 22 (before the company, Feb 1) -> won Apr 2 = 10 + 28 + 31 + 1 = 70 d
    assert (gamma["revenue"], gamma["days_to_first_purchase"], gamma["mean_days_between"]) == (10_000, 70.0, None)

    (rub,) = [r for r in s.rows("company_ltv", period="all") if r["currency"] == "RUB"]
    # 3 companies, 210,000 -> 70,000 each; 5 purchases; days to first (69 + 10 + 70) / 3 = 49.7
    assert (rub["clients"], rub["revenue"], rub["ltv"], rub["purchases"]) == (3, 210_000, 70_000, 5)
    assert (rub["mean_days_between"], rub["days_to_first_purchase"]) == (45.0, 49.7)

    cohorts = by_key(s.rows("company_ltv", period="month"), "period", "currency")
    months = {str(p): row for (p, cur), row in cohorts.items() if cur == "RUB"}
    # March cohort (first bought in March): A and B, all they bought since: 180,000 + 20,000
    assert (months["2026-03-01"]["clients"], months["2026-03-01"]["revenue"]) == (2, 200_000)
    assert (months["2026-04-01"]["clients"], months["2026-04-01"]["revenue"]) == (1, 10_000)  # C
    assert "2026-05-01" not in months                                # A's May purchase is in its cohort

    (contact,) = s.rows("contact_ltv", period="all", by="contact")
    # P: 100,000 + 5,000 over 2 purchases 10 d apart; lead Feb 10 -> Mar 1 = 18 + 1 = 19 d
    assert (contact["revenue"], contact["purchases"], contact["mean_days_between"]) == (105_000, 2, 10.0)
    assert contact["days_to_first_purchase"] == 19.0
