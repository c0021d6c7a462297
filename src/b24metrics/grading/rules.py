"""Grading rules compiled into one SQL statement over lead_features (features.py).

Each rule adds its points when all of its conditions hold; the score is the sum clamped to
0–100, the grade comes from the thresholds, and the factors text names every rule that fired,
so a manager sees in the card why a lead is a "C". Values travel as bound parameters; field
names are checked against config.FEATURES or the UF_CRM_ pattern before they get here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from b24metrics.config import FEATURES, Condition, GradingSettings

if TYPE_CHECKING:
    from b24metrics.grading.checks import FieldDef

NO_RULE = "no rule matched"


def _operand(cond: Condition, fdef: "FieldDef | None" = None) -> str:
    if cond.field in FEATURES:
        return cond.field
    text = f"json_extract_string(payload, '$.{cond.field}')"
    sample = cond.value[0] if isinstance(cond.value, list) and cond.value else cond.value
    if isinstance(sample, bool):
        return f"TRY_CAST({text} AS BOOLEAN)"   # Bitrix24 writes "1"/"0", some portals true/false
    numeric = isinstance(sample, (int, float))
    return f"TRY_CAST({text} AS DOUBLE)" if numeric else text


def _values(cond: Condition, fdef: "FieldDef | None") -> list[Any]:
    values = list(cond.value) if isinstance(cond.value, (list, tuple)) else [cond.value]
    if fdef is not None and fdef.user_type == "enumeration":
        # An enumeration holds item IDs; a rule may name an item by its label or by its ID.
        values = [i for v in values for i in (fdef.item_ids(v) or [v])]
        if all(isinstance(v, str) for v in values):
            return values
    return values


def _condition(cond: Condition, fdef: "FieldDef | None" = None) -> tuple[str, list[Any]]:
    if fdef is not None and fdef.multiple and cond.op in ("=", "!=", "in"):
        # A multiple field is a JSON array: the condition holds when any of its values matches.
        values = [str(v) for v in _values(cond, fdef)]
        test = (f"list_has_any(json_extract_string(payload, '$.{cond.field}[*]'), "
                f"[{', '.join('?' for _ in values)}])")
        return (f"NOT coalesce({test}, false)" if cond.op == "!=" else test), values
    operand = _operand(cond, fdef)
    if cond.op == "is_null":
        return f"{operand} IS NULL", []
    if cond.op == "not_null":
        return f"{operand} IS NOT NULL", []
    values = _values(cond, fdef)
    if cond.op == "in" or len(values) > 1:
        test = f"{operand} IN ({', '.join('?' for _ in values)})"
        return (f"NOT ({test})" if cond.op == "!=" else test), values
    return f"{operand} {cond.op} ?", values


def reads_payload(settings: GradingSettings) -> bool:
    """Whether a rule tests a custom field (UF_CRM_...), read from the lead's raw payload."""
    return any(c.field not in FEATURES for rule in settings.rules for c in rule.when)


def compile_grading(
    settings: GradingSettings, fields: "dict[str, FieldDef] | None" = None
) -> tuple[str, list[Any]]:
    """SELECT lead_id, score, grade, factors FROM lead_features, as SQL plus parameters.
    `fields`: the portal's lead custom fields (checks.read_field_definitions), so that an
    enumeration is compared by label or ID and a multiple field by any of its values."""
    fields = fields or {}
    points_sql, points_params, factor_sql, factor_params = [], [], [], []
    for rule in settings.rules:
        parts = [_condition(c, fields.get(c.field)) for c in rule.when]
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
