"""Oracle tests of T1 and T2: call tracking figures worked out by hand from a fixed set of calls.

A worked example: 50 calls in a month from one tracking number, 12 of the callers buy, the number's own
spend was 108,000 roubles: 108,000 / 12 = 9,000 roubles per client.
"""

import pytest

from tests.kpis.scenario import Scenario
from tests.kpis.test_inputs import delete_on_portal, refresh_with_inputs, write

A = "+74951112233"          # Яндекс Директ (written "+7 (495) 111-22-33" in the map)
B = "+7 495 222-33-44"      # ADVERTISING = "Реклама" (written "84952223344" in the map)
C = "+74953334455"          # in no map: untracked
D = "+74955556677"          # Яндекс Директ as well, from April
TRACKING = {"+7 (495) 111-22-33": "Яндекс Директ", "84952223344": "ADVERTISING",
            "7-495-555-66-77": "Яндекс Директ"}
# Spend that names a number is that number's own; spend that names only a channel is charged to
# none of its numbers (the channel also buys leads that never call). D's ISO week 14 (30 March -
# 5 April) falls 2 days in March, 5 in April.
SPEND = ("period,channel,amount,currency,number\n"
         '2026-03,Яндекс Директ,"108 000",RUB,+7 (495) 111-22-33\n'
         '2026-03,Яндекс Директ,"94 000",RUB,\n'
         '2026-03,ADVERTISING,"30 000,50",RUB,\n'
         "2026-04,Яндекс Директ,40000,RUB,\n"
         "2026-W14,Яндекс Директ,7000,RUB,7-495-555-66-77\n")
MISSED = "304"


@pytest.fixture(scope="module")
def s(tmp_path_factory):
    spend = write(tmp_path_factory.mktemp("inputs"), "spend.csv", SPEND)
    with Scenario(kpis={"tracking_numbers": TRACKING, "spend_file": spend}) as scenario:
        gone = build(scenario)
        scenario.sync()
        delete_on_portal(scenario, **gone)
        assert refresh_with_inputs(scenario, scenario.settings()) == []
        yield scenario


def build(s) -> dict:
    """The calls of March 2026 (and a few around it); returns what is deleted on the portal."""
    # number A, March: 50 incoming calls --------------------------------------------------------
    # 1-12: each brings a lead that buys (20,000 RUB): manager 5, 120 s each. One deal is won
    # only in April (still the March calls' sale), one in pipeline 1.
    buyers = []
    for i in range(12):
        at = f"2026-03-{i + 2:02d} 10:00"
        lead = s.lead(created=at, source="ADVERTISING", manager=5)
        s.call(number=A, at=at, duration=120, user=5, entity=("lead", lead))
        stage, category = ("C1:WON", 1) if i == 11 else ("WON", 0)
        s.deal(created=at, stage=stage, category=category, amount=20000, lead=lead,
               moved="2026-04-02 12:00" if i == 10 else "2026-03-20 12:00")
        buyers.append(lead)
    # 13: the first buyer calls again: a call, no new lead. Manager 5, 60 s
    s.call(number=A, at="2026-03-15 10:00", duration=60, user=5, entity=("lead", buyers[0]))
    # 14-21: leads that did not buy: manager 6, 60 s
    others = []
    for i in range(8):
        at = f"2026-03-{i + 2:02d} 15:00"
        lead = s.lead(created=at, source="ADVERTISING", manager=6)
        s.call(number=A, at=at, duration=60, user=6, entity=("lead", lead))
        others.append(lead)
    s.deal(created="2026-03-03 16:00", stage="LOSE", amount=20000, lead=others[0])
    s.deal(created="2026-03-03 16:00", stage="EXECUTING", amount=20000, lead=others[1])
    deleted_deal = s.deal(created="2026-03-03 16:00", stage="WON", amount=20000, lead=others[2])
    s.deal(created="2026-03-03 16:00", stage="WON", amount=20000, lead=others[3], recurring=True)
    # 22-40: 19 answered calls that made no lead, manager 6, 60 s; the first at 00:30 local on
    # March 1st (February 28th in UTC)
    s.call(number=A, at="2026-03-01 00:30", duration=60, user=6)
    for i in range(18):
        s.call(number=A, at=f"2026-03-{i + 2:02d} 18:00", duration=60, user=6)
    # 41-50: 10 missed calls, five for manager 5, five for manager 6
    for i in range(10):
        s.call(number=A, at=f"2026-03-{i + 2:02d} 20:00", duration=0, failed_code=MISSED, user=5 if i < 5 else 6)
    # not counted: 23:50 local on February 28th (February), an outgoing call and a callback
    s.call(number=A, at="2026-02-28 23:50", duration=60, user=6)
    s.call(number=A, at="2026-03-10 12:00", duration=300, user=5, incoming=False)
    s.call(number=A, at="2026-03-11 12:00", duration=300, user=5, CALL_TYPE="4")

    # number B (Реклама), March, manager 9 ----------------------------------------------------------
    # a redirected incoming call bound to a deal it made: won, 500 USD, no client record
    deal_b = s.deal(created="2026-03-05 10:05", stage="WON", amount=500, currency="USD", moved="2026-03-06 10:00")
    s.call(number=B, at="2026-03-05 10:00", duration=30, user=9, entity=("deal", deal_b), CALL_TYPE="3")
    # a call of a contact (a portal without leads): its deal opened after the call counts
    # (30,000 RUB), the one opened before the call does not
    contact = s.contact(created="2026-02-01 10:00")
    s.deal(created="2026-03-01 10:00", stage="WON", amount=7000, contact=contact, moved="2026-03-02 10:00")
    s.call(number=B, at="2026-03-06 10:00", duration=90, user=9, entity=("contact", contact))
    s.deal(created="2026-03-06 10:10", stage="WON", amount=30000, contact=contact, moved="2026-03-09 10:00")
    s.call(number=B, at="2026-03-07 10:00", duration=0, failed_code="486", user=9)

    # number C, untracked, manager 11 ------------------------------------------------------------
    s.call(number=C, at="2026-03-08 10:00", duration=45, user=11)
    s.call(number=C, at="2026-03-09 10:00", duration=0, failed_code=MISSED, user=11)

    # April: A gets 3 calls (one buyer, 20,000 RUB), D 1 call; both are Яндекс Директ ------------
    lead = s.lead(created="2026-04-03 10:00", source="ADVERTISING", manager=5)
    s.call(number=A, at="2026-04-03 10:00", user=5, entity=("lead", lead))
    s.deal(created="2026-04-03 11:00", stage="WON", amount=20000, lead=lead, moved="2026-04-10 10:00")
    s.call(number=A, at="2026-04-04 10:00", user=5)
    s.call(number=A, at="2026-04-05 10:00", user=5)
    s.call(number=D, at="2026-04-05 11:00", user=6)
    return {"leads": [others[7]], "deals": [deleted_deal]}


