"""The admin's door: `b24metrics demo | sync | kpi | fields | writeback | report | export | sandbox`."""

from __future__ import annotations

import csv
import json
import logging
import sys
import tempfile
import time
from datetime import datetime, timezone
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.progress import Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from b24metrics import __version__, errors, pipeline
from b24metrics.config import Settings, load_settings
from b24metrics.extract import STREAMS
from b24metrics.kpis import catalogue, cut, find, grades_by_source, refresh_kpis
from b24metrics.kpis.explain import explain_deal, explain_lead
from b24metrics.logsetup import setup_logging
from b24metrics.redact import redact
from b24metrics.report import FORMATS as EXPORT_FORMATS
from b24metrics.report import export as export_warehouse
from b24metrics.report import report_path, write_report
from b24metrics.report.fmt import LANGS
from b24metrics.report.window import REPORT_PERIODS
from b24metrics.warehouse import missing_tables, read_bookmarks
from b24metrics.writeback import ENTITIES, ensure_fields, field_specs
from b24metrics.warehouse import current_holder, writer_lock

EXIT_OK, EXIT_INTERNAL, EXIT_CONFIG, EXIT_STOP, EXIT_RETRY, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXIT_GATE = 6  # the write-back quality gate said no: nothing was written, the reasons are printed
EXIT_BUSY = 5  # another process writes the warehouse: nothing was done, and nothing is wrong

EPILOG = (
    "Exit codes: 0 done; 2 configuration missing or invalid; 3 the portal refused us (wrong "
    "webhook, no access) and a person must act; 4 a transient failure persisted (portal "
    "unavailable after retries): try again later; 5 the warehouse is busy (a sync or a daemon "
    "cycle is writing; the message names its pid and start time): nothing was done, run it "
    "again later or with --wait; 6 the write-back quality gate said no (the reasons are printed); 1 an internal error; 130 interrupted."
)

app = typer.Typer(
    help="Marketing and sales KPIs from a Bitrix24 CRM: sync into DuckDB, grade leads A–D, "
    "write the grades back into the CRM card.",
    epilog=EPILOG,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Piped output (logs, CI, cron mail) gets room for whole tables instead of the default 80 columns.
out = Console(width=None if sys.stdout.isatty() else 160)
log = logging.getLogger("b24metrics")


class _State:
    config: Optional[Path] = None
    log_level: Optional[str] = None


state = _State()


def _version(value: bool) -> None:
    if value:
        out.print(f"b24metrics {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    config: Optional[Path] = typer.Option(
        None, "--config", "-c", help="TOML config file (default: $B24M_CONFIG, then ./b24metrics.toml)."
    ),
    log_level: Optional[str] = typer.Option(None, "--log-level", help="DEBUG, INFO, WARNING or ERROR."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    state.config, state.log_level = config, log_level.upper() if log_level else None
    setup_logging(state.log_level or "INFO")


def _settings() -> Settings:
    settings = load_settings(state.config)
    setup_logging(state.log_level or settings.log_level)
    return settings


@contextmanager
def _progress(enabled: bool = True) -> Iterator:
    if not enabled:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description:<14}"), TextColumn("{task.completed:>10,.0f} rows"),
        TextColumn("{task.fields[requests]:>6} requests"), TextColumn("{task.fields[rate]:>8,.0f} rows/s"),
        TimeElapsedColumn(), console=Console(stderr=True), transient=False, disable=not sys.stderr.isatty(),
    )
    tasks: dict[str, int] = {}

    def advance(stream, rows: int, requests: int) -> None:
        if stream.name not in tasks:
            tasks[stream.name] = bar.add_task(stream.name, total=None, requests=0, rate=0.0)
        task_id = tasks[stream.name]
        bar.advance(task_id, rows)
        task = bar.tasks[task_id]
        bar.update(task_id, requests=requests, rate=task.completed / max(task.elapsed or 0.0, 1e-3))

    with bar:
        yield advance


