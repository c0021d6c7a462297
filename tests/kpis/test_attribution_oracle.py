"""Oracle tests of the cohort attribution (which channel pays): figures worked out by hand from a
fixed data set and a spend file, with the clock fixed at NOW.

The ripeness curve is made by hand: four leads of October 2025 (mature: older than the 180-day
window) won at exactly 10, 20, 40 and 100 days, so a cohort has made 25 % of its eventual
wins by day 10, 50 % by day 20, 75 % by day 40 and all by day 100. At NOW (20 May 2026) every
March 2026 cohort day is 50 to 80 days old: 75 % ripe, and a projection divides by 0.75.
"""

from datetime import date, datetime

import pytest

from b24metrics.kpis.families.attribution import use_model
from b24metrics.kpis.catalogue import find
from b24metrics.kpis.cuts import cut
from tests.kpis.scenario import Scenario
from tests.kpis.test_inputs import refresh_with_inputs, write

NOW = datetime(2026, 5, 20, 12, 0)
N1, N2 = "+7 (495) 111-22-33", "+7 (495) 222-33-44"     # two tracking numbers of the call channel
SPEND = "\n".join([
    "period,channel,amount,currency,campaign,number",
    "2026-03,WEB,60000,RUB,,",                 # the web's March, not split
    "2026-W10,WEB,7000,RUB,,",                 # and a week of it (2-8 March): 67,000 in March
    "2026-03,ADVERTISING,30000,RUB,spring,",   # adverts: the spring campaign's own ...
    "2026-03,ADVERTISING,10000,RUB,,",         # ... and the channel's not split: 40,000
    f"2026-03,CALL,108000,RUB,,{N1}",          # seed 002: the number's own spend
    "2026-03,CALL,20000,RUB,,",                # the call channel's spend tied to no number
    "2026-03-05,EMAIL,5000,RUB,,",             # one day of e-mail
    "2026-04,WEB,100,RUB,nosuch,",             # a campaign the portal never saw ...
    "2026-04,WEB,100,RUB,nosuch,",             # ... told once
    "2026-04,CALL,100,RUB,,+7 (495) 999-99-99",  # a number no call came to
]) + "\n"


@pytest.fixture(scope="module")
def s(tmp_path_factory):
    folder = tmp_path_factory.mktemp("inputs")
    kpis = {"spend_file": write(folder, "spend.csv", SPEND), "base_currency": "RUB",
            "currency_rates": {"USD": 90}}
    with Scenario(kpis=kpis) as scenario:
        build(scenario)
        scenario.sync()
        scenario.problems = refresh_with_inputs(scenario, scenario.settings(), now=NOW)
        yield scenario


def won(s, lead: int | None, *, created: str, at: str, amount: float, **kw) -> int:
    return s.deal(created=created, moved=at, stage="WON", amount=amount, lead=lead, **kw)


