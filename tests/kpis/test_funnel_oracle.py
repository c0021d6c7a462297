"""Oracle tests of F1-F3: figures worked out by hand from fixed data sets (portal at +03:00)."""

from __future__ import annotations

import pytest

from tests.kpis.scenario import Scenario
from tests.kpis.test_speed_oracle import keyed, path, sync_twice


@pytest.fixture
def s():
    with Scenario() as scenario:
        yield scenario


@pytest.fixture
def cumulative():
    """The cumulative reading of the funnel, every stage judged however few items it has
    (test_funnel_history_oracle.py has the history reading and the minimum)."""
    with Scenario(kpis={"funnel": {"reading": "cumulative", "min_items": 1}}) as scenario:
        yield scenario


def manager(rows: dict, user: int) -> dict:
    return next(v for k, v in rows.items() if k.endswith(f"#{user}"))


# -- F1 stage conversion

def test_stage_conversion_and_bottleneck(cumulative):
    s = cumulative
    # general pipeline: NEW 10, PREPARATION 20, PREPAYMENT_INVOICE 30, EXECUTING 40, FINAL_INVOICE 50, WON 60
    # d1, created 00:30 local on March 1st (February in UTC): every stage, won
    d1 = s.deal(created="2026-03-01 00:30", stage="WON")
    path(s, "deal", d1, ("NEW", "2026-03-01 00:30"), ("PREPARATION", "2026-03-02 10:00"),
         ("PREPAYMENT_INVOICE", "2026-03-03 10:00"), ("EXECUTING", "2026-03-04 10:00"),
         ("FINAL_INVOICE", "2026-03-05 10:00"), ("WON", "2026-03-06 10:00"))
    # d2 skipped two stages on its way to EXECUTING, then lost: it passed them all the same
    d2 = s.deal(created="2026-03-02 10:00", stage="LOSE")
    path(s, "deal", d2, ("NEW", "2026-03-02 10:00"), ("EXECUTING", "2026-03-03 10:00"), ("LOSE", "2026-03-04 10:00"))
    # d3 lost in PREPARATION, reopened back into it: PREPARATION counts once; it waits there
    d3 = s.deal(created="2026-03-03 10:00", stage="PREPARATION")
    path(s, "deal", d3, ("NEW", "2026-03-03 10:00"), ("PREPARATION", "2026-03-04 10:00"),
         ("LOSE", "2026-03-05 10:00"), ("PREPARATION", "2026-03-06 10:00"))
    # d4 won straight away, then reopened into EXECUTING, where it is now: it reached WON
    d4 = s.deal(created="2026-03-04 10:00", stage="EXECUTING")
    path(s, "deal", d4, ("NEW", "2026-03-04 10:00"), ("WON", "2026-03-05 10:00"), ("EXECUTING", "2026-03-06 10:00"))
    # d5 lost from NEW; d6 was created lost ("Анализ причины провала", F) and has no history
    d5 = s.deal(created="2026-03-05 10:00", stage="LOSE")
    path(s, "deal", d5, ("NEW", "2026-03-05 10:00"), ("LOSE", "2026-03-06 10:00"))
    s.deal(created="2026-03-06 10:00", stage="APOLOGY")
    # d8 reached PREPARATION in the general pipeline (synced), then moved to "Повторные продажи"
    d8 = s.deal(created="2026-03-07 10:00", stage="PREPARATION")
    path(s, "deal", d8, ("NEW", "2026-03-07 10:00"), ("PREPARATION", "2026-03-08 10:00"))
    # not counted: a recurring template; a deal deleted before the second sync; February's cohort
    template = s.deal(created="2026-03-01 10:00", stage="PREPARATION", recurring=True)
    path(s, "deal", template, ("NEW", "2026-03-01 10:00"), ("PREPARATION", "2026-03-02 10:00"))
    gone = s.deal(created="2026-03-01 10:00", stage="NEW")
    path(s, "deal", gone, ("NEW", "2026-03-01 10:00"))
    feb = s.deal(created="2026-02-28 23:30", stage="LOSE")
    path(s, "deal", feb, ("NEW", "2026-02-28 23:30"), ("LOSE", "2026-03-01 10:00"))
    # leads: NEW 10, IN_PROCESS 20, PROCESSED 30, CONVERTED 50 (S), JUNK 60 (F)
    la = s.lead(created="2026-03-02 10:00", status="CONVERTED")
    path(s, "lead", la, ("NEW", "2026-03-02 10:00"), ("IN_PROCESS", "2026-03-02 11:00"),
         ("CONVERTED", "2026-03-03 10:00"))
    lb = s.lead(created="2026-03-02 10:00", status="JUNK")
    path(s, "lead", lb, ("NEW", "2026-03-02 10:00"), ("JUNK", "2026-03-02 11:00"))
    lc = s.lead(created="2026-03-02 10:00", status="PROCESSED")
    path(s, "lead", lc, ("NEW", "2026-03-02 10:00"), ("PROCESSED", "2026-03-02 11:00"))
    sync_twice(s, ("deals", gone),
               moved=(d8, 1, ("C1:NEW", "2026-03-09 10:00"), ("C1:PREPARATION", "2026-03-10 10:00")))

    rows = s.rows("stage_conversion", period="month", by="stage")
    march = keyed(rows, "stage", "2026-03-01")
    got = {k: (v["reached"], v["went_on"], v["conversion"], v["waiting"], v["bottleneck"]) for k, v in march.items()}
    # a stage's conversion counts the items that have left it (went on, lost, moved away); one
    # waiting in it now is shown as waiting, not as a failure
    assert got == {
        # all seven general-pipeline deals; on: d1 d2 d3 d4 d8 -> 5/7 = 71.4%
        "Общая: Новая": (7, 5, 71.4, 0, False),
        # d1 d2 d3 d4 d8; d3 waits; on: d1 d2 d4 of the 4 that left -> 75% (d8 left the pipeline)
        "Общая: Подготовка документов": (5, 3, 75.0, 1, False),
        "Общая: Счёт на предоплату": (3, 3, 100.0, 0, False),         # d1 d2 d4
        # d1 d2 d4; on: d1 d4 -> 2/3: the bottleneck. d4 is in it now, but it had been further (WON)
        "Общая: В работе": (3, 2, 66.7, 1, True),
        "Общая: Финальный счёт": (2, 2, 100.0, 0, False),             # d1 d4
        "Общая: Сделка успешна": (2, 0, None, 0, None),               # d1 d4; nothing follows WON
        # d8 after the move: on from "Новая" (100 %: no bottleneck), waiting in the next stage, which
        # nobody has left: no conversion, not 0 %
        "Повторные продажи: Новая": (1, 1, 100.0, 0, False),
        "Повторные продажи: Подбор предложения": (1, 0, None, 1, None),
        "Leads: Не обработан": (3, 2, 66.7, 0, True),                 # la lb lc; on: la lc; lb junk
        "Leads: В работе": (2, 2, 100.0, 0, False),                   # la, and lc skipped past it
        "Leads: Обработан": (2, 1, 100.0, 1, False),                  # la lc; on: la; lc waits
        "Leads: Качественный лид": (1, 0, None, 0, None),
    }
    assert (march["Общая: Подготовка документов"]["left"], march["Повторные продажи: Подбор предложения"]["left"]) \
        == (4, 0)
    assert march["Общая: Новая"]["reached_prev"] == 1                # February's deal
    # stages come in pipeline order (lead statuses, then each pipeline by its SORT), not A-Z
    assert [r["stage"] for r in rows if str(r["period"]) == "2026-03-01"] == [
        "Leads: Не обработан", "Leads: В работе", "Leads: Обработан", "Leads: Качественный лид",
        "Общая: Новая", "Общая: Подготовка документов", "Общая: Счёт на предоплату", "Общая: В работе",
        "Общая: Финальный счёт", "Общая: Сделка успешна",
        "Повторные продажи: Новая", "Повторные продажи: Подбор предложения"]

    pipelines = keyed(s.rows("stage_conversion", period="month", by="pipeline"), "pipeline", "2026-03-01")
    # general: 7 + 5 + 3 + 3 + 2 + 2 = 22 stage rows; of the 20 before WON, 19 left (d3 waits in
    # "Подготовка документов") and 5+3+3+2+2 = 15 went on: 15/19 = 78.9%
    assert (pipelines["Общая"]["reached"], pipelines["Общая"]["conversion"]) == (22, 78.9)


