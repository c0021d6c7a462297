"""What each field should hold, and where that differs from what the portal holds: the plan.

Desired values come from the KPI tables; "what the portal holds" is each record's raw payload
from the last sync, patched with every value the portal has accepted from us since (push.py).
The diff runs in DuckDB and leaves only the differing values in the temp table `wb_plan`, one
number per record (`rec_no`) so that the push can page through it: a first write-back of a
million leads never holds them all in Python.

What the values are (a deal's cycle or age, its channel's win rate, a company's LTV) is
decided in the KPI layer, kpis/sql/cards.sql, and documented in config.example.toml.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import duckdb

from b24metrics.writeback.fields import FieldSpec, FieldsReport


def same(old: Any, new: Any) -> bool:
    """Values equal as the portal means them: "12.50" equals 12.5, None equals "", and money
    "100.5|RUB" equals "100.50|RUB". wb_same() below is the same rule in SQL."""
    if old in (None, "") or new in (None, ""):
        return old in (None, "") and new in (None, "")
    a, b = str(old).strip(_SPACE), str(new).strip(_SPACE)
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        return abs(x - y) <= 1e-9
    if "|" in a and "|" in b:
        (amount_a, _, cur_a), (amount_b, _, cur_b) = a.partition("|"), b.partition("|")
        return same(amount_a, amount_b) and cur_a.strip(_SPACE).upper() == cur_b.strip(_SPACE).upper()
    return a == b


# What both sides strip: str.strip() would also take Unicode spaces that DuckDB's trim and
# cast keep, and SQL's trim() alone only takes spaces.
_SPACE = " \t\n\x0b\x0c\r"


def _number(text: str) -> float | None:
    if text != text.strip():
        return None             # a Unicode space left: DuckDB's cast refuses it, float() would not
    try:
        value = float(text)
    except ValueError:
        return None
    # Python reads "1_000" and "inf"; DuckDB does not: keep both rules the same.
    return value if math.isfinite(value) and "_" not in text else None


SAME_MACRO = """
CREATE OR REPLACE TEMP MACRO wb_trim(t) AS trim(t, ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13));
CREATE OR REPLACE TEMP MACRO wb_num(t) AS
    CASE WHEN NOT contains(t, '_') AND isfinite(TRY_CAST(wb_trim(t) AS DOUBLE))
         THEN TRY_CAST(wb_trim(t) AS DOUBLE) END;
CREATE OR REPLACE TEMP MACRO wb_same(old, new) AS
    CASE WHEN coalesce(old, '') = '' OR coalesce(new, '') = ''
              THEN coalesce(old, '') = '' AND coalesce(new, '') = ''
         WHEN wb_num(old) IS NOT NULL AND wb_num(new) IS NOT NULL
              THEN abs(wb_num(old) - wb_num(new)) <= 1e-9
         WHEN contains(old, '|') AND contains(new, '|')
              THEN coalesce(abs(wb_num(split_part(wb_trim(old), '|', 1)) - wb_num(split_part(wb_trim(new), '|', 1))) <= 1e-9,
                            wb_trim(split_part(wb_trim(old), '|', 1)) = wb_trim(split_part(wb_trim(new), '|', 1)))
                   AND upper(wb_trim(split_part(wb_trim(old), '|', 2))) = upper(wb_trim(split_part(wb_trim(new), '|', 2)))
         ELSE wb_trim(old) = wb_trim(new) END;
