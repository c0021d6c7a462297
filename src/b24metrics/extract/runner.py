"""Sync passes: keyset pages from the portal, each batch committed with its bookmark.

A stream's first pass is full. Later passes are incremental: rows modified since the portal's
clock at the start of the last complete pass, minus an overlap, still read by ascending ID and
upserted by primary key, so a row read twice is stored once.

The first page of every stream travels in ONE batch, together with each stream's highest ID:
a sync in which nothing changed costs one HTTP request. A stream with more to read splits the
IDs left into ranges; ranges of all streams are read at once by the portal's request scheduler,
whose workers share the client's request bucket and execution-time budget, and every answer is
committed here, in the calling thread, one transaction per request, with the bookmark of every
range.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import json
import logging
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any, Callable

import duckdb
import pyarrow as pa

from b24metrics.errors import OperationTimeLimit, RetryError
from b24metrics.extract.coerce import coerce_record, schema_of
from b24metrics.extract.references import check_references
from b24metrics.extract.streams import STREAMS, Stream
from b24metrics.portal import (PAGE, BatchRead, Deferrals, Jobs, ListPage, PortalClient, Scheduler, Verdict, check_order,
                               list_params, read_batch, rows_of)
from b24metrics.warehouse import Bookmark, Page, Warehouse, load_page, read_bookmark, save_bookmark

log = logging.getLogger(__name__)

#: progress(stream, rows just loaded, HTTP requests the stream has made in this pass)
Progress = Callable[[Stream, int, int], None]
WORKERS = 4


@dataclass
class StreamResult:
    stream: str
    mode: str = "full"
    rows: int = 0
    pages: int = 0
    requests: int = 0
    quarantined: int = 0        # values of this pass that did not parse
    unresolved: int = 0         # values in the table naming no dictionary entry (see references)
    resumed: bool = False


def plan_pass(
    stream: Stream, mark: Bookmark | None, *, full: bool, since: datetime | None, overlap: timedelta
) -> Bookmark:
    """Decide what this pass reads: resume an interrupted pass, or start a full or incremental one."""
    interrupted = mark is not None and not mark.complete and bool(mark.ranges or mark.cursor_id)
    if interrupted and (not full or mark.mode == "full") and since is None:
        return mark if mark.ranges is not None else replace(mark, ranges=((mark.cursor_id, None),))
    old_since = mark.since if mark else None
    if stream.incremental_by_id and mark is not None and mark.cursor_id and not full:
        # Go on after the highest ID seen; the row count of this pass starts at 0.
        return Bookmark(stream.name, mark.cursor_id, mode="incremental", since=old_since, ranges=None)
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


@dataclass
class _Range:
    """IDs still to read: after < ID <= upper (None: no end). Reads run one answer ahead of
    commits: `after` is where the next read starts, `committed` what the bookmark holds."""

    after: int
    upper: int | None
    expected: float = math.inf  # rows we think it holds: sizes its next batch
    done: bool = False
    committed: int = field(init=False)

    def __post_init__(self) -> None:
        self.committed = self.after


def volatile_keys(own_fields: tuple[str, ...]) -> tuple[str, ...]:
    """The payload entries that do not change what a record is: DATE_MODIFY, which our own
    writes bump, and the fields our write-back fills, which the KPIs never read; as the text
    that starts each in json.dumps output (with the comma before it, so that a payload without
    the key reads the same; ID always comes first)."""
    return tuple(f', {json.dumps(key)}: ' for key in ("DATE_MODIFY", *own_fields))


def content_hash(text: str, volatile: tuple[str, ...]) -> int:
    """A 64-bit hash of a payload without its volatile entries (raw_records.content_hash).
    Plain find() per key: a regex over every payload doubled the cost of preparing a page."""
    for marker in volatile:
        start = text.find(marker)
        if start < 0:
            continue
        end = start + len(marker)
        if text.startswith('"', end):           # a string: up to its closing quote
            end += 1
            while True:
                end = text.find('"', end)
                slashes = len(text[:end]) - len(text[:end].rstrip("\\"))
                end += 1
                if slashes % 2 == 0:
                    break
        else:                                   # a number, true, false or null
            ends = [i for i in (text.find(",", end), text.find("}", end)) if i >= 0]
            end = min(ends) if ends else len(text)
        text = text[:start] + text[end:]
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


@dataclass
class _Rows:
    """One answer's rows, typed and ready to load (built in the worker that read them)."""

    typed: pa.Table
    raw: list[tuple[str, str]]                  # (id, the payload's JSON)
    bad: list[tuple[str, str, str | None, str]]
    pages: int
    top: int
    hashes: list[int | None]                    # content_hash of each payload, where kept