def build(s) -> None:
    # the curve: mature leads of 1 October 2025, won after exactly 10, 20, 40, 100 days
    for day in ("2025-10-11", "2025-10-21", "2025-11-10", "2026-01-09"):
        lead = s.lead(created="2025-10-01 10:00", source="OTHER")
        won(s, lead, created="2025-10-02 10:00", at=f"{day} 10:00", amount=1000)
    # a web lead of that month won 212 days later: outside the 180-day window, credited nowhere
    late = s.lead(created="2025-10-01 10:00", source="WEB")
    won(s, late, created="2026-04-01 10:00", at="2026-05-01 10:00", amount=7777)

    k1 = s.company(created="2026-01-01 10:00")
    p1 = s.contact(created="2026-01-01 10:00")
    # web, March: 4 leads; L1 won in May (two months later), L2 in March
    l1, l2, _, _ = (s.lead(created=f"2026-03-0{d} 10:00", source="WEB") for d in (2, 3, 4, 5))
    won(s, l1, created="2026-03-10 10:00", at="2026-05-10 10:00", amount=100000, company=k1, source="WEB")
    won(s, l2, created="2026-03-10 10:00", at="2026-03-20 10:00", amount=50000, contact=p1, source="WEB")
    # K1 comes back: a deal made by hand (no lead), its own source the adverts, created in May
    won(s, None, created="2026-05-12 10:00", at="2026-05-15 10:00", amount=40000, company=k1, source="ADVERTISING")

    # adverts, March: two leads of the spring campaign (one won 1,000 USD in April), one without
    a1 = s.lead(created="2026-03-10 10:00", source="ADVERTISING", utm={"campaign": "spring"})
    s.lead(created="2026-03-11 10:00", source="ADVERTISING", utm={"campaign": "spring"})
    a3 = s.lead(created="2026-03-12 10:00", source="ADVERTISING")
    won(s, a1, created="2026-03-15 10:00", at="2026-04-05 10:00", amount=1000, currency="USD", source="ADVERTISING")
    won(s, a3, created="2026-03-15 10:00", at="2026-03-25 10:00", amount=20000, source="ADVERTISING")

    # e-mail, March: one lead won 200 EUR, a currency without a rate
    e1 = s.lead(created="2026-03-05 10:00", source="EMAIL")
    won(s, e1, created="2026-03-06 10:00", at="2026-04-06 10:00", amount=200, currency="EUR", source="EMAIL")

    # calls, March: 12 leads first called N1 and each bought; 3 called N2 and 2 bought
    for i in range(15):
        lead = s.lead(created=f"2026-03-{i + 10:02d} 10:00", source="CALL")
        s.call(number=N1 if i < 12 else N2, at=f"2026-03-{i + 10:02d} 09:55", entity=("lead", lead))
        if i < 14:
            won(s, lead, created=f"2026-03-{i + 10:02d} 11:00", at="2026-04-20 10:00", amount=15000, source="CALL")


def cohorts(s, by: str | None, key: str | None = None, *, model: str | None = None, month: str = "2026-03-01",
            name: str = "cohort_return", period: str = "month") -> list[dict]:
    """The rows of a cohort KPI for one period (month) and key, cut under `model` (None: the configured)."""
    with s.warehouse.connect(read_only=True) as con:
        use_model(con, model)
        rows = cut(con, find(name), period=period, by=by).rows
    return [r for r in rows if (period == "all" or str(r["period"]) == month) and (by is None or r[by] == key)]


def cohort(s, by: str | None, key: str | None = None, **kw) -> dict:
    (row,) = cohorts(s, by, key, **kw)
    return row


def test_cohort_cac_and_romi_per_channel(s):
    web = cohort(s, "channel", "Веб-сайт", model="deal")
    # spend 60,000 + 7 days of 1,000 = 67,000 for 4 leads; new clients K1 (L1) and P1 (L2)
    assert (web["spend"], web["leads"], web["cpl"], web["new_clients"], web["cac"]) == (67000.0, 4, 16750.0, 2, 33500.0)
    # revenue credited to the March cohort: L2's 50,000 won in March and L1's 100,000 won in May
    assert (web["won_deals"], web["revenue"], web["revenue_per_lead"]) == (2, 150000.0, 37500.0)
    assert web["romi"] == 123.9                                   # (150,000 - 67,000) / 67,000
    advert = cohort(s, "channel", "Реклама", model="deal")
    # 40,000 for 3 leads and 2 clients; 1,000 USD * 90 + 20,000 = 110,000
    assert (advert["spend"], advert["cpl"], advert["cac"], advert["revenue"]) == (40000.0, 13333.33, 20000.0, 110000.0)
    assert (advert["romi"], advert["base_currency"]) == (175.0, "RUB")


