"""Writes into the warehouse: a page of rows and its bookmark in one transaction, run records.

A crash anywhere leaves either the page with its bookmark or neither: the next run resumes
after the last committed page, loses nothing and loads nothing twice.
"""

from __future__ import annotations

import json
import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Sequence

import duckdb

from b24metrics.errors import DiskFull
from b24metrics.warehouse.db import Warehouse, atomic

if TYPE_CHECKING:
    import pyarrow as pa  # imported where rows are loaded: readers of bookmarks need no Arrow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Page:
    """One page of one stream, ready to load."""

    table: str
    primary_key: Sequence[str]
    rows: pa.Table                                  # typed rows, columns named as in `table`
    entity: str                                     # key of the raw payloads
    raw: Sequence[tuple[str, str]]                  # (id, the payload as the portal sent it, as JSON)
    quarantine: Sequence[tuple[str, str, str | None, str]] = ()  # (id, field, raw value, error)
    unique: bool = False                            # no key twice in `rows`: no need to deduplicate
    # content_hash of each raw payload (see extract/content_hash.py), or None
    hashes: Sequence[int | None] | None = None


@dataclass(frozen=True)
class Bookmark:
    """Where a stream's pass stands. A pass reads ID ranges by ascending ID; `ranges` holds what
    is left of each as (after, upper or None); `cursor_id` is the highest ID committed. An
    incremental pass reads only rows modified since `pass_since`."""

    stream: str
    cursor_id: int | None
    complete: bool = False
    mode: str = "full"                      # "full" or "incremental"
    pass_since: datetime | None = None      # the incremental filter of this pass
    pass_started_at: datetime | None = None  # the portal's clock when this pass began
    since: datetime | None = None           # watermark: start of the last complete pass
    ranges: tuple[tuple[int, int | None], ...] | None = None  # None: the pass has not split yet


def upsert(
    con: duckdb.DuckDBPyConnection, table: str, primary_key: Sequence[str], rows: pa.Table, *, unique: bool = False,
    on_update: dict[str, str] | None = None,
) -> None:
    """Insert or replace rows by primary key, through Arrow (the fast path). `on_update` gives
    a column another expression than `excluded.<column>` when the row exists."""
    if rows.num_rows == 0:
        return
    columns = rows.column_names
    keys = ", ".join(primary_key)
    updates = ", ".join(f"{c} = {(on_update or {}).get(c, f'excluded.{c}')}" for c in columns if c not in primary_key)
    name = f"_page_{table}"
    con.register(name, rows)
    try:
        # ON CONFLICT keeps the FIRST of duplicate keys inside one statement: keep the last instead.
        source = name if unique else (
            f"(SELECT *, row_number() OVER () AS _pos FROM {name}) "
            f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _pos DESC) = 1"
        )
        con.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM {source} "
            f"ON CONFLICT ({keys}) DO " + (f"UPDATE SET {updates}" if updates else "NOTHING")
        )
    except BaseException:
        # A failed statement leaves the transaction aborted, so unregistering would fail too and
        # hide the real error (an out-of-memory among them) behind "transaction is aborted".
        with suppress(duckdb.Error):
            con.unregister(name)
        raise
    con.unregister(name)


def load_page(con: duckdb.DuckDBPyConnection, page: Page, bookmark: Bookmark) -> None:
    """The page's rows, raw payloads, quarantine entries and bookmark: one transaction."""
    import pyarrow as pa

    now = datetime.now(timezone.utc)
    raw = pa.table(
        {
            "entity": [page.entity] * len(page.raw),
            "id": [rid for rid, _ in page.raw],
            "payload": [p for _, p in page.raw],
            "synced_at": pa.array([now] * len(page.raw), pa.timestamp("us", tz="UTC")),
            "changed_at": pa.array([now] * len(page.raw), pa.timestamp("us", tz="UTC")),
            "content_hash": pa.array(page.hashes or [None] * len(page.raw), pa.uint64()),
        }
    )
    with atomic(con):
        upsert(con, page.table, page.primary_key, page.rows, unique=page.unique)
        upsert(con, "raw_records", ("entity", "id"), raw, unique=page.unique, on_update={"changed_at": _CHANGED})
        con.register("raw_page", raw)
        # A record that parses now leaves quarantine: its old entries go with this page.
        con.execute("DELETE FROM quarantine WHERE entity = ? AND id IN (SELECT id FROM raw_page)", [page.entity])
        if page.quarantine:
            con.executemany(
                "INSERT OR REPLACE INTO quarantine VALUES (?, ?, ?, ?, ?, ?)",
                [(page.entity, rid, fld, value, err, now) for rid, fld, value, err in page.quarantine],
            )
        con.unregister("raw_page")
        save_bookmark(con, bookmark, rows=page.rows.num_rows)


