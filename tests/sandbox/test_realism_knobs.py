"""Cost model, latency, time scale, storms, delays, blocked methods, request hooks, corrupt records."""

from __future__ import annotations

import time

import httpx
import pytest

from b24metrics.sandbox import SandboxPortal
from b24metrics.sandbox.cost import DOCS_COUNTING_PAGE, DOCS_KEYSET_PAGE, DOCS_ROWS, CostModel
from b24metrics.sandbox.faults import Faults

from .conftest import UNLIMITED

#: round numbers, so the expected seconds are easy to write down
COST = CostModel(per_call=0.01, per_row_read=0.001, per_row_counted=0.0001, per_row_skipped=0.00005)
LEADS_ONLY = {"deals": 0, "contacts": 0, "activities": 0, "calls": 0, **UNLIMITED}


class Clock:
    """A clock the test moves by hand: the tests of windows and blocks give it to the portal
    (its wall clock) or to its faults (their monotonic clock), so that a loaded machine cannot
    let a window slide or a storm end between two requests."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def leads_portal(leads: int, **knobs) -> SandboxPortal:
    return SandboxPortal(seed=5, leads=leads, **LEADS_ONLY, **knobs)


def lead_page(start: int, after: int | None = None) -> dict:
    params: dict = {"order": {"ID": "ASC"}, "select": ["ID"], "start": start}
    if after is not None:
        params["filter"] = {">ID": after}
    return params


def test_default_cost_model_is_calibrated_on_the_docs_numbers():
    model = CostModel()
    assert model.seconds(read=50, counted=DOCS_ROWS) == pytest.approx(DOCS_COUNTING_PAGE)
    assert model.seconds(read=50) == pytest.approx(DOCS_KEYSET_PAGE)
    # the keyset page costs the same at any depth; the classic one grows with the offset
    assert model.seconds(read=50, counted=DOCS_ROWS, skipped=DOCS_ROWS - 50) > 70


def test_counting_pages_cost_more_on_bigger_tables_and_deeper_offsets(rest):
    with leads_portal(300, cost=COST) as small, leads_portal(1500, cost=COST) as big:
        assert len(small.state.leads) == 300 and len(big.state.leads) == 1500
        first_small = rest(small, "crm.lead.list", lead_page(0))["time"]
        first_big = rest(big, "crm.lead.list", lead_page(0))["time"]
        deep_big = rest(big, "crm.lead.list", lead_page(1000))["time"]
        assert first_small["processing"] == pytest.approx(0.01 + 50 * 0.001 + 300 * 0.0001)
        assert first_big["processing"] == pytest.approx(0.01 + 50 * 0.001 + 1500 * 0.0001)
        assert deep_big["processing"] == pytest.approx(0.01 + 50 * 0.001 + 1500 * 0.0001 + 1000 * 0.00005)
        # operating sums what was booked (the meter's running total for the method)
        assert deep_big["operating"] == pytest.approx(first_big["processing"] + deep_big["processing"])
        # a page past the end returns nothing and skips only the rows that exist
        past = rest(big, "crm.lead.list", lead_page(5000))
        assert past["result"] == [] and past["time"]["processing"] == pytest.approx(0.01 + 0.15 + 1500 * 0.00005)


def test_keyset_pages_cost_the_same_at_any_depth(rest):
    with leads_portal(1500, cost=COST) as portal:
        ids = sorted(portal.state.leads)
        costs = []
        for after in (0, ids[700], ids[1400]):
            body = rest(portal, "crm.lead.list", lead_page(-1, after))
            assert len(body["result"]) == 50 and body["total"] == 0
            costs.append(body["time"]["processing"])
        assert costs == [pytest.approx(0.01 + 50 * 0.001)] * 3
        last = rest(portal, "crm.lead.list", lead_page(-1, ids[-10]))
        assert len(last["result"]) == 9 and last["time"]["processing"] == pytest.approx(0.01 + 9 * 0.001)
        # other methods cost one call
        assert rest(portal, "crm.lead.get", {"id": ids[0]})["time"]["processing"] == pytest.approx(0.01)


def test_batch_sub_commands_book_their_cost_and_the_batch_nothing(rest):
    with leads_portal(200, cost=COST) as portal:
        cmd = {"count": "crm.lead.list?select[]=ID&start=100",
               "keyset": "crm.lead.list?select[]=ID&order[ID]=ASC&filter[>ID]=0&start=-1",
               "status": "crm.status.list?start=-1"}
        body = rest(portal, "batch", {"cmd": cmd})
        times = body["result"]["result_time"]
        counting = 0.01 + 50 * 0.001 + 200 * 0.0001 + 100 * 0.00005
        assert times["count"]["processing"] == pytest.approx(counting)
        assert times["keyset"]["processing"] == pytest.approx(0.01 + 0.05)
        assert times["keyset"]["operating"] == pytest.approx(counting + 0.06)
        assert times["status"]["processing"] == pytest.approx(0.01 + 0.001 * len(body["result"]["result"]["status"]))
        assert portal.operating.read("batch")[0] == 0
        assert portal.operating.read("crm.lead.list")[0] == pytest.approx(counting + 0.06)


def test_latency_per_request_and_per_call(rest):
    with leads_portal(60, latency=0.2) as portal:
        started = time.perf_counter()
        rest(portal, "server.time")
        assert time.perf_counter() - started >= 0.2
        rest(portal, "nope.method", expect=404)  # every answer waits, errors too
        assert time.perf_counter() - started >= 0.4
        portal.latency = 0
        portal.call_latency = 0.1
        started = time.perf_counter()
        rest(portal, "batch", {"cmd": {f"c{i}": "server.time" for i in range(4)}})
        assert time.perf_counter() - started >= 0.4  # four sub-commands, the batch itself adds nothing


def test_latency_from_cost_makes_counting_pages_slow_and_keyset_pages_fast(rest):
    slow_count = CostModel(per_call=0.0, per_row_read=0.0, per_row_counted=0.001, per_row_skipped=0.0)
    with leads_portal(400, cost=slow_count, latency_from_cost=1.0) as portal:
        started = time.perf_counter()
        body = rest(portal, "crm.lead.list", lead_page(0))
        assert time.perf_counter() - started >= 0.4 and body["time"]["processing"] == pytest.approx(0.4)
        assert body["time"]["duration"] >= 0.4
        # a keyset page costs nothing, so it waits nothing even at 10x: were it priced like the
        # counting page it would wait 4 s, far beyond what a loaded machine adds to a request
        portal.latency_from_cost = 10.0
        started = time.perf_counter()
        keyset = rest(portal, "crm.lead.list", lead_page(-1, 0))
        assert time.perf_counter() - started < 2.0 and keyset["time"]["processing"] == 0.0


def test_operating_limit_resets_within_seconds_with_a_time_scale(http):
    # 600 / 1200 = a half-second window: the 10-minute limit, tested in about a second of the
    # portal's clock
    with leads_portal(60, cost=CostModel(per_call=300.0, per_row_read=0.0), operating_limit=480.0, time_scale=1200) as portal:
        assert portal.time_scale == 1200 and portal.operating.WINDOW == 0.5
        portal.clock = clock = Clock(1_800_000_000.25)
        url = portal.webhook_url + "crm.lead.list"
        first = http.post(url, json={"start": -1}).json()["time"]
        assert first["operating"] == 300.0 and first["processing"] == 300.0  # costs stay in portal seconds
        clock.now += 0.2
        second = http.post(url, json={"start": -1}).json()["time"]
        assert second["operating"] == 600.0
        assert second["operating_reset_at"] == int(1_800_000_000.25 + 0.5)  # the first call's cost leaves then
        blocked = http.post(url, json={"start": -1})
        assert blocked.status_code == 429 and blocked.json()["error"] == "OPERATION_TIME_LIMIT"
        assert http.post(portal.webhook_url + "server.time", json={}).status_code == 200
        # wait as a client should: until operating_reset_at (a whole second, rounded down) + 1;
        # the window has slid past both calls by then
        clock.now = second["operating_reset_at"] + 1
        again = http.post(url, json={"start": -1})
        assert again.status_code == 200 and again.json()["time"]["operating"] == 300.0
        # a whole window after the last call, every cost has left it
        clock.now += portal.operating.WINDOW + 0.05
        alone = http.post(url, json={"start": -1})
        assert alone.status_code == 200 and alone.json()["time"]["operating"] == 300.0


def test_a_storm_fails_every_request_until_it_is_over(fresh_portal, http):
    url = fresh_portal.webhook_url
    fresh_portal.faults = Faults(clock=(clock := Clock(1000.0)))
    fresh_portal.faults.storm(1.0)
    statuses = []
    for _ in range(3):
        statuses.append(http.post(url + "server.time", json={}).status_code)
        clock.now += 0.3
    assert set(statuses) == {503}
    assert http.post(url + "batch", json={"cmd": {}}).json()["error"] == "QUERY_LIMIT_EXCEEDED"  # at 0.9 s
    clock.now = 1001.05
    assert http.post(url + "server.time", json={}).status_code == 200
    # a storm on one method, with its own error
    fresh_portal.faults.storm(0.3, status=500, error="INTERNAL_SERVER_ERROR", description="down",
                              method="crm.lead.list")
    assert http.post(url + "crm.lead.list", json={}).json() == {"error": "INTERNAL_SERVER_ERROR",
                                                                  "error_description": "down"}
    assert http.post(url + "crm.status.list", json={}).status_code == 200
    clock.now += 0.35
    assert http.post(url + "crm.lead.list", json={}).status_code == 200
    assert fresh_portal.stats.rejected_503 == 0  # storms never touch the bucket


def test_delay_next_makes_a_short_timeout_fire(fresh_portal, http):
    url = fresh_portal.webhook_url
    delay = 2.0  # five times the short timeout: a loaded machine cannot close that gap
    fresh_portal.faults.delay_next(1, delay, method="crm.lead.list")
    # The answers that must not wait are told by their own duration (the portal's, from the
    # request's arrival): a delayed one lasts at least `delay`, an undelayed one on a loaded
    # machine far less, and a client timeout short enough to tell them apart would not be.
    other = http.post(url + "server.time", json={})
    assert other.status_code == 200 and other.json()["time"]["duration"] < delay  # other methods: no delay
    with httpx.Client(timeout=0.4) as client:
        with pytest.raises(httpx.TimeoutException):
            client.post(url + "crm.lead.list", json={})
    after = http.post(url + "crm.lead.list", json={})
    assert after.status_code == 200 and after.json()["time"]["duration"] < delay  # only the next one hangs
    # the delayed request is still handled once its wait is over, as on a real portal
    deadline = time.monotonic() + 30  # a safety net: the wait is for the count
    while fresh_portal.stats.method_calls["crm.lead.list"] < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fresh_portal.stats.method_calls["crm.lead.list"] == 2


def test_block_method_answers_429_also_inside_a_batch(fresh_portal, http):
    url = fresh_portal.webhook_url
    fresh_portal.set_limits(operating_limit=None)  # blocked whatever the limit
    fresh_portal.clock = clock = Clock(1_800_000_000.25)  # a block lasts on the portal's clock
    fresh_portal.block_method("CRM.LEAD.LIST", 0.5)
    until = clock.now + 0.5
    blocked = http.post(url + "crm.lead.list", json={})
    assert blocked.status_code == 429
    assert blocked.json() == {"error": "OPERATION_TIME_LIMIT",
                              "error_description": "Method is blocked due to operation time limit."}
    body = http.post(url + "batch", json={"cmd": {"a": "crm.lead.list?start=-1", "b": "crm.status.list"}}).json()
    assert body["result"]["result_error"] == {"a": {"error": "OPERATION_TIME_LIMIT", "error_description":
                                                    "Method is blocked due to operation time limit."}}
    assert list(body["result"]["result"]) == ["b"]
    assert fresh_portal.operating.read("crm.lead.list")[1] == int(until)  # operating_reset_at
    clock.now += 0.45
    assert http.post(url + "crm.lead.list", json={}).status_code == 429
    clock.now = until + 0.05
    assert http.post(url + "crm.lead.list", json={}).status_code == 200
    fresh_portal.block_method("crm.lead.list", 60)
    fresh_portal.block_method("crm.lead.list", 0)  # lifts the block
    assert http.post(url + "crm.lead.list", json={}).status_code == 200


def test_on_request_runs_once_after_the_nth_request(fresh_portal, rest):
    lead_id = min(fresh_portal.state.leads)
    old_title = fresh_portal.state.leads[lead_id]["TITLE"]
    seen = []

    def rename(portal):
        seen.append(portal.stats.http_requests)
        portal.state.leads[lead_id]["TITLE"] = "renamed mid-sync"

    rest(fresh_portal, "server.time")  # requests before the hook do not count
    fresh_portal.on_request(rename, after=3)
    titles = [rest(fresh_portal, "crm.lead.get", {"id": lead_id})["result"]["TITLE"] for _ in range(6)]
    # the 3rd answer was made before the change; all later ones see it
    assert titles == [old_title] * 3 + ["renamed mid-sync"] * 3
    assert seen == [4]
    with pytest.raises(ValueError):
        fresh_portal.on_request(rename, after=0)


def test_corrupt_stores_a_raw_value_and_bumps_date_modify(fresh_portal, rest):
    lead_id = sorted(fresh_portal.state.leads)[5]
    fresh_portal.clock = lambda: 1_800_000_000.0
    fresh_portal.corrupt("lead", lead_id, "OPPORTUNITY", "двенадцать тысяч")
    lead = rest(fresh_portal, "crm.lead.get", {"id": lead_id})["result"]
    assert lead["OPPORTUNITY"] == "двенадцать тысяч"
    assert lead["DATE_MODIFY"] == fresh_portal.format_time(1_800_000_000.0)
    changed = rest(fresh_portal, "crm.lead.list",
                   {"filter": {">=DATE_MODIFY": lead["DATE_MODIFY"]}, "select": ["ID"]})["result"]
    assert changed == [{"ID": str(lead_id)}]
    # corrupting DATE_MODIFY itself keeps the broken value
    fresh_portal.corrupt("crm.lead", lead_id, "DATE_MODIFY", "31.02.2025")
    assert fresh_portal.state.leads[lead_id]["DATE_MODIFY"] == "31.02.2025"
    deal_id = min(fresh_portal.state.deals)
    fresh_portal.corrupt("deals", deal_id, "CLOSEDATE", "never")
    assert fresh_portal.state.deals[deal_id]["CLOSEDATE"] == "never"
    assert fresh_portal.state.deals[deal_id]["DATE_MODIFY"] == fresh_portal.format_time(1_800_000_000.0)
    with pytest.raises(ValueError):
        fresh_portal.corrupt("invoice", 1, "X", 1)
    with pytest.raises(KeyError):
        fresh_portal.corrupt("lead", max(fresh_portal.state.leads) + 1, "TITLE", "x")
