"""What a KPI refresh must recompute: everything, or only the leads and deals loaded since the
last refresh and what they touch.

Every page the sync loads stamps its rows' raw payloads with `synced_at`, and with `changed_at`
when a payload changed in substance (not only DATE_MODIFY or our own write-back fields: see
warehouse/load.py), so raw_records says which leads, deals, contacts, companies, history rows,
activities and calls changed since the last refresh (kpi_state.synced_mark). sql/scope.sql turns them into the leads and deals whose KPI
rows may have changed (scope_leads, scope_deals, scope_calls, scope_clients). A per-item table then deletes those items'
rows and inserts them again; the aggregate tables are rebuilt whole.

Anything else a per-item row depends on goes into a fingerprint: the SQL, the grading rules,
the KPI settings, the time zone, the dictionaries and user names, and how many rows of each
entity are marked deleted (a sweep changes no payload), and which companies are the portal's
own. A changed fingerprint, a missing table, a first refresh or an old full one rebuild everything.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterator

import duckdb

from b24metrics.config import Settings
from b24metrics.grading import compile_grading, define_match_keys, update_match_keys
from b24metrics.sqlfiles import sql_file

# Bump when the meaning of a per-item row changes in code rather than in SQL.
VERSION = "1"
# Past this share of leads or deals in scope, rebuilding everything is cheaper.
FULL_SHARE = 0.25
CONTENT_TABLES = ("statuses", "deal_categories", "users")
SCOPES = ("lead", "grade", "deal", "call", "client")   # macros in_scope_<kind>(id), tables scope_<kind>s
DELETABLE = ("leads", "deals", "contacts", "companies", "activities")
#: what this module defines on the refresh's connection for the SQL files (see b24metrics/sqlfiles.py)
DEFINES = ("kpi_since", *(f"in_scope_{kind}()" for kind in SCOPES), "in_scope_lead_or_deal()", "scope_activities")
# A table of leads' and deals' rows deletes the items in scope by in_scope_lead_or_deal(id) AND
# the one of its entity: one lookup narrows millions of rows to the few to test for their entity
# (a CASE over the two lookups tests each row against both lists, 3x the time).
_EITHER = "CREATE OR REPLACE TEMP MACRO in_scope_lead_or_deal(item) AS "

# scope_activities: the live activities of the leads and deals in scope, with the columns the SQL
# files count them by. Four per-item tables read a lead's or deal's activities (kpi_leads,
# kpi_deals, kpi_speed_to_lead, lead_engagement): after a sync, one scan of the millions of
# activities into a table of the few in scope instead of four scans (a full refresh reads them all
# anyway). Always a view, so that a refresh that finds its scope too big to go on with (FULL_SHARE)
# can replace it.
_ACTIVITY_COLUMNS = "a.owner_type_id, a.owner_id, a.type_id, a.direction, a.completed, a.is_incoming_channel, " \
                    "a.start_time, a.created"
_ALL_ACTIVITIES = f"CREATE OR REPLACE TEMP VIEW scope_activities AS SELECT {_ACTIVITY_COLUMNS} FROM activities a " \
                  "WHERE NOT a.deleted AND a.owner_type_id IN (1, 2)"
# one join on (owner type, owner) against both lists: an OR of two IN tests every row twice
_SCOPE_ACTIVITIES = (
    f"CREATE OR REPLACE TEMP TABLE scope_activity_rows AS SELECT {_ACTIVITY_COLUMNS} FROM activities a "
    "JOIN (SELECT 1 AS owner_type_id, id FROM scope_leads UNION ALL SELECT 2, id FROM scope_deals) s "
    "ON s.owner_type_id = a.owner_type_id AND s.id = a.owner_id WHERE NOT a.deleted",
    "CREATE OR REPLACE TEMP VIEW scope_activities AS SELECT * FROM scope_activity_rows",
)

# "CREATE OR REPLACE TABLE name AS -- per item: <predicate over the table's columns>"
_PER_ITEM = re.compile(r"^\s*CREATE OR REPLACE TABLE (\w+) AS\s*--\s*per item:\s*(.+?)\s*\n(.*)$", re.S)


@dataclass(frozen=True)
class State:
    refreshed_at: datetime
    synced_mark: datetime | None
    fingerprint: str
    full_at: datetime


def read_state(con: duckdb.DuckDBPyConnection) -> State | None:
    rows = con.execute("SELECT refreshed_at, synced_mark, fingerprint, full_at FROM kpi_state").fetchall()
    return State(*rows[0]) if rows else None


def save_state(con: duckdb.DuckDBPyConnection, mark: datetime | None, fingerprint: str, full: bool) -> None:
    con.execute(
        """INSERT INTO kpi_state VALUES (true, now(), ?, ?, ?, now())
           ON CONFLICT (singleton) DO UPDATE SET refreshed_at = excluded.refreshed_at,
               synced_mark = excluded.synced_mark, fingerprint = excluded.fingerprint, mode = excluded.mode,
               full_at = CASE WHEN excluded.mode = 'full' THEN excluded.full_at ELSE kpi_state.full_at END""",
        [mark, fingerprint, "full" if full else "incremental"],
    )


def synced_mark(con: duckdb.DuckDBPyConnection) -> datetime | None:
    return con.execute("SELECT max(synced_at) FROM raw_records").fetchall()[0][0]


def fingerprint(con: duckdb.DuckDBPyConnection, settings: Settings, zone: str, sql_files: list[str]) -> str:
    digest = hashlib.sha256(VERSION.encode())
    # lead_match_keys.h is DuckDB's hash(): another DuckDB may hash otherwise, so it rebuilds all
    digest.update(duckdb.__version__.encode())
    for name in sql_files:
        digest.update(sql_file("b24metrics.kpis", name).encode())
    for name in ("employee_bands.sql", "lead_features.sql", "engagement.sql"):
        digest.update(sql_file("b24metrics.grading", name).encode())
    grading_sql, params = compile_grading(settings.grading)
    digest.update(grading_sql.encode())
    digest.update(repr(params).encode())
    digest.update(settings.grading.model_dump_json().encode())
    # Settings no per-item row depends on: the tables that read them are rebuilt by every refresh
    # (win_rate_days, funnel.min_items: macros read by a view or a cut; attribution_*: read by
    # attribution.sql's views and whole tables, not by its per-item credits).
    digest.update(settings.kpis.model_dump_json(exclude={
        "memory_limit": True, "full_refresh_hours": True, "win_rate_days": True, "funnel": {"min_items"},
        "attribution_window_days": True, "attribution_model": True}).encode())
    digest.update(zone.encode())
    for table in CONTENT_TABLES:
        content = con.execute(f"SELECT md5(string_agg(CAST(t AS VARCHAR), '|' ORDER BY CAST(t AS VARCHAR))) FROM {table} t")
        digest.update(str(content.fetchall()[0][0]).encode())
    # The definition of the field a KPI labels (labels.sql): an enumeration item renamed on the
    # portal renames a reason. Only that field: the write-back adding its own fields changes nothing.
    fields = con.execute("SELECT md5(string_agg(id || ':' || CAST(payload AS VARCHAR), '|' ORDER BY id)) "
                         "FROM raw_records WHERE entity = 'userfield' AND json_extract_string(payload, '$.FIELD_NAME') = ?",
                         [settings.kpis.rejection_field or ""])
    digest.update(str(fields.fetchall()[0][0]).encode())
    counts = " UNION ALL ".join(f"SELECT count(*) FILTER (WHERE deleted) FROM {t}" for t in DELETABLE)
    digest.update(repr(con.execute(counts).fetchall()).encode())
    # The portal's own companies are no clients: one marked or unmarked changes its deals' rows.
    own = con.execute("SELECT string_agg(CAST(id AS VARCHAR), ',' ORDER BY id) FROM companies WHERE is_my_company")
    digest.update(str(own.fetchall()[0][0]).encode())
    return digest.hexdigest()


def full_reason(
    con: duckdb.DuckDBPyConnection, state: State | None, current: str, tables: list[str], settings: Settings
) -> str | None:
    """Why this refresh must rebuild everything, or None when recomputing the scope will do."""
    if state is None:
        return "first refresh"
    if state.fingerprint != current:
        return "rules, settings, dictionaries, users or deletions changed"
    existing = _tables(con)
    missing = [t for t in tables if t not in existing]
    if missing:
        return f"{missing[0]} is missing"
    now = datetime.now(timezone.utc)
    if now < state.refreshed_at:
        return "the clock went back"    # rows synced meanwhile may carry stamps before the mark
    hours = settings.kpis.full_refresh_hours
    if hours == 0 or now - state.full_at >= timedelta(hours=hours):
        return f"last full rebuild over {hours:g} h ago"
    return None


def everything_in_scope(con: duckdb.DuckDBPyConnection) -> None:
    for kind in SCOPES:
        con.execute(f"CREATE OR REPLACE TEMP MACRO in_scope_{kind}(item) AS true")
    con.execute(_EITHER + "true")
    con.execute(_ALL_ACTIVITIES)


@dataclass(frozen=True)
class Scope:
    """What an incremental refresh recomputes: the items of each scope table (kind of SCOPES ->
    how many), and the larger share of its table that the leads or the deals in scope are."""

    counts: dict[str, int]
    share: float

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


def build_scope(con: duckdb.DuckDBPyConnection, since: datetime | None) -> Scope:
    """Fill the scope tables (scope_leads, scope_grades, scope_deals ...) from what was synced
    after `since`, and define the macros that read them."""
    con.execute("SET VARIABLE kpi_since = ?", [since or datetime(1970, 1, 1, tzinfo=timezone.utc)])
    con.execute(sql_file("b24metrics.kpis", "scope_changes.sql"))
    define_match_keys(con, changed_only=True)   # a changed company regrades the leads matched to it
    con.execute(sql_file("b24metrics.kpis", "scope.sql"))
    update_match_keys(con)
    for kind in SCOPES:
        con.execute(f"CREATE OR REPLACE TEMP MACRO in_scope_{kind}(item) AS item IN (SELECT id FROM scope_{kind}s)")
    con.execute(_EITHER + "item IN (SELECT id FROM scope_leads UNION ALL SELECT id FROM scope_deals)")
    for statement in _SCOPE_ACTIVITIES:
        con.execute(statement)
    *counts, all_leads, all_deals = con.execute(
        "SELECT " + ", ".join(f"(SELECT count(*) FROM scope_{kind}s)" for kind in SCOPES)
        + ", (SELECT count(*) FROM leads), (SELECT count(*) FROM deals)").fetchall()[0]
    scope = dict(zip(SCOPES, counts))
    share = max(scope["lead"] / all_leads if all_leads else 0, scope["deal"] / all_deals if all_deals else 0)
    return Scope(scope, share)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}


def per_item_tables(files: list[str]) -> list[str]:
    return [m.group(1) for f in files for m in map(_PER_ITEM.match, _statements(sql_file("b24metrics.kpis", f))) if m]


def statements(text: str, *, incremental: bool) -> Iterator[str]:
    """The statements of a SQL file. In an incremental refresh, a per-item table's statement
    becomes: delete the rows of the items in scope, insert them again (its SELECT reads only
    items in scope through in_scope_lead/in_scope_deal; in a full refresh those are true)."""
    for statement in _statements(text):
        match = _PER_ITEM.match(statement) if incremental else None
        if match is None:
            yield statement
            continue
        table, predicate, query = match.groups()
        yield f"DELETE FROM {table} WHERE {predicate}"
        yield f"INSERT INTO {table} BY NAME {query}"


@functools.lru_cache(maxsize=64)
def _statements(text: str) -> tuple[str, ...]:
    # DuckDB's parser takes 2-5 ms a file, and a refresh splits every file twice (its per-item
    # tables, then its statements): a daemon's refreshes split the same texts each time.
    return tuple(s.query for s in duckdb.extract_statements(text))
