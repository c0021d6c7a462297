"""Oracle tests of S1-S3: figures worked out by hand from fixed data sets.

The portal is at +03:00; every time below is its wall clock. Helpers here are shared with
test_funnel_oracle.py.
"""

from __future__ import annotations

import pytest

from b24metrics import pipeline
from b24metrics.extract import STREAMS
from b24metrics.kpis.refresh import refresh_kpis
from tests.kpis.scenario import Scenario


@pytest.fixture
def s():
    with Scenario() as scenario:
        yield scenario


def path(s: Scenario, entity: str, owner: int, *steps: tuple[str, str], category: int = 0) -> list[int]:
    """History rows: the lead or deal entered each (stage, at) in turn."""
    return [s.history(entity, owner, stage, at=at, category=category) for stage, at in steps]


def move_pipeline(s: Scenario, deal: int, category: int, *steps: tuple[str, str]) -> None:
    """Move a deal to another pipeline: its rows there, and the deal now in the last stage."""
    path(s, "deal", deal, *steps, category=category)
    with s.state.lock:
        s.state.deals[deal].update(CATEGORY_ID=str(category), STAGE_ID=steps[-1][0],
                                   MOVED_TIME=s.at(steps[-1][1]), DATE_MODIFY=s.at(steps[-1][1]))


def sync_twice(s: Scenario, *deleted: tuple[str, int], moved: tuple | None = None) -> None:
    """Sync; then on the portal delete records ((kind, ID): leads, deals, activities ...) and maybe
    move a deal (`moved`: move_pipeline's arguments); then a full sync with the delete sweep."""
    s.sync()
    with s.state.lock:
        for kind, record_id in deleted:
            del getattr(s.state, kind)[record_id]
    if moved:
        move_pipeline(s, *moved)
    settings = s.settings()
    streams = list(STREAMS.values())
    with pipeline.open_client(settings) as client:
        pipeline.sync(client, s.warehouse, streams, settings, full=True)
        pipeline.sweep(client, s.warehouse, streams)
    refresh_kpis(s.warehouse, settings)


def keyed(rows: list[dict], key: str, period: str | None) -> dict:
    return {r[key]: r for r in rows if period is None or str(r["period"]) == period}


# -- S1 speed to lead