# -- F2 win and loss

def test_win_loss_per_manager_and_pipeline(s):
    # manager 5 ------------------------------------------------------------------------------
    # won March 10th; CLOSEDATE (a planned date) says April 20th: not used
    w1 = s.deal(created="2026-03-01 10:00", stage="WON", manager=5, source="CALL", moved="2026-03-10 10:00",
                CLOSEDATE="2026-04-20T03:00:00+03:00")
    path(s, "deal", w1, ("NEW", "2026-03-01 10:00"), ("WON", "2026-03-10 10:00"))
    # won at 00:30 local on March 1st: February in UTC, March on the portal
    w2 = s.deal(created="2026-02-20 10:00", stage="WON", manager=5, source="WEB", moved="2026-03-01 00:30")
    path(s, "deal", w2, ("NEW", "2026-02-20 10:00"), ("WON", "2026-03-01 00:30"))
    # lost in "Анализ причины провала": its semantics say F, its name does not say "lose"
    l1 = s.deal(created="2026-03-05 10:00", stage="APOLOGY", manager=5, source="CALL", moved="2026-03-12 10:00")
    path(s, "deal", l1, ("NEW", "2026-03-05 10:00"), ("APOLOGY", "2026-03-12 10:00"))
    # not counted: won but deleted before the second sync; a won recurring template
    gone = s.deal(created="2026-03-01 10:00", stage="WON", manager=5, moved="2026-03-11 10:00")
    s.deal(created="2026-03-01 10:00", stage="WON", manager=5, recurring=True, moved="2026-03-11 10:00")
    # manager 6 ------------------------------------------------------------------------------
    # lost a tender on March 20th
    l2 = s.deal(created="2026-03-01 10:00", stage="C3:LOSE", category=3, manager=6, moved="2026-03-20 10:00")
    path(s, "deal", l2, ("C3:NEW", "2026-03-01 10:00"), ("C3:LOSE", "2026-03-20 10:00"), category=3)
    # reopened deals count by the state they are in now: won, reopened, lost -> one lost deal;
    # lost, reopened and open -> nothing; won in February, reopened, won again in March -> won in March
    r1 = s.deal(created="2026-03-01 10:00", stage="LOSE", manager=6, moved="2026-03-25 10:00")
    path(s, "deal", r1, ("NEW", "2026-03-01 10:00"), ("WON", "2026-03-03 10:00"),
         ("EXECUTING", "2026-03-06 10:00"), ("LOSE", "2026-03-25 10:00"))
    r2 = s.deal(created="2026-03-01 10:00", stage="EXECUTING", manager=6, moved="2026-03-07 10:00")
    path(s, "deal", r2, ("NEW", "2026-03-01 10:00"), ("LOSE", "2026-03-04 10:00"), ("EXECUTING", "2026-03-07 10:00"))
    r3 = s.deal(created="2026-02-01 10:00", stage="WON", manager=6, moved="2026-03-08 10:00")
    path(s, "deal", r3, ("NEW", "2026-02-01 10:00"), ("WON", "2026-02-20 10:00"),
         ("EXECUTING", "2026-02-25 10:00"), ("WON", "2026-03-08 10:00"))
    # moved from the general pipeline and won in "Повторные продажи"
    m = s.deal(created="2026-03-01 10:00", stage="C1:WON", category=1, manager=6, moved="2026-03-15 10:00")
    s.history("deal", m, "NEW", at="2026-03-01 10:00", category=0)
    path(s, "deal", m, ("C1:NEW", "2026-03-05 10:00"), ("C1:WON", "2026-03-15 10:00"), category=1)
    # February: one lost deal (23:30 local)
    feb = s.deal(created="2026-02-01 10:00", stage="LOSE", manager=6, moved="2026-02-28 23:30")
    path(s, "deal", feb, ("NEW", "2026-02-01 10:00"), ("LOSE", "2026-02-28 23:30"))
    sync_twice(s, ("deals", gone))

    managers = keyed(s.rows("win_loss", period="month", by="manager"), "manager", "2026-03-01")
    five, six = manager(managers, 5), manager(managers, 6)
    assert (five["won"], five["lost"], five["win_rate"]) == (2, 1, 66.7)     # w1 w2 / l1: 2/3
    assert (six["won"], six["lost"], six["win_rate"]) == (2, 2, 50.0)       # r3 m / l2 r1: 2/4
    assert (six["won_prev"], six["lost_prev"], six["win_rate_prev"]) == (0, 1, 0.0)  # February

    pipelines = keyed(s.rows("win_loss", period="month", by="pipeline"), "pipeline", "2026-03-01")
    got = {k: (v["won"], v["lost"], v["win_rate"]) for k, v in pipelines.items()}
    # general: w1 w2 r3 / l1 r1 -> 3/5; repeat sales: m; tenders: l2
    assert got == {"Общая": (3, 2, 60.0), "Повторные продажи": (1, 0, 100.0), "Тендеры": (0, 1, 0.0)}

    channels = keyed(s.rows("win_loss", period="month", by="channel"), "channel", "2026-03-01")
    assert (channels["Звонок"]["won"], channels["Звонок"]["lost"]) == (1, 1)  # w1, l1