def test_cohort_cac_and_romi_per_campaign(s):
    spring = cohort(s, "utm_campaign", "spring", model="deal")
    # the campaign's own 30,000 for its 2 leads and 1 client worth 90,000
    assert (spring["spend"], spring["leads"], spring["cpl"], spring["cac"]) == (30000.0, 2, 15000.0, 30000.0)
    assert (spring["revenue"], spring["romi"]) == (90000.0, 200.0)
    # leads without a campaign have no spend of their own: no cost, no ROMI; spend naming no
    # campaign stands apart, with no leads
    assert cohort(s, "utm_campaign", "(none)", model="deal")["cac"] is None
    apart = cohort(s, "utm_campaign", "(not split)", model="deal")
    assert (apart["spend"], apart["leads"], apart["cpl"]) == (10000.0 + 67000.0 + 108000.0 + 20000.0 + 5000.0, 0, None)


def test_a_deal_won_two_months_after_its_lead_counts_in_the_leads_month(s):
    # the cohort: March holds L1's 100,000 (won 10 May); May's web cohort has nothing
    assert cohort(s, "channel", "Веб-сайт", model="deal")["revenue"] == 150000.0
    assert cohorts(s, "channel", "Веб-сайт", model="deal", month="2026-05-01") == []
    # the cash view counts it in May, against May's (no) spend: March has L2's 50,000 only
    cash = {str(r["period"]): r for r in s.rows("spend_return", period="month", by="channel")
            if r["channel"] == "Веб-сайт"}
    assert cash["2026-03-01"]["revenue"] == 50000.0
    # and the lead of October won after 212 days is outside the window
    october = cohort(s, "channel", "Веб-сайт", model="deal", month="2025-10-01")
    assert (october["leads"], october["won_deals"], october["revenue"]) == (1, 0, 0.0)


def test_a_returning_clients_second_deal_under_both_models(s):
    # "first": K1's deal made by hand in May goes to the web's March cohort, which brought K1
    web = cohort(s, "channel", "Веб-сайт", model="first")
    assert (web["won_deals"], web["new_clients"], web["revenue"]) == (3, 2, 190000.0)
    assert web["romi"] == 183.6                                   # (190,000 - 67,000) / 67,000
    # lead to won deal stays about leads: L1 and L2 of the 4 won a deal of their own (50 %), not
    # the 3 deals credited per 4 leads; the same under "deal"
    assert (web["won_leads"], web["won_rate"]) == (2, 50.0)
    assert cohort(s, "channel", "Веб-сайт", model="deal")["won_rate"] == 50.0
    # "deal": it goes to its own source (adverts) and creation month; K1 is no new client there
    may = cohort(s, "channel", "Реклама", model="deal", month="2026-05-01")
    assert (may["won_deals"], may["new_clients"], may["revenue"], may["leads"]) == (1, 0, 40000.0, 0)
    assert cohort(s, "channel", "Реклама", model="first")["revenue"] == 110000.0
    assert cohorts(s, "channel", "Реклама", model="first", month="2026-05-01") == []   # nothing in May
    # without --model the configured one (default "first")
    assert cohort(s, "channel", "Веб-сайт")["revenue"] == 190000.0


def test_seed_002_a_number_with_its_own_spend_and_one_without(s):
    n1 = cohort(s, "tracking_number", "74951112233")
    # 108,000 of its own spend, 12 new clients: 108,000 / 12 = 9,000 per client
    assert (n1["spend"], n1["leads"], n1["new_clients"], n1["cac"]) == (108000.0, 12, 12, 9000.0)
    n2 = cohort(s, "tracking_number", "74952223344")
    # no spend of its own: no cost per client, though it brought 2
    assert (n2["spend"], n2["new_clients"], n2["cac"], n2["cpl"], n2["romi"]) == (0.0, 2, None, None, None)
    # the channel's own figure: 128,000 for 15 leads and 14 clients
    calls = cohort(s, "channel", "Звонок")
    assert (calls["spend"], calls["new_clients"], calls["cac"]) == (128000.0, 14, 9142.86)


