"""Why a lead or deal has the numbers it has: the rule factors behind its grade, its engagement
and grade at entry, the warehouse rows its figures came from, and its rows in every KPI table,
with the KPIs that count them.

Every time is the portal's wall clock (kpis.timezone), as in the KPI tables: the warehouse's
instants go through local_time(), so a lead created at 00:30 shows that day, not the UTC one
before it. The first section says in words what happened (explain_story.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from b24metrics.kpis.catalogue import Kpi, catalogue
from b24metrics.kpis.cuts import fetch_dicts
from b24metrics.kpis.explain_story import deal_story, lead_story
from b24metrics.kpis.refresh import set_local_time


#: an activity's type and direction in words beside their codes (crm.enum.activitytype, .activitydirection)
ACTIVITY_KIND = ("concat_ws(' ', CASE direction WHEN 1 THEN 'incoming' WHEN 2 THEN 'outgoing' END, "
                 "CASE type_id WHEN 1 THEN 'meeting' WHEN 2 THEN 'call' WHEN 3 THEN 'task' WHEN 4 THEN 'e-mail' "
                 "WHEN 6 THEN 'activity' ELSE 'type ' || type_id END)")


@dataclass
class Section:
    title: str
    rows: list[dict[str, Any]]


def story(lines: list[str]) -> Section:
    return Section("what happened (portal time)", [{"what happened": line} for line in lines])


def explain_lead(con: duckdb.DuckDBPyConnection, lead_id: int, zone: str = "portal") -> list[Section]:
    """Empty when the warehouse has no such live lead. `zone`: kpis.timezone."""
    set_local_time(con, zone)
    facts = fetch_dicts(con, "SELECT * FROM kpi_leads WHERE lead_id = ?", [lead_id])
    if not facts:
        return []
    grade = fetch_dicts(con, "SELECT grade, score, factors FROM lead_grades WHERE lead_id = ?", [lead_id])
    fired = grade[0]["factors"].split("; ") if grade else []
    return [
        story(lead_story(con, lead_id)),
        Section("grade (M2)", [{"grade": g["grade"], "score": g["score"]} for g in grade]),
        Section("every rule that fired, with its points", [{"rule": rule} for rule in fired]),
        Section("what the lead said when it arrived", fetch_dicts(
            con, "SELECT company_title, post, emails, phones, utm_source, is_return_customer FROM leads "
                 "WHERE id = ?", [lead_id])),
        Section("the company and contacts the CRM knew it as (the grade's match)", fetch_dicts(
            con, "SELECT k.kind, k.key AS id, coalesce(c.title, trim(concat_ws(' ', t.name, t.last_name))) AS name "
                 "FROM lead_match_keys k "
                 "LEFT JOIN companies c ON k.kind = 'company' AND c.id = TRY_CAST(k.key AS BIGINT) "
                 "LEFT JOIN contacts t ON k.kind = 'contact' AND t.id = TRY_CAST(k.key AS BIGINT) "
                 "WHERE k.lead_id = ? AND k.kind IN ('company', 'contact') ORDER BY k.kind, k.key", [lead_id])),
        Section("engagement (M2): what the lead did, points halved every half-life since its last touch",
                fetch_dicts(con, "SELECT engagement, points, last_touch_at, closed_at, days_since_touch, half_life_days, "
                                 "answered_calls, repeat_calls, emails, meetings, repeat_requests "
                                 "FROM lead_engagement_scores WHERE lead_id = ?", [lead_id])),
        Section("grade at entry (the first graded state: what the proof of the grade counts)", fetch_dicts(
            con, "SELECT grade, score, factors, graded_at, open_at_grading FROM lead_grade_at_entry WHERE lead_id = ?",
            [lead_id])),
        Section("grade history", fetch_dicts(
            con, "SELECT local_time(changed_at) AS changed_at, old_grade, new_grade, old_score, new_score, factors FROM lead_grade_history "
                 "WHERE lead_id = ? ORDER BY changed_at", [lead_id])),
        Section("status history (accepted, speed when no contact)", fetch_dicts(
            con, "SELECT h.id, local_time(h.created_time) AS created_time, coalesce(s.name, h.status_id) AS status, "
                 "h.status_id, h.status_semantic_id FROM lead_history h "
                 "LEFT JOIN statuses s ON s.entity_id = 'STATUS' AND s.status_id = h.status_id AND NOT s.deleted "
                 "WHERE h.owner_id = ? ORDER BY h.created_time, h.id", [lead_id])),
        Section("activities (speed to lead: the first outgoing call or e-mail, or a meeting)", fetch_dicts(
            con, f"SELECT id, {ACTIVITY_KIND} AS kind, type_id, direction, local_time(start_time) AS start_time, "
                 "local_time(created) AS created, completed, subject FROM activities "
                 "WHERE owner_type_id = 1 AND owner_id = ? AND NOT deleted ORDER BY coalesce(start_time, created)",
            [lead_id])),
        Section("deals from this lead (conversion, M4)", fetch_dicts(
            con, "SELECT deal_id, pipeline, stage, semantic, amount, currency, closed_at FROM kpi_deals "
                 "WHERE lead_id = ? ORDER BY deal_id", [lead_id])),
        *kpi_sections(con, "lead", lead_id),
    ]


def explain_deal(con: duckdb.DuckDBPyConnection, deal_id: int, zone: str = "portal") -> list[Section]:
    """Empty when the warehouse has no such live deal; a recurring template, which no KPI table
    holds, gets its story and history."""
    set_local_time(con, zone)
    told = deal_story(con, deal_id)
    history = Section("stage history (won/lost, closing time, cycle)", fetch_dicts(
        con, "SELECT h.id, local_time(h.created_time) AS created_time, "
             "coalesce(c.name, CASE WHEN coalesce(h.category_id, 0) = 0 THEN 'General' END, '#' || h.category_id) "
             "AS pipeline, coalesce(s.name, h.stage_id) AS stage, h.category_id, h.stage_id, h.stage_semantic_id "
             "FROM deal_history h LEFT JOIN deal_categories c ON c.id = h.category_id AND NOT c.deleted "
             "LEFT JOIN statuses s ON s.status_id = h.stage_id AND NOT s.deleted AND s.entity_id = CASE "
             "WHEN coalesce(h.category_id, 0) = 0 THEN 'DEAL_STAGE' ELSE 'DEAL_STAGE_' || h.category_id END "
             "WHERE h.owner_id = ? ORDER BY h.created_time, h.id", [deal_id]))
    facts = fetch_dicts(con, "SELECT * FROM kpi_deals WHERE deal_id = ?", [deal_id])
    if not facts:
        return [story(told), history] if told else []
    lead_id = facts[0].get("lead_id")
    return [
        story(told),
        history,
        Section("activities (communications to close, F3)", fetch_dicts(
            con, f"SELECT id, {ACTIVITY_KIND} AS kind, type_id, direction, local_time(start_time) AS start_time, "
                 "completed, subject FROM activities "
                 "WHERE owner_type_id = 2 AND owner_id = ? AND NOT deleted ORDER BY coalesce(start_time, created)",
            [deal_id])),
        Section("the lead it came from (grade of origin)", fetch_dicts(
            con, "SELECT l.lead_id, l.created_at, l.channel, g.grade, g.score, g.factors FROM kpi_leads l "
                 "LEFT JOIN lead_grades g ON g.lead_id = l.lead_id WHERE l.lead_id = ?", [lead_id]) if lead_id else []),
        *kpi_sections(con, "deal", deal_id),
    ]


def kpi_sections(con: duckdb.DuckDBPyConnection, entity: str, record_id: int) -> list[Section]:
    """The record's rows in every KPI table that keeps rows per record, each titled with the
    KPIs that read that table and whether they count these rows (a KPI's `where`)."""
    by_table: dict[str, list[Kpi]] = {}
    for kpi in catalogue().values():
        by_table.setdefault(kpi.table, []).append(kpi)
    sections = []
    for table, kpis in by_table.items():
        key = _record_key(con, table, entity)
        if key is None:
            continue            # kept per day or month and manager, not per record
        rows = fetch_dicts(con, f"SELECT * FROM {table} WHERE {key} ORDER BY {kpis[0].date} NULLS LAST",
                           [record_id])
        if not rows:
            continue
        verdicts = []
        for kpi in kpis:
            counted = con.execute(f"SELECT count(*) FROM {table} WHERE {key} AND ({kpi.where or 'true'}) "
                                  f"AND {kpi.date} IS NOT NULL", [record_id]).fetchall()[0][0]
            verdicts.append(f"{kpi.code} {kpi.name}" + ("" if counted else " (does not count it)"))
        sections.append(Section(f"{table}: {', '.join(verdicts)}", rows))
    return sections


def _record_key(con: duckdb.DuckDBPyConnection, table: str, entity: str) -> str | None:
    """How `table` names one lead or deal as the subject of its rows (its first columns), as a
    condition with one parameter; None when its rows are about something else (a deal's lead_id
    in kpi_deals is where the deal came from, not the deal)."""
    columns = [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table]).fetchall()]
    if columns[:1] == [f"{entity}_id"]:
        return f"{entity}_id = ?"
    if columns[:2] == ["entity", "item_id"]:
        return f"entity = '{entity}' AND item_id = ?"
    if columns[:2] == ["kind", "record_id"]:
        return f"kind = '{entity}' AND record_id = ?"
    return None
