"""The quality gate: numbers go into the CRM card only when the data behind them is sound.

No write-back when the last sync failed or did not finish, when the last good one is older
than `max_sync_age_minutes`, or when an H1 hygiene measure (kpi_hygiene, over the last
`hygiene_days`) is above its configured bound. Every reason is said in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import duckdb

from b24metrics.config import GradingSettings, QualityGate
from b24metrics.grading import check_rule_fields
from b24metrics.kpis import cut, find
from b24metrics.warehouse import missing_tables

# Runs that sync every stream; the gate looks at the latest of them (a sync of some streams
# only, kind "partial sync", leaves the others as old as the last full one).
SYNC_KINDS = ("sync", "cycle")


@dataclass
class GateReport:
    reasons: list[str] = field(default_factory=list)   # why write-back is blocked; empty: it is not
    checks: list[str] = field(default_factory=list)    # what was looked at, in words

    @property
    def passed(self) -> bool:
        return not self.reasons


def check_gate(
    con: duckdb.DuckDBPyConnection, gate: QualityGate, *, now: datetime | None = None,
    grading: GradingSettings | None = None,
) -> GateReport:
    """`grading`: also hold back when a grading rule reads a custom field the portal lacks (the
    refresh left the leads ungraded: the grades would be stale)."""
    now = now or datetime.now(timezone.utc)
    report = GateReport()
    _check_sync(con, gate, now, report)
    if grading is not None:
        report.reasons.extend(f"grades held back: {p}" for p in check_rule_fields(con, grading))
    if gate.hygiene_max:
        _check_hygiene(con, gate, now, report)
    return report


def _check_sync(con: duckdb.DuckDBPyConnection, gate: QualityGate, now: datetime, report: GateReport) -> None:
    kinds = ", ".join(f"'{k}'" for k in SYNC_KINDS)
    last = con.execute(
        f"""SELECT run_id, kind, status, started_at, error,
                   -- runs from before synced_at existed: a good one was ready when it finished
                   coalesce(synced_at, CASE WHEN status = 'ok' THEN finished_at END) AS ready_at
            FROM sync_runs WHERE kind IN ({kinds}) ORDER BY run_id DESC LIMIT 1"""
    ).fetchall()
    if not last:
        report.reasons.append("no sync has run yet: run `b24metrics sync` first")
        return
    run_id, kind, status, started, error, ready_at = last[0]
    when = started.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if ready_at is None:
        if status == "running":
            what = "has not finished (still running, or its process died)"
        else:
            what = f"ended {status}" + (f": {error.splitlines()[0][:300]}" if error else "")
        report.reasons.append(f"the last sync (run {run_id}, {kind}, started {when}) {what}")
        return
    age = (now - ready_at).total_seconds() / 60
    report.checks.append(f"last sync: run {run_id} ({kind}), data ready {age:.0f} min ago")
    if gate.max_sync_age_minutes and age > gate.max_sync_age_minutes:
        report.reasons.append(
            f"the last good sync (run {run_id}) is {age:.0f} minutes old, more than "
            f"writeback.quality_gate.max_sync_age_minutes = {gate.max_sync_age_minutes:g}"
        )


def _check_hygiene(con: duckdb.DuckDBPyConnection, gate: QualityGate, now: datetime, report: GateReport) -> None:
    h1 = find("H1")
    if missing_tables(con, [h1.table]):
        report.reasons.append(f"no {h1.table} table to check hygiene against: run `b24metrics sync` first")
        return
    # The session's day is UTC's (warehouse/db.py), as current_date was when this was SQL.
    today = now.astimezone(timezone.utc).date()
    since = today - timedelta(days=min(gate.hygiene_days, (today - date.min).days))
    rows = cut(con, h1, period="all", since=since).rows
    values = rows[0] if rows else {}   # no rows in the window: no data
    measures = {m.name: m for m in h1.measures}
    for name, bound in gate.hygiene_max.items():
        measure, value = measures[name], values.get(name)
        unit = f" {measure.unit}" if measure.unit else ""
        shown = "no data" if value is None else f"{float(value):g}{unit}"
        report.checks.append(f"H1 {name} over {gate.hygiene_days} days: {shown} (at most {bound:g})")
        if value is not None and float(value) > bound:
            report.reasons.append(
                f"hygiene H1 {name} ({measure.title}) is {shown} over the last {gate.hygiene_days} days, "
                f"above writeback.quality_gate.hygiene_max.{name} = {bound:g}"
            )
