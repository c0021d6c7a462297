"""Checks of the warehouse file, opened read-only: its schema, whether warehouse.memory_limit
suits its size, and the daemon's last cycle as the run records tell it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from alembic.script import ScriptDirectory

from b24metrics.config import Settings
from b24metrics.doctor.check import Check, ok, problem, warning
from b24metrics.errors import B24MetricsError, WarehouseUnusable
from b24metrics.kpis.inputs import normalize_number
from b24metrics.redact import redact
from b24metrics.warehouse import Run, Warehouse, current_holder, last_runs, missing_tables
from b24metrics.warehouse.db import migrations_dir

_UNITS = {"KB": 1000, "MB": 1000**2, "GB": 1000**3, "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}
# From the README's "Memory" measurements: a sync after a 20,000-lead write-back ran out at 64MB
# and held at 96MB; the write-back's diff over a million leads ran out at 64MB and held at 128MB.
# So 128MB at least, and twice the million's 128MB per million leads.
FLOOR_BYTES = 128 * 1000**2
BYTES_PER_LEAD = 256


def memory_bytes(text: str) -> int:
    number, unit = re.match(r"^(\d+(?:\.\d+)?)\s*([A-Za-z]+)$", text.strip()).groups()  # type: ignore[union-attr]
    return int(float(number) * _UNITS[unit.upper()])


def memory_needed(leads: int) -> int:
    """The warehouse.memory_limit a warehouse of `leads` leads needs, by measurement."""
    return max(FLOOR_BYTES, leads * BYTES_PER_LEAD)


@dataclass
class WarehouseFacts:
    leads: int = 0
    numbers_called: set[str] | None = None   # portal numbers of the calls held, normalized
    runs: list[Run] = field(default_factory=list)   # newest first


def schema_check(warehouse: Warehouse) -> tuple[Check, bool]:
    """(the line, whether the file can be read at this schema)."""
    name = "warehouse schema"
    if not warehouse.path.exists():
        return ok(name, f"no warehouse at {warehouse.path} yet: the first sync creates it"), False
    try:
        revision, head = warehouse.revision(), warehouse.head()
    except WarehouseUnusable as exc:  # refused before DuckDB opens it (a foreign file), or by the machine
        return problem(name, f"{warehouse.path} cannot be opened as a warehouse: {redact(str(exc))[:300]}",
                       "point warehouse.path at the warehouse, or move this file away and sync again"), False
    except B24MetricsError as exc:
        return warning(name, redact(str(exc)), "run the doctor again when that is done"), False
    except Exception as exc:  # noqa: BLE001 (a corrupt or foreign file: say so, don't crash the checklist)
        return problem(name, f"{warehouse.path} cannot be opened as a warehouse: {type(exc).__name__}: "
                       f"{redact(str(exc))[:300]}", "point warehouse.path at the warehouse, or move this file "
                       "away and sync again"), False
    if revision == head:
        return ok(name, f"{warehouse.path} is at the newest schema ({head})"), True
    known = {script.revision for script in ScriptDirectory(str(migrations_dir())).walk_revisions()}
    if revision is None:
        return warning(name, f"{warehouse.path} holds no b24metrics schema yet", "`b24metrics sync` creates it"), False
    if revision not in known:
        return problem(name, f"{warehouse.path} is at schema {revision}, which this b24metrics does not know: "
                       "a newer version made it", "upgrade b24metrics to the version that wrote it"), False
    return warning(name, f"{warehouse.path} is at schema {revision}, the newest is {head}",
                   "the next sync (or `kpi --refresh`) upgrades it"), True


def read_facts(warehouse: Warehouse) -> WarehouseFacts:
    facts = WarehouseFacts()
    with warehouse.connect(read_only=True) as con:
        absent = missing_tables(con, ["leads", "calls", "sync_runs"])
        if "leads" not in absent:
            facts.leads = int(con.execute("SELECT count(*) FROM leads").fetchall()[0][0])
        if "calls" not in absent and con.execute("SELECT count(*) FROM calls").fetchall()[0][0]:
            numbers = con.execute("SELECT DISTINCT portal_number FROM calls").fetchall()
            facts.numbers_called = {n for (raw,) in numbers if (n := normalize_number(raw))}
        if "sync_runs" not in absent:
            facts.runs = last_runs(con, 200)
    return facts


def memory_check(settings: Settings, facts: WarehouseFacts) -> Check:
    name = "memory limit"
    limit = settings.warehouse.memory_limit
    needed = memory_needed(facts.leads)
    size = settings.warehouse.path.stat().st_size if settings.warehouse.path.exists() else 0
    held = f"{facts.leads:,} leads, a {size / 1000**2:,.0f} MB file"
    if memory_bytes(limit) < needed:
        suggested = f"{-(-needed // 1000**2)}MB"
        return warning(name, f"warehouse.memory_limit {limit} is less than the {suggested} a warehouse of {held} "
                       "needs: a sync after a large write-back can run out of memory",
                       f"set warehouse.memory_limit = \"{suggested}\" (or more)")
    return ok(name, f"warehouse.memory_limit {limit} suits {held}")


def daemon_check(settings: Settings, facts: WarehouseFacts, *, now: datetime | None = None) -> Check:
    """The daemon's last cycle (a `cycle` run) and how long ago it ended."""
    name = "daemon"
    holder = current_holder(settings.warehouse.path)
    running = f"; now: {holder.describe()}" if holder is not None else ""
    cycles = [r for r in facts.runs if r.kind == "cycle"]
    if not cycles:
        return ok(name, f"no daemon cycle recorded (`b24metrics run` has not run on this warehouse){running}")
    last = cycles[0]
    now = now or datetime.now(timezone.utc)
    ended = last.finished_at or last.started_at
    age = (now - ended).total_seconds() if ended is not None else 0.0
    ago = f"{age / 60:,.0f} min ago" if age < 7200 else f"{age / 3600:,.1f} h ago"
    if last.status == "failed":
        return problem(name, f"the last cycle (run {last.run_id}) failed {ago}: {redact(last.error or '')}"[:600] + running,
                       "fix what the error names; the daemon tries again every daemon.interval_seconds")
    if last.status == "running" and holder is None:
        return warning(name, f"the last cycle (run {last.run_id}) started {ago} and never ended: its process is gone",
                       "restart the daemon (`b24metrics run`); the next writer closes that run")
    if age > settings.daemon.health_max_age_seconds and last.status != "running":
        return warning(name, f"the last cycle (run {last.run_id}, {last.status}) ended {ago}, longer ago than "
                       f"daemon.health_max_age_seconds ({settings.daemon.health_max_age_seconds:g} s)",
                       "is the daemon running? `b24metrics run` (or its service) cycles every "
                       "daemon.interval_seconds")
    return ok(name, f"the last cycle (run {last.run_id}) {last.status}, {ago}{running}")