# -- output -------------------------------------------------------------------------------


def _grades_table(rows: list[dict]) -> Table:
    table = Table(title="Lead grades by source")
    for name in ("source", "leads", "A", "B", "C", "D", "A+B %", "mean score"):
        table.add_column(name, justify="left" if name == "source" else "right")
    for r in rows:
        table.add_row(r["source"], str(r["leads"]), str(r["a"]), str(r["b"]), str(r["c"]), str(r["d"]),
                      f"{r['target_share_pct']:.1f}", f"{r['mean_score']:.1f}")
    return table


def _sync_table(results) -> Table:
    table = Table(title="Sync")
    for name in ("stream", "pass", "rows", "pages", "requests", "quarantined values"):
        table.add_column(name, justify="left" if name in ("stream", "pass") else "right")
    for r in results:
        table.add_row(r.stream, r.mode, str(r.rows), str(r.pages), str(r.requests), str(r.quarantined))
    return table


def _fields_table(fields, specs, dry_run: bool) -> Table:
    table = Table(title="Custom fields" + (" (dry run)" if dry_run else ""))
    for name in ("entity", "field", "type", "label (ru / en)", "status"):
        table.add_column(name, overflow="fold")
    status = {id(s): "exists, reused" for s in fields.existing}
    status.update({id(s): "created" for s in fields.created})
    status.update({id(s): "would be created" for s in fields.planned})
    status.update({id(s): f"[red]exists as {kind}: not touched, its values not written[/red]"
                   for s, kind in fields.wrong_type})
    for s in specs:
        table.add_row(s.entity, s.name, s.user_type, f"{s.label_ru} / {s.label_en}", status.get(id(s), ""))
    return table


def _writeback_summary(gate, fields, push) -> None:
    dry = push is not None and push.dry_run
    if gate is not None:
        for check in gate.checks:
            out.print(f"quality gate: {check}", style="dim")
        for reason in gate.reasons:
            out.print(f"[red]Write-back {'would be ' if dry else ''}blocked:[/red] {reason}")
        if gate.reasons and not dry:
            return
    if fields is not None:
        for spec in fields.created:
            out.print(f"Created {spec.entity} field {spec.name} ({spec.user_type})")
        for spec in fields.planned:
            out.print(f"Would create {spec.entity} field {spec.name} ({spec.user_type})")
        for spec, kind in fields.wrong_type:
            out.print(f"[red]{spec.entity} field {spec.name} exists as {kind}, not {spec.user_type}: "
                      f"not touched, not written[/red]")
    if push is None:
        return
    if push.in_doubt:
        out.print(f"{push.in_doubt} values were in doubt after an interrupted write-back: read back from the "
                  f"portal, {push.in_doubt_applied} were there already")
    if push.missing_tables:
        out.print(f"No KPI tables yet ({', '.join(push.missing_tables)}): run `b24metrics sync` first.")
    table = Table(title=f"Write-back ({'dry run' if dry else 'done'})")
    for name in ("entity", "field", "to change" if dry else "changed", "refused", "refused for good, not sent"):
        table.add_column(name, justify="left" if name in ("entity", "field") else "right")
    refused: dict[tuple[str, str], int] = {}
    keys = sorted(set(push.planned) | set(push.applied) | set(push.permanent))
    for entity, name in keys:
        done = push.planned.get((entity, name), 0) if dry else push.applied.get((entity, name), 0)
        refused[(entity, name)] = push.planned.get((entity, name), 0) - done if not dry else 0
        table.add_row(entity, name, str(done), "" if dry else str(refused[(entity, name)]),
                      str(push.permanent.get((entity, name), 0)))
    out.print(table)
    checked = ", ".join(f"{n} {ENTITIES[e].plural}" for e, n in push.checked.items()) or "no records"
    if dry:
        out.print(f"Would write {push.values} values; checked {checked}")
    else:
        out.print(f"Wrote {push.applied_values} of {push.values} values ({push.updates_sent} updates in "
                  f"{push.requests} batch requests); checked {checked}; {len(push.rejected)} records refused"
                  + (f", {push.made_permanent} values now refused for good" if push.made_permanent else ""))
        for (entity, entity_id), reason in list(push.rejected.items())[:5]:
            out.print(f"  {entity} {entity_id}: {reason}", style="yellow")
    if push.ltv_mixed:
        out.print(f"{push.ltv_mixed} companies bought in several currencies with no rate between them: their LTV "
                  "stays empty (set kpis.base_currency and kpis.currency_rates)", style="yellow")
    if dry and push.sample:
        first = Table(title="First changes")
        for name in ("entity", "ID", "field", "portal has", "new value"):
            first.add_column(name, overflow="fold")
        for c in push.sample:
            first.add_row(c.entity, str(c.entity_id), c.field, "" if c.old is None else c.old,
                          "(empty)" if c.new is None else c.new)
        out.print(first)


