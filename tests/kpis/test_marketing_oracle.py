"""Oracle tests of M1 and M2: figures worked out by hand from a fixed data set."""

import pytest

from tests.kpis.scenario import Scenario


@pytest.fixture
def s():
    with Scenario() as scenario:
        yield scenario


def test_leads_by_channel_per_portal_month_with_prev_and_year_before(s):
    # portal +03:00: 2026-03-01 01:30 local is still February in UTC; it counts in March
    for when in ("2026-03-01 01:30", "2026-03-15 12:00", "2026-03-31 23:59"):
        s.lead(created=when, source="CALL")
    s.lead(created="2026-03-10 10:00", source="WEB")
    s.lead(created="2026-02-28 23:59", source="CALL")     # February, local
    s.lead(created="2025-03-05 10:00", source="CALL")     # a year before
    s.lead(created="2025-03-06 10:00", source="CALL")
    s.sync()
    rows = s.rows("leads_by_channel", period="month", by="channel")
    march = {r["channel"]: r for r in rows if str(r["period"]) == "2026-03-01"}
    call, web = march["Звонок"]["leads"], march["Веб-сайт"]["leads"]
    assert (call, web) == (3, 1)
    assert march["Звонок"]["share"] == 75.0 and march["Веб-сайт"]["share"] == 25.0
    assert march["Звонок"]["leads_prev"] == 1 and march["Звонок"]["leads_yoy"] == 2
    assert march["Веб-сайт"]["leads_prev"] is None


def test_simple_crm_mode_says_so_instead_of_zeros(s):
    s.deal(created="2026-03-01 10:00", stage="WON", amount=1000)
    s.sync()
    result = s.cut("leads_by_channel", period="month")
    assert result.rows == [] and "simple CRM mode" in result.note
