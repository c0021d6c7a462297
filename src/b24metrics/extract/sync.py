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

import logging
from datetime import datetime, timedelta
from functools import partial

from b24metrics.errors import RetryError
from b24metrics.extract.memory import release_memory
from b24metrics.extract.plan import plan_pass
from b24metrics.extract.references import check_references
from b24metrics.extract.stream_pass import IdRange, Progress, Rows, StreamPass, StreamResult
from b24metrics.extract.streams import STREAMS, Stream
from b24metrics.portal import BatchRead, Deferrals, Jobs, PortalClient, Scheduler, Verdict
from b24metrics.warehouse import Warehouse, read_bookmark

log = logging.getLogger(__name__)

WORKERS = 4

_Read = tuple[StreamPass, IdRange]


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
            passes.append(StreamPass(con, stream, mark, progress, parts=workers, deferrals=deferrals,
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
    stale = [s for s in streams if s.name in resumed and s.cursor == "modified"]
    if stale:
        results += sync_streams(client, warehouse, stale, overlap=overlap, progress=progress, workers=workers,
                                own_fields=own_fields)
    return results


class _RangeReads(Jobs[_Read, tuple[BatchRead, Rows]]):
    """The ranges of every pass, one request each time: read in workers, committed here.

    A range the portal refused after the client's retries keeps the rows that came before the
    refusal and goes back in line, counted against its stream."""

    def __init__(self, client: PortalClient) -> None:
        self.client = client
        self.finished: list[StreamResult] = []

    def methods(self, job: _Read) -> list[str]:
        return [job[0].stream.method]

    def send(self, job: _Read) -> tuple[BatchRead, Rows]:
        p, rng = job
        return p.read(self.client, rng)

    def settle(self, job: _Read, answer: tuple[BatchRead, Rows] | None,
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

    def _commit(self, p: StreamPass, rng: IdRange, got: BatchRead, rows: Rows) -> None:
        p.take(rng, got, rows)
        if not p.ranges:
            self.finished.append(p.finish())

    def stored(self) -> None:
        release_memory()


def sync_full(
    client: PortalClient, warehouse: Warehouse, stream: Stream, *, progress: Progress | None = None
) -> StreamResult:
    """A full pass of one stream (resuming an interrupted full pass)."""
    return sync_streams(client, warehouse, [stream], full=True, progress=progress)[0]