def keyed(rows, key, period):
    return {r[key]: r for r in rows if str(r["period"]) == period}


def test_calls_per_channel(s):
    march = keyed(s.rows("calls_by_channel", period="month", by="channel"), "channel", "2026-03-01")
    yandex, advert, untracked = march["Яндекс Директ"], march["Реклама"], march["(no channel)"]
    assert set(march) == {"Яндекс Директ", "Реклама", "(no channel)"}
    # 12 + 1 + 8 + 19 answered, 10 missed; no outgoing call, no callback
    assert (yandex["calls"], yandex["answered"], yandex["missed"], yandex["answered_pct"]) == (50, 40, 10, 80.0)
    # talk time of the answered: (12 * 120 + 1 * 60 + 8 * 60 + 19 * 60) / 40 = 3120 / 40
    assert yandex["mean_duration"] == 78.0
    assert yandex["calls_prev"] == 1                              # 23:50 on February 28th
    # a redirected incoming call counts; "84952223344" in the map is "+7 495 222-33-44"
    assert (advert["calls"], advert["answered"], advert["missed"], advert["answered_pct"]) == (3, 2, 1, 66.7)
    assert advert["mean_duration"] == 60.0                        # (30 + 90) / 2
    assert (untracked["calls"], untracked["answered"], untracked["mean_duration"]) == (2, 1, 45.0)
    april = keyed(s.rows("calls_by_channel", period="month", by="channel"), "channel", "2026-04-01")
    assert april["Яндекс Директ"]["calls"] == 4                   # numbers A and D


def test_calls_per_manager_and_per_number(s):
    managers = keyed(s.rows("calls_by_channel", period="month", by="manager"), "manager", "2026-03-01")
    olga, dmitry = managers["Ольга Кузнецова #5"], managers["Дмитрий Волков #6"]
    # manager 5: 12 + 1 answered + 5 missed; (12 * 120 + 60) / 13 = 115.38
    assert (olga["calls"], olga["answered"], olga["missed"], olga["mean_duration"]) == (18, 13, 5, 115.4)
    # manager 6: 8 + 19 answered + 5 missed, all of 60 s
    assert (dmitry["calls"], dmitry["answered"], dmitry["missed"], dmitry["mean_duration"]) == (32, 27, 5, 60.0)
    assert managers["Екатерина Морозова #9"]["calls"] == 3 and managers["Илья Лебедев #11"]["calls"] == 2
    numbers = keyed(s.rows("calls_by_channel", period="month", by="tracking_number"), "tracking_number",
                    "2026-03-01")
    assert {n: r["calls"] for n, r in numbers.items()} == {"74951112233": 50, "74952223344": 3, "74953334455": 2}
    (total,) = [r for r in s.rows("calls_by_channel", period="month") if str(r["period"]) == "2026-03-01"]
    assert (total["calls"], total["answered"], total["missed"]) == (55, 43, 12)


