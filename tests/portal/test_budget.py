from b24metrics.portal.budget import OperatingBudget


class Clock:
    now = 1_000_000.0

    def __call__(self):
        return self.now


def test_a_method_near_its_limit_waits_for_the_reset_others_do_not():
    clock = Clock()
    budget = OperatingBudget(480, clock=clock)
    budget.note("crm.deal.list", {"operating": 450.0, "operating_reset_at": clock.now + 30, "start": clock.now})
    budget.note("crm.lead.list", {"operating": 100.0, "operating_reset_at": clock.now + 30, "start": clock.now})
    assert budget.ready_at(["crm.lead.list"]) == clock.now
    assert budget.ready_at(["crm.deal.list"]) == clock.now + 31  # a second for the portal's rounding
    assert budget.ready_at(["crm.lead.list", "CRM.DEAL.LIST"]) == clock.now + 31


def test_reset_times_follow_the_portal_clock_and_never_exceed_the_window():
    clock = Clock()
    budget = OperatingBudget(480, clock=clock)
    # The portal's clock is 3 hours ahead of ours: its reset moment is 30 s away, not 3 hours.
    ahead = clock.now + 3 * 3600
    budget.note("m", {"operating": 470.0, "operating_reset_at": ahead + 30, "start": ahead})
    assert budget.ready_at(["m"]) == clock.now + 31
    budget.note("m", {"operating": 470.0, "operating_reset_at": clock.now + 99999})
    assert budget.ready_at(["m"]) == clock.now + 600


def test_a_429_blocks_until_the_known_reset_or_a_basket():
    clock = Clock()
    budget = OperatingBudget(480, basket=60, clock=clock)
    assert budget.blocked("m", None) == clock.now + 60
    budget.note("n", {"operating": 10.0, "operating_reset_at": clock.now + 20, "start": clock.now})
    assert budget.blocked("n", None) == clock.now + 21
    assert budget.blocked("n", clock.now + 5) == clock.now + 5