def test_ripeness_and_projection_on_a_hand_made_curve(s):
    curve = cohort(s, None, name="ripeness_curve", period="all")
    # 4 wins of 5 mature leads (the late one outside the window); 2 by day 30, 3 by 60 and 90
    assert (curve["share_30"], curve["share_60"], curve["share_90"], curve["ripe_days"]) == (50.0, 75.0, 75.0, 100)
    assert (curve["learnt_from"], curve["learnt_until"], curve["leads"], curve["won_deals"]) == (
        date(2025, 10, 1), date(2025, 11, 20), 5, 4)                # NOW - 180 days - 1
    web = cohort(s, "channel", "Веб-сайт", model="deal")
    # every March day is 50-80 days old: 75 % ripe, not ripe; the youngest is 31 March, 50 days
    assert (web["ripeness"], web["ripe"], web["age_days"]) == (75.0, False, 50)
    # projected: 150,000 / 0.75 = 200,000; ROMI (200,000 - 67,000) / 67,000; 2 / 0.75 clients
    assert (web["projected_revenue"], web["projected_romi"]) == (200000.0, 198.5)
    assert (web["ltv"], web["ltv_cac"], web["projected_won_rate"]) == (75000.0, 2.99, 66.7)
    # the mature October cohort is ripe, its projection what it has
    other = cohort(s, "channel", "Другое", model="deal", month="2025-10-01")
    assert (other["ripe"], other["ripeness"], other["revenue"], other["projected_revenue"]) == (True, 100.0, 4000.0, 4000.0)


def test_payback_in_months_of_age(s):
    # web March: 50,000 in its own month, 100,000 more in May (month 3): 150,000 >= 67,000 then
    web = cohort(s, "channel", "Веб-сайт", model="deal", name="cohort_payback")
    assert (web["payback_months"], web["cum_revenue_m1"], web["cum_revenue_m2"], web["cum_revenue_m3"]) == (
        3, 50000.0, 50000.0, 150000.0)
    assert (web["spend_m1"], web["spend_m3"], web["cum_revenue_m4"]) == (67000.0, 67000.0, None)   # not 4 months old
    # adverts: 20,000 in March, 90,000 in April: 110,000 >= 40,000 in month 2
    assert cohort(s, "channel", "Реклама", model="deal", name="cohort_payback")["payback_months"] == 2
    # a number with no spend of its own has no payback
    assert cohort(s, "tracking_number", "74952223344", name="cohort_payback")["payback_months"] is None


def test_a_currency_without_a_rate_says_so(s):
    mail = cohort(s, "channel", "E-mail")
    # 5,000 roubles of spend for 1 lead and 1 client; its 200 EUR cannot be added to roubles
    assert (mail["spend"], mail["cpl"], mail["cac"]) == (5000.0, 5000.0, 5000.0)
    assert (mail["revenue"], mail["romi"], mail["projected_romi"], mail["unconverted"]) == (None, None, None, "EUR")
    settings = s.settings(kpis={**s.settings_overrides["kpis"], "currency_rates": {"USD": 90, "EUR": 100}})
    try:
        refresh_with_inputs(s, settings, now=NOW)
        mail = cohort(s, "channel", "E-mail")
        assert (mail["revenue"], mail["romi"], mail["unconverted"]) == (20000.0, 300.0, None)
    finally:
        refresh_with_inputs(s, s.settings(), now=NOW)


def test_spend_naming_what_the_portal_never_saw_is_told_once_per_file(s):
    spend = s.settings_overrides["kpis"]["spend_file"]
    told = [p for p in s.problems if p.startswith(spend)]
    assert told == [
        f"{spend}:9: campaign 'nosuch' is the UTM campaign of no lead or deal of the portal: "
        "its spend counts with no leads",
        f"{spend}:11: number '+7 (495) 999-99-99' is neither a number the portal's calls came to nor in "
        "kpis.tracking_numbers: its spend counts with no leads"]