class _StreamPass:
    """One stream's pass: reads its ranges and commits each answer with the pass's bookmark."""

    def __init__(self, con: duckdb.DuckDBPyConnection, stream: Stream, mark: Bookmark,
                 progress: Progress | None, *, parts: int, deferrals: Deferrals,
                 own_fields: tuple[str, ...] | None = None) -> None:
        self.con, self.stream, self.mark, self.progress, self.parts = con, stream, mark, progress, parts
        self.deferrals = deferrals
        # Only the entities the write-back writes to can come back changed by us alone; the
        # others get no hash and count as changed whenever they are read (as they are: by date).
        self.volatile = None if own_fields is None else volatile_keys(own_fields)
        self.schema = schema_of(stream)
        resumed = mark.ranges is not None
        self.result = StreamResult(stream.name, mode=mark.mode, resumed=resumed)
        self.ranges = [_Range(after, upper) for after, upper in mark.ranges or ()]
        if not resumed:
            save_bookmark(con, mark, new_pass=True)

    @property
    def started(self) -> bool:
        return self.mark.ranges is not None

    # -- the first answer: one page and where the table ends

    def first_commands(self) -> dict[str, tuple[str, dict[str, Any]]]:
        s = self.stream
        if s.style == "single":
            return {s.name: (s.method, dict(s.params))}
        flt, after = _filter(s, self.mark), self.mark.cursor_id or 0
        return {
            s.name: (s.method, list_params(s.select, flt, s.id_field, after, style=s.style, extra=s.params)),
            f"{s.name}_top": (s.method, list_params([s.id_field], flt, s.id_field, after, style=s.style,
                                                    extra=s.params, descending=True)),
        }

    def take_first(self, reply: Any) -> None:
        s, after = self.stream, self.mark.cursor_id or 0
        self.result.requests += 1
        error = reply.errors.get(s.name)
        if error is not None:
            if not isinstance(error, OperationTimeLimit):
                raise error
            # One refusal of the stream's count; the whole table becomes one range, read later.
            self.deferrals.allow(s.name, error)
            self.ranges = [_Range(after, None)]
            self.commit(self.prepare([]), reply.time)
            return
        rows = rows_of(reply.results.get(s.name), s.wrapper, s.method)
        if s.style != "single":
            check_order(rows, after, s.id_field, s.method)
            top_rows = [] if f"{s.name}_top" in reply.errors else rows_of(
                reply.results.get(f"{s.name}_top"), s.wrapper, s.method)
            top = int(top_rows[0][s.id_field]) if top_rows else None
            self.ranges = self._split(after, rows, top)
        self.commit(self.prepare([ListPage(rows, reply.times.get(s.name) or reply.time)] if rows else []),
                    reply.time)

    def _split(self, after: int, rows: list[dict[str, Any]], top: int | None) -> list[_Range]:
        """The IDs after a full first page, cut into ranges to read side by side."""
        if len(rows) < PAGE:
            return []
        last = int(rows[-1][self.stream.id_field])
        if top is None or top <= last:
            return [_Range(last, None)]
        expected = (top - last) * min(1.0, PAGE / max(1, last - after))  # IDs so far were this dense
        parts = max(1, min(self.parts, math.ceil(expected / (PAGE * self.stream.pages_per_batch))))
        bounds: list[int | None] = [last + round((top - last) * i / parts) for i in range(parts)]
        bounds.append(None)  # the last range has no end: rows created meanwhile belong to it
        return [_Range(bounds[i], bounds[i + 1], expected / parts) for i in range(parts)]  # type: ignore[arg-type]

    # -- ranges

    def read(self, client: PortalClient, rng: _Range) -> tuple[BatchRead, _Rows]:
        """One request for one range, its rows typed (runs in a worker thread: no warehouse here)."""
        s = self.stream
        pages = min(s.pages_per_batch, math.ceil(rng.expected / PAGE) + 1) if rng.expected < math.inf \
            else s.pages_per_batch
        got = read_batch(client, s.method, select=s.select, filter=_filter(s, self.mark), id_field=s.id_field,
                         wrapper=s.wrapper, after_id=rng.after, upper_id=rng.upper, pages=pages,
                         style=s.style, extra=s.params)
        rows = self.prepare(got.pages)
        got.pages = []  # the decoded answer is the bulk of a worker's memory: typed rows and JSON remain
        return got, rows

    def advance(self, rng: _Range, got: BatchRead, rows: _Rows) -> bool:
        """Move the range's read position past an answer; True when it has more to read."""
        read = rows.typed.num_rows
        rng.after = got.last_id
        rng.done = got.done and got.error is None
        if not got.done:
            rng.expected = math.inf  # it held more than we thought: full batches from now on
        rng.expected -= read
        return not rng.done

    def prepare(self, pages: list[ListPage]) -> _Rows:
        stream = self.stream
        typed, raw, bad, hashes = [], [], [], []
        top = 0
        for page in pages:
            for record in page.rows:
                row, problems = coerce_record(stream.columns, record)
                rid = stream.raw_id(record)
                typed.append(row)
                text = json.dumps(record, ensure_ascii=False)
                raw.append((rid, text))
                hashes.append(None if self.volatile is None else content_hash(text, self.volatile))
                bad.extend((rid, fld, value, err) for fld, value, err in problems)
                top = max(top, int(record[stream.id_field]))
        return _Rows(pa.Table.from_pylist(typed, schema=self.schema), raw, bad, len(pages), top, hashes)

    def take(self, rng: _Range, got: BatchRead, rows: _Rows) -> None:
        """Commit an answer of a range already advanced past it."""
        self.result.requests += 1
        rng.committed = got.last_id
        if rng.done:
            self.ranges.remove(rng)
        self.commit(rows, got.time)

    def commit(self, rows: _Rows, answer_time: dict[str, Any]) -> None:
        """The rows of one answer and the bookmark of every range: one transaction."""
        stream = self.stream
        if self.mark.pass_started_at is None:
            self.mark = replace(self.mark, pass_started_at=portal_clock(answer_time))
        self.mark = replace(self.mark, cursor_id=max(self.mark.cursor_id or 0, rows.top),
                            ranges=tuple((r.committed, r.upper) for r in self.ranges))
        # One keyset answer holds each ID once (check_order saw them ascend): no deduplication.
        load_page(self.con, Page(stream.table, stream.primary_key, rows.typed, stream.entity, rows.raw, rows.bad,
                                 unique=True, hashes=rows.hashes), self.mark)
        count = rows.typed.num_rows
        self.result.rows += count
        self.result.pages += rows.pages
        self.result.quarantined += len(rows.bad)
        if self.progress and count:
            self.progress(stream, count, self.result.requests)

    def finish(self) -> StreamResult:
        self.mark = replace(self.mark, complete=True, since=self.mark.pass_started_at, ranges=None)
        save_bookmark(self.con, self.mark)
        r = self.result
        log.info("%s: %s pass, %d rows in %d pages, %d requests, %d values quarantined",
                 r.stream, r.mode, r.rows, r.pages, r.requests, r.quarantined)
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
    workers: int = WORKERS,
    own_fields: dict[str, tuple[str, ...]] | None = None,
) -> list[StreamResult]:
    """Bring the warehouse up to date with the portal for these streams. `own_fields`: entity ->
    the custom fields our write-back fills there (a record whose only news is there did not change)."""
    results: list[StreamResult] = []
    deferrals = Deferrals()  # per stream, the first page's refusals included
    with warehouse.connect() as con:  # one connection for the sync: opening the file costs ~35 ms
        passes = []
        for stream in streams:
            mark = plan_pass(stream, read_bookmark(con, stream.name), full=full, since=since, overlap=overlap)
            if mark.ranges is not None:
                log.info("%s: resuming the %s pass (%d ranges left)", stream.name, mark.mode, len(mark.ranges))
            passes.append(_StreamPass(con, stream, mark, progress, parts=workers, deferrals=deferrals,
                                      own_fields=(own_fields or {}).get(stream.entity)))
        # The first page and the highest ID of every stream in one request (two commands each).
        fresh = [p for p in passes if not p.started]
        for start in range(0, len(fresh), 25):
            chunk = fresh[start:start + 25]
            reply = client.batch({k: v for p in chunk for k, v in p.first_commands().items()})
            for p in chunk:
                p.take_first(reply)
        results += [p.finish() for p in passes if not p.ranges]
        reads = _RangeReads(client)
        Scheduler(reads, client.budget, workers=workers, thread_name="b24m-read", deferrals=deferrals).run(
            queued=[(p, rng) for p in passes for rng in p.ranges])
        results += reads.finished
        # New statuses may resolve old values, so a statuses pass checks every table.
        checked = list(STREAMS.values()) if any(s.name == "statuses" for s in streams) else streams
        unresolved = check_references(con, [s for s in checked if s.references])
        for r in results:
            r.unresolved = unresolved.get(r.stream, 0)
    # A pass resumed after an interruption may have spent hours: rows it had already passed may
    # have changed since. One incremental pass from the resumed pass's start catches them up.
    resumed = {r.stream for r in results if r.resumed}
    stale = [s for s in streams if s.name in resumed and s.modified_field and not s.incremental_by_id]
    if stale:
        results += sync_streams(client, warehouse, stale, overlap=overlap, progress=progress, workers=workers,
                                own_fields=own_fields)
    return results