def _cards(portal, names, count: int = 5) -> Table:
    """What a manager now sees in a few lead cards, read back from the portal itself."""
    table = Table(title="In the CRM card now (read back from the portal)")
    for name in ("lead", "title", "grade", "score", "why"):
        table.add_column(name, overflow="fold")
    with portal.state.lock:
        leads = [portal.state.leads[i] for i in sorted(portal.state.leads)[:count]]
    for lead in leads:
        table.add_row(str(lead["ID"]), str(lead.get("TITLE") or ""), str(lead.get(names.grade) or ""),
                      str(lead.get(names.score) or ""), str(lead.get(names.factors) or ""))
    return table


# -- commands -----------------------------------------------------------------------------


@app.command()
def demo(
    directory: Optional[Path] = typer.Option(None, "--dir", help="Where to put the DuckDB file (default: a temp dir)."),
    leads: int = typer.Option(500, "--leads", min=0, help="Leads on the sandbox portal."),
    seed: int = typer.Option(42, "--seed", help="Seed of the sandbox data (same seed, same portal)."),
) -> None:
    """Run the whole cycle on a sandbox portal started in-process: sync, grade, write back,
    then write the HTML report and print its path."""
    from b24metrics.sandbox import SandboxPortal
    from b24metrics.sandbox.datetimes import ANCHOR as SANDBOX_ANCHOR
    from b24metrics.sandbox.inputs import write_inputs

    workdir = directory or Path(tempfile.mkdtemp(prefix="b24metrics-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    with SandboxPortal(seed=seed, leads=leads) as portal:
        settings = load_settings(
            state.config, read_file=False,
            portal={"webhook_url": portal.webhook_url},
            warehouse={"path": str(workdir / "b24metrics.duckdb")},
            # spend, plan and tracking numbers made up for the sandbox, so that every report
            # section has something to show; the report is written once, after both cycles
            kpis=write_inputs(workdir / "inputs", seed=seed, leads=leads),
            report={"enabled": False, "path": str(workdir / "b24metrics-report.html")},
        )
        setup_logging(state.log_level or settings.log_level)
        out.print(f"Sandbox portal on {redact(portal.webhook_url)} ({leads} leads, seed {seed})")
        warehouse = pipeline.open_warehouse(settings)
        with pipeline.open_client(settings) as client:
            with _progress() as progress:
                report = pipeline.run_cycle(client, warehouse, settings, progress=progress)
            # A second cycle with nothing changed on the portal: the diff must send nothing.
            again = pipeline.run_cycle(client, warehouse, settings)
        cards = _cards(portal, settings.writeback.lead_fields)
    out.print(_sync_table(report.streams))
    out.print(_grades_table(grades_by_source(warehouse)))
    _writeback_summary(report.gate, report.fields, report.push)
    out.print(cards)
    out.print(
        f"Cycle took {report.seconds:.1f} s and {report.requests} HTTP requests "
        f"({report.rate_limited} refused by the rate limit)."
    )
    out.print(
        f"Second cycle, nothing changed on the portal: {again.push.applied_values} values written, "
        f"{again.push.requests} update requests, {again.requests} HTTP requests in all."
    )
    out.print(f"Warehouse: {warehouse.path}", soft_wrap=True)
    # The sandbox's data ends at its anchor: the report covers the twelve months before it.
    written = write_report(warehouse, settings, report_path(settings), until=SANDBOX_ANCHOR.date(),
                           period=settings.report.period, lang=settings.report.lang)
    out.print(f"Report: {written.path}", soft_wrap=True)


@app.command()
def sync(
    full: bool = typer.Option(False, "--full", help="Read everything again, not only what changed."),
    entity: Optional[list[str]] = typer.Option(None, "--entity", "-e", help="Only these streams (repeatable): " + ", ".join(STREAMS) + ". A run of some streams (kind 'partial sync') leaves the data as old as the last full sync for the write-back quality gate."),
    since: Optional[datetime] = typer.Option(None, "--since", help="Read records modified since this date or time (portal records keep their own time zone; a value without one is UTC)."),
    sweep: bool = typer.Option(False, "--sweep", help="Then read all IDs (IDs only) to find records deleted on the portal."),
    wait: Optional[float] = typer.Option(
        None, "--wait", min=0, help="Seconds to wait while another sync or a daemon cycle writes the warehouse "
        "(default: warehouse.writer_wait, 0). Still busy after that: exit code 5, nothing done."),
) -> None:
    """Bring the warehouse up to date: a full keyset pass the first time (or with --full),
    then only what changed. Each page commits with its bookmark: an interrupted sync resumes
    where it stopped. One writer at a time: while the daemon runs a cycle, this waits (--wait)
    or exits 5 naming the cycle."""
    settings = _settings()
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    try:
        streams = pipeline.select_streams(entity)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--entity") from None
    command = "b24metrics sync" + (" --full" if full else "")
    with writer_lock(settings.warehouse.path, command, wait=settings.warehouse.writer_wait if wait is None else wait), \
            pipeline.open_client(settings) as client, _progress() as progress:
        report, kpis = pipeline.run_sync(client, pipeline.open_warehouse(settings), settings, streams, full=full,
                                         since=since, sweep_ids=sweep, progress=progress)
    out.print(_sync_table(report.streams))
    for s in report.swept:
        out.print(f"{s.stream}: {s.portal_ids} IDs on the portal, {s.deleted} newly deleted, {s.revived} back again")
    out.print(f"{report.requests} requests, {report.rate_limited} refused by the rate limit (503), "
              f"{report.time_limited} by a method's time limit (429), {report.retries} retries, "
              f"{sum(r.quarantined for r in report.streams)} values quarantined, "
              f"{sum(r.unresolved for r in report.streams)} naming an unknown status or source, {report.seconds:.1f} s")
    out.print(f"KPI tables rebuilt in {sum(kpis.seconds.values()):.1f} s; {kpis.graded} leads graded")
    _input_problems(kpis.problems)


@app.command()
def status() -> None:
    """Show where each stream stands (bookmarks) and the last runs. Reads only."""
    settings = _settings()
    warehouse = pipeline.warehouse_of(settings)
    if warehouse.revision() is None:
        out.print(f"No warehouse at {warehouse.path} yet: run `b24metrics sync`.")
        return
    with warehouse.connect(read_only=True) as con:
        marks = read_bookmarks(con)
        runs = con.execute(
            "SELECT run_id, kind, status, started_at, finished_at, rows_loaded, requests, error "
            "FROM sync_runs ORDER BY run_id DESC LIMIT 10"
        ).fetchall()
    table = Table(title="Streams (times in UTC)")
    for name in ("stream", "pass", "done", "cursor ID", "rows", "changes since", "updated"):
        table.add_column(name, no_wrap=True)
    for stream, mode, complete, cursor, rows, since, updated in marks:
        table.add_row(stream, mode or "full", "yes" if complete else "no", str(cursor or ""),
                      str(rows), _when(since), _when(updated))
    out.print(table)
    runs_table = Table(title="Last runs (times in UTC)")
    for name in ("run", "kind", "status", "started", "finished", "rows", "requests", "error"):
        runs_table.add_column(name, overflow="fold")
    for run_id, kind, state_, started, finished, rows, requests, error in runs:
        runs_table.add_row(str(run_id), kind, state_, _when(started), _when(finished), str(rows or 0),
                           str(requests or 0), error or "")
    out.print(runs_table)
    holder = current_holder(settings.warehouse.path)
    if holder is not None:
        out.print(f"Now: {holder.describe()}")


def _when(moment) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M") if moment else ""


KPI_FORMATS = ("table", "csv", "json")


@app.command()
def kpi(
    name: Optional[str] = typer.Argument(
        None, help="A KPI by name or code (leads_by_channel, M1, s1 ...); `list` lists them all. "
                   "Without it: rebuild the KPI tables and show the lead grade mix."),
    period: str = typer.Option("month", "--period", help="day, week (ISO), month, quarter, year or all."),
    by: Optional[str] = typer.Option(None, "--by", help="Cut by one dimension: channel, manager, pipeline ... "
                                                        "(`kpi list` shows what each KPI offers)."),
    since: Optional[datetime] = typer.Option(None, "--since", help="First period to show (its start date)."),
    until: Optional[datetime] = typer.Option(None, "--until", help="Show periods that start before this date."),
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
    refresh: bool = typer.Option(False, "--refresh", help="Bring the KPI tables up to date first (sync does it too)."),
    full: bool = typer.Option(False, "--full", help="With --refresh (or without NAME): rebuild every KPI table, "
                                                    "not only the leads and deals synced since the last refresh."),
) -> None:
    """Show any KPI of the catalogue by period and dimension, with the previous period and
    the same period a year before. Periods begin at midnight in the portal's time zone."""
    if fmt not in KPI_FORMATS:
        raise typer.BadParameter(f"one of {', '.join(KPI_FORMATS)}", param_hint="--format")
    if name == "list":
        out.print(_catalogue_table())
        return
    settings = _settings()
    warehouse = pipeline.open_warehouse(settings)
    if name is None or refresh:
        with writer_lock(settings.warehouse.path, "b24metrics kpi --refresh", wait=settings.warehouse.writer_wait):
            done = refresh_kpis(warehouse, settings, full=full)
        if name is None:
            out.print(_grades_table(grades_by_source(warehouse)))
            how = (f"rebuilt ({done.reason})" if done.full
                   else f"refreshed for {done.scope[0]} leads and {done.scope[1]} deals")
            out.print(f"{done.graded} leads graded; KPI tables {how} in {sum(done.seconds.values()):.1f} s "
                      f"(periods in {done.zone})")
            _input_problems(done.problems)
            return
    try:
        chosen = find(name)
    except KeyError:
        raise typer.BadParameter(f"no KPI {name!r}; `b24metrics kpi list` lists them", param_hint="NAME") from None
    with warehouse.connect(read_only=True) as con:
        _require_kpi_table(con, chosen.table)
        try:
            result = cut(con, chosen, period=period, by=by, since=since, until=until)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--period/--by") from None
    _print_cut(result, fmt)


@app.command()
def explain(
    entity: str = typer.Argument(..., help="lead or deal"),
    record_id: int = typer.Argument(..., help="its ID on the portal"),
) -> None:
    """Show why a lead or deal has its numbers: its grade with every rule that fired, its KPI
    values, and the history, activities and deals they came from. Reads only."""
    if entity not in ("lead", "deal"):
        raise typer.BadParameter("lead or deal", param_hint="ENTITY")
    settings = _settings()
    warehouse = pipeline.open_warehouse(settings)
    with warehouse.connect(read_only=True) as con:
        _require_kpi_table(con, "kpi_leads")
        sections = (explain_lead if entity == "lead" else explain_deal)(con, record_id)
    if not sections:
        out.print(f"No live {entity} {record_id} in the warehouse (deleted, or not synced yet).")
        raise typer.Exit(1)
    for section in sections:
        if len(section.rows) == 1 and section.rows[0] and len(section.rows[0]) > 6:
            table = Table(title=section.title, show_header=False)
            table.add_column("field", style="bold")
            table.add_column("value", overflow="fold")
            for key, value in section.rows[0].items():
                table.add_row(key, _cell(value))
        else:
            table = Table(title=section.title)
            for column in (section.rows[0] if section.rows else {"(none)": None}):
                table.add_column(column, overflow="fold")
            for row in section.rows:
                table.add_row(*[_cell(v) for v in row.values()])
        out.print(table)


def _require_kpi_table(con, table: str) -> None:
    if missing_tables(con, [table]):
        out.print("No KPI tables yet: run `b24metrics sync` or `b24metrics kpi --refresh`.")
        raise typer.Exit(1)


def _input_problems(problems: list[str]) -> None:
    for problem in problems[:20]:
        out.print(f"input skipped: {problem}", style="yellow")
    if len(problems) > 20:
        out.print(f"... and {len(problems) - 20} more bad input rows", style="yellow")


def _catalogue_table() -> Table:
    table = Table(title="KPI catalogue")
    for column in ("code", "name", "what it counts", "cut by"):
        table.add_column(column, overflow="fold")
    for k in catalogue().values():
        table.add_row(k.code, k.name, k.definition, ", ".join(k.dims) or "-")
    return table


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}".replace(",", " ").rstrip("0").rstrip(".")
    return str(value)


def _print_cut(result, fmt: str) -> None:
    rows = result.rows
    if result.note:
        out.print(result.note)
        return
    if fmt == "json":
        print(json.dumps(rows, ensure_ascii=False, default=str, indent=1))
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(result.columns)
        writer.writerows([[("" if v is None else v) for v in row.values()] for row in rows])
        return
    kpi = result.kpi
    table = Table(title=f"{kpi.code} {kpi.title}: {kpi.definition}")
    keys = [c for c in result.columns if not c.endswith(("_prev", "_yoy"))]
    main = kpi.main.name
    for column in keys + [f"{main} prev", f"{main} year before"]:
        table.add_column(column, justify="left" if column in ("period", result.by, "currency") else "right")
    for row in rows:
        table.add_row(*[_cell(row[c]) for c in keys], _cell(row.get(f"{main}_prev")), _cell(row.get(f"{main}_yoy")))
    out.print(table if rows else "No rows in this range.")


fields_app = typer.Typer(help="The custom fields the KPIs are written into.", no_args_is_help=True)
app.add_typer(fields_app, name="fields")


@fields_app.command("setup")
def fields_setup(
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be created; create nothing."),
) -> None:
    """Create the custom fields of the [writeback] mapping on leads, deals and companies where
    they are missing, labelled in Russian and English. A field of that name is reused; one of
    another type is reported and left alone (exit code 3: a person must decide)."""
    settings = _settings()
    specs = field_specs(settings.writeback)
    # A field created anew holds no values: the stored payloads forget the old field's.
    stored = settings.warehouse.path.exists() and not dry_run
    with (writer_lock(settings.warehouse.path, "b24metrics fields setup", wait=settings.warehouse.writer_wait)
          if stored else nullcontext()), pipeline.open_client(settings) as client:
        report = ensure_fields(client, pipeline.open_warehouse(settings) if stored else None, specs, dry_run=dry_run)
    out.print(_fields_table(report, specs, dry_run))
    if report.wrong_type:
        raise typer.Exit(EXIT_STOP)


@app.command()
def writeback(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would change (values per entity and field, the first changes); "
        "write nothing, to the portal or the warehouse."),
) -> None:
    """Write the KPIs into the lead, deal and company fields (creating missing fields): only the
    values that differ from what the portal holds, 50 updates a batch, every value in
    writeback_ledger. Not after a failed or stale sync, nor while a configured hygiene check
    fails: then exit code 6 and the reason."""
    settings = _settings()
    if dry_run:
        with pipeline.open_client(settings) as client:
            # open_warehouse only reads a file already at the newest schema
            report = pipeline.writeback(client, pipeline.open_warehouse(settings), settings, dry_run=True)
    else:
        with writer_lock(settings.warehouse.path, "b24metrics writeback", wait=settings.warehouse.writer_wait), \
                pipeline.open_client(settings) as client:
            warehouse = pipeline.open_warehouse(settings)
            with pipeline.recorded_run(warehouse, client, "writeback") as run:
                report = pipeline.writeback(client, warehouse, settings, run_id=run.run_id)
    _writeback_summary(report.gate, report.fields, report.push)
    if report.blocked and not dry_run:
        raise typer.Exit(EXIT_GATE)


