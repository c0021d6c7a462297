"""The headline on a portal whose month has just begun, rendered in headless Chromium: last month's
figures, this month to date beside them with its forecast, money in the base currency, a blank
figure that says why; hygiene red only past its bounds; channels past the top N as "other"."""

from __future__ import annotations

from datetime import datetime

import pytest

from b24metrics.report import write_report
from b24metrics.report.fmt import DASH
from tests.kpis.scenario import Scenario
from tests.report.chromium import Browser

NOW = datetime(2026, 11, 1, 10, 0)   # the portal's wall clock: November began ten hours ago

CARDS = """(() => Array.from(document.querySelectorAll('#headline .card')).map(c => ({
  title: c.querySelector('h3').textContent,
  value: c.querySelector('.value').textContent,
  period: (c.querySelector('.value [data-p]') || {dataset: {}}).dataset.p || null,
  why: (c.querySelector('.why') || {}).textContent || null,
  toDate: (c.querySelector('.to-date') || {}).innerText || null,
  toDateP: (c.querySelector('.to-date [data-p]') || {dataset: {}}).dataset.p || null,
})))()"""


def _month_of_data(s: Scenario) -> None:
    """September and October with leads, answers and won deals (RUB, and once EUR); November 1st
    with one lead and one won deal so far."""
    for month, leads in (("2026-09", 4), ("2026-10", 5)):
        for i in range(leads):
            at = f"{month}-{10 + i:02d} 10:00"
            lead = s.lead(created=at, source="CALL" if i % 2 else "WEB", manager=5)
            s.activity(owner=("lead", lead), at=f"{month}-{10 + i:02d} 10:20", type_id=2, direction=2, responsible=5)
            if i < 2:
                deal = s.deal(created=at, stage="WON", amount=100_000, lead=lead, manager=5,
                              moved=f"{month}-{20 + i:02d} 12:00")
                s.history("deal", deal, "NEW", at=at)
                s.history("deal", deal, "WON", at=f"{month}-{20 + i:02d} 12:00")
    euro = s.deal(created="2026-09-03 10:00", stage="WON", amount=900, currency="EUR", moved="2026-09-05 10:00")
    s.history("deal", euro, "WON", at="2026-09-05 10:00")
    lead = s.lead(created="2026-11-01 00:30", source="CALL", manager=5)
    s.activity(owner=("lead", lead), at="2026-11-01 09:00", type_id=2, direction=2, responsible=5)
    deal = s.deal(created="2026-11-01 08:00", stage="WON", amount=30_000, manager=5, moved="2026-11-01 09:30")
    s.history("deal", deal, "WON", at="2026-11-01 09:30")


def test_a_month_just_begun_heads_with_last_month_and_shows_this_one_to_date(tmp_path):
    with Scenario() as s:
        _month_of_data(s)
        s.sync()
        write_report(s.warehouse, s.settings(), tmp_path / "r.html", now=NOW)
        write_report(s.warehouse, s.settings(), tmp_path / "en.html", now=NOW, lang="en")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert 'data-headline="2026-10-01"' in html
    with Browser() as browser:
        page = browser.open(tmp_path / "r.html")
        assert browser.blocked == []
        cards = {c["title"]: c for c in page.evaluate(CARDS)}
        en = {c["title"]: c for c in browser.open(tmp_path / "en.html").evaluate(CARDS)}
    # October's figures, none of them a dash: October has leads, answers and won deals
    assert cards["Лиды"]["value"] == "5" and cards["Лиды"]["period"] == "2026-10-01"
    assert cards["Выигранные сделки"]["value"] == "2"
    assert cards["Выручка, RUB"]["value"] == "200\u202f000\u00a0₽"
    assert cards["Скорость реакции, медиана"]["value"] == "20\u00a0мин"
    for title in ("Лиды", "Лид → успешная сделка", "Скорость реакции, медиана", "Выигранные сделки",
                  "Доля выигранных", "Выручка, RUB", "Средний чек, RUB", "Цикл сделки, медиана"):
        assert cards[title]["value"] != DASH and cards[title]["why"] is None, title
    # November to date beside each, with a forecast only for what adds up, and not ten hours in
    assert cards["Лиды"]["toDateP"] == "2026-11-01"
    assert cards["Лиды"]["toDate"].startswith("ноябрь 2026 на сегодня: 1") and "прогноз — позже" in cards["Лиды"]["toDate"]
    assert cards["Выручка, RUB"]["toDate"].startswith("ноябрь 2026 на сегодня: 30\u202f000\u00a0₽")
    assert "прогноз" not in cards["Скорость реакции, медиана"]["toDate"]
    assert en["Leads"]["toDate"].startswith("November 2026 to date: 1") and "forecast later" in en["Leads"]["toDate"]
    # EUR came once, in September: no EUR card for October, and RUB (the portal's usual) leads
    assert "Выручка, EUR" not in cards
    assert cards["Доля целевых лидов (A+B)"]["value"] != DASH      # a share of October's 5 leads


