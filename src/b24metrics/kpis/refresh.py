"""Bring the KPI tables up to date after a sync: grades first, then the shared fact tables, then
each family's tables, all in one transaction (a failed refresh leaves the last good grades and
tables in place). Per-item tables are recomputed only for the leads and deals the sync brought
(kpis/incremental.py) unless something global changed."""

from __future__ import annotations

import logging
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterator

import duckdb

from b24metrics.config import GradingSettings, Settings
from b24metrics.grading import check_rule_fields, grade_leads, one_grade_share, define_outcomes, score_engagement
from b24metrics.kpis import incremental, unchanged
from b24metrics.kpis.families import FAMILIES
from b24metrics.kpis.inputs import InputState, load_inputs, save_input_states
from b24metrics.sqlfiles import sql_file
from b24metrics.warehouse import Warehouse, atomic

log = logging.getLogger(__name__)

FACTS = ["facts_leads.sql", "facts_deals.sql", "labels.sql"]
#: what the refresh itself defines on its connection for the SQL files (see b24metrics/sqlfiles.py)
DEFINES = ("local_time()", "speed_sla_minutes", "win_rate_days()", "funnel_reading", "attribution_window_days",
           "attribution_model()")
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def portal_offset(con: duckdb.DuckDBPyConnection) -> str:
    """The UTC offset the portal writes its dates in, read off a stored payload ("+03:00")."""
    row = con.execute(
        """SELECT regexp_extract(json_extract_string(payload, '$.DATE_CREATE'), '([+-]\\d\\d:\\d\\d)$', 1)
           FROM raw_records WHERE entity IN ('lead', 'deal', 'contact', 'company')
             AND json_extract_string(payload, '$.DATE_CREATE') IS NOT NULL LIMIT 1"""
    ).fetchall()
    return row[0][0] if row and row[0][0] else "+00:00"