@app.command()
def report(
    period: Optional[str] = typer.Option(
        None, "--period", help="day, week (ISO), month, quarter or year (default: report.period, month)."),
    since: Optional[datetime] = typer.Option(
        None, "--since", help="First period shown (its start date; default: 12 months, 13 weeks, 31 days, "
                              "8 quarters or 5 years up to the last whole period)."),
    until: Optional[datetime] = typer.Option(
        None, "--until", help="Show periods that start before this date (default: up to the one under way)."),
    out_file: Optional[Path] = typer.Option(
        None, "--out", "-o", help="The HTML file (default: report.path, else b24metrics-report.html beside "
                                  "the warehouse)."),
    lang: Optional[str] = typer.Option(None, "--lang", help="ru or en: labels and number formats (default: "
                                                            "report.lang, ru)."),
) -> None:
    """Write the report: one HTML file with inline SVG charts that opens without a network.
    Headline figures against the previous period and a year before, leads by channel, grade
    mix, funnel and bottleneck, speed to lead, deal cycle, CPL/CAC/ROMI, plan vs actual,
    telephony, managers, CRM hygiene. Every figure comes from the KPI tables. Reads only."""
    settings = _settings()
    period = period or settings.report.period
    lang = lang or settings.report.lang
    if period not in REPORT_PERIODS:
        raise typer.BadParameter(f"one of {', '.join(REPORT_PERIODS)}", param_hint="--period")
    if lang not in LANGS:
        raise typer.BadParameter(f"one of {', '.join(LANGS)}", param_hint="--lang")
    if since and until and since >= until:
        raise typer.BadParameter("--since must be before --until", param_hint="--since/--until")
    warehouse = pipeline.warehouse_of(settings)
    written = write_report(warehouse, settings, out_file or report_path(settings), period=period,
                           since=since.date() if since else None, until=until.date() if until else None, lang=lang)
    out.print(f"Report written: {written.path} ({written.bytes / 1024:.0f} KB in {written.seconds:.1f} s)",
              soft_wrap=True)
    for section, why in written.empty.items():
        out.print(f"  {section}: {why}", style="dim")


