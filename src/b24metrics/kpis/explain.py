"""Why a lead or deal has the numbers it has: the rule factors behind its grade, the warehouse
rows its figures came from, and its rows in every KPI table, with the KPIs that count them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from b24metrics.kpis.catalogue import Kpi, catalogue
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
        Section("grade history", fetch_dicts(
            con, "SELECT changed_at, old_grade, new_grade, old_score, new_score, factors FROM lead_grade_history "
                 "WHERE lead_id = ? ORDER BY changed_at", [lead_id])),
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
        *kpi_sections(con, "lead", lead_id),
    ]


def explain_deal(con: duckdb.DuckDBPyConnection, deal_id: int) -> list[Section]:
    facts = fetch_dicts(con, "SELECT * FROM kpi_deals WHERE deal_id = ?", [deal_id])
    if not facts:
        return []
    lead_id = facts[0].get("lead_id")
    return [
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
