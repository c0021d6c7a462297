"""Sync passes: keyset pages from the portal, each committed with its bookmark.

A stream's first pass is full. Later passes are incremental: rows modified since the portal's
clock at the start of the last complete pass, minus an overlap, still read by ascending ID and
upserted by primary key, so a row read twice is stored once. The first page of every stream
travels in ONE batch: a sync in which nothing changed costs one HTTP request.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import duckdb
import pyarrow as pa

from b24metrics.extract.coerce import coerce_record, schema_of
from b24metrics.errors import OperationTimeLimit
from b24metrics.extract.streams import Stream
from b24metrics.portal import PAGE, ListPage, PortalClient, check_order, iter_pages, list_params, rows_of
from b24metrics.warehouse import Bookmark, Page, Warehouse, load_page, read_bookmark, save_bookmark

log = logging.getLogger(__name__)

Progress = Callable[[Stream, int], None]
MAX_DEFERRALS = 30  # 429s one stream may meet in one sync before it gives up


@dataclass
class StreamResult:
    stream: str
    mode: str = "full"
    rows: int = 0
    pages: int = 0
    quarantined: int = 0
    resumed_after: int = 0


def plan_pass(
    stream: Stream, mark: Bookmark | None, *, full: bool, since: datetime | None, overlap: timedelta
) -> Bookmark:
    """Decide what this pass reads: resume an interrupted pass, or start a full or incremental one."""
    interrupted = mark is not None and not mark.complete and bool(mark.cursor_id)
    if interrupted and (not full or mark.mode == "full") and since is None:
        return mark
    old_since = mark.since if mark else None
    if stream.incremental_by_id and mark is not None and mark.cursor_id and not full:
        # Go on after the highest ID seen; the row count of this pass starts at 0.
        return Bookmark(stream.name, mark.cursor_id, mode="incremental", since=old_since)
    incremental_since = since or (old_since - overlap if old_since else None)
    if full or stream.modified_field is None or incremental_since is None or stream.style == "single":
        return Bookmark(stream.name, 0, mode="full", since=old_since)
    return Bookmark(stream.name, 0, mode="incremental", pass_since=incremental_since, since=old_since)


def _filter(stream: Stream, mark: Bookmark) -> dict[str, Any]:
    flt = dict(stream.filter)
    if mark.mode == "incremental" and stream.modified_field:
        flt[f">={stream.modified_field}"] = mark.pass_since.isoformat(timespec="seconds")
    return flt


def portal_clock(time_block: dict[str, Any]) -> datetime:
    """When the portal began answering, by its own clock (ours may be off)."""
    try:
        return datetime.fromisoformat(time_block["date_start"]).astimezone(timezone.utc)
    except (KeyError, TypeError, ValueError):
        pass
    try:
        return datetime.fromtimestamp(float(time_block["start"]), timezone.utc)
    except (KeyError, TypeError, ValueError):
        return datetime.now(timezone.utc)


class _StreamPass:
    """One stream's pass: turns pages into typed rows and commits each with its bookmark."""

    def __init__(self, con: duckdb.DuckDBPyConnection, stream: Stream, mark: Bookmark, progress: Progress | None):
        self.con, self.stream, self.mark, self.progress = con, stream, mark, progress
        self.schema = schema_of(stream)
        self.result = StreamResult(stream.name, mode=mark.mode, resumed_after=mark.cursor_id or 0)
        self.last_page_full = False
        self.deferrals = 0
        if not mark.cursor_id:
            save_bookmark(con, mark)  # a new pass: its bookmark and row count start over

    def first_command(self) -> tuple[str, dict[str, Any]]:
        s = self.stream
        if s.style == "single":
            return s.method, dict(s.params)
        return s.method, list_params(s.select, _filter(s, self.mark), s.id_field, self.mark.cursor_id or 0,
                                     style=s.style, extra=s.params)

    def load(self, page: ListPage) -> None:
        if self.mark.pass_started_at is None:
            self.mark = replace(self.mark, pass_started_at=portal_clock(page.time))
        self.last_page_full = len(page.rows) == PAGE
        if not page.rows:
            return
        stream = self.stream
        typed, raw, bad = [], [], []
        for record in page.rows:
            row, problems = coerce_record(stream.columns, record)
            rid = stream.raw_id(record)
            typed.append(row)
            raw.append((rid, record))
            bad.extend((rid, fld, value, err) for fld, value, err in problems)
        self.mark = replace(self.mark, cursor_id=int(page.rows[-1][stream.id_field]))
        load_page(
            self.con,
            Page(stream.table, stream.primary_key, pa.Table.from_pylist(typed, schema=self.schema),
                 stream.entity, raw, bad),
            self.mark,
        )
        self.result.rows += len(page.rows)
        self.result.pages += 1
        self.result.quarantined += len(bad)
        if self.progress:
            self.progress(stream, len(page.rows))

    def run(self, client: PortalClient, *, yield_to: Callable[[], bool]) -> bool:
        """Read on to the end (True), or stop early when the method's budget runs short and
        another stream could use the time (False)."""
        method = self.stream.method
        for page in iter_pages(
            client, method, select=self.stream.select, filter=_filter(self.stream, self.mark),
            id_field=self.stream.id_field, wrapper=self.stream.wrapper, after_id=self.mark.cursor_id or 0,
            pages_per_batch=self.stream.pages_per_batch, probe=not self.last_page_full,
            style=self.stream.style, extra=self.stream.params,  # a full last page: more follows, batch at once
        ):
            self.load(page)
            if len(page.rows) == PAGE and client.budget.wait([method]) > 0 and yield_to():
                return False
        return True

    def finish(self) -> StreamResult:
        self.mark = replace(self.mark, complete=True, since=self.mark.pass_started_at)
        save_bookmark(self.con, self.mark)
        r = self.result
        log.info("%s: %s pass, %d rows in %d pages, %d values quarantined",
                 r.stream, r.mode, r.rows, r.pages, r.quarantined)
        return r