# -- F3 communications to close

def test_communications_per_won_deal(s):
    # manager 5 ------------------------------------------------------------------------------
    # deal a, won March 10th, from lead la. On the lead: an outgoing call and an incoming
    # e-mail count; a planned call and a task do not
    la = s.lead(created="2026-03-01 10:00", manager=5)
    s.activity(owner=("lead", la), at="2026-03-01 10:05", type_id=2, direction=2)
    s.activity(owner=("lead", la), at="2026-03-01 12:00", type_id=4, direction=1)
    s.activity(owner=("lead", la), at="2026-03-02 10:00", type_id=2, completed=False)
    s.activity(owner=("lead", la), at="2026-03-02 11:00", type_id=3)
    a = s.deal(created="2026-03-03 10:00", stage="WON", manager=5, lead=la, moved="2026-03-10 10:00")
    path(s, "deal", a, ("NEW", "2026-03-03 10:00"), ("WON", "2026-03-10 10:00"))
    # on the deal: two held meetings, a call, an e-mail out count; a planned meeting, a call after
    # the win, and a call deleted before the second sync do not
    s.activity(owner=("deal", a), at="2026-03-05 10:00", type_id=1)
    s.activity(owner=("deal", a), at="2026-03-06 10:00", type_id=2)
    s.activity(owner=("deal", a), at="2026-03-07 10:00", type_id=4)
    s.activity(owner=("deal", a), at="2026-03-09 10:00", type_id=1)
    s.activity(owner=("deal", a), at="2026-03-09 15:00", type_id=1, completed=False)
    s.activity(owner=("deal", a), at="2026-03-12 10:00", type_id=2)
    gone = s.activity(owner=("deal", a), at="2026-03-08 10:00", type_id=2)
    # deal b, no lead, won March 20th after one call
    b = s.deal(created="2026-03-15 10:00", stage="WON", manager=5, moved="2026-03-20 10:00")
    s.activity(owner=("deal", b), at="2026-03-16 10:00", type_id=2)
    # won at 00:30 local on April 1st (March in UTC) after one call: April
    f = s.deal(created="2026-03-25 10:00", stage="WON", manager=5, moved="2026-04-01 00:30")
    s.activity(owner=("deal", f), at="2026-03-31 10:00", type_id=2)
    # lost: not a won deal, its calls count nowhere
    lost = s.deal(created="2026-03-01 10:00", stage="LOSE", manager=5, moved="2026-03-05 10:00")
    s.activity(owner=("deal", lost), at="2026-03-02 10:00", type_id=2)
    # manager 6 ------------------------------------------------------------------------------
    # lead lc made two won deals, c (March 15th) and d (March 25th): its two calls count once, for c
    lc = s.lead(created="2026-03-01 10:00", manager=6)
    s.activity(owner=("lead", lc), at="2026-03-02 10:00", type_id=2)
    s.activity(owner=("lead", lc), at="2026-03-03 10:00", type_id=2)
    c = s.deal(created="2026-03-04 10:00", stage="WON", manager=6, lead=lc, moved="2026-03-15 10:00")
    s.activity(owner=("deal", c), at="2026-03-10 10:00", type_id=1)
    d = s.deal(created="2026-03-04 10:00", stage="WON", manager=6, lead=lc, moved="2026-03-25 10:00")
    s.activity(owner=("deal", d), at="2026-03-20 10:00", type_id=4)
    # deal e, won March 28th after one meeting; its lead was deleted, and its call with it
    le = s.lead(created="2026-03-01 10:00", manager=6)
    s.activity(owner=("lead", le), at="2026-03-02 10:00", type_id=2)
    e = s.deal(created="2026-03-04 10:00", stage="WON", manager=6, lead=le, moved="2026-03-28 10:00")
    s.activity(owner=("deal", e), at="2026-03-27 10:00", type_id=1)
    sync_twice(s, ("activities", gone), ("leads", le))

    rows = s.rows("communications_to_close", period="month", by="manager")
    march = keyed(rows, "manager", "2026-03-01")
    five, six = manager(march, 5), manager(march, 6)
    # a: lead call + lead e-mail + 2 meetings + call + e-mail = 6 (2 meetings, 2 calls, 2 e-mails);
    # b: 1 call. Per won deal: 7/2 = 3.5; meetings 2/2 = 1; calls 3/2 = 1.5; e-mails 2/2 = 1
    assert (five["won"], five["per_deal"], five["meetings_per_deal"]) == (2, 3.5, 1.0)
    assert (five["calls_per_deal"], five["emails_per_deal"]) == (1.5, 1.0)
    # c: 2 lead calls + 1 meeting = 3; d: 1 e-mail; e: 1 meeting. 5/3 = 1.67; meetings 2/3 = 0.67;
    # calls 2/3 = 0.67; e-mails 1/3 = 0.33
    assert (six["won"], six["per_deal"], six["meetings_per_deal"]) == (3, 1.67, 0.67)
    assert (six["calls_per_deal"], six["emails_per_deal"]) == (0.67, 0.33)
    april = keyed(rows, "manager", "2026-04-01")
    assert [(r["won"], r["per_deal"]) for r in april.values()] == [(1, 1.0)]
