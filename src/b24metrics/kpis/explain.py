"""Why a lead or deal has the numbers it has: its KPI row, the rule factors behind its grade,
and the warehouse rows each figure came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from b24metrics.kpis.cuts import fetch_dicts


@dataclass
class Section:
    title: str
    rows: list[dict[str, Any]]


def explain_lead(con: duckdb.DuckDBPyConnection, lead_id: int) -> list[Section]:
    """Empty when the warehouse has no such live lead."""
    facts = fetch_dicts(con, "SELECT * FROM kpi_leads WHERE lead_id = ?", [lead_id])
    if not facts:
        return []
    grade = fetch_dicts(con, "SELECT grade, score, factors FROM lead_grades WHERE lead_id = ?", [lead_id])
    fired = grade[0]["factors"].split("; ") if grade else []
    return [
        Section("lead (kpi_leads)", facts),
        Section("grade (M2)", [{"grade": g["grade"], "score": g["score"]} for g in grade]),
        Section("every rule that fired, with its points", [{"rule": rule} for rule in fired]),
        Section("grade history", fetch_dicts(
            con, "SELECT changed_at, old_grade, new_grade, old_score, new_score, factors FROM lead_grade_history "
                 "WHERE lead_id = ? ORDER BY changed_at", [lead_id])),
        Section("speed to lead (S1)", fetch_dicts(
            con, "SELECT * EXCLUDE (lead_id) FROM kpi_speed_to_lead WHERE lead_id = ?", [lead_id])),
        Section("status history (accepted, speed when no contact)", fetch_dicts(
            con, "SELECT id, created_time, status_id, status_semantic_id FROM lead_history WHERE owner_id = ? "
                 "ORDER BY created_time, id", [lead_id])),
        Section("activities (speed to lead: the first outgoing call or e-mail, or a meeting)", fetch_dicts(
            con, "SELECT id, type_id, direction, start_time, created, completed, subject FROM activities "
                 "WHERE owner_type_id = 1 AND owner_id = ? AND NOT deleted ORDER BY coalesce(start_time, created)",
            [lead_id])),
        Section("deals from this lead (conversion, M4)", fetch_dicts(
            con, "SELECT deal_id, pipeline, stage, semantic, amount, currency, closed_at FROM kpi_deals "
                 "WHERE lead_id = ? ORDER BY deal_id", [lead_id])),
    ]


def explain_deal(con: duckdb.DuckDBPyConnection, deal_id: int) -> list[Section]:
    facts = fetch_dicts(con, "SELECT * FROM kpi_deals WHERE deal_id = ?", [deal_id])
    if not facts:
        return []
    lead_id = facts[0].get("lead_id")
    return [
        Section("deal (kpi_deals)", facts),
        Section("stage history (won/lost, closing time, cycle)", fetch_dicts(
            con, "SELECT id, created_time, category_id, stage_id, stage_semantic_id FROM deal_history "
                 "WHERE owner_id = ? ORDER BY created_time, id", [deal_id])),
        Section("activities (communications to close, F3)", fetch_dicts(
            con, "SELECT id, type_id, direction, start_time, completed, subject FROM activities "
                 "WHERE owner_type_id = 2 AND owner_id = ? AND NOT deleted ORDER BY coalesce(start_time, created)",
            [deal_id])),
        Section("the lead it came from (grade of origin)", fetch_dicts(
            con, "SELECT l.lead_id, l.created_at, l.channel, g.grade, g.score, g.factors FROM kpi_leads l "
                 "LEFT JOIN lead_grades g ON g.lead_id = l.lead_id WHERE l.lead_id = ?", [lead_id]) if lead_id else []),
    ]
