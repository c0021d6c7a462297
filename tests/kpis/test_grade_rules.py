"""M2: a changed rule regrades exactly the leads it should, and the history says when and why."""

from b24metrics.config import DEFAULT_RULES

from tests.kpis.scenario import Scenario


def _rules(points_for_medium: int) -> list[dict]:
    rules = [r.model_dump() for r in DEFAULT_RULES]
    for rule in rules:
        if rule["label"] == "medium business: 250-999 employees":
            rule["points"] = points_for_medium
    return rules


def test_one_changed_rule_changes_exactly_the_grades_it_should():
    with Scenario() as s:
        small = s.company(created="2026-01-10 10:00", employees="EMPLOYEES_1")   # менее 50
        medium = s.company(created="2026-01-10 10:00", employees="EMPLOYEES_2")  # 50-250
        large = s.company(created="2026-01-10 10:00", employees="EMPLOYEES_3")   # 250-500
        leads = {
            "small": s.lead(created="2026-02-01 10:00", company=small),    # 20 + phone 5 = 25: C
            "medium": s.lead(created="2026-02-01 10:00", company=medium),  # 20 + 5 = 25: C
            "large": s.lead(created="2026-02-01 10:00", company=large),    # 40 + 5 = 45: B
            "person": s.lead(created="2026-02-01 10:00"),                   # 0 + 5 = 5: D
        }
        s.sync()
        before = dict(s.sql("SELECT lead_id, grade || ' ' || score FROM lead_grades"))
        assert before == {leads["small"]: "C 25", leads["medium"]: "C 25", leads["large"]: "B 45",
                          leads["person"]: "D 5"}

        s.sync(grading={"rules": _rules(55)})  # medium business now worth 55: 55 + 5 = 60, A
        after = dict(s.sql("SELECT lead_id, grade || ' ' || score FROM lead_grades"))
        changed = {i for i in after if after[i] != before[i]}
        assert changed == {leads["large"]} and after[leads["large"]] == "A 60"

        history = s.sql("SELECT lead_id, old_grade, new_grade, old_score, new_score, factors "
                        "FROM lead_grade_history ORDER BY changed_at, lead_id")
        # every lead once when first graded, then only the one that changed, with its reasons
        assert [row[:5] for row in history[:4]] == sorted(
            [(leads["small"], None, "C", None, 25), (leads["medium"], None, "C", None, 25),
             (leads["large"], None, "B", None, 45), (leads["person"], None, "D", None, 5)])
        assert history[4:] == [(leads["large"], "B", "A", 45, 60,
                                "medium business: 250-999 employees: +55; phone given: +5")]


def test_explain_shows_the_rules_that_fired_and_the_rows_behind_the_figures():
    from b24metrics.kpis.explain import explain_deal, explain_lead

    with Scenario() as s:
        company = s.company(created="2026-01-10 10:00", employees="EMPLOYEES_5")  # более 1000
        lead = s.lead(created="2026-02-02 10:00", company=company, source="WEB")
        s.activity(owner=("lead", lead), at="2026-02-02 10:07", type_id=2, direction=2)
        deal = s.deal(created="2026-02-03 10:00", stage="WON", lead=lead, amount=5000, moved="2026-02-13 10:00")
        s.history("deal", deal, "NEW", at="2026-02-03 10:00")
        s.history("deal", deal, "WON", at="2026-02-13 10:00")
        still_open = s.deal(created="2026-02-04 10:00", stage="NEW", lead=lead)
        s.sync()
        with s.warehouse.connect(read_only=True) as con:
            lead_view = {x.title: x.rows for x in explain_lead(con, lead)}
            deal_view = {x.title: x.rows for x in explain_deal(con, deal)}
            open_view = {x.title.split(":")[0]: x.title for x in explain_deal(con, still_open)}
            missing = explain_lead(con, 999)
    assert lead_view["grade (M2)"] == [{"grade": "A", "score": 65}]  # 60 for 1000+ staff, 5 for the phone
    assert lead_view["every rule that fired, with its points"] == [
        {"rule": "large business: 1000+ employees: +60"}, {"rule": "phone given: +5"}]
    assert lead_view["the company and contacts the CRM knew it as (the grade's match)"] == [
        {"kind": "company", "id": str(company), "name": "company"}]
    # every KPI table that keeps a row for the lead, titled with the KPIs that read it
    speed = lead_view["kpi_speed_to_lead: S1 speed_to_lead"]
    assert speed[0]["speed_minutes"] == 7  # the outgoing call 7 minutes later
    assert lead_view["kpi_leads: M1 leads_by_channel, M2 lead_grades, M3 qualification_rates, M4 lead_to_won"][0][
        "channel"] == "Веб-сайт"
    assert [d["deal_id"] for d in lead_view["deals from this lead (conversion, M4)"]] == [deal, still_open]
    deal_row = deal_view["kpi_deals: S3 deal_cycle, F2 win_loss"][0]
    assert deal_row["won"] and deal_row["cycle_days"] == 10.0 and deal_row["origin_grade"] == "A"
    stays = deal_view["kpi_stage_stays: S2 time_in_stage"]
    assert [(x["stage"], x["hours"]) for x in stays] == [("Общая: Новая", 240.0), ("Общая: Сделка успешна", None)]
    assert [h["stage_id"] for h in deal_view["stage history (won/lost, closing time, cycle)"]] == ["NEW", "WON"]
    # an open deal is in the deal table, but neither cycle time nor win/loss counts it yet
    assert open_view["kpi_deals"] == ("kpi_deals: S3 deal_cycle (does not count it), "
                                      "F2 win_loss (does not count it)")
    assert "kpi_revenue" not in open_view
    assert missing == []
