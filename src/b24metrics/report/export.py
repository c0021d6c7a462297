"""Every KPI table and view and the normalized CRM tables as CSV or Parquet files, for BI tools.

DuckDB's COPY ... TO writes each one straight from the warehouse (no rows through Python). What
leaves is what the tables hold: never raw_records (the portal's whole payloads), the write-back
ledger, the sync bookkeeping or anything else that is ours rather than the CRM's. Timestamps of
the normalized tables are instants written in UTC; the KPI tables hold the portal's wall clock.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from b24metrics.report.build import open_readable, require_kpi_tables
from b24metrics.warehouse import Warehouse

log = logging.getLogger(__name__)

FORMATS = ("csv", "parquet")
#: the CRM as synced: one row per record (deleted ones flagged `deleted`), typed columns
NORMALIZED = ("leads", "deals", "contacts", "companies", "activities", "calls", "users", "statuses",
              "deal_categories", "lead_history", "deal_history", "lead_grades", "lead_grade_history", "userfields")
#: KPI tables that are the refresh's own bookkeeping, not a figure
INTERNAL = {"kpi_state"}
_OPTIONS = {"csv": "FORMAT csv, HEADER", "parquet": "FORMAT parquet, COMPRESSION zstd"}


@dataclass
class Exported:
    table: str
    path: Path
    rows: int


def _exported(table: str) -> bool:
    """Whether export() writes this table: a KPI table or view (not our bookkeeping) or a
    normalized CRM table."""
    return (table.startswith("kpi_") and table not in INTERNAL) or table in NORMALIZED


def export_tables(con) -> list[str]:
    """The KPI tables and views that exist, then the normalized tables, in a stable order."""
    present = {name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    kpis = sorted(name for name in present if name.startswith("kpi_") and _exported(name))
    return kpis + [name for name in NORMALIZED if name in present]


def is_export_file(path: Path) -> bool:
    """Whether a file's name is one that export() writes."""
    return path.suffix.lstrip(".") in FORMATS and _exported(path.stem)


def export(warehouse: Warehouse, out: Path, fmt: str, *, memory_limit: str | None = None) -> list[Exported]:
    """Write each table to out/<table>.<fmt>; a file is replaced whole, never left half written.
    `memory_limit`: what DuckDB may hold meanwhile (kpis.memory_limit; the old 64MB of warehouse.memory_limit ran out
    on the view kpi_calls at a million calls)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    open_readable(warehouse)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    done: list[Exported] = []
    with warehouse.connect(read_only=True) as con:
        require_kpi_tables(con, warehouse)
        if memory_limit:
            warehouse.set_memory_limit(con, "kpis.memory_limit", memory_limit)
        # A BI tool reads a table as a set: keeping the row order would hold rows in memory.
        con.execute("SET preserve_insertion_order = false")
        for table in export_tables(con):
            target = out / f"{table}.{fmt}"
            partial = out / f".{table}.{fmt}.partial"
            # the file name goes into SQL: the table names are ours, the directory is quoted
            rows = con.execute(f"COPY (SELECT * FROM \"{table}\") TO '{_quote(partial)}' ({_OPTIONS[fmt]})"
                               ).fetchall()[0][0]
            os.replace(partial, target)
            done.append(Exported(table, target, rows))
    log.debug("exported %d tables as %s to %s in %.2f s", len(done), fmt, out, time.perf_counter() - began)
    return done


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


__all__ = ["FORMATS", "NORMALIZED", "Exported", "export", "export_tables", "is_export_file"]
