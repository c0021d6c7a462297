"""`explain` speaks portal time and says in words what happened: a reopened deal whose first win
was superseded, a move to another pipeline, a recurring template (synced, counted nowhere)."""

from __future__ import annotations

from datetime import datetime

import pytest

from b24metrics.kpis.explain import explain_deal, explain_lead
from tests.kpis.scenario import Scenario


@pytest.fixture
def s():
    with Scenario() as scenario:
        yield scenario


def _views(s, entity: str, record_id: int, zone: str = "portal") -> dict[str, list[dict]]:
    explain = explain_lead if entity == "lead" else explain_deal
    with s.warehouse.connect(read_only=True) as con:
        return {x.title: x.rows for x in explain(con, record_id, zone)}


def _said(view: dict[str, list[dict]]) -> list[str]:
    return [row["what happened"] for row in view["what happened (portal time)"]]


def test_a_lead_created_after_local_midnight_shows_its_local_date_everywhere(s):
    # 00:30 at +03:00 is 21:30 the day before in UTC: every time explain prints says March 1st
    lead = s.lead(created="2026-03-01 00:30", source="CALL")
    s.history("lead", lead, "NEW", at="2026-03-01 00:30")
    s.history("lead", lead, "IN_PROCESS", at="2026-03-01 00:45")
    s.activity(owner=("lead", lead), at="2026-03-01 00:40", type_id=2, direction=2)
    s.sync()
    view = _views(s, "lead", lead)
    assert _said(view)[0].startswith(f"Lead {lead} came in 2026-03-01 00:30 (portal time) from \"Звонок\"")
    history = view["status history (accepted, speed when no contact)"]
    assert [h["created_time"] for h in history] == [datetime(2026, 3, 1, 0, 30), datetime(2026, 3, 1, 0, 45)]
    assert [h["status"] for h in history] == ["Не обработан", "В работе"]      # names beside the codes
    (call,) = view["activities (speed to lead: the first outgoing call or e-mail, or a meeting)"]
    assert call["kind"] == "outgoing call"
    assert (call["start_time"], call["created"]) == (datetime(2026, 3, 1, 0, 40), datetime(2026, 3, 1, 0, 40))
    (facts,) = view[next(t for t in view if t.startswith("kpi_leads:"))]
    assert facts["created_at"] == datetime(2026, 3, 1, 0, 30)     # the KPI row agrees with the history
    # kpis.timezone set to another zone moves every time with it
    utc = _views(s, "lead", lead, zone="+00:00")
    assert [h["created_time"] for h in utc["status history (accepted, speed when no contact)"]][0] == \
        datetime(2026, 2, 28, 21, 30)


def test_a_reopened_deal_says_its_first_win_was_superseded(s):
    deal = s.deal(created="2026-03-02 10:00", stage="WON", amount=1000, moved="2026-03-20 12:00")
    s.history("deal", deal, "NEW", at="2026-03-02 10:00")
    s.history("deal", deal, "WON", at="2026-03-05 11:00")
    s.history("deal", deal, "EXECUTING", at="2026-03-06 09:00")
    s.history("deal", deal, "WON", at="2026-03-20 12:00")
    s.sync()
    said = _said(_views(s, "deal", deal))
    assert said[0] == f"Deal {deal} was created 2026-03-02 10:00 (portal time)."
    assert said[1].startswith("It was won 2026-03-05 11:00 (\"Сделка успешна\"), then reopened 2026-03-06 09:00")
    assert "that first win is superseded and counts nowhere" in said[1]
    history = _views(s, "deal", deal)["stage history (won/lost, closing time, cycle)"]
    assert [(h["pipeline"], h["stage"], h["stage_id"]) for h in history][:2] == [
        ("Общая", "Новая", "NEW"), ("Общая", "Сделка успешна", "WON")]
    assert said[2].startswith("It was won again 2026-03-20 12:00 in \"Общая\" at \"Сделка успешна\", "
                              "18.1 days after it was created")


def test_a_deal_moved_to_another_pipeline_says_so(s):
    deal = s.deal(created="2026-03-03 10:00", stage="C3:APOLOGY", category=3, moved="2026-03-09 10:00")
    s.history("deal", deal, "NEW", at="2026-03-03 10:00")
    s.history("deal", deal, "C3:APOLOGY", at="2026-03-09 10:00", category=3)
    s.sync()
    # as on a real portal, the rows of the pipeline it left are not listed: the history begins late
    said = _said(_views(s, "deal", deal))
    assert said[1] == ("Its stage history in \"Тендеры\" begins 2026-03-09 10:00 (\"Отказ от участия\"), after it "
                       "was created: it was moved into this pipeline then (the portal keeps no stage rows of the "
                       "pipeline it left); its KPIs count it in the pipeline it is in now.")
    assert said[2].startswith("It was lost 2026-03-09 10:00 in \"Тендеры\"")
    assert not any("superseded" in line for line in said)


def test_a_move_between_two_listed_stage_rows_is_named_with_both_pipelines(s):
    s.portal.stagehistory_current_pipeline_only = False       # a portal that lists the rows it left too
    deal = s.deal(created="2026-03-03 10:00", stage="C3:APOLOGY", category=3, moved="2026-03-09 10:00")
    s.history("deal", deal, "NEW", at="2026-03-03 10:00")
    s.history("deal", deal, "C3:APOLOGY", at="2026-03-09 10:00", category=3)
    s.sync()
    said = _said(_views(s, "deal", deal))
    assert said[1] == ("Moved from pipeline \"Общая\" to \"Тендеры\" 2026-03-09 10:00 (stage \"Отказ от участия\"); "
                       "its KPIs count it in the pipeline it is in now.")
    assert len(said) == 3


def test_a_synced_recurring_template_is_explained_not_called_missing(s):
    template = s.deal(created="2026-03-03 10:00", stage="NEW", recurring=True)
    s.history("deal", template, "NEW", at="2026-03-03 10:00")
    s.sync()
    assert s.sql("SELECT count(*) FROM kpi_deals WHERE deal_id = ?", [template]) == [(0,)]
    view = _views(s, "deal", template)
    said = _said(view)
    assert "recurring-deal template (IS_RECURRING = Y), synced like any deal" in said[1]
    assert [h["stage_id"] for h in view["stage history (won/lost, closing time, cycle)"]] == ["NEW"]
    assert _views(s, "deal", 999) == {}          # no such deal: nothing, as before