"""


def number_text(expr: str, decimals: int) -> str:
    """SQL: a number as text, rounded half away from zero like PHP's round(), without trailing
    zeros. It rounds the shortest decimal text of the double, as the portal rounds what it is
    sent: 1.005 becomes 1.01 (a DOUBLE cast straight to DECIMAL is 1.00499... and becomes 1.0)."""
    exact = f"TRY_CAST(CAST(CAST({expr} AS DOUBLE) AS VARCHAR) AS DECIMAL(38, 10))"
    rounded = f"round({exact}, {decimals})"
    if decimals == 0:
        return f"CAST(CAST({rounded} AS DECIMAL(38, 0)) AS VARCHAR)"
    return f"rtrim(rtrim(CAST({rounded} AS VARCHAR), '0'), '.')"


# What each entity's card shows, as the KPI layer defines it (kpis/sql/cards.sql): the view and
# its key. Every other column is a value a field may take; here it is only formatted.
CARDS = {"lead": ("kpi_lead_cards", "lead_id"), "deal": ("kpi_deal_cards", "deal_id"),
         "company": ("kpi_company_cards", "company_id")}
# The card's columns in the form their fields take: money as "amount|CURRENCY", and counts as
# DOUBLE like every number (rounded to each field's decimals later).
_FORMS = {"company": f"""* REPLACE (CASE WHEN ltv IS NOT NULL THEN {number_text('ltv', 2)} || '|' || ltv_currency END AS ltv,
                                   CAST(purchases AS DOUBLE) AS purchases)"""}


def _wanted(entity: str) -> str:
    view, key = CARDS[entity]
    return f"SELECT {key} AS id, {_FORMS.get(entity, '*')} FROM {view}"


@dataclass
class Plan:
    checked: dict[str, int]                  # entity -> records with values
    values: dict[tuple[str, str], int]       # (entity, field) -> values that differ and will be sent
    permanent: dict[tuple[str, str], int]    # (entity, field) -> differing values not sent: rejected for good
    records: int                             # records to update (rec_no runs 1..records)
    ltv_mixed: int = 0                       # companies whose LTV stays empty: currencies without a rate
    missing_tables: tuple[str, ...] = ()


def build_plan(con: duckdb.DuckDBPyConnection, fields: FieldsReport) -> Plan:
    """Fill the temp table wb_plan with every value to send; returns what it holds."""
    con.execute(SAME_MACRO)
    con.execute("CREATE OR REPLACE TEMP TABLE wb_values (entity VARCHAR, entity_id BIGINT, field VARCHAR, "
                "old_value VARCHAR, new_value VARCHAR)")
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    checked: dict[str, int] = {}
    missing: list[str] = []
    ltv_mixed = 0
    by_entity: dict[str, list[FieldSpec]] = {}
    for spec in fields.usable():
        by_entity.setdefault(spec.entity, []).append(spec)
    for entity, specs in by_entity.items():
        view = CARDS[entity][0]
        if view not in tables:        # no KPI refresh yet
            missing.append(view)
            continue
        con.execute(f"CREATE OR REPLACE TEMP TABLE wb_want AS {_wanted(entity)}")
        checked[entity] = con.execute("SELECT count(*) FROM wb_want").fetchall()[0][0]
        if entity == "company":
            ltv_mixed = con.execute("SELECT count(*) FROM wb_want WHERE ltv_mixed").fetchall()[0][0]
        for spec in specs:
            decimals = fields.decimals(spec)
            new = f"w.{spec.key}" if decimals is None else number_text(f"w.{spec.key}", decimals)
            con.execute(
                f"""INSERT INTO wb_values
                    SELECT '{entity}', w.id, '{spec.name}', json_extract_string(r.payload, '$.{spec.name}'), {new}
                    FROM wb_want w JOIN raw_records r ON r.entity = '{entity}' AND r.id = CAST(w.id AS VARCHAR)"""
            )
    con.execute("DROP TABLE IF EXISTS wb_want")
    con.execute(
        """CREATE OR REPLACE TEMP TABLE wb_diff AS
           WITH diff AS (SELECT * FROM wb_values WHERE NOT wb_same(old_value, new_value)),
           last_ok AS (      -- a value applied ends the run of rejections before it
               SELECT l.entity, l.entity_id, l.field, max(l.entry_id) AS entry_id
               FROM writeback_ledger l
               SEMI JOIN diff d ON d.entity = l.entity AND d.entity_id = l.entity_id AND d.field = l.field
               WHERE l.outcome = 'applied'
               GROUP BY ALL
           ),
           fails AS (        -- rejections of this very value since
               SELECT l.entity, l.entity_id, l.field, l.new_value, count(*) AS tries,
                      bool_or(l.outcome = 'permanent') AS permanent
               FROM writeback_ledger l
               SEMI JOIN diff d ON d.entity = l.entity AND d.entity_id = l.entity_id AND d.field = l.field
                    AND d.new_value IS NOT DISTINCT FROM l.new_value
               LEFT JOIN last_ok o ON o.entity = l.entity AND o.entity_id = l.entity_id AND o.field = l.field
               WHERE l.outcome IN ('rejected', 'permanent') AND l.entry_id > coalesce(o.entry_id, 0)
               GROUP BY ALL
           )
           SELECT d.*, coalesce(f.tries, 0) AS tries, coalesce(f.permanent, false) AS permanent
           FROM diff d
           LEFT JOIN fails f ON f.entity = d.entity AND f.entity_id = d.entity_id AND f.field = d.field
                AND f.new_value IS NOT DISTINCT FROM d.new_value"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE wb_plan AS
           SELECT entity, entity_id, field, old_value, new_value, tries,
                  dense_rank() OVER (ORDER BY entity, entity_id) AS rec_no
           FROM wb_diff WHERE NOT permanent"""
    )
    values = {(e, f): n for e, f, n in con.execute(
        "SELECT entity, field, count(*) FROM wb_plan GROUP BY ALL").fetchall()}
    permanent = {(e, f): n for e, f, n in con.execute(
        "SELECT entity, field, count(*) FROM wb_diff WHERE permanent GROUP BY ALL").fetchall()}
    records = con.execute("SELECT coalesce(max(rec_no), 0) FROM wb_plan").fetchall()[0][0]
    con.execute("DROP TABLE wb_values")
    con.execute("DROP TABLE wb_diff")
    return Plan(checked, values, permanent, records, ltv_mixed, tuple(missing))
