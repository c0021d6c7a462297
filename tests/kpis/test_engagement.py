"""Engagement (M2's second axis) against scores worked out by hand, with the default weights:
answered inbound call 20, repeat inbound call 10, inbound e-mail 10, meeting 25, repeat request
15; the points (at most 100) halve every 14 days since the last touch."""

from datetime import datetime, timedelta, timezone

from tests.kpis.scenario import Scenario


def test_engagement_scores_by_hand_with_decay_across_half_lives():
    with Scenario() as s:
        # Closed (junk) on 31 March: touches up to then count, and decay stops there.
        junk = s.lead(created="2026-03-01 10:00", status="JUNK", DATE_CLOSED=s.at("2026-03-31 12:00"))
        s.call(number="+74950000001", at="2026-03-01 10:05", entity=("lead", junk))                     # answered: 20
        s.call(number="+74950000001", at="2026-03-03 12:00", entity=("lead", junk), failed_code="304")  # repeat: 10
        s.activity(owner=("lead", junk), at="2026-03-01 11:00", type_id=4, direction=1)                 # e-mail: 10
        s.activity(owner=("lead", junk), at="2026-03-02 12:00", type_id=1, direction=0)                 # meeting: 25
        s.activity(owner=("lead", junk), at="2026-03-02 13:00", type_id=1, direction=0, completed=False)  # planned: 0
        s.activity(owner=("lead", junk), at="2026-04-20 12:00", type_id=4, direction=1)                 # after closing
        s.call(number="+74950000001", at="2026-03-02 15:00", entity=("lead", junk), incoming=False)     # outgoing: 0
        # 65 points, last touch 3 March, closed 31 March: 28 days, two half-lives: 65 / 4 = 16.25

        # Converted on 15 April: 4 answered calls (80) of which 3 repeats (30), 5 e-mails (50),
        # 2 requests through an incoming channel, one of them a repeat (15): 175, capped at 100;
        # last touch 8 April, 7 days to the closing: 100 * 0.5 ** 0.5 = 70.7
        converted = s.lead(created="2026-04-01 09:00", status="CONVERTED", DATE_CLOSED=s.at("2026-04-15 10:00"))
        for day in range(1, 5):
            s.call(number="+74950000002", at=f"2026-04-0{day} 10:00", entity=("lead", converted))
        for day in range(2, 7):
            s.activity(owner=("lead", converted), at=f"2026-04-0{day} 11:00", type_id=4, direction=1)
        for day in (1, 8):
            s.activity(owner=("lead", converted), at=f"2026-04-0{day} 10:00", type_id=6, direction=0,
                       IS_INCOMING_CHANNEL="Y")

        # Open: one answered call exactly one half-life ago (UTC dates): 20 / 2 = 10
        today = datetime.now(timezone.utc).date()
        touch = (today - timedelta(days=14)).isoformat() + " 12:00"  # 09:00 UTC, the same date
        open_lead = s.lead(created=(today - timedelta(days=20)).isoformat() + " 12:00", status="IN_PROCESS")
        s.call(number="+74950000003", at=touch, entity=("lead", open_lead))

        # Only outgoing contact: nothing the lead did
        quiet = s.lead(created="2026-03-05 10:00")
        s.activity(owner=("lead", quiet), at="2026-03-05 10:10", type_id=4, direction=2)
        s.sync()

        scores = {r[0]: r[1:] for r in s.sql(
            "SELECT lead_id, engagement, points, days_since_touch, answered_calls, repeat_calls, emails, meetings, "
            "repeat_requests FROM lead_engagement_scores")}
        cards = dict(s.sql("SELECT lead_id, engagement FROM kpi_lead_cards"))

    assert scores[junk] == (16, 65, 28, 1, 1, 1, 1, 0)
    assert scores[converted] == (71, 175, 7, 4, 3, 5, 0, 1)
    assert scores[open_lead] == (10, 20, 14, 1, 0, 0, 0, 0)
    assert scores[quiet] == (0, 0, None, 0, 0, 0, 0, 0)
    assert cards == {junk: 16.0, converted: 71.0, open_lead: 10.0, quiet: 0.0}


def test_a_longer_half_life_in_the_config_rescores_every_lead():
    with Scenario() as s:
        lead = s.lead(created="2026-03-01 10:00", status="JUNK", DATE_CLOSED=s.at("2026-03-15 12:00"))
        s.activity(owner=("lead", lead), at="2026-03-01 12:00", type_id=1, direction=0)  # meeting: 25
        s.sync()
        assert s.sql("SELECT engagement FROM lead_engagement_scores") == [(13,)]  # 14 days: 12.5, rounded up
        s.sync(grading={"engagement": {"half_life_days": 28, "meeting": 40}})
        # 40 points, 14 days of a 28-day half-life: 40 / sqrt(2) = 28.3
        assert s.sql("SELECT engagement, points FROM lead_engagement_scores") == [(28, 40)]


def test_explain_shows_how_the_engagement_was_counted_and_the_grade_at_entry():
    from b24metrics.kpis.explain import explain_lead

    with Scenario() as s:
        lead = s.lead(created="2026-03-01 10:00", status="JUNK", DATE_CLOSED=s.at("2026-03-08 10:00"))
        s.activity(owner=("lead", lead), at="2026-03-01 12:00", type_id=4, direction=1)   # e-mail: 10
        s.sync()
        with s.warehouse.connect(read_only=True) as con:
            view = {x.title.split(":")[0]: x.rows for x in explain_lead(con, lead)}
    (engaged,) = view["engagement (M2)"]
    # 10 points, 7 days of a 14-day half-life: 10 / sqrt(2) = 7.07
    assert (engaged["engagement"], engaged["points"], engaged["days_since_touch"], engaged["emails"]) == (7, 10, 7, 1)
    (entry,) = view["grade at entry (the first graded state"]
    assert (entry["grade"], entry["open_at_grading"]) == ("D", False)
    assert view["kpi_lead_engagement"][0]["engagement"] == 7


def test_a_touch_synced_later_recounts_the_lead_s_engagement_without_grading_it_again():
    """An incremental refresh grades again only the leads whose own fields, company or client
    changed (scope_grades); a new e-mail changes what the lead did, not who it is."""
    from tests.kpis.test_grade_fit import refresh_after_sync

    with Scenario() as s:
        lead = s.lead(created="2026-03-01 10:00", status="JUNK", DATE_CLOSED=s.at("2026-03-15 12:00"))
        others = [s.lead(created="2026-03-01 11:00") for _ in range(8)]
        s.sync()
        assert s.sql("SELECT points FROM lead_engagement WHERE lead_id = ?", [lead]) == [(0,)]
        graded = s.sql("SELECT lead_id, grade, score, factors, computed_at FROM lead_grades ORDER BY 1")
        # an inbound e-mail (10 points), logged only now
        s.activity(owner=("lead", lead), at="2026-03-02 12:00", type_id=4, direction=1,
                   LAST_UPDATED=s.portal.format_time(s.portal.clock()))
        done = refresh_after_sync(s)
        assert not done.full and done.scope[0] == 1 and done.regraded == 0
        assert s.sql("SELECT points, emails FROM lead_engagement WHERE lead_id = ?", [lead]) == [(10, 1)]
        assert s.sql("SELECT lead_id, grade, score, factors, computed_at FROM lead_grades ORDER BY 1") == graded
        assert len(graded) == 1 + len(others)
