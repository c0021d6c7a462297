"""Writes into the warehouse: a page of rows and its bookmark in one transaction, run records.

A crash anywhere leaves either the page with its bookmark or neither: the next run resumes
after the last committed page, loses nothing and loads nothing twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

import duckdb
import pyarrow as pa

from b24metrics.warehouse.db import Warehouse, atomic


@dataclass(frozen=True)
class Page:
    """One page of one stream, ready to load."""

    table: str
    primary_key: Sequence[str]
    rows: pa.Table                                  # typed rows, columns named as in `table`
    entity: str                                     # key of the raw payloads
    raw: Sequence[tuple[str, dict[str, Any]]]       # (id, payload as the portal sent it)
    quarantine: Sequence[tuple[str, str, str | None, str]] = ()  # (id, field, raw value, error)


@dataclass(frozen=True)
class Bookmark:
    stream: str
    cursor_id: int | None
    complete: bool = False


def upsert(con: duckdb.DuckDBPyConnection, table: str, primary_key: Sequence[str], rows: pa.Table) -> None:
    """Insert or replace rows by primary key, through Arrow (the fast path)."""
    if rows.num_rows == 0:
        return
    columns = rows.column_names
    keys = ", ".join(primary_key)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in primary_key)
    name = f"_page_{table}"
    con.register(name, rows)
    try:
        # ON CONFLICT keeps the FIRST of duplicate keys inside one statement: keep the last instead.
        con.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"SELECT {', '.join(columns)} FROM (SELECT *, row_number() OVER () AS _pos FROM {name}) "
            f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _pos DESC) = 1 "
            f"ON CONFLICT ({keys}) DO " + (f"UPDATE SET {updates}" if updates else "NOTHING")
        )
    finally:
        con.unregister(name)


def load_page(con: duckdb.DuckDBPyConnection, page: Page, bookmark: Bookmark) -> None:
    """The page's rows, raw payloads, quarantine entries and bookmark: one transaction."""
    now = datetime.now(timezone.utc)
    raw = pa.table(
        {
            "entity": [page.entity] * len(page.raw),
            "id": [rid for rid, _ in page.raw],
            "payload": [json.dumps(p, ensure_ascii=False) for _, p in page.raw],
            "synced_at": pa.array([now] * len(page.raw), pa.timestamp("us", tz="UTC")),
        }
    )
    with atomic(con):
        upsert(con, page.table, page.primary_key, page.rows)
        upsert(con, "raw_records", ("entity", "id"), raw)
        if page.quarantine:
            con.executemany(
                "INSERT OR REPLACE INTO quarantine VALUES (?, ?, ?, ?, ?, ?)",
                [(page.entity, rid, fld, value, err, now) for rid, fld, value, err in page.quarantine],
            )
        save_bookmark(con, bookmark, rows=page.rows.num_rows)


def save_bookmark(con: duckdb.DuckDBPyConnection, bookmark: Bookmark, *, rows: int = 0) -> None:
    con.execute(
        """
        INSERT INTO sync_state (stream, cursor_id, rows_loaded, complete, updated_at)
        VALUES (?, ?, ?, ?, now())
        ON CONFLICT (stream) DO UPDATE SET
            cursor_id = excluded.cursor_id,
            rows_loaded = sync_state.rows_loaded + excluded.rows_loaded,
            complete = excluded.complete,
            updated_at = excluded.updated_at
        """,
        [bookmark.stream, bookmark.cursor_id, rows, bookmark.complete],
    )


def read_bookmark(con: duckdb.DuckDBPyConnection, stream: str) -> Bookmark | None:
    row = con.execute("SELECT cursor_id, complete FROM sync_state WHERE stream = ?", [stream]).fetchall()
    return Bookmark(stream, row[0][0], bool(row[0][1])) if row else None


def restart_stream(con: duckdb.DuckDBPyConnection, stream: str) -> None:
    """A new full pass: the bookmark goes back to the start, counts to zero."""
    with atomic(con):
        con.execute("DELETE FROM sync_state WHERE stream = ?", [stream])
        save_bookmark(con, Bookmark(stream, 0, False))


def complete_stream(con: duckdb.DuckDBPyConnection, stream: str, cursor_id: int | None) -> None:
    with atomic(con):
        save_bookmark(con, Bookmark(stream, cursor_id, complete=True))


def start_run(warehouse: Warehouse, kind: str) -> int:
    with warehouse.transaction() as con:
        return con.execute(
            "INSERT INTO sync_runs (kind, started_at, status) VALUES (?, now(), 'running') RETURNING run_id",
            [kind],
        ).fetchall()[0][0]


def finish_run(
    warehouse: Warehouse, run_id: int, *, status: str, rows: int, requests: int, error: str | None = None
) -> None:
    with warehouse.transaction() as con:
        con.execute(
            "UPDATE sync_runs SET finished_at = now(), status = ?, rows_loaded = ?, requests = ?, error = ? "
            "WHERE run_id = ?",
            [status, rows, requests, error, run_id],
        )


def rows_of(records: Iterable[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist(list(records), schema=schema)