def test_speed_to_lead_per_manager_and_channel(s):
    # manager 5 ------------------------------------------------------------------------------
    # 00:30 local on March 1st is still February in UTC: a March lead. Outgoing call: 10 min
    a = s.lead(created="2026-03-01 00:30", source="CALL", manager=5)
    s.activity(owner=("lead", a), at="2026-03-01 00:40", type_id=2, direction=2)
    # an incoming call and a planned (not completed) call are no answer; the e-mail out is: 45 min
    b = s.lead(created="2026-03-02 10:00", source="CALL", manager=5)
    s.activity(owner=("lead", b), at="2026-03-02 10:01", type_id=2, direction=1)
    s.activity(owner=("lead", b), at="2026-03-02 10:05", type_id=2, direction=2, completed=False)
    s.activity(owner=("lead", b), at="2026-03-02 10:45", type_id=4, direction=2)
    # no contact: the first status change answers it; the row at creation changes nothing: 120 min
    c = s.lead(created="2026-03-03 09:00", source="WEB", manager=5, status="IN_PROCESS")
    path(s, "lead", c, ("NEW", "2026-03-03 09:00"), ("IN_PROCESS", "2026-03-03 11:00"))
    # an outgoing call only in the telephony records, exactly at the 15-minute SLA: not over it
    d = s.lead(created="2026-03-04 10:00", source="CALL", manager=5)
    s.call(number="74950000001", at="2026-03-04 10:15", entity=("lead", d), incoming=False)
    # called two minutes before the lead was typed in: an immediate answer, 0 min
    e = s.lead(created="2026-03-05 10:00", source="WEB", manager=5)
    s.activity(owner=("lead", e), at="2026-03-05 09:58", type_id=2, direction=2)
    # never contacted, but deleted on the portal before the second sync: not counted
    gone = s.lead(created="2026-03-07 10:00", source="CALL", manager=5)
    # February (23:59 local), answered 5 minutes later, already in March
    feb = s.lead(created="2026-02-28 23:59", source="CALL", manager=5)
    s.activity(owner=("lead", feb), at="2026-03-01 00:04", type_id=2, direction=2)
    # manager 6 ------------------------------------------------------------------------------
    # a meeting after 20 min; the status changed earlier (12:05), but a contact comes first
    f = s.lead(created="2026-03-04 12:00", source="CALL", manager=6, status="IN_PROCESS")
    path(s, "lead", f, ("IN_PROCESS", "2026-03-04 12:05"))
    s.activity(owner=("lead", f), at="2026-03-04 12:20", type_id=1, direction=2)
    # never contacted: only its creation row
    g = s.lead(created="2026-03-05 08:00", source="WEB", manager=6)
    path(s, "lead", g, ("NEW", "2026-03-05 08:00"))
    # created straight into "in work" (its creation row, TYPE_ID 1, says so): still never contacted
    h = s.lead(created="2026-03-06 10:00", source="CALL", manager=6, status="IN_PROCESS")
    (creation,) = path(s, "lead", h, ("IN_PROCESS", "2026-03-06 10:00"))
    s.state.stage_history[1][creation]["TYPE_ID"] = 1
    sync_twice(s, ("leads", gone))

    march = keyed(s.rows("speed_to_lead", period="month", by="manager"), "manager", "2026-03-01")
    five = next(v for k, v in march.items() if k.endswith("#5"))
    six = next(v for k, v in march.items() if k.endswith("#6"))
    # manager 5: minutes [0, 10, 15, 45, 120]; median 15; p90 at rank 0.9*(5-1) = 3.6:
    # 45 + 0.6 * (120 - 45) = 90; over 15: 45, 120; within: 0, 10, 15 -> 3/5 = 60%
    assert (five["leads"], five["median_min"], five["p90_min"]) == (5, 15.0, 90.0)
    assert (five["over_sla"], five["never_contacted"], five["within_sla"]) == (2, 0, 60.0)
    assert (five["leads_prev"], five["median_min_prev"]) == (1, 5.0)   # February: one lead, 5 min
    # manager 6: minutes [20]; two never contacted; within: 0/3
    assert (six["leads"], six["median_min"], six["p90_min"]) == (3, 20.0, 20.0)
    assert (six["over_sla"], six["never_contacted"], six["within_sla"]) == (1, 2, 0.0)

    by_channel = keyed(s.rows("speed_to_lead", period="month", by="channel"), "channel", "2026-03-01")
    call, web = by_channel["Звонок"], by_channel["Веб-сайт"]
    # calls: a 10, b 45, d 15, f 20, h never -> [10, 15, 20, 45]: median (15+20)/2 = 17.5;
    # p90 at rank 2.7: 20 + 0.7 * 25 = 37.5; over: 20, 45
    assert (call["leads"], call["median_min"], call["p90_min"]) == (5, 17.5, 37.5)
    assert (call["over_sla"], call["never_contacted"]) == (2, 1)
    # web: c 120, e 0, g never -> [0, 120]: median 60; p90 at rank 0.9: 0.9 * 120 = 108
    assert (web["leads"], web["median_min"], web["p90_min"], web["over_sla"], web["never_contacted"]) == (
        3, 60.0, 108.0, 1, 1)


def test_speed_to_lead_counts_against_the_configured_sla():
    with Scenario(kpis={"speed_sla_minutes": 30}) as s:
        lead = s.lead(created="2026-03-02 10:00")
        s.activity(owner=("lead", lead), at="2026-03-02 10:20", type_id=2, direction=2)
        s.sync()
        (row,) = s.rows("speed_to_lead", period="month")
        assert (row["median_min"], row["over_sla"], row["within_sla"]) == (20.0, 0, 100.0)  # 20 <= 30


def test_speed_to_lead_in_simple_crm_mode_says_so(s):
    s.deal(created="2026-03-01 10:00", stage="WON", moved="2026-03-02 10:00")
    s.sync()
    result = s.cut("speed_to_lead", period="month")
    assert result.rows == [] and "simple CRM mode" in result.note
    # the deal KPIs still count: creation to won is one day, and there is no lead to time from
    (row,) = s.rows("deal_cycle", period="month")
    assert (row["won"], row["mean_days"], row["mean_lead_days"]) == (1, 1.0, None)


# -- S2 time in stage

