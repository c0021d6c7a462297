"""The second budget, execution time per method, against the sandbox's operating limit."""

import threading
import time

from b24metrics import pipeline
from b24metrics.extract import STREAMS


class HeldClock:
    """The portal's wall clock: stands still until started, then runs in real time."""

    def __init__(self) -> None:
        self.at, self.since = time.time(), None

    def run_from(self, moment: float) -> None:
        self.at, self.since = moment, time.monotonic()

    def __call__(self) -> float:
        since = self.since
        return self.at if since is None else self.at + (time.monotonic() - since)


def test_a_method_short_of_budget_steps_aside_and_resumes_after_the_reset(portals, settings_for):
    portal = portals(seed=41, leads=400, companies=200, rate=50.0, burst=50, operating_limit=100.0)
    portal.operating.WINDOW = 2.0  # the portal's 10-minute window, shortened for the test
    portal.set_method_cost("crm.company.list", 60.0)  # two company pages spend the budget
    # The portal's clock stands still until every lead is in, so the companies' window cannot
    # slide before that however slow the machine; then it jumps past the window and runs on.
    portal.clock = clock = HeldClock()
    settings = settings_for(portal, portal_settings={"operating_limit": 100.0})
    warehouse = pipeline.open_warehouse(settings)
    finished = []
    leads = [0]

    def run_on() -> None:
        if clock.since is None:
            clock.run_from(clock.at + portal.operating.WINDOW + 0.1)

    def answered(stream, rows, requests):
        finished.append(stream.name)
        if stream.name == "leads":
            leads[0] += rows
            if leads[0] == 400:
                run_on()

    safety = threading.Timer(60, run_on)  # leads that never finish: the test ends, and fails
    safety.start()
    try:
        with pipeline.open_client(settings) as client:
            client.budget.basket = 1.0  # the portal's one-minute baskets, shortened alike
            results = pipeline.sync(client, warehouse, list(STREAMS.values()), settings, progress=answered)
    finally:
        safety.cancel()
    done = {r.stream: r for r in results}
    assert done["companies"].rows == 200 and done["leads"].rows == 400
    # Leads did not wait for companies: every lead page came before the last company page.
    last_lead = max(i for i, name in enumerate(finished) if name == "leads")
    last_company = max(i for i, name in enumerate(finished) if name == "companies")
    assert last_lead < last_company
    with warehouse.connect() as con:
        assert con.execute("SELECT count(*) FROM companies").fetchall()[0][0] == 200


def test_a_method_blocked_for_good_stops_the_sync_with_a_clear_error(portals, settings_for, monkeypatch):
    import pytest

    from b24metrics import errors
    from b24metrics.portal import scheduler

    monkeypatch.setattr(scheduler, "MAX_DEFERRALS", 2)
    portal = portals(seed=42, leads=120, rate=50.0, burst=50, operating_limit=10.0)
    portal.set_method_cost("crm.lead.list", 1000.0)  # blocked for the whole (10-minute) window
    settings = settings_for(portal, portal_settings={"operating_limit": 10.0})
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.open_client(settings) as client:
        client.budget.basket = 0.05
        client.budget.ready_at = lambda methods: 0.0  # no waiting in the test: ask, get refused
        with pytest.raises(errors.OperationTimeLimit, match="OPERATION_TIME_LIMIT"):
            pipeline.sync(client, warehouse, [STREAMS["leads"]], settings)
    with warehouse.connect() as con:
        assert con.execute("SELECT count(*) FROM leads").fetchall()[0][0] == 50  # the first page stayed