def test_the_attribution_window_can_change_without_a_full_rebuild_and_a_won_deal_is_credited_incrementally(
        tmp_path):
    """incremental.fingerprint leaves kpis.attribution_* out: the per-client credits do not
    depend on them (the views apply the window), so a new window needs no full rebuild; a deal
    won since is credited by an incremental refresh as a full rebuild would credit it."""
    from b24metrics import pipeline
    from b24metrics.extract import STREAMS
    from b24metrics.kpis.refresh import refresh_kpis

    spend = write(tmp_path, "spend.csv", "month,channel,amount,currency\n2026-03,WEB,3000,RUB\n")
    kpis = {"spend_file": spend, "base_currency": "RUB"}
    with Scenario(kpis=kpis) as s:
        lead = s.lead(created="2026-03-02 10:00", source="WEB")
        won(s, lead, created="2026-03-03 10:00", at="2026-04-20 10:00", amount=30000, source="WEB")   # day 49
        other = s.lead(created="2026-03-05 10:00", source="WEB")
        for _ in range(8):    # past a quarter of the leads or deals in scope, a refresh rebuilds all
            s.lead(created="2026-03-05 11:00", source="CALL")
            s.deal(created="2026-03-06 10:00")
        s.sync()
        refresh_with_inputs(s, s.settings(), now=NOW)
        assert cohort(s, "channel", "Веб-сайт")["revenue"] == 30000.0
        narrow = s.settings(kpis={**kpis, "attribution_window_days": 30})
        done = refresh_kpis(s.warehouse, narrow, now=NOW)
        assert not done.full and cohort(s, "channel", "Веб-сайт")["revenue"] == 0.0    # won after the window
        # the other lead is won now; the portal bumps DATE_MODIFY of what it touched
        deal = won(s, other, created="2026-03-06 10:00", at="2026-03-25 10:00", amount=5000, source="WEB")
        with s.state.lock:
            s.state.deals[deal]["DATE_MODIFY"] = s.state.leads[other]["DATE_MODIFY"] = \
                s.portal.format_time(s.portal.clock())
        with pipeline.open_client(narrow) as client:
            pipeline.sync(client, s.warehouse, list(STREAMS.values()), narrow)
        done = refresh_kpis(s.warehouse, narrow, now=NOW)
        assert not done.full and done.scope == (1, 1)
        assert cohort(s, "channel", "Веб-сайт")["revenue"] == 5000.0    # day 20
        incremental = money_rows(s)
        done = refresh_kpis(s.warehouse, narrow, now=NOW, full=True)
        assert done.full and money_rows(s) == incremental


def money_rows(s) -> list[tuple]:
    with s.warehouse.connect(read_only=True) as con:
        return con.execute("SELECT * FROM kpi_attribution_money ORDER BY ALL").fetchall()


def test_spend_in_a_currency_without_a_rate_is_named_not_added(tmp_path):
    spend = write(tmp_path, "spend.csv", "month,channel,amount,currency\n2026-03,WEB,1000,RUB\n2026-03,WEB,50,EUR\n")
    with Scenario(kpis={"spend_file": spend, "base_currency": "RUB"}) as s:
        lead = s.lead(created="2026-03-02 10:00", source="WEB")
        won(s, lead, created="2026-03-03 10:00", at="2026-03-20 10:00", amount=30000, source="WEB")
        s.sync()
        refresh_with_inputs(s, s.settings(), now=NOW)
        web = cohort(s, "channel", "Веб-сайт")
        # 1,000 roubles and 50 euros are no sum in roubles: no spend, cost or ROMI, and it says why
        assert (web["spend"], web["cpl"], web["cac"], web["romi"]) == (None, None, None, None)
        assert (web["unconverted_spend"], web["unconverted_revenue"], web["unconverted"]) == ("EUR", None, "EUR")
        assert (web["leads"], web["new_clients"], web["revenue"]) == (1, 1, 30000.0)   # the rest stands
        settings = s.settings(kpis={"spend_file": spend, "base_currency": "RUB", "currency_rates": {"EUR": 100}})
        refresh_with_inputs(s, settings, now=NOW)
        web = cohort(s, "channel", "Веб-сайт")
        # 1,000 + 50 * 100 = 6,000 for 1 lead and 1 client; (30,000 - 6,000) / 6,000
        assert (web["spend"], web["cac"], web["romi"], web["unconverted"]) == (6000.0, 6000.0, 400.0, None)
