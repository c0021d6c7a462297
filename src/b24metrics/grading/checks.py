"""Rules checked against the portal before any grade is written.

A rule may name a custom field that the portal does not have (misspelt, or deleted last week),
or compare it with a value its type cannot hold. Graded anyway, every lead would silently lose
that rule's points. So before the refresh grades, every UF_CRM_ field a rule reads is looked up
in the lead field definitions the last sync brought (stream lead_fields); a problem stops
grading with one line naming the rule and the field, and the write-back gate holds back.

A rule set that puts nearly every lead into one grade separates nothing: one_grade_share()
finds it, as data, for the sync's output, the daemon's log and the report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import duckdb

from b24metrics.config import FEATURES, Condition, GradingSettings

#: share of the graded leads in one grade above which the rule set is reported as not separating
ONE_GRADE_SHARE = 0.95
#: fewer graded leads than this tell nothing about the spread
ONE_GRADE_MIN_LEADS = 20

_ORDERING = (">", ">=", "<", "<=")
_NUMERIC = ("integer", "double")


@dataclass(frozen=True)
class FieldDef:
    """One lead custom field as the portal defines it."""

    name: str
    user_type: str                 # integer, double, string, enumeration, boolean, date, ...
    multiple: bool = False
    items: dict[str, str] = field(default_factory=dict)  # enumeration: item ID -> its label

    def item_ids(self, value: Any) -> list[str]:
        """The IDs of the enumeration items a rule's value names, by ID or by label."""
        text = str(value)
        if text in self.items:
            return [text]
        return [item for item, label in self.items.items() if label.strip().casefold() == text.strip().casefold()]


def read_field_definitions(con: duckdb.DuckDBPyConnection) -> dict[str, FieldDef] | None:
    """The lead custom fields the last sync saw, by name; None when no sync has read them yet."""
    synced = con.execute(
        "SELECT count(*) FROM sync_state WHERE stream = 'lead_fields' AND complete").fetchall()[0][0]
    if not synced:
        return None
    # One call reads every definition, so the rows of its last load are the portal's fields now;
    # an older row is a field deleted since.
    rows = con.execute(
        """WITH lead_fields AS (
               SELECT payload, synced_at FROM raw_records
               WHERE entity = 'userfield' AND json_extract_string(payload, '$.ENTITY_ID') = 'CRM_LEAD')
           SELECT payload FROM lead_fields WHERE synced_at = (SELECT max(synced_at) FROM lead_fields)"""
    ).fetchall()
    found: dict[str, FieldDef] = {}
    for (payload,) in rows:
        d = json.loads(payload)
        items = {str(i.get("ID")): str(i.get("VALUE") or "") for i in d.get("LIST") or [] if isinstance(i, dict)}
        name = str(d.get("FIELD_NAME") or "")
        found[name] = FieldDef(name, str(d.get("USER_TYPE_ID") or ""), str(d.get("MULTIPLE")) in ("Y", "1", "True"), items)
    return found


def _problem(cond: Condition, fdef: FieldDef | None) -> str | None:
    if fdef is None:
        return "which the portal's leads do not have (deleted, renamed or misspelt?)"
    kind = f"a {'multiple ' if fdef.multiple else ''}{fdef.user_type} field"
    if cond.op in ("is_null", "not_null"):
        return None
    values = cond.value if isinstance(cond.value, list) else [cond.value]
    if fdef.multiple and cond.op in _ORDERING:
        return f"{kind}: it holds several values, test it with = or in, not {cond.op}"
    if any(isinstance(v, bool) for v in values):
        return None if fdef.user_type == "boolean" else f"{kind}, compared with true/false"
    if fdef.user_type == "boolean":
        return f"{kind}: compare it with true or false, not {values[0]!r}"
    numbers = all(isinstance(v, (int, float)) for v in values)
    if cond.op in _ORDERING:
        if numbers and fdef.user_type not in _NUMERIC:
            return f"{kind}, compared as a number ({cond.op} {values[0]!r})"
        if not numbers and fdef.user_type not in ("string", "date", "datetime"):
            return f"{kind}, compared as a text ({cond.op} {values[0]!r})"
        return None
    if fdef.user_type == "enumeration":
        unknown = [v for v in values if not fdef.item_ids(v)]
        if unknown:
            labels = ", ".join(f"{label!r}" for label in list(fdef.items.values())[:8])
            return f"{kind} with no item {unknown[0]!r} (its items: {labels or 'none'})"
    return None


def field_problems(settings: GradingSettings, fields: dict[str, FieldDef] | None) -> list[str]:
    """One line per rule condition on a custom field the portal lacks or cannot compare;
    nothing when no sync has read the definitions yet (there is nothing to check against)."""
    if fields is None:
        return []
    problems = []
    for rule in settings.rules:
        for cond in rule.when:
            if cond.field in FEATURES:
                continue
            problem = _problem(cond, fields.get(cond.field))
            if problem:
                problems.append(f"grading rule {rule.label!r} reads {cond.field}, {problem}")
    return problems


def check_rule_fields(con: duckdb.DuckDBPyConnection, settings: GradingSettings) -> list[str]:
    """field_problems() against the definitions stored in the warehouse `con`."""
    if all(c.field in FEATURES for r in settings.rules for c in r.when):
        return []
    return field_problems(settings, read_field_definitions(con))


def one_grade_share(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """When more than ONE_GRADE_SHARE of the graded leads share one grade: that grade, its
    share, the leads counted and a line saying so; else None."""
    # lead_grades holds live leads only (a deleted lead's grade goes with the refresh that sees it)
    row = con.execute(
        """SELECT grade, count(*) AS n, sum(count(*)) OVER () AS total
           FROM lead_grades GROUP BY grade ORDER BY n DESC, grade LIMIT 1"""
    ).fetchall()
    if not row:
        return None
    grade, count, total = row[0][0], int(row[0][1]), int(row[0][2])
    share = count / total
    if total < ONE_GRADE_MIN_LEADS or share <= ONE_GRADE_SHARE:
        return None
    return {"grade": grade, "share": share, "leads": total,
            "message": f"the grading rules put {share:.0%} of {total} leads into grade {grade}: "
                       f"they do not tell leads apart; see `[grading]` in the config"}
