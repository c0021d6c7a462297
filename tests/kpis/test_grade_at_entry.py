"""The grade a lead had when it arrived is kept apart from its current one (lead_grade_at_entry)."""

from datetime import datetime, timedelta, timezone

from b24metrics.config import DEFAULT_RULES

from tests.kpis.scenario import Scenario


def _rules(points_for_medium: int) -> list[dict]:
    rules = [r.model_dump() for r in DEFAULT_RULES]
    for rule in rules:
        if rule["label"] == "small business: under 250 employees":
            rule["points"] = points_for_medium
    return rules


def test_the_grade_at_entry_stays_when_the_current_grade_changes():
    with Scenario() as s:
        medium = s.company(created="2026-01-10 10:00", employees="EMPLOYEES_2")  # 50-250
        open_lead = s.lead(created="2026-02-01 10:00", company=medium, status="IN_PROCESS")  # 20 + 5: C
        closed = s.lead(created="2026-02-01 10:00", company=medium, status="JUNK")           # C, already closed
        s.sync()
        first = s.sql("SELECT lead_id, grade, score, open_at_grading FROM lead_grade_at_entry ORDER BY lead_id")
        assert first == [(open_lead, "C", 25, True), (closed, "C", 25, False)]

        s.sync(grading={"rules": _rules(40)})  # small companies now worth 40: 45, B
        current = dict(s.sql("SELECT lead_id, grade FROM lead_grades"))
        assert current == {open_lead: "B", closed: "B"}
        entry = s.sql("SELECT lead_id, grade, score, factors, open_at_grading FROM lead_grade_at_entry ORDER BY lead_id")
        assert [row[:3] for row in entry] == [(open_lead, "C", 25), (closed, "C", 25)]
        assert entry[0][3] == "small business: under 250 employees: +20; phone given: +5"

        # arrives under the new rules (modified now: an incremental sync reads it)
        now = datetime.now(timezone(timedelta(hours=3))).strftime("%Y-%m-%d %H:%M")
        later = s.lead(created="2026-02-05 10:00", company=medium, modified=now)
        s.sync(grading={"rules": _rules(40)})
        assert s.sql("SELECT grade, score FROM lead_grade_at_entry WHERE lead_id = ?", [later]) == [("B", 45)]