@app.command("export")
def export_command(
    out_dir: Path = typer.Option(..., "--out", "-o", help="Directory for the files (created if missing)."),
    fmt: str = typer.Option("parquet", "--format", help="csv or parquet."),
) -> None:
    """Write every KPI table and view and the normalized CRM tables (leads, deals, contacts,
    companies, activities, calls, users, statuses, deal_categories, lead and deal history, lead
    grades) as one file per table, for BI tools; never the raw payloads or our bookkeeping. Reads only."""
    if fmt not in EXPORT_FORMATS:
        raise typer.BadParameter(f"one of {', '.join(EXPORT_FORMATS)}", param_hint="--format")
    settings = _settings()
    warehouse = pipeline.warehouse_of(settings)
    began = time.monotonic()
    files = export_warehouse(warehouse, out_dir, fmt, memory_limit=settings.kpis.memory_limit)
    table = Table(title=f"Exported to {out_dir}")
    for column in ("table", "rows", "file"):
        table.add_column(column, justify="right" if column == "rows" else "left", overflow="fold")
    for item in files:
        table.add_row(item.table, str(item.rows), item.path.name)
    out.print(table)
    out.print(f"{len(files)} tables as {fmt} in {time.monotonic() - began:.1f} s")


@app.command()
def run() -> None:
    """Run as a service: a cycle (sync, KPIs, write-back, report) every daemon.interval_seconds,
    one at a time (a cycle that comes due during another runs once after it), the ID sweep for
    deletes nightly at daemon.sweep_at, /healthz and Prometheus /metrics on daemon.host:port.
    Logs JSON lines unless stderr is a terminal. SIGTERM or Ctrl-C lets the page or batch under
    way finish and commit, then exits 0."""
    from b24metrics.daemon import run_daemon

    settings = _settings()
    setup_logging(state.log_level or settings.log_level, settings.daemon.log_format)
    raise typer.Exit(run_daemon(settings))


