"""Whole-table steps an incremental refresh may leave as they are.

The attribution step (sql/attribution.sql) rebuilds its small tables (rates, clock, spend by day,
the ripeness curve, the cohort days) whole on every refresh, from the per-item tables
(kpi_leads, kpi_revenue, the call tables), the spend, rate and clock inputs, the attribution
settings and the day (a cohort's age), and the credits of the clients in scope. When an
incremental refresh has nothing in scope, those per-item tables did not change; when the rest
did not either, the step would write the same rows.

What the tables were built from is kept as the comment of the last table attribution.sql makes
(CREATE OR REPLACE drops it, so a failed or partial build leaves no key behind).
"""

from __future__ import annotations

import hashlib

import duckdb

from b24metrics.config import Settings
from b24metrics.sqlfiles import sql_file

STEP = "attribution"
FILE = "attribution.sql"
#: the last table attribution.sql makes, which carries the key
KEYED_TABLE = "kpi_attribution_days"
INPUTS = ("input_spend_rows", "input_rates", "input_clock")


def attribution_key(con: duckdb.DuckDBPyConnection, settings: Settings) -> str:
    """What the attribution tables are computed from, besides the per-item tables."""
    digest = hashlib.sha256(sql_file("b24metrics.kpis", FILE).encode())
    digest.update(repr((settings.kpis.attribution_window_days, settings.kpis.attribution_model)).encode())
    for table in INPUTS:
        content = con.execute(f"SELECT md5(string_agg(CAST(t AS VARCHAR), '|' ORDER BY CAST(t AS VARCHAR))) FROM {table} t")
        digest.update(str(content.fetchall()[0][0]).encode())
    today = con.execute("SELECT CAST(coalesce((SELECT max(now_local) FROM input_clock), local_time(now())) AS DATE)")
    digest.update(str(today.fetchall()[0][0]).encode())
    return digest.hexdigest()


def kept_key(con: duckdb.DuckDBPyConnection) -> str | None:
    rows = con.execute("SELECT comment FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
                       [KEYED_TABLE]).fetchall()
    return rows[0][0] if rows else None


def keep_key(con: duckdb.DuckDBPyConnection, key: str) -> None:
    con.execute(f"COMMENT ON TABLE {KEYED_TABLE} IS '{key}'")   # a hex digest: nothing to escape
