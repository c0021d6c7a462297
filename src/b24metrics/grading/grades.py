"""Lead grades A–D (M2): recomputed into lead_grades, with a history row for each change and
the first graded state kept in lead_grade_at_entry, and read back per channel."""

from __future__ import annotations

from typing import Any

import duckdb

from b24metrics.config import GradingSettings
from b24metrics.grading.bands import map_thresholds, read_bands
from b24metrics.grading.checks import read_field_definitions
from b24metrics.grading.features import prepare_features, rebuild_match_keys
from b24metrics.grading.rules import compile_grading
from b24metrics.sqlfiles import sql_file
from b24metrics.warehouse import Warehouse


def grade_leads(con: duckdb.DuckDBPyConnection, settings: GradingSettings, *, rebuild_keys: bool = True) -> int:
    """Recompute lead_grades for the live leads to grade (the macro in_scope_grade(id), which
    the caller defines: kpis/incremental.py); return how many leads have a grade. A lead whose
    grade is new or changed gets a lead_grade_history row with the factors behind it.
    Employee thresholds are moved onto the portal's size bands (bands.py) and custom fields are
    compared as the portal defines them; the caller checks the rules first (checks.py).
    `rebuild_keys`: compute every company's and contact's match keys anew; False when the
    incremental scope has updated those that changed (kpis/sql/scope.sql)."""
    if rebuild_keys:
        rebuild_match_keys(con)
    prepare_features(con, settings)
    sql, params = compile_grading(map_thresholds(settings, read_bands(con)), read_field_definitions(con))
    con.execute(f"CREATE OR REPLACE TEMP TABLE new_grades AS {sql}", params)
    con.execute(
        """INSERT INTO lead_grade_history
           SELECT n.lead_id, now(), o.grade, n.grade, o.score, n.score, n.factors
           FROM new_grades n LEFT JOIN lead_grades o ON o.lead_id = n.lead_id
           WHERE o.grade IS DISTINCT FROM n.grade"""
    )
    # A lead's first graded state is kept apart and never updated: the proof of the grade
    # (backtest.py) measures what was known when the lead arrived.
    con.execute(
        """INSERT INTO lead_grade_at_entry
           SELECT n.lead_id, n.grade, n.score, n.factors, now(), coalesce(l.status_semantic_id, 'P') NOT IN ('S', 'F')
           FROM new_grades n JOIN leads l ON l.id = n.lead_id
           -- NOT EXISTS, not NOT IN: NOT IN hashes the million rows of lead_grade_at_entry to look
           -- up the few new grades (0.04-0.07 s on every refresh at 1M leads, 0.01 s this way)
           WHERE NOT EXISTS (SELECT 1 FROM lead_grade_at_entry e WHERE e.lead_id = n.lead_id)"""
    )
    # Only what changed is written: a million unchanged grades cost a second to rewrite.
    # computed_at is therefore when the lead's grade last changed. No key keeps one row per lead
    # (a primary key's index made these writes dearer: migration 0016); these two statements do:
    # every row in scope that is not exactly its new grade goes, then every lead left without one
    # gets its new grade.
    con.execute(
        """DELETE FROM lead_grades o
           WHERE in_scope_grade(o.lead_id) AND NOT EXISTS (
               SELECT 1 FROM new_grades n
               WHERE n.lead_id = o.lead_id AND n.score = o.score AND n.grade = o.grade AND n.factors = o.factors)"""
    )
    con.execute(
        """INSERT INTO lead_grades
           SELECT n.lead_id, n.score, n.grade, n.factors, now()
           FROM new_grades n
           WHERE NOT EXISTS (SELECT 1 FROM lead_grades o WHERE o.lead_id = n.lead_id)"""
    )
    con.execute("DROP TABLE new_grades")
    # What each lead was matched by, for the next refresh's scope (kpis/sql/scope.sql): its own
    # keys, and the company and contacts it was matched to.
    con.execute("DELETE FROM lead_match_keys WHERE in_scope_grade(lead_id)")
    con.execute(
        """INSERT INTO lead_match_keys BY NAME
           SELECT *, hash(kind, key) AS h FROM (
               SELECT DISTINCT lead_id, kind, key FROM lead_keys WHERE key IS NOT NULL
               UNION ALL
               SELECT lead_id, kind, CAST(id AS VARCHAR) FROM lead_matches)"""
    )
    con.unregister("band_overrides")
    return con.execute("SELECT count(*) FROM lead_grades").fetchall()[0][0]


def grades_by_source(warehouse: Warehouse) -> list[dict[str, Any]]:
    with warehouse.connect(read_only=True) as con:
        return con.sql(sql_file("b24metrics.grading", "grade_by_source.sql")).to_arrow_table().to_pylist()
