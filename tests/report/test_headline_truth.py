"""Figures of the demo report that would send a marketing head the wrong way, held on hand-made
data seen on 10 April 2026 (the channel that pays of test_cohort_section.py, and more):

- the headline's lead to won deal compared with a year-before cohort of 3 leads ("0 %": a thin
  month, not a collapse) shows no comparison;
- the report's card and `kpi lead_to_won` show the same cohort and figure (kpis/headline.py);
- a cohort too young to have won anything is "too early to project", not -100 % projected ROMI,
  while one as young whose leads should have brought 3 wins by now still projects its zero;
- with the spend file missing, the cohort KPIs say "input missing" instead of zero spend.

The web spends 10,000 a month from May 2025 to March 2026; each month's 4 leads (on the 5th)
bring two won deals of 15,000, 20 and 50 days after. The cohorts up to 11 October 2025 are mature:
12 won deals of 27 leads (January 2025's three included), 0.44 won deals per lead, half of them
by day 20. January 2026 is the latest ripe cohort (2 of 4 leads won: 50 %); December 2025, its
cohort before, has 4 leads; a year before it, January 2025, 3 web leads that never won. March
2026's leads came on the 20th: 21 days old, half ripe, nothing won yet. Its 4 web leads would
have brought 4 x 0.44 x 0.5 = 0.9 wins by now: too early to project. Its 16 advertising leads
(8,000 of spend) would have brought 3.6: their zero is a finding, -100 % projected.
"""

import os
from datetime import date

import pytest
from typer.testing import CliRunner

from b24metrics.cli.app import app
from b24metrics.kpis.catalogue import find
from b24metrics.kpis.cuts import Cut
from b24metrics.kpis.headline import MIN_COMPARED_LEADS, PROJECTED, RIPE, TOO_EARLY, cohort_conversion
from b24metrics.report.build import write_report
from tests.kpis.scenario import Scenario
from tests.kpis.test_inputs import refresh_with_inputs, write
from tests.report.pages import report_pages
from tests.report.test_cohort_section import NOW, PAID_SPEND, _paying_web, figures, section, text

SPEND = PAID_SPEND + "2026-03,ADVERTISING,8000,RUB\n"


def _data(s) -> None:
    _paying_web(s)          # the web's cohorts May 2025 to March 2026
    for _ in range(3):      # a year before January 2026: three leads, nothing won
        s.lead(created="2025-01-05 10:00", source="WEB")
    for _ in range(16):
        s.lead(created="2026-03-20 10:00", source="ADVERTISING")


@pytest.fixture(scope="module")
def seen(tmp_path_factory):
    folder = tmp_path_factory.mktemp("truth")
    spend = write(folder, "spend.csv", SPEND)
    with Scenario(kpis={"spend_file": spend, "base_currency": "RUB"}) as s:
        _data(s)
        s.sync()
        refresh_with_inputs(s, s.settings(), now=NOW)
        pages = report_pages(s, folder, NOW)
        env = {"B24M_WAREHOUSE__PATH": str(s.warehouse.path), "B24M_KPIS__SPEND_FILE": spend,
               "B24M_KPIS__BASE_CURRENCY": "RUB"}
        cli = {name: CliRunner().invoke(app, args, env={**os.environ, **env}) for name, args in (
            ("lead_to_won", ["kpi", "lead_to_won", "--since", "2025-05-01", "--until", "2026-04-01"]),
            ("cohorts", ["kpi", "cohort_return", "--by", "channel", "--since", "2026-03-01", "--until", "2026-04-01"]),
        )}
        march = {r["channel"]: r for r in s.rows("cohort_return", by="channel", since=date(2026, 3, 1),
                                                  until=date(2026, 4, 1))}
        yield {"pages": pages, "cli": cli, "march": march}


def _card(page: str, title: str) -> str:
    return section(page, "headline").split(f"<h3>{title}</h3>")[1].split('<div class="card">')[0]


