"""Send the plan: 50 updates a batch, a few batches in flight, every value in the ledger.

Each value gets a ledger row marked 'sent' (committed) before its batch goes out, and its
outcome when the answer comes, in the same transaction that patches the record's stored payload
with the values the portal accepted. So after a crash (kill -9) the only values whose fate is
unknown are the rows still 'sent': the next write-back reads those records back from the portal
before it diffs (resolve_in_doubt), and a value is written at most twice.

One refused command never fails its batch (halt=0): the portal's reason goes to the ledger,
the value is tried again on the next write-back, and after `max_tries` refusals in a row it is
marked permanent and left alone until the KPI gives another value. A batch the portal did not
take (a 503 storm or a 429 that outlasted the client's retries) goes back in line.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import duckdb
import pyarrow as pa

from b24metrics import errors
from b24metrics.portal import BatchResponse, Jobs, PortalClient, Scheduler, Verdict
from b24metrics.warehouse import Warehouse, atomic
from b24metrics.warehouse.lease import READERS_CHECK, Lease
from b24metrics.writeback.fields import ENTITIES
from b24metrics.writeback.plan import same

log = logging.getLogger(__name__)

CHUNK = 2_000          # records read from wb_plan at a time


@dataclass(frozen=True)
class Change:
    entity: str
    entity_id: int
    field: str
    old: str | None
    new: str | None


@dataclass
class _Update:
    entity: str
    entity_id: int
    changes: list[Change]
    tries: dict[str, int]        # field -> rejections of its value so far


@dataclass
class PushReport:
    dry_run: bool = False
    checked: dict[str, int] = field(default_factory=dict)               # entity -> records with values
    planned: dict[tuple[str, str], int] = field(default_factory=dict)   # (entity, field) -> values to send
    permanent: dict[tuple[str, str], int] = field(default_factory=dict)  # (entity, field) -> not sent: refused for good
    sample: list[Change] = field(default_factory=list)                  # the first values to send
    ltv_mixed: int = 0            # companies without an LTV: won deals in currencies without a rate
    missing_tables: tuple[str, ...] = ()
    in_doubt: int = 0             # values left 'sent' by a run that died, read back from the portal
    in_doubt_applied: int = 0     # ... of which the portal held ours
    updates_sent: int = 0         # crm.*.update commands sent
    requests: int = 0             # batch requests answered
    applied: dict[tuple[str, str], int] = field(default_factory=dict)   # (entity, field) -> values applied
    rejected: dict[tuple[str, int], str] = field(default_factory=dict)  # (entity, id) -> the portal's reason
    made_permanent: int = 0       # values refused for the max_tries-th time in this run
    deferred: int = 0             # batches the portal did not take, sent again
    pruned: int = 0               # ledger rows past writeback.ledger_days removed (ledger.py)

    @property
    def values(self) -> int:
        return sum(self.planned.values())

    @property
    def applied_values(self) -> int:
        return sum(self.applied.values())


def _updates(con: duckdb.DuckDBPyConnection, first: int, last: int) -> list[_Update]:
    rows = con.execute(
        "SELECT entity, entity_id, field, old_value, new_value, tries FROM wb_plan "
        "WHERE rec_no BETWEEN ? AND ? ORDER BY rec_no, field",
        [first, last],
    ).fetchall()
    updates: list[_Update] = []
    for entity, entity_id, name, old, new, tries in rows:
        if not updates or (updates[-1].entity, updates[-1].entity_id) != (entity, entity_id):
            updates.append(_Update(entity, entity_id, [], {}))
        updates[-1].changes.append(Change(entity, entity_id, name, old, new))
        updates[-1].tries[name] = tries
    return updates


def sample(con: duckdb.DuckDBPyConnection, count: int = 20) -> list[Change]:
    rows = con.execute(
        "SELECT entity, entity_id, field, old_value, new_value FROM wb_plan ORDER BY rec_no, field LIMIT ?", [count]
    ).fetchall()
    return [Change(*row) for row in rows]


def _command(update: _Update) -> tuple[str, dict]:
    entity = ENTITIES[update.entity]
    return f"{entity.method}.update", {
        "id": update.entity_id,
        # "" clears a field whose KPI has no value any more
        "fields": {c.field: "" if c.new is None else c.new for c in update.changes},
        "params": dict(entity.update_params),
    }


def _key(update: _Update) -> str:
    return f"{update.entity[0]}{update.entity_id}"


_SENT = pa.schema([
    ("entry_id", pa.int64()), ("run_id", pa.int64()), ("entity", pa.string()), ("entity_id", pa.int64()),
    ("field", pa.string()), ("old_value", pa.string()), ("new_value", pa.string()),
])
_DONE = pa.schema([
    ("entry_id", pa.int64()), ("outcome", pa.string()), ("error", pa.string()), ("error_code", pa.string()),
    ("tries", pa.int32()),
])


def _record_sent(con: duckdb.DuckDBPyConnection, run_id: int | None, batch: list[_Update]) -> list[list[int]]:
    """Ledger rows 'sent' for every value of the batch, committed before it goes out."""
    count = sum(len(u.changes) for u in batch)
    with atomic(con):
        ids = [r[0] for r in con.execute(
            "SELECT nextval('seq_writeback_ledger') FROM range(?)", [count]).fetchall()]
        rows = []
        it = iter(ids)
        entry_ids: list[list[int]] = []
        for update in batch:
            mine = []
            for c in update.changes:
                entry_id = next(it)
                mine.append(entry_id)
                rows.append({"entry_id": entry_id, "run_id": run_id, "entity": c.entity, "entity_id": c.entity_id,
                             "field": c.field, "old_value": c.old, "new_value": c.new})
            entry_ids.append(mine)
        con.register("_wb_sent", pa.Table.from_pylist(rows, schema=_SENT))
        con.execute("INSERT INTO writeback_ledger (entry_id, run_id, entity, entity_id, field, old_value, new_value, "
                    "outcome, written_at) SELECT *, 'sent', now() FROM _wb_sent")
        con.unregister("_wb_sent")
    return entry_ids


def _record_outcomes(con: duckdb.DuckDBPyConnection, done: list[dict],
                     held: list[tuple[str, int, str, str | None]]) -> None:
    """Outcomes into the ledger and the values the portal now holds (entity, ID, field, value)
    into the stored payloads, together."""
    with atomic(con):
        con.register("_wb_done", pa.Table.from_pylist(done, schema=_DONE))
        con.execute("UPDATE writeback_ledger SET outcome = d.outcome, error = d.error, error_code = d.error_code, "
                    "tries = d.tries, answered_at = now() FROM _wb_done d WHERE writeback_ledger.entry_id = d.entry_id")
        con.unregister("_wb_done")
        patch_payloads(con, held)


def patch_payloads(con: duckdb.DuckDBPyConnection, values: list[tuple[str, int, str, str | None]]) -> None:
    """The portal holds these values now: until the next sync says otherwise, so do we."""
    merged: dict[tuple[str, int], dict[str, str | None]] = {}
    for entity, entity_id, name, value in values:
        merged.setdefault((entity, entity_id), {})[name] = value
    if not merged:
        return
    patches = pa.table({
        "entity": pa.array([e for e, _ in merged], pa.string()),
        "id": pa.array([str(i) for _, i in merged], pa.string()),
        "patch": pa.array([json.dumps(v, ensure_ascii=False) for v in merged.values()], pa.string()),
    })
    con.register("_wb_patches", patches)
    con.execute(
        "UPDATE raw_records SET payload = json_merge_patch(raw_records.payload, p.patch) "
        "FROM _wb_patches p WHERE raw_records.entity = p.entity AND raw_records.id = p.id"
    )
    con.unregister("_wb_patches")


def _batches(plan_file: Path, records: int, size: int) -> Iterator[list[_Update]]:
    # An in-memory DuckDB reads the plan: the warehouse file stays free between batches.
    con = duckdb.connect()
    try:
        con.execute(f"CREATE VIEW wb_plan AS SELECT * FROM read_parquet('{_sql_text(plan_file)}')")
        for first in range(1, records + 1, CHUNK):
            updates = _updates(con, first, min(records, first + CHUNK - 1))
            for start in range(0, len(updates), size):
                yield updates[start:start + size]
    finally:
        con.close()


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


def save_plan(con: duckdb.DuckDBPyConnection, directory: Path) -> Path:
    """wb_plan (a temp table of `con`) as a Parquet file in `directory`: the push reads it from
    there, so that it needs the warehouse only for the ledger, a short transaction at a time."""
    path = directory / "wb_plan.parquet"
    con.execute(f"COPY (SELECT * FROM wb_plan ORDER BY rec_no, field) TO '{_sql_text(path)}' (FORMAT parquet)")
    return path


def plan_directory() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="b24metrics-writeback-")


def push_plan(
    client: PortalClient,
    warehouse: Warehouse,
    report: PushReport,
    plan_file: Path,
    records: int,
    *,
    batch_size: int = 50,
    workers: int = 4,
    max_tries: int = 5,
    run_id: int | None = None,
) -> PushReport:
    """Send every record of the plan (save_plan's file); `workers` batch requests in flight, all
    through one client (one request bucket, one operating budget). The warehouse is held only
    while the ledger is written, and let go while the portal answers (warehouse/lease.py), so
    that `status` and `kpi` read beside a long write-back. On Ctrl-C or SIGTERM nothing new goes
    out, the answers under way are recorded, then the interrupt goes on."""
    lease = Lease(warehouse, hold_for=0.5)
    sender = _Sender(client, lease, report, max_tries=max_tries, run_id=run_id)
    # Interrupted: what is under way is answered and recorded, so it is not left in doubt.
    scheduler = Scheduler(sender, client.budget, workers=workers, thread_name="b24m-write", finish_on_interrupt=True)
    try:
        scheduler.run(source=(_Batch(updates) for updates in _batches(plan_file, records, batch_size)))
    finally:
        lease.release()
        if report.rejected:
            log.warning("%d updates refused by the portal (see writeback_ledger)", len(report.rejected))
    return report


@dataclass
class _Batch:
    updates: list[_Update]
    entry_ids: list[list[int]] = field(default_factory=list)  # its ledger rows, once recorded 'sent'


class _Sender(Jobs[_Batch, BatchResponse]):
    """Update batches: each value in the ledger as 'sent' before its batch goes out, its outcome
    when the answer comes. Updates the portal did not take go back in line, counted per run."""

    #: a wait this long for the portal lets the warehouse go (readers get it meanwhile); not
    #: much shorter: a batch is answered in about 0.5 s, and each release costs a checkpoint
    idle_after = 0.5
    #: ... and so does a reader that marks that it waits, as soon as the next check sees it
    idle_check = READERS_CHECK

    def __init__(self, client: PortalClient, lease: Lease, report: PushReport, *,
                 max_tries: int, run_id: int | None) -> None:
        self.client, self.lease, self.report = client, lease, report
        self.max_tries, self.run_id = max_tries, run_id

    def methods(self, batch: _Batch) -> set[str]:
        return {f"{ENTITIES[u.entity].method}.update" for u in batch.updates}

    def start(self, batch: _Batch) -> None:
        with self.lease.use() as con:
            batch.entry_ids = _record_sent(con, self.run_id, batch.updates)
        self.report.updates_sent += len(batch.updates)

    def idle(self) -> None:
        self.lease.release()

    def idle_now(self) -> bool:
        # no step is under way while the scheduler waits: the ledger is committed up to here
        return self.lease.readers_wait()

    def stored(self) -> None:
        self.lease.release_if_long()

    def _store(self, done: list[dict], held: list[tuple[str, int, str, str | None]]) -> Callable[[], None]:
        def store() -> None:
            with self.lease.use() as con:
                _record_outcomes(con, done, held)
        return store

    def send(self, batch: _Batch) -> BatchResponse:
        return self.client.batch(dict(zip(map(_key, batch.updates), map(_command, batch.updates))), halt=False)

    def settle(self, batch: _Batch, reply: BatchResponse | None, error: Exception | None) -> Verdict[_Batch]:
        if error is not None:
            store = self._store(_all(batch.updates, batch.entry_ids, "deferred", error), [])
            if isinstance(error, errors.RetryError):  # the portal did not take the batch
                return self._again(batch.updates, error, store)
            return Verdict(store, error=error)
        assert reply is not None
        report = self.report
        report.requests += 1
        done: list[dict] = []
        accepted: list[Change] = []
        again: list[_Update] = []
        refusals = [reply.errors.get(_key(u)) for u in batch.updates]
        # Every command refused alike by a stop-class error: the portal refuses the method (scope,
        # module off), not these records.
        method_refused = _refused_alike(refusals)
        for update, ids, err in zip(batch.updates, batch.entry_ids, refusals):
            if err is None:
                for change, entry_id in zip(update.changes, ids):
                    done.append({"entry_id": entry_id, "outcome": "applied", "error": None, "error_code": None,
                                 "tries": None})
                    accepted.append(change)
                    key = (change.entity, change.field)
                    report.applied[key] = report.applied.get(key, 0) + 1
            elif isinstance(err, errors.RetryError) or method_refused:
                done += _all([update], [ids], "deferred", err)
                again.append(update)
            else:
                report.rejected[(update.entity, update.entity_id)] = err.description
                for change, entry_id in zip(update.changes, ids):
                    tries = update.tries.get(change.field, 0) + 1
                    permanent = tries >= self.max_tries
                    report.made_permanent += permanent
                    done.append({"entry_id": entry_id, "outcome": "permanent" if permanent else "rejected",
                                 "error": err.description, "error_code": err.code or None, "tries": tries})
        store = self._store(done, [(c.entity, c.entity_id, c.field, c.new) for c in accepted])
        if method_refused:
            return Verdict(store, error=refusals[0])
        if again:
            return self._again(again, _first_retry(refusals), store)
        return Verdict(store)

    def _again(self, updates: list[_Update], error: errors.RetryError,
               store: Callable[[], None]) -> Verdict[_Batch]:
        self.report.deferred += 1
        return Verdict(store, again=_Batch(updates), refused=error, count="write-back")


def _all(batch: list[_Update], entry_ids: list[list[int]], outcome: str, exc: BaseException | None) -> list[dict]:
    text = str(exc)[:2000] if exc else None
    code = getattr(exc, "code", None) if exc else None
    return [{"entry_id": e, "outcome": outcome, "error": text, "error_code": code, "tries": None}
            for ids in entry_ids for e in ids]


def resolve_in_doubt(client: PortalClient, con: duckdb.DuckDBPyConnection, report: PushReport) -> None:
    """Values a dead run left 'sent': read those records back and believe the portal."""
    rows = con.execute(
        "SELECT entry_id, entity, entity_id, field, new_value FROM writeback_ledger WHERE outcome = 'sent' "
        "ORDER BY entity, entity_id"
    ).fetchall()
    if not rows:
        return
    report.in_doubt = len(rows)
    wanted: dict[str, dict[int, set[str]]] = {}
    for _, entity, entity_id, name, _ in rows:
        wanted.setdefault(entity, {}).setdefault(entity_id, set()).add(name)
    held: dict[tuple[str, int], dict] = {}
    commands = []
    for entity, records in wanted.items():
        ids = sorted(records)
        names = sorted({n for fields in records.values() for n in fields})
        for start in range(0, len(ids), 50):
            commands.append((entity, (f"{ENTITIES[entity].method}.list", {
                "filter": {"@ID": ids[start:start + 50]}, "select": ["ID", *names],
                "order": {"ID": "ASC"}, "start": -1})))
    for start in range(0, len(commands), 50):
        part = commands[start:start + 50]
        reply = client.batch({f"r{i}": command for i, (_, command) in enumerate(part)})
        for i, (entity, _) in enumerate(part):
            if f"r{i}" in reply.errors:
                raise reply.errors[f"r{i}"]
            for record in reply.results.get(f"r{i}") or []:
                held[(entity, int(record["ID"]))] = record
    done, seen = [], []
    for entry_id, entity, entity_id, name, new in rows:
        record = held.get((entity, entity_id))
        if record is None:
            done.append({"entry_id": entry_id, "outcome": "lost", "error": "record not found when read back",
                         "error_code": None, "tries": None})
            continue
        value = record.get(name)
        seen.append((entity, entity_id, name, None if value in (None, "") else str(value)))
        applied = same(value, new)
        report.in_doubt_applied += applied
        done.append({"entry_id": entry_id, "outcome": "applied" if applied else "lost",
                     "error": "read back after an interrupted run", "error_code": None, "tries": None})
    _record_outcomes(con, done, seen)  # tries and error_code stay NULL, as a 'sent' row has them
    log.warning("%d values were in doubt after an interrupted write-back: %d held by the portal, the rest "
                "sent again if still needed", report.in_doubt, report.in_doubt_applied)


def _refused_alike(refusals: list[errors.PortalError | None]) -> bool:
    """Every command of a batch refused by the same stop-class error."""
    kinds: set[tuple[type, str]] = set()
    for error in refusals:
        if not isinstance(error, errors.StopError):
            return False
        kinds.add((type(error), error.code))
    return len(kinds) == 1


def _first_retry(refusals: list[errors.PortalError | None]) -> errors.RetryError:
    for error in refusals:
        if isinstance(error, errors.RetryError):
            return error
    raise ValueError("no command of the batch was refused for now")