def test_time_in_stage_per_stage_and_pipeline(s):
    # leads: stays of 2 h and 24 h; the current stay (PROCESSED) is open and does not count
    a = s.lead(created="2026-03-02 10:00", status="PROCESSED")
    path(s, "lead", a, ("NEW", "2026-03-02 10:00"), ("IN_PROCESS", "2026-03-02 12:00"),
         ("PROCESSED", "2026-03-03 12:00"))
    # stays of 4 h and 24 h; the final JUNK stay does not count
    b = s.lead(created="2026-03-05 09:00", status="JUNK")
    path(s, "lead", b, ("NEW", "2026-03-05 09:00"), ("IN_PROCESS", "2026-03-05 13:00"), ("JUNK", "2026-03-06 13:00"))
    # deal 1, created 00:30 local on March 1st: NEW 24 h, PREPARATION 48 h, won, reopened into
    # EXECUTING for 48 h and won again; stays in WON are final and do not count
    d1 = s.deal(created="2026-03-01 00:30", stage="WON", moved="2026-03-12 00:30")
    path(s, "deal", d1, ("NEW", "2026-03-01 00:30"), ("PREPARATION", "2026-03-02 00:30"),
         ("WON", "2026-03-04 00:30"), ("EXECUTING", "2026-03-10 00:30"), ("WON", "2026-03-12 00:30"))
    # deal 2: NEW 12 h, PREPARATION 36 h, lost
    d2 = s.deal(created="2026-03-01 10:00", stage="LOSE", moved="2026-03-03 10:00")
    path(s, "deal", d2, ("NEW", "2026-03-01 10:00"), ("PREPARATION", "2026-03-01 22:00"), ("LOSE", "2026-03-03 10:00"))
    # deleted before the second sync (NEW 240 h) and a recurring template (PREPARATION 100 h): not counted
    gone = s.deal(created="2026-03-01 10:00", stage="PREPARATION", moved="2026-03-11 10:00")
    path(s, "deal", gone, ("NEW", "2026-03-01 10:00"), ("PREPARATION", "2026-03-11 10:00"))
    template = s.deal(created="2026-03-01 10:00", stage="EXECUTING", recurring=True, moved="2026-03-06 14:00")
    path(s, "deal", template, ("PREPARATION", "2026-03-02 10:00"), ("EXECUTING", "2026-03-06 14:00"))
    # NEW from 12:00 on March 31st to 00:30 local on April 1st (still March in UTC): 12.5 h in April
    d5 = s.deal(created="2026-03-31 12:00", stage="PREPARATION", moved="2026-04-01 00:30")
    path(s, "deal", d5, ("NEW", "2026-03-31 12:00"), ("PREPARATION", "2026-04-01 00:30"))
    # deal 6: NEW 24 h and PREPARATION 24 h in the general pipeline, synced; then moved to
    # "Повторные продажи", whose NEW it leaves after 30 h. The portal no longer lists its old
    # rows, but the warehouse kept them
    d6 = s.deal(created="2026-03-01 10:00", stage="PREPARATION", moved="2026-03-02 10:00")
    path(s, "deal", d6, ("NEW", "2026-03-01 10:00"), ("PREPARATION", "2026-03-02 10:00"))
    sync_twice(s, ("deals", gone),
               moved=(d6, 1, ("C1:NEW", "2026-03-03 10:00"), ("C1:PREPARATION", "2026-03-04 16:00")))

    rows = s.rows("time_in_stage", period="month", by="stage")
    march = keyed(rows, "stage", "2026-03-01")
    got = {k: (v["stays"], v["median_hours"], v["slowest"]) for k, v in march.items()}
    assert got == {
        "Leads: Не обработан": (2, 3.0, False),               # 2 h, 4 h
        "Leads: В работе": (2, 24.0, True),                   # 24 h, 24 h
        "Общая: Новая": (3, 24.0, False),                     # d1 24, d2 12, d6 24
        "Общая: Подготовка документов": (3, 36.0, False),     # d1 48, d2 36, d6 24 (left at the move)
        "Общая: В работе": (1, 48.0, True),                   # d1 after reopening: the slowest
        "Повторные продажи: Новая": (1, 30.0, True),          # d6 in its new pipeline
    }
    assert march["Общая: Новая"]["mean_hours"] == 20.0        # (24 + 12 + 24) / 3
    april = keyed(rows, "stage", "2026-04-01")
    assert {k: (v["stays"], v["median_hours"]) for k, v in april.items()} == {"Общая: Новая": (1, 12.5)}
    assert april["Общая: Новая"]["stays_prev"] == 3

    pipelines = keyed(s.rows("time_in_stage", period="month", by="pipeline"), "pipeline", "2026-03-01")
    # leads [2, 4, 24, 24] -> median 14; general [12, 24, 24, 24, 36, 48, 48] -> median 24
    assert {k: (v["stays"], v["median_hours"]) for k, v in pipelines.items()} == {
        "Leads": (4, 14.0), "Общая": (7, 24.0), "Повторные продажи": (1, 30.0)}