_Read = tuple[_StreamPass, _Range]


class _RangeReads(Jobs[_Read, tuple[BatchRead, _Rows]]):
    """The ranges of every pass, one request each time: read in workers, committed here.

    A range the portal refused after the client's retries keeps the rows that came before the
    refusal and goes back in line, counted against its stream."""

    def __init__(self, client: PortalClient) -> None:
        self.client = client
        self.finished: list[StreamResult] = []

    def methods(self, job: _Read) -> list[str]:
        return [job[0].stream.method]

    def send(self, job: _Read) -> tuple[BatchRead, _Rows]:
        p, rng = job
        return p.read(self.client, rng)

    def settle(self, job: _Read, answer: tuple[BatchRead, _Rows] | None,
               error: Exception | None) -> Verdict[_Read]:
        p, rng = job
        if isinstance(error, RetryError):  # the client's own retries ran out: an empty answer
            answer = BatchRead([], False, rng.after, error), p.prepare([])  # type: ignore[arg-type]
        elif error is not None:
            return Verdict(error=error)
        assert answer is not None
        got, rows = answer
        more = p.advance(rng, got, rows)
        store = partial(self._commit, p, rng, got, rows)
        if isinstance(got.error, RetryError):
            return Verdict(store, again=job, refused=got.error, count=p.stream.name)
        if got.error is not None:
            return Verdict(store, error=got.error)
        return Verdict(store, again=job if more else None)

    def _commit(self, p: _StreamPass, rng: _Range, got: BatchRead, rows: _Rows) -> None:
        p.take(rng, got, rows)
        if not p.ranges:
            self.finished.append(p.finish())

    def stored(self) -> None:
        _release_memory()


try:
    _malloc_trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
except (OSError, AttributeError):  # not glibc: nothing to hand back
    _malloc_trim = None


def _release_memory() -> None:
    """Hand the heap freed by committed answers back to the OS. Answers are typed in worker
    threads and freed in this one; glibc keeps such memory in per-thread arenas, and peak
    memory would creep with every answer."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def sync_full(
    client: PortalClient, warehouse: Warehouse, stream: Stream, *, progress: Progress | None = None
) -> StreamResult:
    """A full pass of one stream (resuming an interrupted full pass)."""
    return sync_streams(client, warehouse, [stream], full=True, progress=progress)[0]
