"""Leaky bucket, operating limit, fault knobs (the hold of the n-th call too) and counters."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
import pytest

from b24metrics.sandbox import SandboxPortal
from b24metrics.sandbox.bucket import LeakyBucket

LIMIT_BODY = {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_unit():
    clock = FakeClock()
    bucket = LeakyBucket(rate=2, burst=5, clock=clock)
    assert [bucket.try_acquire() for _ in range(6)] == [True] * 5 + [False]
    assert bucket.level == 5  # the refused request added nothing
    clock.now += 0.5  # drains 1
    assert bucket.try_acquire() and not bucket.try_acquire()
    clock.now += 10
    assert bucket.level == 0
    bucket.configure(rate=1, burst=1)
    assert bucket.try_acquire() and not bucket.try_acquire()


def frozen_bucket(portal: SandboxPortal, rate: float, burst: float) -> FakeClock:
    """Give ``portal`` a bucket on a fake clock, so slow machines cannot drain it mid-test."""
    clock = FakeClock()
    portal.bucket = LeakyBucket(rate=rate, burst=burst, clock=clock)
    return clock


def test_exact_503_after_the_burst_over_http(http):
    with SandboxPortal(leads=10) as portal:
        clock = frozen_bucket(portal, rate=2, burst=5)
        url = portal.webhook_url + "crm.lead.list"
        statuses = [http.post(url, json={"select": ["ID"]}).status_code for _ in range(7)]
        assert statuses == [200] * 5 + [503, 503]
        refused = http.post(url, json={})
        assert refused.json() == LIMIT_BODY
        assert portal.stats.rejected_503 == 3
        assert portal.stats.status_codes == Counter({200: 5, 503: 3})
        # the level drains at `rate`: half a second later exactly one more request fits
        clock.now += 0.5
        assert [http.post(url, json={}).status_code for _ in range(2)] == [200, 503]
        # auth failures do not consume the bucket
        assert http.post(f"{portal.base_url}/rest/1/bad/crm.lead.list", json={}).status_code == 401
        # a batch of many commands counts once
        clock.now += 100
        cmd = {f"c{i}": "crm.lead.list?select[]=ID&start=-1" for i in range(10)}
        for _ in range(4):
            assert http.post(portal.webhook_url + "batch", json={"cmd": cmd}).status_code == 200
        assert http.post(url, json={}).status_code == 200
        assert http.post(url, json={}).status_code == 503


def test_set_limits_and_real_time_drain(http):
    with SandboxPortal(leads=0, rate=0.001, burst=2) as portal:
        url = portal.webhook_url + "crm.lead.list"
        assert [http.post(url, json={}).status_code for _ in range(3)] == [200, 200, 503]
        portal.set_limits(rate=1000, burst=3)  # also empties the bucket
        assert portal.rate == 1000 and portal.burst == 3
        time.sleep(0.05)
        assert [http.post(url, json={}).status_code for _ in range(3)] == [200] * 3
        time.sleep(0.05)  # 1000/s drains far more than 3 between two requests
        assert http.post(url, json={}).status_code == 200


def test_concurrent_counting_is_exact(http):
    with SandboxPortal(leads=30, rate=0.001, burst=40) as portal:
        results: list[int] = []
        lock = threading.Lock()

        def worker():
            with httpx.Client() as client:
                for _ in range(10):
                    code = client.post(portal.webhook_url + "crm.lead.list", json={"start": -1}).status_code
                    with lock:
                        results.append(code)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert Counter(results) == Counter({200: 40, 503: 40})
        assert portal.stats.http_requests == 80
        assert portal.stats.status_codes == Counter({200: 40, 503: 40})
        assert portal.stats.rejected_503 == 40
        assert portal.stats.method_calls["crm.lead.list"] == 40


def test_fault_knobs(fresh_portal, http):
    url = fresh_portal.webhook_url
    fresh_portal.faults.fail_next(2)
    first = http.post(url + "crm.lead.list", json={})
    assert first.status_code == 503 and first.json() == LIMIT_BODY
    assert http.post(url + "crm.status.list", json={}).status_code == 503
    assert http.post(url + "crm.status.list", json={}).status_code == 200
    # only for one method, any status / code
    fresh_portal.faults.fail_next(1, status=500, error="INTERNAL_SERVER_ERROR",
                                  description="boom", method="CRM.LEAD.LIST")
    assert http.post(url + "crm.status.list", json={}).status_code == 200
    failed = http.post(url + "crm.lead.list.json", json={})
    assert failed.status_code == 500
    assert failed.json() == {"error": "INTERNAL_SERVER_ERROR", "error_description": "boom"}
    assert http.post(url + "crm.lead.list", json={}).status_code == 200
    # faulted requests are counted as requests but not executed, and do not touch the bucket
    assert fresh_portal.stats.http_requests == 6
    assert fresh_portal.stats.method_calls == Counter({"crm.status.list": 2, "crm.lead.list": 1})
    assert fresh_portal.stats.rejected_503 == 0
    fresh_portal.stats.reset()
    assert fresh_portal.stats.http_requests == 0 and not fresh_portal.stats.status_codes


def test_operating_limit_blocks_one_method(fresh_portal, http):
    url = fresh_portal.webhook_url
    fresh_portal.set_limits(operating_limit=1.0)
    fresh_portal.set_method_cost("crm.lead.list", 0.6)
    first = http.post(url + "crm.lead.list", json={}).json()
    assert first["time"]["operating"] >= 0.6
    second = http.post(url + "crm.lead.list", json={}).json()
    assert second["time"]["operating"] >= 1.2
    blocked = http.post(url + "crm.lead.list", json={})
    assert blocked.status_code == 429
    assert blocked.json()["error"] == "OPERATION_TIME_LIMIT"
    assert http.post(url + "crm.status.list", json={}).status_code == 200  # other methods work
    # inside a batch the blocked method fails alone
    body = http.post(url + "batch", json={"cmd": {"a": "crm.lead.list", "b": "crm.status.list"}}).json()
    assert body["result"]["result_error"]["a"]["error"] == "OPERATION_TIME_LIMIT"
    assert "b" in body["result"]["result"]
    assert second["time"]["operating_reset_at"] >= int(time.time()) + 590


def _in_thread(url: str, body: dict) -> tuple[threading.Thread, list[httpx.Response]]:
    """POST from a thread of its own; the answer lands in the list."""
    answers: list[httpx.Response] = []

    def post() -> None:
        with httpx.Client(timeout=60) as client:
            answers.append(client.post(url, json=body))

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread, answers


def test_a_hold_stops_the_nth_call_until_released(fresh_portal, http):
    url = fresh_portal.webhook_url
    lead_id = min(fresh_portal.state.leads)
    hold = fresh_portal.faults.hold(2, "CRM.LEAD.GET", timeout=60)
    assert http.post(url + "server.time", json={}).status_code == 200  # other methods do not count
    first = http.post(url + "crm.lead.get", json={"id": lead_id})
    assert first.status_code == 200 and first.json()["result"]["ID"] == str(lead_id)
    assert not hold.reached.is_set()
    held, held_answers = _in_thread(url + "crm.lead.get", {"id": lead_id})
    assert hold.wait_reached(30)
    assert fresh_portal.faults.settled(hold, 30)  # nothing else under way: only the held call is left
    behind, behind_answers = _in_thread(url + "server.time", {})  # a new request waits behind it
    held.join(0.2)
    assert held.is_alive() and not held_answers and not behind_answers  # held: no answer, however long
    assert fresh_portal.stats.method_calls["crm.lead.get"] == 2
    hold.release()
    held.join(30)
    behind.join(30)
    assert held_answers[0].status_code == 200 and held_answers[0].json()["result"]["ID"] == str(lead_id)
    assert behind_answers[0].status_code == 200
    # A hold released before its call came is dropped: the later calls go through.
    unused = fresh_portal.faults.hold(3, "crm.lead.get", timeout=5)
    assert http.post(url + "crm.lead.get", json={"id": lead_id}).status_code == 200
    unused.release()
    for _ in range(3):
        assert http.post(url + "crm.lead.get", json={"id": lead_id}).status_code == 200
    assert not unused.reached.is_set()
    with pytest.raises(ValueError):
        fresh_portal.faults.hold(0)