# -- S3 deal cycle

def test_deal_cycle_from_stage_history_per_manager_and_pipeline(s):
    # manager 5 ------------------------------------------------------------------------------
    # from a lead of March 1st; created March 3rd, won March 13th: 10 days, lead to won 12 days.
    # CLOSEDATE (a planned date) says March 4th: not used
    lead_a = s.lead(created="2026-03-01 10:00", manager=5)
    a = s.deal(created="2026-03-03 10:00", stage="WON", manager=5, lead=lead_a, moved="2026-03-13 10:00",
               CLOSEDATE="2026-03-04T03:00:00+03:00")
    path(s, "deal", a, ("NEW", "2026-03-03 10:00"), ("WON", "2026-03-13 10:00"))
    # no stage history: MOVED_TIME says when it was won: Feb 20th to March 6th = 14 days
    s.deal(created="2026-02-20 10:00", stage="WON", manager=5, moved="2026-03-06 10:00")
    # won at 00:30 local on April 1st (March in UTC): 7 days, in April
    e = s.deal(created="2026-03-25 00:30", stage="WON", manager=5, moved="2026-04-01 00:30")
    path(s, "deal", e, ("NEW", "2026-03-25 00:30"), ("WON", "2026-04-01 00:30"))
    # a recurring-deal template, a won deal deleted before the second sync, lost and open deals:
    # not counted
    s.deal(created="2026-03-01 10:00", stage="WON", manager=5, recurring=True, moved="2026-03-02 10:00")
    gone = s.deal(created="2026-03-01 10:00", stage="WON", manager=5, moved="2026-03-31 10:00")
    s.deal(created="2026-03-01 10:00", stage="LOSE", manager=5, moved="2026-03-02 10:00")
    s.deal(created="2026-03-01 10:00", stage="EXECUTING", manager=5, moved="2026-03-02 10:00")
    # manager 6 ------------------------------------------------------------------------------
    # from a lead of Feb 25th; won March 5th, reopened, won again March 21st: the cycle runs to
    # the win that stands, 20 days; lead to won: Feb 25th to March 21st = 24 days
    lead_c = s.lead(created="2026-02-25 10:00", manager=6)
    c = s.deal(created="2026-03-01 10:00", stage="WON", manager=6, lead=lead_c, moved="2026-03-21 10:00")
    path(s, "deal", c, ("NEW", "2026-03-01 10:00"), ("WON", "2026-03-05 10:00"),
         ("EXECUTING", "2026-03-08 10:00"), ("WON", "2026-03-21 10:00"))
    # created March 2nd in the general pipeline, moved, won in "Повторные продажи" on March 12th:
    # 10 days from its creation (its rows in the first pipeline are not listed any more)
    d = s.deal(created="2026-03-02 10:00", stage="C1:WON", category=1, manager=6, moved="2026-03-12 10:00")
    s.history("deal", d, "NEW", at="2026-03-02 10:00", category=0)
    path(s, "deal", d, ("C1:NEW", "2026-03-05 10:00"), ("C1:WON", "2026-03-12 10:00"), category=1)
    sync_twice(s, ("deals", gone))

    managers = keyed(s.rows("deal_cycle", period="month", by="manager"), "manager", "2026-03-01")
    five = next(v for k, v in managers.items() if k.endswith("#5"))
    six = next(v for k, v in managers.items() if k.endswith("#6"))
    # 5: [10, 14] -> mean 12, median 12; lead to won: only deal a, 12
    assert (five["won"], five["mean_days"], five["median_days"]) == (2, 12.0, 12.0)
    assert (five["mean_lead_days"], five["median_lead_days"]) == (12.0, 12.0)
    # 6: [20, 10] -> mean 15, median 15; lead to won: only deal c, 24
    assert (six["won"], six["mean_days"], six["median_days"], six["mean_lead_days"]) == (2, 15.0, 15.0, 24.0)

    # March, general: [10, 14, 20] -> mean 44 / 3 = 14.7, median 14; April, general: 7 days
    rows = s.rows("deal_cycle", period="month", by="pipeline")
    got = {(str(r["period"]), r["pipeline"]): (r["won"], r["mean_days"], r["median_days"]) for r in rows}
    assert got == {
        ("2026-03-01", "Общая"): (3, 14.7, 14.0),
        ("2026-03-01", "Повторные продажи"): (1, 10.0, 10.0),
        ("2026-04-01", "Общая"): (1, 7.0, 7.0),
    }