def sync_streams(
    client: PortalClient,
    warehouse: Warehouse,
    streams: list[Stream],
    *,
    full: bool = False,
    since: datetime | None = None,
    overlap: timedelta = timedelta(minutes=5),
    progress: Progress | None = None,
) -> list[StreamResult]:
    """Bring the warehouse up to date with the portal for these streams."""
    with warehouse.connect() as con:  # one connection for the sync: opening the file costs ~35 ms
        passes, results = [], []
        for stream in streams:
            mark = plan_pass(stream, read_bookmark(con, stream.name), full=full, since=since, overlap=overlap)
            if mark.cursor_id:
                log.info("%s: resuming the %s pass after ID %d", stream.name, mark.mode, mark.cursor_id)
            passes.append(_StreamPass(con, stream, mark, progress))
        # The first page of every stream in one request (a batch holds 50 commands).
        more: deque[_StreamPass] = deque()
        for start in range(0, len(passes), 50):
            chunk = passes[start:start + 50]
            reply = client.batch({p.stream.name: p.first_command() for p in chunk})
            for p in chunk:
                name = p.stream.name
                if name in reply.errors:
                    if not isinstance(reply.errors[name], OperationTimeLimit):
                        raise reply.errors[name]
                    more.append(p)  # blocked: it goes on after the others
                    continue
                rows = rows_of(reply.results.get(name), p.stream.wrapper, p.stream.method)
                if p.stream.style != "single":
                    check_order(rows, p.mark.cursor_id or 0, p.stream.id_field, p.stream.method)
                p.load(ListPage(rows, reply.times.get(name) or reply.time))
                if len(rows) == PAGE and p.stream.style != "single":
                    more.append(p)
                else:
                    results.append(p.finish())
        # The rest, stream by stream. A stream whose method ran short of its execution-time budget
        # steps aside while another can go on; its pass resumes from its bookmark.
        while more:
            p = more.popleft()
            try:
                done = p.run(client, yield_to=lambda: _someone_ready(client, more))
            except OperationTimeLimit as exc:
                p.deferrals += 1
                if p.deferrals > MAX_DEFERRALS:  # about half an hour of waiting: a person should look
                    raise
                log.warning("%s: %s; deferred until its budget resets", p.stream.name, exc)
                done = False
            if done:
                results.append(p.finish())
            else:
                more.append(p)
    # A pass resumed after an interruption may have spent hours: rows it had already passed may
    # have changed since. One incremental pass from the resumed pass's start catches them up.
    resumed = {r.stream for r in results if r.resumed_after}
    stale = [s for s in streams if s.name in resumed and s.modified_field and not s.incremental_by_id]
    if stale:
        results += sync_streams(client, warehouse, stale, overlap=overlap, progress=progress)
    return results


def _someone_ready(client: PortalClient, waiting: deque[_StreamPass]) -> bool:
    return any(client.budget.wait([p.stream.method]) == 0 for p in waiting)


def sync_full(
    client: PortalClient, warehouse: Warehouse, stream: Stream, *, progress: Progress | None = None
) -> StreamResult:
    """A full pass of one stream (resuming an interrupted full pass)."""
    return sync_streams(client, warehouse, [stream], full=True, progress=progress)[0]
