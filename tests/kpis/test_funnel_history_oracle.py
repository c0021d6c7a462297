"""Oracle tests of F1 in its default reading: a stage is reached when the stage history shows
the item in it; a jump past a stage skips it; a stage needs kpis.funnel.min_items items before
it can be the bottleneck. Figures worked out by hand (portal at +03:00)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from b24metrics.kpis.refresh import refresh_kpis
from b24metrics.report import write_report
from tests.kpis.scenario import Scenario
from tests.kpis.test_speed_oracle import keyed, path

MARCH = "2026-03-01"


def stages(s: Scenario, *measures: str) -> dict:
    march = keyed(s.rows("stage_conversion", period="month", by="stage"), "stage", MARCH)
    return {k: tuple(v[m] for m in measures) for k, v in march.items()}


@pytest.fixture(scope="module")
def jumps():
    """Deals that jump stages: nobody ever sat in "Счёт на предоплату" or "Финальный счёт"."""
    with Scenario() as s:
        # general pipeline: NEW 10, PREPARATION 20, PREPAYMENT_INVOICE 30, EXECUTING 40, FINAL_INVOICE 50, WON 60
        d1 = s.deal(created="2026-03-02 10:00", stage="WON")
        path(s, "deal", d1, ("NEW", "2026-03-02 10:00"), ("PREPARATION", "2026-03-03 10:00"),
             ("EXECUTING", "2026-03-04 10:00"), ("WON", "2026-03-05 10:00"))
        d2 = s.deal(created="2026-03-03 10:00", stage="WON")            # dragged from new straight to won
        path(s, "deal", d2, ("NEW", "2026-03-03 10:00"), ("WON", "2026-03-04 10:00"))
        d3 = s.deal(created="2026-03-04 10:00", stage="LOSE")
        path(s, "deal", d3, ("NEW", "2026-03-04 10:00"), ("PREPARATION", "2026-03-05 10:00"),
             ("LOSE", "2026-03-06 10:00"))
        d4 = s.deal(created="2026-03-05 10:00", stage="EXECUTING")      # waits in EXECUTING
        path(s, "deal", d4, ("NEW", "2026-03-05 10:00"), ("EXECUTING", "2026-03-06 10:00"))
        s.sync()
        yield s


def test_a_stage_jumped_past_is_skipped_not_reached(jumps):
    got = stages(jumps, "reached", "skipped", "went_on", "conversion", "waiting")
    assert got == {
        "Общая: Новая": (4, 0, 4, 100.0, 0),                       # d1-d4 all went further
        "Общая: Подготовка документов": (2, 2, 1, 50.0, 0),        # d1 d3 in it, d1 on; d2 d4 jumped past
        "Общая: Счёт на предоплату": (0, 3, 0, None, 0),           # nobody in it; d1 d2 d4 jumped past
        "Общая: В работе": (2, 1, 1, 100.0, 1),                    # d1 d4, d1 on, d4 waits (not a failure); d2 jumped
        "Общая: Финальный счёт": (0, 2, 0, None, 0),               # d1 d2 jumped past
        "Общая: Сделка успешна": (2, 0, 0, None, 0),               # d1 d2; nothing follows won
    }


def test_the_cumulative_reading_is_kept_by_a_setting(jumps):
    """The same deals read cumulatively: the stage nobody used shows 3 of 3 went on, 100 %."""
    settings = jumps.settings(kpis={"funnel": {"reading": "cumulative"}})
    assert refresh_kpis(jumps.warehouse, settings).full          # a changed reading rebuilds the table
    try:
        got = stages(jumps, "reached", "skipped", "went_on", "conversion")
        assert got["Общая: Счёт на предоплату"] == (3, 0, 3, 100.0)   # d1 d2 d4
        assert got["Общая: Подготовка документов"] == (4, 0, 3, 75.0)  # d1-d4; on: d1 d2 d4
        assert got["Общая: Финальный счёт"] == (2, 0, 2, 100.0)        # d1 d2
    finally:
        refresh_kpis(jumps.warehouse, jumps.settings())


def test_every_stage_with_items_is_too_few_to_tell_below_the_default_minimum(jumps):
    got = stages(jumps, "bottleneck", "verdict")
    assert got["Общая: Подготовка документов"] == (None, "too few to tell")   # 2 items < 20
    assert got["Общая: Счёт на предоплату"] == (None, None)                    # no items at all
    assert got["Общая: Сделка успешна"] == (None, None)                        # nothing to go on to
    assert {v for v in got.values()} <= {(None, "too few to tell"), (None, None)}


# -- a bottleneck needs enough items: leads NEW 10, IN_PROCESS 20, PROCESSED 30, CONVERTED (S), JUNK (F)

@pytest.fixture(scope="module")
def volume():
    with Scenario() as s:
        for i in range(40):
            at = f"2026-03-{i % 28 + 1:02d} 10:00"
            steps = [("NEW", at)]
            if i < 30:                          # 30 of 40 taken into work: 75 %
                steps.append(("IN_PROCESS", at.replace("10:00", "11:00")))
            if i < 12:                          # 12 of 30 processed: 40 %, the bottleneck
                steps.append(("PROCESSED", at.replace("10:00", "12:00")))
            if i < 3:                           # 3 of 12 converted: 25 %, but only 12 items
                steps.append(("CONVERTED", at.replace("10:00", "13:00")))
            status = steps[-1][0] if i < 3 or i in (11, 29) else "JUNK"
            if status == "JUNK":
                steps.append(("JUNK", at.replace("10:00", "14:00")))
            lead = s.lead(created=at, status=status)
            path(s, "lead", lead, *steps)
        april = s.lead(created="2026-04-02 10:00", status="PROCESSED")      # April: one lead waiting,
        path(s, "lead", april, ("NEW", "2026-04-02 10:00"), ("PROCESSED", "2026-04-02 11:00"))
        lost = s.lead(created="2026-04-03 10:00", status="JUNK")            # one lost from the same stage
        path(s, "lead", lost, ("NEW", "2026-04-03 10:00"), ("PROCESSED", "2026-04-03 11:00"),
             ("JUNK", "2026-04-03 12:00"))
        s.sync()
        yield s


def test_the_bottleneck_is_the_worst_stage_with_enough_items(volume):
    got = stages(volume, "reached", "went_on", "left", "conversion", "bottleneck", "verdict")
    # a lead still in a stage (lead 29 in "В работе", lead 11 in "Обработан") has not left it:
    # the conversion and the minimum count only the leads that went on or were lost from there
    assert got == {
        "Leads: Не обработан": (40, 30, 40, 75.0, False, None),
        "Leads: В работе": (30, 12, 29, 41.4, True, "bottleneck"),                  # 12 / 29
        # worse, but 11 left, under the minimum of 20: it is not named, nor does it hide the one above
        "Leads: Обработан": (12, 3, 11, 27.3, None, "too few to tell"),             # 3 / 11
        "Leads: Качественный лид": (3, 0, 0, None, None, None),
    }


def test_the_conversion_comes_with_its_wilson_interval(volume):
    got = stages(volume, "conversion_low", "conversion_high")
    # k = 12 of the n = 29 that left (one waits), z = 1.96:
    #   (12/29 + z²/58 ∓ z·sqrt((12/29)(17/29)/29 + z²/3364)) / (1 + z²/29)
    #   = (0.480027 ∓ 0.191103) / 1.132469 = 0.2551 .. 0.5926
    assert got["Leads: В работе"] == (25.5, 59.3)
    # k = 30 of n = 40: (0.75 + z²/80 ∓ z·sqrt(0.75·0.25/40 + z²/6400)) / (1 + z²/40)
    #   = (0.798020 ∓ 0.142525) / 1.096040 = 0.5981 .. 0.8581
    assert got["Leads: Не обработан"] == (59.8, 85.8)
    assert got["Leads: Качественный лид"] == (None, None)


def test_a_lower_minimum_names_the_small_stage_and_rebuilds_nothing(volume):
    settings = volume.settings(kpis={"funnel": {"min_items": 10}})
    done = refresh_kpis(volume.warehouse, settings)
    try:
        assert not done.full                     # the minimum is read by the cut, not by the tables
        got = stages(volume, "bottleneck", "verdict")
        assert got["Leads: Обработан"] == (True, "bottleneck")       # 25 % of 12, now enough
        assert got["Leads: В работе"] == (False, None)
    finally:
        refresh_kpis(volume.warehouse, volume.settings())


def test_a_waiting_item_is_no_failure_and_a_stage_nobody_went_on_from_starts_at_zero(volume):
    """"Обработан" in April: two leads, one still in it, one lost from it: 0 of the 1 that left
    went on (the waiting one is not counted against it). Wilson: 0 .. z²/(1 + z²) = 79.3 %."""
    april = keyed(volume.rows("stage_conversion", period="month", by="stage"), "stage", "2026-04-01")
    row = april["Leads: Обработан"]
    assert (row["reached"], row["waiting"], row["left"], row["conversion"]) == (2, 1, 1, 0.0)
    assert (row["conversion_low"], row["conversion_high"]) == (0.0, 79.3)
    assert str(row["conversion_low"]) == "0.0"        # not "-0.0"


def test_a_stage_where_every_item_still_sits_has_no_conversion_and_is_no_bottleneck():
    """Ten deals all waiting in "Подготовка документов": none has left it, so it shows them as
    waiting, with no conversion, and cannot be named the bottleneck even with a minimum of 1;
    "Новая", which all ten left for it, converts 100 % and is no bottleneck either: the only stage
    with items that have left, it has nothing to be compared with."""
    with Scenario(kpis={"funnel": {"min_items": 1}}) as s:
        for i in range(10):
            deal = s.deal(created=f"2026-03-{i + 2:02d} 10:00", stage="PREPARATION")
            path(s, "deal", deal, ("NEW", f"2026-03-{i + 2:02d} 10:00"), ("PREPARATION", f"2026-03-{i + 2:02d} 11:00"))
        s.sync()
        got = stages(s, "reached", "waiting", "left", "conversion", "conversion_low", "bottleneck", "verdict")
    assert got["Общая: Подготовка документов"] == (10, 10, 0, None, None, None, None)
    assert got["Общая: Новая"] == (10, 0, 10, 100.0, 72.2, False, "only one stage with enough items")


def test_the_report_shows_the_interval_and_too_few_to_tell(volume, tmp_path):
    out = tmp_path / "report.html"
    write_report(volume.warehouse, volume.settings(), out, until=date(2026, 4, 1), now=datetime(2026, 4, 15, 12),
                 lang="en")
    html = out.read_text(encoding="utf-8")
    assert "25.5% – 59.3%" in html                    # "В работе": 12 of the 29 that left
    assert html.count("too few to tell") == 2         # "Обработан" in the table, and the remark


# -- a bottleneck is the worst of several stages: one stage above the minimum is compared with nothing

@pytest.fixture(scope="module")
def lone():
    """30 leads leave "Не обработан" (26 on: 86.7 %); of those 26 only 10 have left "В работе"
    (2 on: 20 %), 16 still sit in it, and the 2 in "Обработан" wait there."""
    with Scenario() as s:
        for i in range(30):
            at = f"2026-03-{i % 28 + 1:02d} 10:00"
            steps = [("NEW", at)]
            if i < 26:
                steps.append(("IN_PROCESS", at.replace("10:00", "11:00")))
            if i < 2:
                steps.append(("PROCESSED", at.replace("10:00", "12:00")))
            if 2 <= i < 10 or i >= 26:
                steps.append(("JUNK", at.replace("10:00", "13:00")))
            lead = s.lead(created=at, status=steps[-1][0])
            path(s, "lead", lead, *steps)
        s.sync()
        yield s


def test_one_stage_with_enough_items_is_not_the_bottleneck(lone):
    got = stages(lone, "left", "went_on", "conversion", "bottleneck", "verdict")
    assert got == {
        # the only stage 20 have left: nothing to compare it with, so not named, and the verdict says why
        "Leads: Не обработан": (30, 26, 86.7, False, "only one stage with enough items"),
        "Leads: В работе": (10, 2, 20.0, None, "too few to tell"),           # worse, but 10 < 20
        "Leads: Обработан": (0, 0, None, None, None),                         # both wait in it
    }


def test_two_stages_with_enough_items_name_the_worse(lone):
    settings = lone.settings(kpis={"funnel": {"min_items": 10}})
    refresh_kpis(lone.warehouse, settings)
    try:
        got = stages(lone, "bottleneck", "verdict")
        assert got["Leads: В работе"] == (True, "bottleneck")                  # 20 % of 10, now enough
        assert got["Leads: Не обработан"] == (False, None)
    finally:
        refresh_kpis(lone.warehouse, lone.settings())


def test_the_report_names_no_bottleneck_and_says_why(lone, tmp_path):
    out = tmp_path / "report.html"
    write_report(lone.warehouse, lone.settings(), out, until=date(2026, 4, 1), now=datetime(2026, 4, 15, 12),
                 lang="en")
    html = out.read_text(encoding="utf-8")
    assert "only one stage with enough items" in html
    assert "⚠ bottleneck" not in html and "<b>Leads</b>" not in html     # no red flag, no bold row
