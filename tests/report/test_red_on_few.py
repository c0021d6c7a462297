"""No red on a handful of records (report.min_count_for_red, default 10), seen on 10 April 2026
with March the headline: a change or a share counted on fewer records is shown plain, with its
counts; the same figures on enough records stay red."""

import re
from datetime import datetime

import pytest

from b24metrics.report.build import write_report
from tests.kpis.scenario import Scenario
from tests.report.test_cohort_section import section, text

NOW = datetime(2026, 4, 10, 12, 0)


def build(s: Scenario) -> None:
    # leads: 20 in February, 15 in March (-25 % on 15 vs 20: enough records, red). March: manager
    # 5 has 3 leads, 1 without a source (33.3 % on 3); manager 6 has 12, 2 without (16.7 % on 12);
    # the bound is 10 %
    for i in range(20):
        s.lead(created=f"2026-02-{i % 27 + 1:02d} 10:00", manager=6)
    for i in range(3):
        s.lead(created=f"2026-03-{i + 2:02d} 10:00", manager=5, source=None if i == 0 else "CALL")
    for i in range(12):
        s.lead(created=f"2026-03-{i + 2:02d} 11:00", manager=6, source=None if i < 2 else "CALL")
    # revenue: 3 deals of 10,000 won in February, 2 deals of 8,580 in March: -42.8 % on 2 vs 3
    for day in (3, 4, 5):
        s.deal(created=f"2026-02-{day:02d} 10:00", stage="WON", amount=10000, moved=f"2026-02-{day + 5:02d} 10:00")
    for day in (3, 4):
        s.deal(created=f"2026-03-{day:02d} 10:00", stage="WON", amount=8580, moved=f"2026-03-{day + 5:02d} 10:00")


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[int, str]:
    folder = tmp_path_factory.mktemp("red")
    with Scenario(kpis={"base_currency": "RUB"}) as s:
        build(s)
        s.sync()
        out = {}
        for minimum in (10, 1):
            path = folder / f"min{minimum}.html"
            write_report(s.warehouse, s.settings(report={"min_count_for_red": minimum}), path, now=NOW, lang="en")
            out[minimum] = path.read_text(encoding="utf-8")
    return out


def card(page: str, title: str) -> str:
    (found,) = [c for c in section(page, "headline").split('<div class="card">')[1:]
                if c.startswith(f"\n<h3>{title}</h3>") or c.startswith(f"<h3>{title}</h3>")]
    return found


def change_of(fragment: str) -> tuple[str, str]:
    """The class and the text of the card's comparison with the previous period."""
    match = re.search(r'<span class="([^"]*)">([^<]*)</span></div>', fragment)
    assert match, fragment
    return match.group(1), match.group(2)


def test_a_change_on_two_deals_is_plain_with_its_counts(pages):
    css, shown = change_of(card(pages[10], "Revenue, RUB"))
    assert css == "" and "−42.8%" in shown and "(records: 2 vs 3)" in shown
    # the same change with the minimum at 1 is red
    css, shown = change_of(card(pages[1], "Revenue, RUB"))
    assert (css, shown) == ("worse", "−42.8%")


def test_a_change_on_enough_records_stays_red(pages):
    assert change_of(card(pages[10], "Leads")) == ("worse", "−25.0%")


def test_a_hygiene_share_of_one_in_three_is_not_red(pages):
    grid = section(pages[10], "hygiene")
    # manager 5: 1 of 3 leads without a source, 3 of 3 with no activity: shown with their base,
    # not past the bounds (10 %, 20 %)
    assert "1/3 · 33.3%" in text(grid) and "3/3 · 100%" in text(grid)
    assert "2/2 · 100%" in text(grid)              # manager 1: the two won deals, no activity
    # manager 6: 2 of 12 without a source, 12 of 12 with no activity: red
    past = re.findall(r'class="heat-text past"[^>]*>([^<]*)<', grid)
    assert past == ["2 · 16.7%", "12 · 100%"]
    assert "fewer than 10 records is not marked red" in text(grid)
    past_at_one = re.findall(r'class="heat-text past"[^>]*>([^<]*)<', section(pages[1], "hygiene"))
    # managers by name: #1 (2 deals), #6, #5
    assert past_at_one == ["2 · 100%", "2 · 16.7%", "12 · 100%", "1 · 33.3%", "3 · 100%"]
