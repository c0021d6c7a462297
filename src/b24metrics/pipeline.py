"""One cycle: extract -> load -> kpis -> writeback -> report, and the run record that tells about it."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from b24metrics.config import Settings, missing_message
from b24metrics.errors import B24MetricsError, ConfigError, Interrupted
from b24metrics.extract import STREAMS, Progress, Stream, StreamResult, SweepResult, sweep_deletes, sweepable, sync_streams
from b24metrics.kpis import KpiRefresh, refresh_kpis
from b24metrics.portal import PortalClient
from b24metrics.redact import redact
from b24metrics.report import report_path, write_report
# warehouse_of and open_warehouse live with the warehouse (the readers open it without this module)
from b24metrics.warehouse import (
    Warehouse,
    announce_step,
    finish_run,
    is_interrupt,
    mark_synced,
    open_warehouse,
    start_run,
    warehouse_of,
)
from b24metrics.writeback import FieldsReport, GateReport, PushReport, WritebackReport, write_back

log = logging.getLogger(__name__)


@dataclass
class CycleReport:
    run_id: int                 # its sync_runs row
    streams: list[StreamResult] = field(default_factory=list)
    swept: list[SweepResult] = field(default_factory=list)
    graded: int = 0
    fields: FieldsReport | None = None
    push: PushReport | None = None
    gate: GateReport | None = None  # gate.reasons: why nothing was written back
    requests: int = 0
    rate_limited: int = 0       # 503 answers
    time_limited: int = 0       # 429 answers (a method's execution-time budget)
    retries: int = 0
    seconds: float = 0.0
    report_file: Path | None = None  # the HTML report the cycle wrote (report_step)


def open_client(settings: Settings, *, stop: threading.Event | None = None) -> PortalClient:
    """`stop`: once set, no new request goes out (see PortalClient); the daemon sets it on SIGTERM."""
    p = settings.portal
    if p.webhook_url is None:  # load_settings(calls_portal=True) refuses this earlier, with the file named
        raise ConfigError(f"portal.webhook_url: {missing_message(('portal', 'webhook_url'))}")
    return PortalClient(
        p.webhook_url.get_secret_value(),
        rate=p.rate, burst=p.burst, timeout=p.timeout, max_retries=p.max_retries,
        operating_limit=p.operating_limit, give_up_after=p.give_up_after_seconds, stop=stop,
    )


def select_streams(names: Iterable[str] | None) -> list[Stream]:
    if not names:
        return list(STREAMS.values())
    unknown = [n for n in names if n not in STREAMS]
    if unknown:
        raise ValueError(f"unknown entity {', '.join(unknown)}; known: {', '.join(STREAMS)}")
    return [STREAMS[n] for n in STREAMS if n in set(names)]


def sync(
    client: PortalClient,
    warehouse: Warehouse,
    streams: list[Stream],
    settings: Settings,
    *,
    full: bool = False,
    since: datetime | None = None,
    progress: Progress | None = None,
) -> list[StreamResult]:
    """Full passes the first time (or when asked), incremental passes after that."""
    return sync_streams(
        client, warehouse, streams, full=full, since=since,
        overlap=timedelta(seconds=settings.sync.overlap_seconds), progress=progress, workers=settings.sync.workers,
        own_fields=settings.writeback.own_fields(),
    )


def sweep(client: PortalClient, warehouse: Warehouse, streams: list[Stream]) -> list[SweepResult]:
    """Find deletes: the IDs the portal still has, against the rows the warehouse holds."""
    announce_step(warehouse.path, "ID sweep")
    return [sweep_deletes(client, warehouse, s) for s in streams if sweepable(s)]


def sync_kind(streams: list[Stream]) -> str:
    """The run's kind: "sync" when it reads every stream, else "partial sync", which the
    write-back quality gate does not count as fresh data (the other streams are as old as before)."""
    return "sync" if {s.name for s in streams} >= set(STREAMS) else "partial sync"


def sync_and_refresh(
    client: PortalClient,
    warehouse: Warehouse,
    settings: Settings,
    report: CycleReport,
    streams: list[Stream],
    *,
    full: bool = False,
    since: datetime | None = None,
    sweep_ids: bool = False,
    progress: Progress | None = None,
) -> KpiRefresh:
    """Sync the streams (then sweep their IDs for deletes, if asked), rebuild the KPI tables, and
    mark the run's data ready for the write-back gate: only when it synced every stream. Inside
    the recorded run `report`: a failed step fails the run."""
    announce_step(warehouse.path, "sync")
    report.streams = sync(client, warehouse, streams, settings, full=full, since=since, progress=progress)
    if sweep_ids:
        report.swept = sweep(client, warehouse, streams)
    client.checkpoint()  # a stop asked for during the sync: no KPI refresh
    announce_step(warehouse.path, "KPI refresh")
    refreshed = refresh_kpis(warehouse, settings)
    report.graded = refreshed.graded
    if sync_kind(streams) == "sync":
        mark_synced(warehouse, report.run_id)
    return refreshed


def run_sync(
    client: PortalClient, warehouse: Warehouse, settings: Settings, streams: list[Stream], **options
) -> tuple[CycleReport, KpiRefresh]:
    """`b24metrics sync`: sync_and_refresh (`options` are its own) as a run of its kind, "sync"
    or "partial sync"."""
    with recorded_run(warehouse, client, sync_kind(streams)) as report:
        refreshed = sync_and_refresh(client, warehouse, settings, report, streams, **options)
    return report, refreshed


def writeback(
    client: PortalClient, warehouse: Warehouse, settings: Settings, *, dry_run: bool = False, run_id: int | None = None
) -> WritebackReport:
    """The quality gate, then the fields and only the values that differ (see writeback/)."""
    announce_step(warehouse.path, "write-back")
    return write_back(client, warehouse, settings, dry_run=dry_run, run_id=run_id)


@contextmanager
def recorded_run(warehouse: Warehouse, client: PortalClient, kind: str) -> Iterator[CycleReport]:
    """A sync_runs row that ends as ok, failed or interrupted, with rows and requests."""
    began, before = time.monotonic(), client.stats.copy()
    report = CycleReport(run_id=start_run(warehouse, kind))

    def close(status: str, error: str | None = None) -> None:
        spent = client.stats.since(before)
        report.requests, report.rate_limited = spent.requests, spent.rate_limited
        report.retries, report.time_limited = spent.retries, spent.time_limited
        report.seconds = time.monotonic() - began
        rows = sum(s.rows for s in report.streams)
        try:
            try:
                finish_run(warehouse, report.run_id, status=status, rows=rows, requests=report.requests, error=error)
            except (KeyboardInterrupt, Interrupted):  # Ctrl-C while the end was recorded: say that
                finish_run(warehouse, report.run_id, status="interrupted", rows=rows, requests=report.requests)
                raise
        except B24MetricsError as exc:  # the warehouse itself may be what failed
            log.error("could not record the end of run %s: %s", report.run_id, exc)

    try:
        yield report
    except (KeyboardInterrupt, Interrupted):
        close("interrupted")
        raise
    except Exception as exc:
        if is_interrupt(exc):  # Ctrl-C inside a DuckDB query outside Warehouse.connect
            close("interrupted")
            raise Interrupted("interrupted: the query under way was stopped and rolled back") from exc
        close("failed", redact(f"{type(exc).__name__}: {exc}")[:2000])
        raise
    close("ok")


def run_cycle(
    client: PortalClient, warehouse: Warehouse, settings: Settings, *, progress: Progress | None = None
) -> CycleReport:
    """Sync every stream, rebuild the KPI tables (grades included), write the grades back; record the run."""
    with recorded_run(warehouse, client, "cycle") as report:
        sync_and_refresh(client, warehouse, settings, report, list(STREAMS.values()), progress=progress)
        client.checkpoint()  # a stop asked for during the refresh: no write-back
        if settings.writeback.enabled:
            done = writeback(client, warehouse, settings, run_id=report.run_id)
            report.gate, report.fields, report.push = done.gate, done.fields, done.push
        client.checkpoint()
        report_step(warehouse, settings, report)
    return report


def report_step(warehouse: Warehouse, settings: Settings, report: CycleReport) -> None:
    """The last step of a cycle: the HTML report from the KPI tables just refreshed, at
    report.path. A report that cannot be written is logged, not fatal: the sync and the
    write-back it would describe have happened and stand."""
    if not settings.report.enabled:
        log.info("report step: off (report.enabled = false)")
        return
    try:
        written = write_report(warehouse, settings, report_path(settings), period=settings.report.period,
                               lang=settings.report.lang)
    except Exception as exc:  # noqa: BLE001 (a view of the data must not fail the cycle that made it)
        log.error("report step: no report written: %s", redact(f"{type(exc).__name__}: {exc}"),
                  exc_info=log.isEnabledFor(logging.DEBUG), extra={"event": "report_failed"})
        return
    report.report_file = written.path
    log.info("report written to %s (%d KB in %.2f s)", written.path, written.bytes // 1024, written.seconds,
             extra={"event": "report_written", "path": str(written.path), "bytes": written.bytes})
