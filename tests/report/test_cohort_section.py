"""The report's cohort section on the hand-made data of tests/kpis/test_attribution_oracle.py,
seen on 10 April 2026: March is the headline cohort, 10 to 39 days old and so not ripe."""

import re
from datetime import datetime, timedelta

import pytest

from tests.kpis.scenario import Scenario
from tests.kpis.test_attribution_oracle import SPEND, build
from tests.kpis.test_inputs import refresh_with_inputs, write
from tests.report.pages import report_pages

NOW = datetime(2026, 4, 10, 12, 0)


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("cohorts")
    kpis = {"spend_file": write(folder, "spend.csv", SPEND), "base_currency": "RUB", "currency_rates": {"USD": 90}}
    with Scenario(kpis=kpis) as s:
        build(s)
        s.sync()
        refresh_with_inputs(s, s.settings(), now=NOW)
        pages = report_pages(s, folder, NOW)
    return pages


def section(page: str, sid: str) -> str:
    return page.split(f'data-section="{sid}"')[1].split("</section>")[0]


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<title>.*?</title>|<[^>]+>", " ", fragment, flags=re.S))


def test_the_section_names_its_view_model_and_what_is_to_date(html):
    cohorts = text(section(html["en"], "cohorts"))
    # the report window's cohorts, and apart the headline's own, named as the newest and unripe
    assert "Leads created in April 2025 – March 2026" in cohorts and "model: first touch" in cohorts
    assert "Channel · the newest cohort, March 2026, not ripe yet" in cohorts
    assert "Revenue to date" in cohorts and "ROMI, projected" in cohorts
    # the channel, campaign and number tables, the number without spend of its own explained
    for column in ("Channel", "Campaign (UTM)", "Number"):
        assert f"{column} Spend, RUB" in cohorts
    assert "A number without spend of its own has no cost per client" in cohorts
    # the call channel's 20,000 tied to no number has no leads: its -100 % is explained
    assert "(not split)" in cohorts and "is the channel&#39;s spend tied to no campaign or number" in cohorts
    # the e-mail lead's 200 EUR cannot be added to roubles: the figure says so
    assert "E-mail" in cohorts and "EUR without a rate" in cohorts
    # the curve it projects by, with the cohorts it was learnt from
    assert "Projections follow the ripeness curve of the cohorts 2025-10-01 to 2025-10-11" in cohorts


def test_the_headline_never_shows_an_unripe_conversion_as_final(html):
    headline = text(section(html["en"], "headline"))
    assert "The March 2026 cohort is not ripe yet" in headline and "not final" in headline
    assert "ещё не созрела" in text(section(html["ru"], "headline"))


def test_the_cash_view_is_named_as_such(html):
    assert "Cash view" in text(section(html["en"], "money"))
    assert "Кассовый взгляд" in text(section(html["ru"], "money"))


def test_a_cash_view_roi_no_rate_can_make_true_says_which_currency_lacks_one(tmp_path):
    """E-mail spent 5,000 RUB in March and won a deal of 200 EUR that month, a currency without a
    rate: ROMI in roubles alone would say -100 %, so it is left out and says why; the euro row
    spent nothing of its own and has no ROMI to miss."""
    from tests.kpis.test_attribution_oracle import won

    kpis = {"spend_file": write(tmp_path, "spend.csv", "period,channel,amount,currency\n2026-03,EMAIL,5000,RUB\n"),
            "base_currency": "RUB"}
    with Scenario(kpis=kpis) as s:
        lead = s.lead(created="2026-03-02 10:00", source="EMAIL")
        won(s, lead, created="2026-03-03 10:00", at="2026-03-20 10:00", amount=200, currency="EUR", source="EMAIL")
        s.sync()
        refresh_with_inputs(s, s.settings(), now=NOW)
        pages = report_pages(s, tmp_path, NOW)
    money = text(section(pages["en"], "money"))
    # spend, leads, cost per lead, new clients, CAC, revenue, ROMI
    assert "E-mail RUB RUB 5,000 1 RUB 5,000 1 RUB 5,000 RUB 0 EUR without a rate E-mail EUR €0 0 — 0 — €200 —" in money
    assert "EUR без курса" in text(section(pages["ru"], "money"))


# -- a channel that pays, seen while its newest cohort is young ----------------------------------
#
# The web spends 10,000 a month from May 2025 to March 2026. Each month's 4 leads (created on the
# 5th) bring two won deals of 15,000: one 20 days after the lead (in the cohort's own month), one
# 50 days after (the next month). So every cohort May 2025 to February 2026 returns 30,000 for
# 10,000: ROMI +200 %, paid back in its first month (150 %), 300 % from its second. The cohorts
# up to 11 October 2025 are mature (older than the 180-day window): 50 % of the wins by day 20,
# all by day 50. March 2026's 4 leads came on the 20th: 21 days old on 10 April, nothing won yet,
# half ripe, the headline cohort. February's spend runs to the 28th (41 days: not ripe), so the
# latest ripe cohort is January 2026: 2 won deals of 4 leads, 50 %.

PAID_SPEND = "period,channel,amount,currency\n" + "".join(
    f"{m},WEB,10000,RUB\n" for m in [f"2025-{n:02d}" for n in range(5, 13)] + ["2026-01", "2026-02", "2026-03"])


