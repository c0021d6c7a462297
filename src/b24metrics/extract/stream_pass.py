"""One stream's pass: its first page, its ID ranges, and each answer committed with its bookmark.

Reads run in worker threads (read, prepare: no warehouse there); everything that moves the
bookmark or writes the warehouse (take_first, take, commit, finish) runs in the calling thread.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import duckdb
import pyarrow as pa

from b24metrics.errors import OperationTimeLimit
from b24metrics.extract.coerce import coerce_record, schema_of
from b24metrics.extract.content_hash import content_hash, volatile_keys
from b24metrics.extract.plan import pass_filter, portal_clock
from b24metrics.extract.streams import Stream
from b24metrics.portal import PAGE, BatchRead, Deferrals, ListPage, PortalClient, check_order, list_params, read_batch, rows_of
from b24metrics.warehouse import Bookmark, Page, load_page, save_bookmark

log = logging.getLogger(__name__)

#: progress(stream, rows just loaded, HTTP requests the stream has made in this pass)
Progress = Callable[[Stream, int, int], None]


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


@dataclass
class IdRange:
    """IDs still to read: after < ID <= upper (None: no end). Reads run one answer ahead of
    commits: `after` is where the next read starts, `committed` what the bookmark holds."""

    after: int
    upper: int | None
    expected: float = math.inf  # rows we think it holds: sizes its next batch
    done: bool = False
    committed: int = field(init=False)

    def __post_init__(self) -> None:
        self.committed = self.after


@dataclass
class Rows:
    """One answer's rows, typed and ready to load (built in the worker that read them)."""

    typed: pa.Table
    raw: list[tuple[str, str]]                  # (id, the payload's JSON)
    bad: list[tuple[str, str, str | None, str]]
    pages: int
    top: int
    hashes: list[int | None]                    # content_hash of each payload, where kept


class StreamPass:
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
        self.ranges = [IdRange(after, upper) for after, upper in mark.ranges or ()]
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
        flt, after = pass_filter(s, self.mark), self.mark.cursor_id or 0
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
            self.ranges = [IdRange(after, None)]
            self.commit(self.prepare([]), reply.time)
            return
        rows = rows_of(reply.results.get(s.name), s.wrapper, s.method)
        if s.style != "single":
            check_order(rows, after, s.id_field, s.method)
            top_rows = [] if f"{s.name}_top" in reply.errors else rows_of(
                reply.results.get(f"{s.name}_top"), s.wrapper, s.method)
            top = int(top_rows[0][s.id_field]) if top_rows else None
            self.ranges = self._split(after, rows, top)
        elif reply.nexts.get(s.name):
            # A short list still answers 50 items a page: the rest by offset (`start`), a page a
            # request, in one range whose position is that offset (read() below).
            self.ranges = [IdRange(reply.nexts[s.name], None)]
        self.commit(self.prepare([ListPage(rows, reply.times.get(s.name) or reply.time)] if rows else []),
                    reply.time)

    def _split(self, after: int, rows: list[dict[str, Any]], top: int | None) -> list[IdRange]:
        """The IDs after a full first page, cut into ranges to read side by side."""
        if len(rows) < PAGE:
            return []
        last = int(rows[-1][self.stream.id_field])
        if top is None or top <= last:
            return [IdRange(last, None)]
        expected = (top - last) * min(1.0, PAGE / max(1, last - after))  # IDs so far were this dense
        parts = max(1, min(self.parts, math.ceil(expected / (PAGE * self.stream.pages_per_batch))))
        bounds: list[int | None] = [last + round((top - last) * i / parts) for i in range(parts)]
        bounds.append(None)  # the last range has no end: rows created meanwhile belong to it
        return [IdRange(bounds[i], bounds[i + 1], expected / parts) for i in range(parts)]  # type: ignore[arg-type]

    # -- ranges

    def read(self, client: PortalClient, rng: IdRange) -> tuple[BatchRead, Rows]:
        """One request for one range, its rows typed (runs in a worker thread: no warehouse here)."""
        s = self.stream
        if s.style == "single":
            return self._read_offset(client, rng)
        pages = min(s.pages_per_batch, math.ceil(rng.expected / PAGE) + 1) if rng.expected < math.inf \
            else s.pages_per_batch
        got = read_batch(client, s.method, select=s.select, filter=pass_filter(s, self.mark), id_field=s.id_field,
                         wrapper=s.wrapper, after_id=rng.after, upper_id=rng.upper, pages=pages,
                         style=s.style, extra=s.params)
        rows = self.prepare(got.pages)
        got.pages = []  # the decoded answer is the bulk of a worker's memory: typed rows and JSON remain
        return got, rows

    def _read_offset(self, client: PortalClient, rng: IdRange) -> tuple[BatchRead, Rows]:
        """The next page of a "single" stream's list, from the offset the range holds: the
        position it moves to is the answer's `next` (none: the list has ended)."""
        s = self.stream
        reply = client.call(s.method, {**s.params, "start": rng.after})
        page = ListPage(rows_of(reply.result, s.wrapper, s.method), reply.time)
        rows = self.prepare([page])
        return BatchRead([], reply.next is None, reply.next or rng.after, time=reply.time), rows

    def advance(self, rng: IdRange, got: BatchRead, rows: Rows) -> bool:
        """Move the range's read position past an answer; True when it has more to read."""
        read = rows.typed.num_rows
        rng.after = got.last_id
        rng.done = got.done and got.error is None
        if not got.done:
            rng.expected = math.inf  # it held more than we thought: full batches from now on
        rng.expected -= read
        return not rng.done

    def prepare(self, pages: list[ListPage]) -> Rows:
        stream = self.stream
        typed: list[dict[str, Any]] = []
        raw: list[tuple[str, str]] = []
        bad: list[tuple[str, str, str | None, str]] = []
        hashes: list[int | None] = []
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
        return Rows(pa.Table.from_pylist(typed, schema=self.schema), raw, bad, len(pages), top, hashes)

    def take(self, rng: IdRange, got: BatchRead, rows: Rows) -> None:
        """Commit an answer of a range already advanced past it."""
        self.result.requests += 1
        rng.committed = got.last_id
        if rng.done:
            self.ranges.remove(rng)
        self.commit(rows, got.time)

    def commit(self, rows: Rows, answer_time: dict[str, Any]) -> None:
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
