"""Oracle test of H1 (data discipline): figures worked out by hand from a fixed data set."""

from tests.kpis.scenario import Scenario
from tests.kpis.test_sales_oracle import DMITRY, OLGA, month


def test_data_discipline_per_manager():
    with Scenario() as s:
        # Olga's leads: 2 of 4 without a source
        called = s.lead(created="2026-03-02 10:00", source="CALL", manager=5)
        s.lead(created="2026-03-03 10:00", source=None, manager=5)             # no source, no activity
        tasked = s.lead(created="2026-03-04 10:00", source=None, manager=5)    # no source; a task counts
        s.lead(created="2026-03-05 10:00", source="WEB", manager=5)            # no activity
        # Olga's deals: of the open or won ones (3), 2 without an amount; the lost one needs none
        open_deal = s.deal(created="2026-03-06 10:00", stage="PREPARATION", amount=0, manager=5)
        s.deal(created="2026-03-07 10:00", stage="WON", amount=0, manager=5)     # no amount, no activity
        s.deal(created="2026-03-08 10:00", stage="WON", amount=1_000, manager=5)  # no activity
        s.deal(created="2026-03-09 10:00", stage="LOSE", amount=0, manager=5)    # no activity
        s.deal(created="2026-03-10 10:00", stage="NEW", amount=0, manager=5, recurring=True)  # a template: not a deal
        s.activity(owner=("lead", called), at="2026-03-02 10:05", completed=True, responsible=5)
        s.activity(owner=("lead", tasked), at="2026-03-04 10:05", type_id=3, completed=False,
                   deadline="2026-03-05 18:00", responsible=5)                 # open and overdue
        s.activity(owner=("deal", open_deal), at="2026-03-06 10:05", completed=False,
                   deadline="2099-01-10 18:00", responsible=5)                 # open, due in 2099
        # Dmitry: one lead without a source and no activity, one open deal with an amount and an
        # overdue activity
        s.lead(created="2026-03-11 10:00", source=None, manager=6)
        his = s.deal(created="2026-03-12 10:00", stage="EXECUTING", amount=500, manager=6)
        s.activity(owner=("deal", his), at="2026-03-12 10:05", type_id=3, completed=False,
                   deadline="2026-03-13 18:00", responsible=6)
        s.sync()

        rows = {r["manager"]: r for r in s.rows("data_discipline", period="all", by="manager")}
        olga, dmitry = rows[OLGA], rows[DMITRY]
        assert (olga["leads_no_source"], olga["no_source_share"]) == (2, 50.0)          # 2 / 4
        assert (olga["deals_no_amount"], olga["no_amount_share"]) == (2, 66.7)          # 2 / 3
        # no activity: 2 leads + 3 deals of 4 leads + 4 deals = 5 / 8
        assert (olga["items_no_activity"], olga["no_activity_share"]) == (5, 62.5)
        assert (olga["overdue_activities"], olga["overdue_share"]) == (1, 50.0)         # 1 / 2 open
        assert (dmitry["leads_no_source"], dmitry["no_source_share"]) == (1, 100.0)
        assert (dmitry["deals_no_amount"], dmitry["no_amount_share"]) == (0, 0.0)
        assert (dmitry["items_no_activity"], dmitry["no_activity_share"]) == (1, 50.0)  # the lead
        assert (dmitry["overdue_activities"], dmitry["overdue_share"]) == (1, 100.0)

        # in months, items count by their creation and open activities by their deadline: the
        # activity due in 2099 is not in March
        (march,) = month(s.rows("data_discipline", period="month", by="manager"), "2026-03-01", manager=OLGA)
        assert (march["items_no_activity"], march["overdue_activities"], march["overdue_share"]) == (5, 1, 100.0)