def test_a_thin_comparison_cohort_gives_no_comparison_not_zero(seen):
    card = _card(seen["pages"]["en"], "Lead to won deal")
    assert "the January 2026 lead cohort, the latest ripe one" in text(card)
    # its comparisons are that cohort's, not the headline period's (March 2026): the card says so
    assert "compared with the December 2025 and January 2025 cohorts" in text(card)
    value = card.split('class="value"')[1].split("</div>")[0]
    assert [(f["m"], f["p"], f["v"]) for f in figures(value)] == [("won_rate", "2026-01-01", "50.0")]
    # neither comparison carries a figure: none is drawn from a thin cohort
    assert not figures(card.split('class="value"')[1].split("<svg")[0], kpi="cohort_return", m="won_rate_yoy")
    assert not figures(card.split('class="value"')[1].split("<svg")[0], kpi="cohort_return", m="won_rate_prev")
    # January 2025's 3 leads won nothing: "0%" a year before would read as a collapse
    assert "a year before: — (3 leads)" in text(card) and "a year before: 0%" not in text(card)
    # December 2025's 4 leads are as thin: no comparison, no change, neither red nor green
    assert "vs previous: — (4 leads)" in text(card) and " pp" not in text(card)
    assert f"not compared with a cohort of fewer than {MIN_COMPARED_LEADS} leads" in text(
        section(seen["pages"]["en"], "headline"))
    assert "год назад: — (лидов: 3)" in text(_card(seen["pages"]["ru"], "Лид → успешная сделка"))


def _row(period: str, leads: int, **figures) -> dict:
    row = {"period": date.fromisoformat(period), "leads": leads, "ripe": True, "won_rate": 10.0,
           "projected_won_rate": 10.0, "too_early_rate": False, "leads_prev": 0, "leads_yoy": 0,
           "won_rate_prev": None, "won_rate_yoy": None}
    return {**row, **figures}


def test_the_headline_cohort_is_chosen_in_the_kpi_layer_and_compared_only_with_enough_leads():
    kpi = find("cohort_return")
    ripe = _row("2026-01-01", 40, leads_prev=MIN_COMPARED_LEADS, won_rate_prev=12.0,
                leads_yoy=MIN_COMPARED_LEADS - 1, won_rate_yoy=0.0)
    young = _row("2026-03-01", 30, ripe=False, projected_won_rate=8.0)
    conv = cohort_conversion(Cut(kpi, "month", None, [ripe, young]), date(2026, 3, 1))
    assert (conv.basis, conv.cohort, conv.value) == (RIPE, date(2026, 1, 1), 10.0)
    assert (conv.compared("_prev"), conv.compared("_yoy")) == (12.0, None)
    # no ripe cohort: the headline cohort's projection; nothing to project from: too early
    conv = cohort_conversion(Cut(kpi, "month", None, [young]), date(2026, 3, 1))
    assert (conv.basis, conv.measure, conv.value) == (PROJECTED, "projected_won_rate", 8.0)
    early = {**young, "projected_won_rate": None, "too_early_rate": True, "won_rate": 0.0}
    conv = cohort_conversion(Cut(kpi, "month", None, [early]), date(2026, 3, 1))
    assert (conv.basis, conv.measure, conv.value) == (TOO_EARLY, "won_rate", 0.0)


def test_the_cli_shows_the_headline_s_lead_to_won_as_the_report_does(seen):
    shown = seen["cli"]["lead_to_won"]
    assert shown.exit_code == 0, shown.output
    line = " ".join(shown.output.split("Headline lead to won deal")[1].split())
    assert "50%, the 2026-01-01 lead cohort, the latest ripe one" in line
    assert "the cohort before not compared (4 leads, under 20)" in line
    assert "a year before not compared (3 leads, under 20)" in line


