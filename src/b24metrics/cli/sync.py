"""`sync` brings the warehouse up to date; `status` says where it stands."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

import typer

from b24metrics.cli import render
from b24metrics.cli.context import current_holder, progress, settings, writer_lock
from b24metrics.cli.render import out
from b24metrics.extract import STREAMS
from b24metrics.warehouse import last_runs, read_bookmarks, warehouse_of


def sync(
    full: bool = typer.Option(False, "--full", help="Read everything again, not only what changed."),
    entity: Optional[list[str]] = typer.Option(
        None, "--entity", "-e", help="Only these streams (repeatable): " + ", ".join(STREAMS) + ". A run of some "
        "streams (kind 'partial sync') leaves the data as old as the last full sync for the write-back quality gate.", metavar="STREAM"),
    since: Optional[datetime] = typer.Option(
        None, "--since", help="Read records modified since this date or time (portal records keep their own time "
        "zone; a value without one is UTC).", metavar="DATE"),
    sweep: bool = typer.Option(
        False, "--sweep", help="Then read all IDs (IDs only) to find records deleted on the portal."),
    wait: Optional[float] = typer.Option(
        None, "--wait", min=0, help="Seconds to wait while another sync or a daemon cycle writes the warehouse "
        "(default: warehouse.writer_wait, 0). Still busy after that: exit code 5, nothing done.", metavar="SECONDS"),
) -> None:
    """Bring the warehouse up to date: a full keyset pass the first time (or with --full),
    then only what changed. Each page commits with its bookmark: an interrupted sync resumes
    where it stopped. One writer at a time: while the daemon runs a cycle, this waits (--wait)
    or exits 5 naming the cycle."""
    from b24metrics import pipeline  # here, not above: `status` needs none of the sync's modules

    config = settings(calls_portal=True)
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    try:
        streams = pipeline.select_streams(entity)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--entity") from None
    command = "b24metrics sync" + (" --full" if full else "")
    with writer_lock(config.warehouse.path, command, wait=config.warehouse.writer_wait if wait is None else wait), \
            pipeline.open_client(config) as client, progress() as advance:
        report, kpis = pipeline.run_sync(client, pipeline.open_warehouse(config), config, streams, full=full,
                                         since=since, sweep_ids=sweep, progress=advance)
    out.print(render.sync_table(report.streams))
    for s in report.swept:
        out.print(f"{s.stream}: {s.portal_ids} IDs on the portal, {s.deleted} newly deleted, {s.revived} back again")
    out.print(f"{report.requests} requests, {report.rate_limited} refused by the rate limit (503), "
              f"{report.time_limited} by a method's time limit (429), {report.retries} retries, "
              f"{sum(r.quarantined for r in report.streams)} values quarantined, "
              f"{sum(r.unresolved for r in report.streams)} naming an unknown status or source, {report.seconds:.1f} s")
    out.print(f"KPI tables rebuilt in {sum(kpis.seconds.values()):.1f} s; {kpis.graded} leads graded")
    render.input_problems(kpis.problems)
    render.grading_notes(kpis.grading_stopped, kpis.one_grade)


def status() -> None:
    """Show where each stream stands (bookmarks) and the last runs. Reads only."""
    config = settings(calls_portal=False)
    warehouse = warehouse_of(config)
    made = False
    if warehouse.path.exists():
        # one open: beside a write-back each may wait for the writer's step
        with warehouse.connect(read_only=True) as con:
            made = warehouse.revision(con) is not None
            if made:
                marks = read_bookmarks(con)
                runs = last_runs(con, 10)
    if not made:
        out.print(f"No warehouse at {warehouse.path} yet: run `b24metrics sync`.")
        return
    out.print(render.streams_table(marks))
    out.print(render.runs_table(runs))
    holder = current_holder(config.warehouse.path)
    if holder is not None:
        out.print(f"Now: {holder.describe()}")