def test_calls_to_sales_per_number(s):
    numbers = keyed(s.rows("calls_to_sales", period="month", by="tracking_number"), "tracking_number",
                    "2026-03-01")
    a, b, c = numbers["74951112233"], numbers["74952223344"], numbers["74953334455"]
    # A: 20 leads bound to its calls, one deleted on the portal: 19 (the buyer calling twice is one
    # lead). Won: the 12 buyers (one won in April, one in pipeline 1); the deleted won deal, the
    # recurring template, the lost and the open deal are no sale
    assert (a["calls"], a["leads"], a["won_deals"], a["clients"]) == (50, 19, 12, 12)
    assert (a["lead_pct"], a["client_pct"]) == (38.0, 24.0)       # 19 / 50, 12 / 50
    # B: no leads; the deal a call made and the contact's deal opened after its call: 2 sales
    assert (b["calls"], b["leads"], b["won_deals"], b["clients"], b["client_pct"]) == (3, 0, 2, 2, 66.7)
    assert (c["calls"], c["leads"], c["won_deals"], c["clients"]) == (2, 0, 0, 0)


def test_cost_per_client_per_number_seed_002(s):
    rows = s.rows("call_client_cost", period="month", by="tracking_number")
    march = {(r["tracking_number"], r["currency"]): r for r in rows if str(r["period"]) == "2026-03-01"}
    a = march[("74951112233", "RUB")]
    # A's own 108,000 RUB / 12 clients (the channel's other 94,000 is charged to no number);
    # revenue 12 * 20,000
    assert (a["spend"], a["clients"], a["cost_per_client"], a["revenue"]) == (108000.0, 12, 9000.0, 240000.0)
    assert a["own_spend"] is True
    # B: its channel's 30,000.50 RUB names no number: 2 clients, no spend of its own, no cost per
    # client; its 500 USD stay in dollars
    b_rub, b_usd = march[("74952223344", "RUB")], march[("74952223344", "USD")]
    assert (b_rub["spend"], b_rub["clients"], b_rub["cost_per_client"], b_rub["revenue"]) == (0.0, 2, None, 30000.0)
    assert b_rub["own_spend"] is False
    assert (b_usd["spend"], b_usd["cost_per_client"], b_usd["revenue"]) == (0.0, None, 500.0)
    # D: no call in March, yet its week's 2 March days (2,000) are its spend there
    d = march[("74955556677", "RUB")]
    assert (d["spend"], d["clients"], d["cost_per_client"]) == (2000.0, 0, None)
    assert s.sql("SELECT DISTINCT channel FROM kpi_call_money WHERE tracking_number = '74955556677'") == [
        ("Яндекс Директ",)]
    assert set(march) == {("74951112233", "RUB"), ("74952223344", "RUB"), ("74952223344", "USD"),
                          ("74955556677", "RUB")}
    # April: the channel's 40,000 names no number: A sold to 1 client with no spend of its own;
    # D has 5,000 of its own and no client
    april = {r["tracking_number"]: r for r in rows if str(r["period"]) == "2026-04-01"}
    assert (april["74951112233"]["spend"], april["74951112233"]["cost_per_client"]) == (0.0, None)
    assert april["74951112233"]["cost_per_client_prev"] == 9000.0
    assert (april["74955556677"]["spend"], april["74955556677"]["cost_per_client"]) == (5000.0, None)
    # the channel's own numbers: 5,000 of spend, and its one client came by a number without any
    (channel,) = [r for r in s.rows("call_client_cost", period="month", by="channel")
                  if str(r["period"]) == "2026-04-01"]
    assert (channel["spend"], channel["clients"], channel["cost_per_client"]) == (5000.0, 1, None)


def test_the_same_number_without_spend_of_its_own_has_no_cost_per_client(s, tmp_path):
    # the same 108,000 as the channel's alone (no number): before, T2 charged it to A, the
    # channel's only number that month, as 9,000 per client
    channel_only = write(tmp_path, "spend.csv", "month,channel,amount,currency\n2026-03,Яндекс Директ,108000,RUB\n")
    try:
        assert refresh_with_inputs(s, s.settings(kpis={"tracking_numbers": TRACKING, "spend_file": channel_only})) == []
        (a,) = [r for r in s.rows("call_client_cost", period="month", by="tracking_number")
                if str(r["period"]) == "2026-03-01" and r["tracking_number"] == "74951112233"]
        assert (a["spend"], a["clients"], a["cost_per_client"], a["own_spend"]) == (0.0, 12, None, False)
    finally:
        assert refresh_with_inputs(s, s.settings()) == []