def test_a_cohort_too_young_to_have_won_is_too_early_to_project(seen):
    web, ads = seen["march"]["Веб-сайт"], seen["march"]["Реклама"]
    # 4 leads x 12/27 won deals per lead x half ripe: 0.9 wins expected by now, none won
    assert (web["leads"], web["won_deals"], web["ripeness"], web["expected_wins"]) == (4, 0, 50.0, 0.9)
    assert (web["too_early"], web["projected_romi"], web["projected_revenue"]) == (True, None, None)
    assert web["romi"] == -100.0        # to date it is what it is
    # 16 leads: 3.6 wins expected by now and none came: that zero is projected
    assert (ads["expected_wins"], ads["too_early"], ads["projected_romi"]) == (3.6, False, -100.0)

    cohorts = section(seen["pages"]["en"], "cohorts")
    newest = text(cohorts).split("Channel · the newest cohort")[1]
    web_line = newest.split("Веб-сайт")[1].split("%")[:3]
    assert "too early to project" in "%".join(web_line)
    assert figures(cohorts, kpi="cohort_return", m="projected_romi", pk="month", k="Реклама")[0]["v"] == "-100.0"
    assert not figures(cohorts, kpi="cohort_return", m="projected_romi", pk="month", k="Веб-сайт")
    assert "Too early to project" in text(cohorts) and "рано прогнозировать" in text(section(seen["pages"]["ru"],
                                                                                               "cohorts"))
    table = seen["cli"]["cohorts"]
    assert table.exit_code == 0, table.output
    lines = [" ".join(line.split()) for line in table.output.splitlines()]
    assert "Too early to project (nothing won yet, and under 3 wins expected by the cohort's age: its projected_* " \
           "are left empty): 2026-03-01 Веб-сайт." in lines


def test_without_its_spend_file_the_cohort_view_is_input_missing_not_zero(tmp_path):
    missing = str(tmp_path / "spend.csv")       # configured, never written
    with Scenario(kpis={"spend_file": missing, "base_currency": "RUB"}) as s:
        lead = s.lead(created="2026-03-05 10:00", source="WEB")
        s.deal(created="2026-03-06 10:00", moved="2026-03-20 10:00", stage="WON", amount=15000, lead=lead,
               source="WEB")
        s.sync()
        refresh_with_inputs(s, s.settings(), now=NOW)
        for name in ("cohort_return", "cohort_payback"):
            result = s.cut(name, period="month")
            assert result.rows == [] and result.note.startswith("input missing: spend file"), name
        assert s.cut("ripeness_curve", period="all").note is None     # no spend in it
        env = {"B24M_WAREHOUSE__PATH": str(s.warehouse.path), "B24M_KPIS__SPEND_FILE": missing}
        shown = CliRunner().invoke(app, ["kpi", "cohort_return", "--by", "channel"], env={**os.environ, **env})
        assert shown.exit_code == 0 and shown.output.startswith("input missing: spend file"), shown.output
        write_report(s.warehouse, s.settings(), tmp_path / "en.html", now=NOW, lang="en")
        page = (tmp_path / "en.html").read_text(encoding="utf-8")
    cohorts = text(section(page, "cohorts"))
    assert "Input missing: spend file" in cohorts and "Which channel pays cannot be told" in cohorts
    assert not figures(section(page, "cohorts"))
    card = _card(page, "Lead to won deal")
    assert "Input missing: spend file" in text(card) and "No cohort view" in text(card)


def test_the_lead_to_won_change_on_a_few_wins_is_shown_plain_with_the_wins():
    """3 of 31 leads won against 4 of 32 the cohort before (the demo's card): one deal apart,
    no red however many leads came; 30 of 100 against 45 of 100 keeps its direction."""
    from types import SimpleNamespace

    from b24metrics.config import load_settings
    from b24metrics.report.fmt import Locale
    from b24metrics.report.marketing import _compared
    from b24metrics.report.model import Cell
    from b24metrics.report.text import text_for

    g = SimpleNamespace(settings=load_settings(read_file=False, portal={"webhook_url": "https://x.example/rest/1/k/"}),
                        loc=Locale("en"), t=text_for("en"))
    assert g.settings.report.min_count_for_red == 10

    def change(leads, won, leads_before, won_before):
        rate, before = round(100.0 * won / leads, 1), round(100.0 * won_before / leads_before, 1)
        row = _row("2026-01-01", leads, won_rate=rate, won_leads=won, leads_prev=leads_before,
                   won_rate_prev=before, won_leads_prev=won_before)
        conv = cohort_conversion(Cut(find("cohort_return"), "month", None, [row]), date(2026, 1, 1))
        value = Cell("cohort_return", "won_rate", "month", date(2026, 1, 1), None, None, None, rate, "%")
        return _compared(g, conv, value, "_prev")

    shown, direction = change(31, 3, 32, 4)
    assert direction == 0 and shown.endswith("(won: 3 vs 4)") and "2.8" in shown
    shown, direction = change(100, 30, 100, 45)
    assert direction != 0 and "won:" not in shown and "15" in shown