def _paying_web(s) -> None:
    months = [(2025, n) for n in range(5, 13)] + [(2026, 1), (2026, 2)]
    for year, month in months:
        created = datetime(year, month, 5, 10, 0)
        leads = [s.lead(created=f"{created:%Y-%m-%d %H:%M}", source="WEB") for _ in range(4)]
        for lead, days in zip(leads, (20, 50)):
            won_at = created + timedelta(days=days)
            s.deal(created=f"{created + timedelta(days=1):%Y-%m-%d %H:%M}", moved=f"{won_at:%Y-%m-%d %H:%M}",
                   stage="WON", amount=15000, lead=lead, source="WEB")
    for _ in range(4):
        s.lead(created="2026-03-20 10:00", source="WEB")


@pytest.fixture(scope="module")
def paid(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("paid")
    kpis = {"spend_file": write(folder, "spend.csv", PAID_SPEND), "base_currency": "RUB"}
    with Scenario(kpis=kpis) as s:
        _paying_web(s)
        s.sync()
        refresh_with_inputs(s, s.settings(), now=NOW)
        pages = report_pages(s, folder, NOW)
    return pages


def figures(fragment: str, **match: str) -> list[dict[str, str]]:
    """The data-* attributes of every KPI figure in the fragment that has these values."""
    found = []
    for attrs in re.findall(r"<[a-z]+ ([^>]*data-kpi=[^>]*)>", fragment):
        figure = dict(re.findall(r'data-([a-z]+)="([^"]*)"', attrs))
        if all(figure.get(k) == v for k, v in match.items()):
            found.append(figure)
    return found


def charts(fragment: str) -> dict[str, str]:
    """Each chart of a section under its title."""
    parts = re.split(r'<h3 class="chart-title">(.*?)</h3>', fragment)
    return {parts[i]: parts[i + 1].split("</svg>")[0] for i in range(1, len(parts) - 1, 2)}


def test_the_roi_chart_is_of_the_window_s_cohorts_not_the_young_headline_one(paid):
    cohorts = section(paid["en"], "cohorts")
    drawn = charts(cohorts)
    romi = drawn["ROMI of the cohorts April 2025 – March 2026: to date and projected"]
    # (300,000 - 110,000) / 110,000 = +172.7 % to date, and projected (the young March adds 0)
    to_date = figures(romi, kpi="cohort_return", m="romi", k="Веб-сайт")
    projected = figures(romi, kpi="cohort_return", m="projected_romi", k="Веб-сайт")
    assert [(f["v"], f["pk"], f["since"], f["until"]) for f in to_date] == [("172.7", "all", "2025-04-01", "2026-04-01")]
    assert [f["v"] for f in projected] == ["172.7"]
    # the window's table: spend, leads, CPL, clients, CAC, revenue, ROMI, projected, LTV, LTV/CAC, payback
    # the payback of the payback chart's cohorts (May to September 2025), named in the header
    row = text(cohorts).split("Payback of the cohorts May 2025 – September 2025, months")[1].split(
        "Channel · the newest cohort")[0]
    assert " Веб-сайт 110,000 44 2,500 20 5,500 300,000 172.7% 172.7% 15,000 2.7 1 " == row
    # the March cohort itself, apart, named as the newest and unripe: -100 % there, to date
    assert "Channel · the newest cohort, March 2026, not ripe yet" in text(cohorts)
    newest = figures(cohorts, kpi="cohort_return", m="romi", pk="month", p="2026-03-01")
    assert [f["v"] for f in newest] == ["-100.0"] and "since" not in newest[0]


def test_the_payback_curve_is_of_one_set_of_cohorts_and_never_falls(paid):
    cohorts = section(paid["en"], "cohorts")
    title = ("Веб-сайт: cumulative revenue of the cohorts May 2025 – September 2025 in % of their spend by month "
             "of age (100%: paid back)")
    curve = charts(cohorts).get(title)
    assert curve is not None, list(charts(cohorts))
    points = figures(curve, kpi="cohort_payback")
    assert {(f["since"], f["until"]) for f in points} == {("2025-05-01", "2025-10-01")}
    values = [float(f["v"]) for f in sorted(points, key=lambda f: int(f["m"].removeprefix("covered_m")))]
    # five cohorts that each lived 7 months: 75,000 of 50,000 in month 1, 150,000 from month 2
    assert values == [150.0] + [300.0] * 6
    assert all(b >= a for a, b in zip(values, values[1:]))
    assert "one set of cohorts, May 2025 – September 2025, each at least 7 months old" in text(cohorts)


def test_the_headline_card_shows_the_latest_ripe_cohort_s_conversion_and_names_it(paid):
    headline = section(paid["en"], "headline")
    card = headline.split("<h3>Lead to won deal</h3>")[1].split('<div class="card">')[0]
    assert "the January 2026 lead cohort, the latest ripe one" in text(card)
    value = figures(card.split('class="value"')[1].split("</div>")[0])
    assert [(f["kpi"], f["m"], f["p"], f["v"]) for f in value] == [("cohort_return", "won_rate", "2026-01-01", "50.0")]
    # the remark beside it uses the same cohort figures: January's, and March's to date
    words = text(headline)
    assert "latest ripe cohort (January 2026): 50%" in words
    assert "The March 2026 cohort is not ripe yet" in words and "lead to won deal 0% to date" in words
    ru = text(section(paid["ru"], "headline").split("<h3>Лид → успешная сделка</h3>")[1].split('<div class="card">')[0])
    assert "когорта лидов «январь 2026», последняя зрелая" in ru
