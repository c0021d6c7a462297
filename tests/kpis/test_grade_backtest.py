"""The proof of the grade (M2) on hand-made cohorts: per grade at entry, lead -> deal and lead ->
won with 95 % Wilson intervals, revenue per lead, median days to won, lift of A over D, the
verdict, and the points each rule's history supports; the KPI grade_lift and `grade check`
say the same."""

import math
import tomllib
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

from b24metrics.cli import app
from b24metrics.grading import backtest
from b24metrics.grading.backtest import proposed_block, wilson

from tests.kpis.scenario import Scenario


def test_wilson_interval_against_published_figures():
    # 6 of 10 and 2 of 20: the Wilson 95 % intervals are 0.313-0.832 and 0.028-0.301
    assert [round(x, 3) for x in wilson(6, 10)] == [0.313, 0.832]
    assert [round(x, 3) for x in wilson(2, 20)] == [0.028, 0.301]
    assert wilson(0, 0) is None
    low, high = wilson(0, 5)
    assert low == 0.0 and math.isclose(high, 3.8415 / (5 + 3.8415), rel_tol=1e-3)  # z^2 / (n + z^2)


@pytest.fixture(scope="module")
def cohorts():
    """10 settled A leads (a company of 1000+): 6 won, 2 lost, 2 without a deal; 20 settled D
    leads (no company): 18 junk, 2 won. Left out: an open A lead and an A lead whose deal is open."""
    with Scenario() as s:
        big = s.company(created="2026-01-10 10:00", employees="EMPLOYEES_5")   # более 1000: A
        a_cycles = [10, 10, 20, 20, 30, 40]
        for i in range(10):
            lead = s.lead(created="2026-02-01 10:00", company=big, status="CONVERTED")
            if i < 6:
                won_at = datetime(2026, 2, 1, 10) + timedelta(days=a_cycles[i])
                s.deal(created="2026-02-02 10:00", stage="WON", lead=lead, amount=100_000,
                       moved=won_at.strftime("%Y-%m-%d %H:%M"))
            elif i < 8:
                s.deal(created="2026-02-02 10:00", stage="LOSE", lead=lead, moved="2026-02-20 10:00")
        s.lead(created="2026-02-01 10:00", company=big, status="IN_PROCESS")
        pending = s.lead(created="2026-02-01 10:00", company=big, status="CONVERTED")
        s.deal(created="2026-02-02 10:00", stage="NEW", lead=pending)
        for i in range(20):
            if i < 2:
                lead = s.lead(created="2026-03-01 10:00", status="CONVERTED")
                s.deal(created="2026-03-02 10:00", stage="WON", lead=lead, amount=10_000,
                       moved=("2026-03-06 10:00", "2026-03-16 10:00")[i])
            else:
                s.lead(created="2026-03-01 10:00", status="JUNK")
        s.sync()
        with s.warehouse.connect(read_only=True) as con:
            result = backtest(con, s.settings().grading)
        yield s, result


def test_per_grade_figures_by_hand(cohorts):
    _, result = cohorts
    a, d = result.row("A"), result.row("D")
    assert [g.grade for g in result.grades] == ["A", "D"]
    assert (a.leads, a.deals, a.won, d.leads, d.deals, d.won) == (10, 8, 6, 20, 2, 2)
    assert [round(x, 3) for x in a.won_interval] == [0.313, 0.832]
    assert [round(x, 3) for x in d.won_interval] == [0.028, 0.301]
    assert (a.revenue_per_lead, d.revenue_per_lead, a.currency) == (60_000, 1_000, "RUB")
    assert a.median_cycle_days == 20.0      # 10, 10, 20, 20, 30, 40 days from lead to won
    assert d.median_cycle_days == 10.0      # 5 and 15
    assert result.lift == pytest.approx(6.0)  # 60 % against 10 %
    assert result.separates is True         # 31.3 % (A's lowest) above 30.1 % (D's highest)
    assert result.verdict().startswith("The grade separates outcomes on this portal: A leads won 60.0 % "
                                       "(95 % 31.3-83.2 %), D leads 10.0 % (95 % 2.8-30.1 %); A is won 6.0x")
    assert result.settled == 30 and result.graded_open == 0   # every one graded from history


def test_suggested_points_are_smoothed_log_odds_with_their_counts(cohorts):
    s, result = cohorts
    by_label = {x.label: x for x in result.suggestions}
    big = by_label["large business: 1000+ employees"]
    # fired on 10 (6 won), not on 20 (2 won): odds (6.5/4.5) / (2.5/18.5) = 10.69, log2 = 3.42, x20
    assert (big.fired, big.fired_won, big.rest, big.rest_won) == (10, 6, 20, 2)
    assert big.odds_ratio == pytest.approx((6.5 / 4.5) / (2.5 / 18.5)) and big.points == 68
    person = by_label["private person: no company named"]
    assert (person.fired, person.points) == (20, -68)
    phone = by_label["phone given"]        # fires on all 30: nothing to compare with
    assert (phone.fired, phone.rest, phone.points) == (30, 0, None)
    block = proposed_block(s.settings().grading, result.suggestions)
    assert 'label = "large business: 1000+ employees"\npoints = 68    # now 60; fired on 10 settled leads, 6 won' in block
    assert 'label = "phone given"\npoints = 5    # kept' in block
    proposed = tomllib.loads(block)["grading"]
    points = {r["label"]: r["points"] for r in proposed["rules"]}
    assert (points["private person: no company named"], points["large business: 1000+ employees"]) == (-68, 68)


def test_the_kpi_and_the_command_say_the_same(cohorts, monkeypatch):
    s, result = cohorts
    by_grade = {r["grade"]: r for r in s.rows("grade_lift", period="all", by="grade")}
    assert (by_grade["A"]["won_rate"], by_grade["A"]["won_low"], by_grade["A"]["won_high"]) == (60.0, 31.3, 83.2)
    assert (by_grade["D"]["deal_low"], by_grade["D"]["deal_high"]) == (2.8, 30.1)
    assert by_grade["A"]["revenue_per_lead"] == 60_000 and by_grade["A"]["median_cycle_days"] == 20.0
    (whole,) = s.rows("grade_lift", period="all")
    assert whole["lift"] == 6.0 and whole["leads"] == 30

    monkeypatch.setenv("B24M_WAREHOUSE__PATH", str(s.warehouse.path))
    run = CliRunner().invoke(app, ["grade", "check"])
    assert run.exit_code == 0, run.output
    out = " ".join(run.output.split())
    assert "The grade separates outcomes on this portal" in out and "Lift of A over D (lead→won): 6.00x" in out
    assert "31.3-83.2" in out and "points = 68" in out
