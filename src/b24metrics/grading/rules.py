"""Grading rules compiled into one SQL statement over lead_features (features.py).

Each rule adds its points when all of its conditions hold; the score is the sum clamped to
0–100, the grade comes from the thresholds, and the factors text names every rule that fired,
so a manager sees in the card why a lead is a "C". Values travel as bound parameters; field
names are checked against config.FEATURES or the UF_CRM_ pattern before they get here.
"""

from __future__ import annotations

from typing import Any

from b24metrics.config import FEATURES, Condition, GradingSettings

NO_RULE = "no rule matched"


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


def reads_payload(settings: GradingSettings) -> bool:
    """Whether a rule tests a custom field (UF_CRM_...), read from the lead's raw payload."""
    return any(c.field not in FEATURES for rule in settings.rules for c in rule.when)


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