# A record read again whose content hash did not move (nothing new but DATE_MODIFY and the
# fields our write-back fills) keeps its changed_at: the KPI refresh has nothing to redo for it.
_CHANGED = "CASE WHEN raw_records.content_hash = excluded.content_hash THEN raw_records.changed_at ELSE excluded.changed_at END"


_BOOKMARK = ("cursor_id", "complete", "mode", "pass_since", "pass_started_at", "since", "ranges")


def save_bookmark(con: duckdb.DuckDBPyConnection, bookmark: Bookmark, *, rows: int = 0, new_pass: bool = False) -> None:
    """Store the bookmark; `rows` adds to the pass's row count, which a new pass sets to 0."""
    values = {c: getattr(bookmark, c) for c in _BOOKMARK}
    if bookmark.ranges is not None:
        values["ranges"] = json.dumps([list(r) for r in bookmark.ranges])
    con.execute(
        f"""
        INSERT INTO sync_state (stream, rows_loaded, updated_at, {', '.join(_BOOKMARK)})
        VALUES (?, ?, now(), {', '.join('?' for _ in _BOOKMARK)})
        ON CONFLICT (stream) DO UPDATE SET
            rows_loaded = CASE WHEN ? THEN 0 ELSE sync_state.rows_loaded END + excluded.rows_loaded,
            updated_at = excluded.updated_at,
            {', '.join(f"{c} = excluded.{c}" for c in _BOOKMARK)}
        """,
        [bookmark.stream, rows, *values.values(), new_pass],
    )


def read_bookmark(con: duckdb.DuckDBPyConnection, stream: str) -> Bookmark | None:
    row = con.execute(f"SELECT {', '.join(_BOOKMARK)} FROM sync_state WHERE stream = ?", [stream]).fetchall()
    if not row:
        return None
    values = dict(zip(_BOOKMARK, row[0]))
    values["complete"] = bool(values["complete"])
    values["mode"] = values["mode"] or "full"
    if values["ranges"] is not None:
        values["ranges"] = tuple((int(a), None if u is None else int(u)) for a, u in json.loads(values["ranges"]))
    return Bookmark(stream, **values)


def read_bookmarks(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT stream, mode, complete, cursor_id, rows_loaded, since, updated_at FROM sync_state ORDER BY stream"
    ).fetchall()


def start_run(warehouse: Warehouse, kind: str) -> int:
    """A new sync_runs row, 'running'. Runs are started only under the writer lock, one writer at
    a time: a run still 'running' now was left by a process that died (kill -9, power loss)
    before it could close it, and is closed here as interrupted."""
    with warehouse.transaction() as con:
        con.execute("UPDATE sync_runs SET status = 'interrupted', finished_at = now(), "
                    "error = coalesce(error, 'its process ended before it closed the run') "
                    "WHERE status = 'running'")
        return con.execute(
            "INSERT INTO sync_runs (kind, started_at, status) VALUES (?, now(), 'running') RETURNING run_id",
            [kind],
        ).fetchall()[0][0]


def mark_synced(warehouse: Warehouse, run_id: int) -> None:
    """The run's sync and KPI refresh are done: what it writes back from here on is sound, even
    if the run itself dies later (the write-back quality gate reads this)."""
    with warehouse.transaction() as con:
        con.execute("UPDATE sync_runs SET synced_at = now() WHERE run_id = ?", [run_id])


def finish_run(
    warehouse: Warehouse, run_id: int, *, status: str, rows: int, requests: int, error: str | None = None
) -> None:
    try:
        with warehouse.transaction() as con:
            con.execute(
                "UPDATE sync_runs SET finished_at = now(), status = ?, rows_loaded = ?, requests = ?, error = ? "
                "WHERE run_id = ?",
                [status, rows, requests, error, run_id],
            )
    except DiskFull:
        # A run that filled the disk leaves little room: on a full tmpfs the whole record did not
        # fit in the WAL where its status and end alone did. Without them the run stays 'running'
        # and the next run closes it as interrupted, which it was not.
        with warehouse.transaction() as con:
            con.execute("UPDATE sync_runs SET finished_at = now(), status = ? WHERE run_id = ?", [status, run_id])
        log.warning("run %s recorded as %s without its rows, requests and error: the disk is full", run_id, status)
