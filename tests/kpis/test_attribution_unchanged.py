"""The attribution step rebuilds its whole tables (the spend by day among them), but not in a
refresh that has nothing new for them (kpis/unchanged.py): nothing synced, the same spend, rates,
clock day and settings."""

from __future__ import annotations

from datetime import datetime

from tests.kpis.scenario import Scenario
from tests.kpis.test_inputs import refresh_with_inputs, write

NOW = datetime(2026, 5, 20, 12, 0)


def spend_rows(s) -> list[tuple]:
    with s.warehouse.connect(read_only=True) as con:
        return con.execute("SELECT cohort_day, channel, spend FROM kpi_attribution_money WHERE model IS NULL "
                           "AND spend > 0 ORDER BY ALL").fetchall()


def won_rows(s) -> int:
    with s.warehouse.connect(read_only=True) as con:
        return con.execute("SELECT count(*) FROM kpi_attribution_money WHERE won_deals > 0").fetchall()[0][0]


def forget_spend(s) -> None:
    """Rows only a rebuild of the step brings back."""
    with s.warehouse.transaction() as con:
        con.execute("DELETE FROM kpi_attribution_spend")


def test_a_refresh_with_nothing_new_keeps_the_attribution_tables_and_any_change_rebuilds_them(tmp_path):
    spend = write(tmp_path, "spend.csv", "month,channel,amount,currency\n2026-03,WEB,3100,RUB\n")
    with Scenario(kpis={"spend_file": spend, "base_currency": "RUB"}) as s:
        lead = s.lead(created="2026-03-02 10:00", source="WEB")
        s.deal(created="2026-03-03 10:00", moved="2026-03-20 10:00", stage="WON", amount=30000, lead=lead,
               source="WEB")
        s.sync()
        refresh_with_inputs(s, s.settings(), now=NOW)
        assert len(spend_rows(s)) == 31 and won_rows(s) == 2        # 100 a day of March; both models
        forget_spend(s)

        refresh_with_inputs(s, s.settings(), now=NOW)               # nothing synced, nothing changed
        assert spend_rows(s) == [] and won_rows(s) == 2

        write(tmp_path, "spend.csv", "month,channel,amount,currency\n2026-04,WEB,3000,RUB\n")
        refresh_with_inputs(s, s.settings(), now=NOW)               # the spend file changed
        assert won_rows(s) == 2 and {r[0].month for r in spend_rows(s)} == {4}

        forget_spend(s)
        refresh_with_inputs(s, s.settings(), now=datetime(2026, 5, 21, 12, 0))   # another day: ages move
        assert len(spend_rows(s)) == 30

        forget_spend(s)
        s.lead(created="2026-05-01 10:00", source="WEB")
        s.sync()
        refresh_with_inputs(s, s.settings(), now=datetime(2026, 5, 21, 12, 0))   # a lead synced
        assert len(spend_rows(s)) == 30