def test_a_forecast_at_the_pace_so_far_and_blank_figures_that_say_why(tmp_path):
    with Scenario() as s:
        _month_of_data(s)
        s.sync(kpis={"base_currency": "EUR"})
        # November 16th, noon: half of November gone; October had no EUR revenue
        write_report(s.warehouse, s.settings(kpis={"base_currency": "EUR"}), tmp_path / "r.html",
                     now=datetime(2026, 11, 16, 0, 0))
    with Browser() as browser:
        cards = {c["title"]: c for c in browser.open(tmp_path / "r.html").evaluate(CARDS)}
    # 1 lead in 15 of November's 30 days: 2 by its end; 30 000 ₽ of revenue: 60 000 ₽
    assert "прогноз 2" in cards["Лиды"]["toDate"]
    assert "прогноз 60\u202f000\u00a0₽" in cards["Выручка, RUB"]["toDate"]
    # the base currency's card comes first and says why it is blank, the RUB one follows
    titles = list(cards)
    assert titles.index("Выручка, EUR") < titles.index("Выручка, RUB")
    assert cards["Выручка, EUR"]["value"] == DASH
    assert cards["Выручка, EUR"]["why"] == "Нет сделок в EUR, выигранных в периоде «октябрь 2026»."


def test_hygiene_is_red_only_past_its_bound_and_channels_past_the_top_gather_as_other(tmp_path):
    with Scenario() as s:
        # manager 5: 1 lead of 4 without a source (25 %); manager 6: 1 of 10 (10 %)
        for i, source in enumerate(["CALL", "WEB", "EMAIL", None]):
            s.lead(created=f"2026-10-0{i + 1} 10:00", source=source, manager=5)
        for i in range(10):
            s.lead(created=f"2026-10-{i + 10} 10:00", source=None if i == 0 else "ADVERTISING", manager=6)
        # open activities due in October: all of them overdue now; 2 of manager 5's, 7 of manager 6's
        for responsible, count in ((5, 2), (6, 7)):
            for i in range(count):
                s.activity(owner=("lead", 1), at="2026-10-01 09:00", deadline=f"2026-10-{i + 2:02d} 18:00",
                           completed=False, responsible=responsible)
        s.sync()
        # 4 leads are below the default minimum for red (tests/report/test_red_on_few.py): this test
        # is about the bound, so any count may be red here
        settings = s.settings(report={"top_channels": 2, "hygiene": {"no_source_share": 20.0}, "min_count_for_red": 1})
        write_report(s.warehouse, settings, tmp_path / "r.html", now=NOW)
    with Browser() as browser:
        page = browser.open(tmp_path / "r.html")
        cells = page.evaluate("""Array.from(document.querySelectorAll('#hygiene rect[data-m="no_source_share"]'))
            .map(r => [r.dataset.k, r.dataset.v, r.getAttribute('class'), getComputedStyle(r).fill])""")
        legend = page.evaluate("Array.from(document.querySelectorAll('#channels .legend span')).map(s => s.textContent)")
        other = page.evaluate("""Array.from(document.querySelectorAll('#channels rect.c-other'))
            .map(r => r.querySelector('title').textContent)""")
        lead = page.evaluate("document.querySelector('#hygiene p.lead').textContent")
        overdue = page.evaluate("""Array.from(document.querySelectorAll('#hygiene rect[data-m="overdue_activities"]'))
            .map(r => [r.dataset.k, r.dataset.v, r.getAttribute('class')])""")
    by_manager = {k.rsplit(" #", 1)[-1]: (v, css, fill) for k, v, css, fill in cells}
    assert by_manager["5"][:2] == ("25.0", "heat heat-past") and by_manager["5"][2] == "rgb(250, 82, 82)"
    assert by_manager["6"][:2] == ("10.0", "heat heat-ok")     # 10 % is within a 20 % bound: not red
    assert "лиды без источника 20\u00a0%" in lead and "просроченные дела больше 5 у менеджера" in lead
    # overdue by its count (the share of a past month's open activities is 100 % for everyone)
    assert {k.rsplit(" #", 1)[-1]: (v, css) for k, v, css in overdue} == {
        "5": ("2", "heat heat-ok"), "6": ("7", "heat heat-past")}
    # 9 ADVERTISING, 2 without source, then CALL, WEB, EMAIL with 1 each: two keep a colour
    assert legend == ["Реклама", "(без источника)", "другие (3)"]
    assert len(other) == 1 and other[0].startswith("(другие): 3 (октябрь 2026)")