@app.command()
def sandbox(
    port: int = typer.Option(0, "--port", help="Port on 127.0.0.1 (0: any free port)."),
    seed: int = typer.Option(42, "--seed", help="Seed of the generated data."),
    leads: int = typer.Option(500, "--leads", min=0, help="Number of leads."),
    token: Optional[str] = typer.Option(None, "--token", help="Webhook secret (default: random)."),
    rate: float = typer.Option(2.0, "--rate", help="Requests per second the bucket drains."),
    burst: int = typer.Option(50, "--burst", help="Requests the bucket holds."),
) -> None:
    """Serve a sandbox Bitrix24 portal on 127.0.0.1 until Ctrl-C; prints the webhook URL."""
    from b24metrics.sandbox import SandboxPortal

    portal = SandboxPortal(seed=seed, leads=leads, token=token, port=port, rate=rate, burst=burst).start()
    # The one place a webhook URL is printed whole: it is a throwaway secret of our own portal,
    # and printing it is the point of this command.
    print(portal.webhook_url, flush=True)
    out.print(f"Sandbox portal with {leads} leads (seed {seed}); Ctrl-C stops it.", style="dim")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        portal.stop()


def main() -> None:
    try:
        # Outside standalone mode click returns a typer.Exit's code instead of raising it.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except errors.ConfigError as exc:
        _fail(EXIT_CONFIG, str(exc))
    except errors.StopError as exc:
        _fail(EXIT_STOP, str(exc))
    except errors.WarehouseBusy as exc:
        _fail(EXIT_BUSY, str(exc))
    except errors.RetryError as exc:
        _fail(EXIT_RETRY, f"{exc} (transient; try again later)")
    except (KeyboardInterrupt, typer.Abort, errors.Interrupted):
        _fail(EXIT_INTERRUPTED, "interrupted")
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except typer.TyperException as exc:  # a bad option or argument: click's usage error, exit 2
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:  # the last net: one redacted line, the traceback only for DEBUG
        log.debug("internal error", exc_info=True)
        _fail(EXIT_INTERNAL, f"internal error: {type(exc).__name__}: {exc}")


def _fail(code: int, message: str) -> None:
    Console(stderr=True).print(Text("error: ", style="bold red") + Text(redact(message)), highlight=False, soft_wrap=True)
    sys.exit(code)
