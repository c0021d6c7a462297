"""Reads of the run records (`sync_runs`): what `b24metrics status` shows of the last runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass(frozen=True)
class Run:
    """One sync, cycle or write-back run as recorded, finished or not."""

    run_id: int
    kind: str
    status: str
    started_at: datetime | None
    finished_at: datetime | None
    rows_loaded: int | None
    requests: int | None
    error: str | None


def last_runs(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[Run]:
    """The newest `limit` runs, newest first."""
    rows = con.execute(
        "SELECT run_id, kind, status, started_at, finished_at, rows_loaded, requests, error "
        "FROM sync_runs ORDER BY run_id DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [Run(*row) for row in rows]
