"""Cutting a KPI: by period (day, ISO week, month, quarter, year, or all time) and by one
dimension, with the previous period and the same period a year before next to each value.

Periods begin at the portal's midnight: the KPI tables hold local wall-clock times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb

from b24metrics.errors import NotSynced
from b24metrics.kpis.catalogue import Kpi
from b24metrics.kpis.inputs import missing_input

#: period -> (previous period, the same period a year before)
PERIODS = {
    "day": ("1 day", "1 year"),
    "week": ("7 days", "52 weeks"),     # ISO weeks: the same week number a year before
    "month": ("1 month", "1 year"),
    "quarter": ("3 months", "1 year"),
    "year": ("1 year", "1 year"),
    "all": (None, None),
}


@dataclass
class Cut:
    kpi: Kpi
    period: str
    by: str | None
    rows: list[dict[str, Any]]        # period, [by], [currency], each measure, <m>_prev, <m>_yoy
    note: str | None = None           # why there are no rows, when that is the answer

    @property
    def columns(self) -> list[str]:
        return list(self.rows[0]) if self.rows else []


def cut_sql(kpi: Kpi, period: str, by: str | None) -> str:
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; one of {', '.join(PERIODS)}")
    if period not in kpi.periods:
        raise ValueError(f"{kpi.name} is kept per {kpi.periods[0]}: cut it by {', '.join(kpi.periods)}")
    if by is not None and by not in kpi.dims:
        offered = ", ".join(kpi.dims) or "none"
        raise ValueError(f"{kpi.name} cannot be cut by {by!r}; it offers: {offered}")
    keys = (["currency"] if kpi.per_currency and by != "currency" else []) + ([by] if by else [])
    slot = "NULL::DATE" if period == "all" else f"CAST(date_trunc('{period}', {kpi.date}) AS DATE)"
    measures = ",\n       ".join(f"{m.sql} AS {m.name}" for m in kpi.measures)
    within = f"{kpi.date} >= ? AND {kpi.date} < ?" if period == "all" else ""   # else on periods, below
    where = " AND ".join(w for w in (f"{kpi.date} IS NOT NULL", kpi.where, dict(kpi.where_by).get(by, ""), within)
                         if w)
    group = ", ".join(["period"] + keys)
    current = f"""
        SELECT {slot} AS period{''.join(f', {k}' for k in keys)},
               {measures}
        FROM {kpi.table}
        WHERE {where}
        GROUP BY {group}"""
    prev_step, year_step = PERIODS[period]
    if prev_step is None:
        return f"SELECT * FROM ({current}) c ORDER BY {_order(keys)}"
    match = "".join(f" AND {{a}}.{k} IS NOT DISTINCT FROM c.{k}" for k in keys)
    extra = ",\n       ".join(
        f"p.{m.name} AS {m.name}_prev, y.{m.name} AS {m.name}_yoy" for m in kpi.measures
    )
    return f"""
        WITH cur AS ({current})
        SELECT c.*,
               {extra}
        FROM cur c
        LEFT JOIN cur p ON p.period = CAST(c.period - INTERVAL '{prev_step}' AS DATE){match.format(a='p')}
        LEFT JOIN cur y ON y.period = CAST(c.period - INTERVAL '{year_step}' AS DATE){match.format(a='y')}
        WHERE c.period >= ? AND c.period < ?
        ORDER BY {_order(keys)}"""


def _order(keys: list[str]) -> str:
    """Rows of `c` by period, then each key; stages in their pipeline's order (kpi_stages),
    not alphabetically. A label the dictionary lacks sorts after the known ones, by name."""
    order = ["c.period"]
    for key in keys:
        if key == "stage":
            position = ("(SELECT min({f}) FROM kpi_stages s WHERE s.stage = c.stage OR s.stage_name = c.stage)")
            order += [position.format(f="s.pkey") + " NULLS LAST", position.format(f="s.sort") + " NULLS LAST"]
        order.append(f"c.{key}")
    return ", ".join(order)


#: DuckDB's words for a column the table lacks (the second where a measure of that name exists)
_NO_SUCH_COLUMN = ("Referenced column", "cannot be referenced before it is defined")


def cut(con: duckdb.DuckDBPyConnection, kpi: Kpi, *, period: str = "month", by: str | None = None,
        since: date | datetime | None = None, until: date | datetime | None = None) -> Cut:
    """The KPI's values per period (and per `by`), newest data included."""
    if kpi.needs_leads and _simple_mode(con):
        return Cut(kpi, period, by, [], note="this portal keeps no leads (simple CRM mode): "
                                              "lead KPIs do not apply to it")
    missing = missing_input(con, kpi.table)
    if missing:   # figures without their spend or plan would be wrong, not merely incomplete
        return Cut(kpi, period, by, [], note=missing)
    sql = cut_sql(kpi, period, by)
    # periods that start in [since, until); for "all", the rows dated in it
    params = [_day(since, date(1900, 1, 1)), _day(until, date(9999, 1, 1))]
    try:
        return Cut(kpi, period, by, fetch_dicts(con, sql, params))
    except duckdb.BinderException as exc:
        # a KPI table built by an earlier version lacks a column this one reads, until the next
        # refresh (whose rebuild the changed SQL forces): say so instead of an internal error.
        # Any other binder error is a fault of the cut's SQL and stays one.
        first = str(exc).splitlines()[0]
        if not any(marker in first for marker in _NO_SUCH_COLUMN):
            raise
        raise NotSynced(f"{kpi.table} was built by an earlier version of b24metrics ({first}): run "
                        "`b24metrics kpi --refresh` (or `b24metrics sync`) to rebuild the KPI tables") from exc


def fetch_dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    """Rows of a query as dicts keyed by column name."""
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _simple_mode(con: duckdb.DuckDBPyConnection) -> bool:
    leads, deals = con.execute(
        "SELECT (SELECT count(*) FROM leads), (SELECT count(*) FROM deals WHERE NOT deleted)").fetchall()[0]
    return leads == 0 and deals > 0


def _day(value: date | datetime | None, default: date) -> date:
    if value is None:
        return default
    return value.date() if isinstance(value, datetime) else value