def set_local_time(con: duckdb.DuckDBPyConnection, zone: str) -> str:
    """Define local_time(ts): a TIMESTAMPTZ as the portal's wall clock. `zone` is "portal" (the
    offset the portal writes), a fixed offset like "+03:00", or an IANA name for a zone with DST.
    Returns the zone used."""
    if zone == "portal":
        zone = portal_offset(con)
    match = _OFFSET.match(zone)
    if match:
        sign, hours, minutes = match.groups()
        total = (int(hours) * 60 + int(minutes)) * (1 if sign == "+" else -1)
        body = f"CAST(timezone('UTC', ts) AS TIMESTAMP) + INTERVAL ({total}) MINUTE"
    else:
        known = con.execute("SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [zone]).fetchall()[0][0]
        if not known:
            raise ValueError(f"unknown time zone {zone!r}")
        body = f"timezone('{zone}', ts)"
    con.execute(f"CREATE OR REPLACE TEMP MACRO local_time(ts) AS {body}")
    return zone


def sql_steps() -> list[tuple[str, list[str]]]:
    """The SQL files (kpis/sql/) a refresh runs after grading the leads, in its order, by step:
    the shared facts, then each family."""
    return [("facts", FACTS)] + [(f.__name__.rsplit(".", 1)[-1], f.SQL) for f in FAMILIES]


def refresh_grades(warehouse: Warehouse, settings: GradingSettings) -> int:
    """Recompute lead_grades and lead_engagement for every live lead in a transaction of its own."""
    with warehouse.transaction() as con:
        incremental.everything_in_scope(con)
        graded = grade_leads(con, settings)
        score_engagement(con, settings.engagement)
        define_outcomes(con)
        return graded


@contextmanager
def _vacuum_deferred(con: duckdb.DuckDBPyConnection) -> Iterator[Callable[[], None]]:
    """Yields a function that turns off DuckDB's vacuum for the checkpoint that ends this
    refresh, which the context then runs itself.

    An incremental refresh deletes a few rows all over each per-item table. The checkpoint
    after it would vacuum them: merge and rewrite every row group those holes let it shrink,
    0.5-0.9 s for one table of 1-3M rows (measured; 0.03-0.07 s without) to win back a few
    percent of space. The full rebuild (kpis.full_refresh_hours) writes those tables anew anyway."""
    deferred = False

    def defer() -> None:
        nonlocal deferred
        deferred = True
        con.execute("SET max_vacuum_tasks = 0")   # before COMMIT: a big commit checkpoints itself

    try:
        yield defer
        if deferred:
            try:
                con.execute("CHECKPOINT")    # now, not when the connection closes with vacuum back on
            except duckdb.InterruptException:
                raise                        # Ctrl-C stops the command, not just the checkpoint
            except duckdb.Error as exc:      # another transaction is open: a later checkpoint vacuums
                log.info("checkpoint after the KPI refresh put off: %s", exc)
    finally:
        if deferred:
            con.execute("RESET max_vacuum_tasks")


@dataclass
class KpiRefresh:
    graded: int                      # leads with a grade
    seconds: dict[str, float]        # per step: grades, facts, each family
    zone: str                        # the time zone periods were cut in
    problems: list[str]              # bad rows of the input files (file, line, reason)
    reason: str = ""                 # why everything was rebuilt ("": only the items in scope were)
    scope: tuple[int, int] = (0, 0)  # leads and deals recomputed by an incremental refresh
    regraded: int = 0                # of those leads, the ones graded again (incremental.SCOPES)
    # Why the leads were not graded this time (a rule reads a custom field the portal lacks or
    # cannot compare): the last grades stand and the write-back gate holds back. Empty: graded.
    grading_stopped: list[str] = field(default_factory=list)
    one_grade: dict[str, Any] | None = None  # checks.one_grade_share: the rules do not separate

    @property
    def full(self) -> bool:
        """Every table rebuilt, not only the items in scope."""
        return bool(self.reason)


def refresh_kpis(
    warehouse: Warehouse, settings: Settings, *, now: datetime | None = None, full: bool = False
) -> KpiRefresh:
    """Bring every KPI table up to date: the per-item tables for the leads and deals loaded
    since the last refresh, or everything (`full`, or when incremental.full_reason says so).
    Bad rows of the spend and plan files are reported, not fatal. `now` fixes the moment plan
    forecasts count from (the portal's wall clock; default: now)."""
    timings: dict[str, float] = {}
    steps = sql_steps()
    files = [file for _, group in steps for file in group]
    with warehouse.connect() as con, _vacuum_deferred(con) as defer_vacuum, atomic(con):
        # Whole-table joins over millions of rows need more room than a sync's page loads.
        warehouse.set_memory_limit(con, "kpis.memory_limit", settings.kpis.memory_limit)
        began = time.perf_counter()
        zone = set_local_time(con, settings.kpis.timezone)
        con.execute("SET VARIABLE speed_sla_minutes = ?", [settings.kpis.speed_sla_minutes])
        # A view reads it when queried, by whoever: a macro kept in the warehouse, not a variable.
        con.execute(f"CREATE OR REPLACE MACRO win_rate_days() AS {int(settings.kpis.win_rate_days)}")
        con.execute("SET VARIABLE funnel_reading = ?", [settings.kpis.funnel.reading])
        # Read by the stage conversion's cut (F1), not by the tables: changing it rebuilds nothing.
        con.execute(f"CREATE OR REPLACE MACRO funnel_min_items() AS {int(settings.kpis.funnel.min_items)}")
        con.execute("SET VARIABLE attribution_window_days = ?", [settings.kpis.attribution_window_days])
        # the model an attribution cut shows unless its connection picks one (families/attribution.py)
        con.execute(f"CREATE OR REPLACE MACRO attribution_model() AS '{settings.kpis.attribution_model}'")
        states: list[InputState] = []
        problems = load_inputs(con, settings, now=now, states=states)
        save_input_states(con, states)
        mark = incremental.synced_mark(con)
        state = incremental.read_state(con)
        current = incremental.fingerprint(con, settings, zone, files + ["scope_changes.sql", "scope.sql"])
        reason = "full refresh asked for" if full else incremental.full_reason(
            con, state, current, incremental.per_item_tables(files), settings)
        built = None
        if reason is None:
            built = incremental.build_scope(con, state.synced_mark if state else None)
            if built.share > incremental.FULL_SHARE:
                reason = f"{built.share:.0%} of the leads or deals changed"
        scope = (built.counts["lead"], built.counts["deal"]) if built else (0, 0)
        if reason is not None:
            incremental.everything_in_scope(con)
        else:
            defer_vacuum()
        timings["scope"] = time.perf_counter() - began
        began = time.perf_counter()
        stopped = check_rule_fields(con, settings.grading)
        one_grade = None
        if stopped:
            for problem in stopped:
                log.error("leads not graded: %s", problem)
            graded = con.execute("SELECT count(*) FROM lead_grades").fetchall()[0][0]
        else:
            graded = grade_leads(con, settings.grading, rebuild_keys=reason is not None)
            one_grade = one_grade_share(con)
            if one_grade:
                log.warning("%s", one_grade["message"])
        score_engagement(con, settings.grading.engagement)
        define_outcomes(con)
        timings["grades"] = time.perf_counter() - began
        for name, group in steps:
            began = time.perf_counter()
            key = unchanged.attribution_key(con, settings) if name == unchanged.STEP else None
            if key is not None and reason is None and built is not None and built.empty \
                    and unchanged.kept_key(con) == key:
                timings[name] = time.perf_counter() - began
                continue
            for file in group:
                for statement in incremental.statements(sql_file("b24metrics.kpis", file), incremental=reason is None):
                    con.execute(statement)
            if key is not None:
                unchanged.keep_key(con, key)
            timings[name] = time.perf_counter() - began
        # Leads left ungraded are regraded by the next refresh: a fingerprint no refresh computes.
        incremental.save_state(con, mark, "grading stopped" if stopped else current, full=reason is not None)
    if reason is None:
        log.info("KPI tables refreshed in %.2f s for %d leads and %d deals (portal time zone %s)",
                 sum(timings.values()), *scope, zone)
    else:
        log.info("KPI tables rebuilt in %.2f s: %s (portal time zone %s)", sum(timings.values()), reason, zone)
    return KpiRefresh(graded, timings, zone, problems, reason=reason or "", scope=scope,
                      regraded=built.counts["grade"] if built else 0, grading_stopped=stopped, one_grade=one_grade)
