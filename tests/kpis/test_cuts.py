"""Period boundaries in the portal's time zone, over wide inputs; cuts that make no sense refused."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import given, settings, strategies as st

from b24metrics.errors import NotSynced
from b24metrics.kpis import find
from b24metrics.kpis.cuts import cut, cut_sql
from b24metrics.kpis.refresh import set_local_time

INSTANTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(timezone.utc))
OFFSETS = st.integers(min_value=-12 * 4, max_value=14 * 4).map(lambda q: q * 15)  # quarter hours


CON = duckdb.connect()  # one for all examples: each redefines local_time
CON.execute("SET TimeZone = 'UTC'")


def _offset_text(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@settings(max_examples=200, deadline=None)
@given(instant=INSTANTS, minutes=OFFSETS, period=st.sampled_from(["day", "week", "month", "quarter", "year"]))
def test_an_instant_falls_in_the_period_of_the_portal_wall_clock(instant, minutes, period):
    set_local_time(CON, _offset_text(minutes))
    start = CON.execute(f"SELECT CAST(date_trunc('{period}', local_time(?::TIMESTAMPTZ)) AS DATE)",
                        [instant]).fetchall()[0][0]
    local = (instant + timedelta(minutes=minutes)).replace(tzinfo=None)  # the portal's wall clock
    expected = {
        "day": local.date(),
        "week": local.date() - timedelta(days=local.weekday()),  # ISO weeks begin on Monday
        "month": local.date().replace(day=1),
        "quarter": local.date().replace(month=(local.month - 1) // 3 * 3 + 1, day=1),
        "year": local.date().replace(month=1, day=1),
    }[period]
    assert start == expected


@settings(max_examples=60, deadline=None)
@given(instant=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31),
                            timezones=st.just(timezone.utc)))
def test_an_iana_zone_follows_daylight_saving(instant):
    set_local_time(CON, "Europe/Berlin")
    local = CON.execute("SELECT local_time(?::TIMESTAMPTZ)", [instant]).fetchall()[0][0]
    assert local == instant.astimezone(ZoneInfo("Europe/Berlin")).replace(tzinfo=None)


def test_unknown_zone_and_impossible_cuts_are_refused():
    with pytest.raises(ValueError, match="unknown time zone"):
        set_local_time(duckdb.connect(), "Mars/Olympus")
    with pytest.raises(ValueError, match="cannot be cut by 'planet'"):
        cut_sql(find("M1"), "month", "planet")
    with pytest.raises(ValueError, match="unknown period"):
        cut_sql(find("M1"), "fortnight", None)
    with pytest.raises(ValueError, match="kept per month"):
        cut_sql(find("spend_return"), "week", None)


def test_a_kpi_table_an_earlier_version_built_asks_for_a_refresh_not_an_internal_error():
    """A view that lacks a column this version reads (cohort_return's pace_first, added with
    expected_wins) until the next refresh rebuilds it: NotSynced (exit 2) naming the fix."""
    con = duckdb.connect()
    con.execute("CREATE MACRO attribution_model() AS 'first'")
    con.execute("CREATE TABLE kpi_attribution AS SELECT DATE '2026-03-01' AS cohort_day, NULL AS model, 1 AS leads, "
                "1.0 AS share_first, 1.0 AS share_deal")
    with pytest.raises(NotSynced, match=r"kpi_attribution was built by an earlier version .*kpi --refresh"):
        cut(con, find("cohort_return"), period="month")


def test_a_binder_error_of_the_cut_itself_is_no_call_for_a_refresh():
    """Only a column missing from the table means an earlier version built it: a measure the SQL
    cannot group is a fault to see, not a refresh to ask for."""
    from dataclasses import replace

    from b24metrics.kpis.catalogue import Measure

    con = duckdb.connect()
    con.execute("CREATE TABLE kpi_leads AS SELECT TIMESTAMP '2026-03-01 10:00' AS created_at, 1 AS lead_id")
    con.execute("CREATE TABLE leads AS SELECT 1 AS id")
    con.execute("CREATE TABLE deals AS SELECT 1 AS id, false AS deleted")
    broken = replace(find("M1"), measures=(Measure("ungrouped", "lead_id"),))
    with pytest.raises(duckdb.BinderException, match="GROUP BY"):
        cut(con, broken, period="month")
