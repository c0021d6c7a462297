"""Lead grade A–D (M2): configurable rules compiled into one SQL statement.

Each rule adds its points when all of its conditions hold; the score is the sum clamped to
0–100, the grade comes from the thresholds, and the factors text names every rule that fired,
so a manager sees in the card why a lead is a "C". Values travel as bound parameters; field
names are checked against config.FEATURES or the UF_CRM_ pattern before they get here.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import duckdb
import pyarrow as pa

from b24metrics.config import FEATURES, Condition, GradingSettings
from b24metrics.warehouse import Warehouse

NO_RULE = "no rule matched"


def sql_file(name: str) -> str:
    return resources.files("b24metrics.kpis").joinpath("sql", name).read_text(encoding="utf-8")


def _operand(cond: Condition) -> str:
    if cond.field in FEATURES:
        return cond.field
    text = f"json_extract_string(payload, '$.{cond.field}')"
    numeric = isinstance(cond.value, (int, float)) and not isinstance(cond.value, bool)
    return f"TRY_CAST({text} AS DOUBLE)" if numeric else text


def _condition(cond: Condition) -> tuple[str, list[Any]]:
    operand = _operand(cond)
    if cond.op == "is_null":
        return f"{operand} IS NULL", []
    if cond.op == "not_null":
        return f"{operand} IS NOT NULL", []
    if cond.op == "in":
        values = list(cond.value) if isinstance(cond.value, (list, tuple)) else [cond.value]
        return f"{operand} IN ({', '.join('?' for _ in values)})", values
    return f"{operand} {cond.op} ?", [cond.value]


def compile_grading(settings: GradingSettings) -> tuple[str, list[Any]]:
    """SELECT lead_id, score, grade, factors FROM lead_features, as SQL plus parameters."""
    points_sql, points_params, factor_sql, factor_params = [], [], [], []
    for rule in settings.rules:
        parts = [_condition(c) for c in rule.when]
        test = " AND ".join(f"({sql})" for sql, _ in parts) or "TRUE"
        params = [p for _, ps in parts for p in ps]
        points_sql.append(f"CASE WHEN {test} THEN ? ELSE 0 END")
        points_params += params + [rule.points]
        factor_sql.append(f"CASE WHEN {test} THEN ? END")
        factor_params += params + [f"{rule.label}: {rule.points:+d}"]
    t = settings.thresholds
    sql = f"""
        WITH scored AS (
            SELECT lead_id,
                   {' + '.join(points_sql) or '0'} AS total,
                   concat_ws('; ', {', '.join(factor_sql) or 'NULL'}) AS factors
            FROM lead_features
        )
        SELECT lead_id,
               CAST(least(100, greatest(0, total)) AS INTEGER) AS score,
               CASE WHEN least(100, greatest(0, total)) >= ? THEN 'A'
                    WHEN least(100, greatest(0, total)) >= ? THEN 'B'
                    WHEN least(100, greatest(0, total)) >= ? THEN 'C'
                    ELSE 'D' END AS grade,
               coalesce(nullif(factors, ''), ?) AS factors
        FROM scored
    """
    return sql, points_params + factor_params + [t["A"], t["B"], t["C"], NO_RULE]


def prepare_features(con: duckdb.DuckDBPyConnection, settings: GradingSettings) -> None:
    overrides = pa.table(
        {
            "band": pa.array(list(settings.employee_bands), pa.string()),
            "min_employees": pa.array(list(settings.employee_bands.values()), pa.int32()),
        }
    )
    con.register("band_overrides", overrides)
    reads_payload = any(c.field not in FEATURES for rule in settings.rules for c in rule.when)
    con.execute(
        "CREATE OR REPLACE TEMP VIEW lead_payloads AS SELECT id, payload FROM raw_records WHERE entity = 'lead'"
        + ("" if reads_payload else " AND false")
    )
    con.execute(sql_file("lead_features.sql"))


def grade_leads(con: duckdb.DuckDBPyConnection, settings: GradingSettings) -> int:
    """Recompute lead_grades for the live leads in scope (the macro in_scope_lead(id), see
    kpis/incremental.py); return how many leads have a grade. A lead whose grade is new or
    changed gets a lead_grade_history row with the factors behind it."""
    sql, params = compile_grading(settings)
    prepare_features(con, settings)
    con.execute(f"CREATE OR REPLACE TEMP TABLE new_grades AS {sql}", params)
    con.execute(
        """INSERT INTO lead_grade_history
           SELECT n.lead_id, now(), o.grade, n.grade, o.score, n.score, n.factors
           FROM new_grades n LEFT JOIN lead_grades o ON o.lead_id = n.lead_id
           WHERE o.grade IS DISTINCT FROM n.grade"""
    )
    # Only what changed is written: a million unchanged grades cost a second to rewrite.
    # computed_at is therefore when the lead's grade last changed.
    con.execute("DELETE FROM lead_grades WHERE in_scope_lead(lead_id) AND lead_id NOT IN (SELECT lead_id FROM new_grades)")
    con.execute(
        """INSERT INTO lead_grades
           SELECT n.lead_id, n.score, n.grade, n.factors, now()
           FROM new_grades n LEFT JOIN lead_grades o ON o.lead_id = n.lead_id
           WHERE o.lead_id IS NULL OR o.score <> n.score OR o.grade <> n.grade OR o.factors <> n.factors
           ON CONFLICT (lead_id) DO UPDATE SET score = excluded.score, grade = excluded.grade,
               factors = excluded.factors, computed_at = excluded.computed_at"""
    )
    con.execute("DROP TABLE new_grades")
    con.unregister("band_overrides")
    return con.execute("SELECT count(*) FROM lead_grades").fetchall()[0][0]


def grades_by_source(warehouse: Warehouse) -> list[dict[str, Any]]:
    with warehouse.connect(read_only=True) as con:
        return con.sql(sql_file("grade_by_source.sql")).to_arrow_table().to_pylist()
