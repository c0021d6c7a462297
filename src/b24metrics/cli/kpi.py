"""`kpi` shows any KPI of the catalogue (and refreshes the KPI tables); `explain` one record's numbers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

import typer

from b24metrics.cli import render
from b24metrics.cli.context import settings, writer_lock
from b24metrics.cli.render import out
from b24metrics.errors import NotSynced
from b24metrics.warehouse import Warehouse, missing_tables, open_warehouse, warehouse_of

if TYPE_CHECKING:
    import duckdb

    from b24metrics.kpis.headline import CohortConversion

KPI_FORMATS = ("table", "csv", "json")


def kpi(
    name: Optional[str] = typer.Argument(
        None, help="A KPI by name or code (leads_by_channel, M1, s1 ...); `list` lists them all and the lead "
                   "statuses that count as SAL and SQL. "
                   "Without it: rebuild the KPI tables and show the lead grade mix.", metavar="KPI"),
    period: str = typer.Option("month", "--period", help="day, week (ISO), month, quarter, year or all.", metavar="PERIOD"),
    by: Optional[str] = typer.Option(None, "--by", help="Cut by one dimension: channel, manager, pipeline ... "
                                                        "(`kpi list` shows what each KPI offers).", metavar="DIMENSION"),
    since: Optional[datetime] = typer.Option(None, "--since", help="First period to show (its start date).", metavar="DATE"),
    until: Optional[datetime] = typer.Option(None, "--until", help="Show periods that start before this date.", metavar="DATE"),
    fmt: str = typer.Option("table", "--format", help="table, csv or json.", metavar="FORMAT"),
    refresh: bool = typer.Option(False, "--refresh", help="Bring the KPI tables up to date first (sync does it too)."),
    full: bool = typer.Option(False, "--full", help="With --refresh (or without NAME): rebuild every KPI table, "
                                                    "not only the leads and deals synced since the last refresh."),
    model: Optional[str] = typer.Option(
        None, "--model", metavar="MODEL",
        help="Cohort KPIs (cohort_return, cohort_payback, ripeness_curve): 'first' credits a returning "
             "client's later deals to the channel that first brought the client, 'deal' each deal to its "
             "own lead or source. Default: kpis.attribution_model."),
) -> None:
    """Show any KPI of the catalogue by period and dimension, with the previous period and
    the same period a year before. Periods begin at midnight in the portal's time zone."""
    # here, not above: the catalogue is no concern of the other commands (`status` among them)
    from b24metrics.kpis import cut, find
    from b24metrics.kpis.families.attribution import MODELS, use_model

    if fmt not in KPI_FORMATS:
        raise typer.BadParameter(f"one of {', '.join(KPI_FORMATS)}", param_hint="--format")
    if model is not None and model not in MODELS:
        raise typer.BadParameter(f"one of {', '.join(MODELS)}", param_hint="--model")
    if name == "list":
        out.print(render.catalogue_table())
        for line in _lead_stages_used():
            out.print(line)
        return
    if since and until and since >= until:
        raise typer.BadParameter("--since must be before --until", param_hint="--since/--until")
    config = settings(calls_portal=False)
    # `kpi NAME` alone opens the file once, below (connect_current upgrades an older one first)
    warehouse = warehouse_of(config)
    if name is None or refresh:
        # here, not above: reading a KPI table needs neither the refresh nor the grading
        from b24metrics.grading import grades_by_source
        from b24metrics.kpis import refresh_kpis

        warehouse = open_warehouse(config)
        with writer_lock(config.warehouse.path, "b24metrics kpi --refresh", wait=config.warehouse.writer_wait):
            done = refresh_kpis(warehouse, config, full=full)
        if name is None:
            out.print(render.grades_table(grades_by_source(warehouse)))
            how = (f"rebuilt ({done.reason})" if done.full
                   else f"refreshed for {done.scope[0]} leads and {done.scope[1]} deals")
            out.print(f"{done.graded} leads graded; KPI tables {how} in {sum(done.seconds.values()):.1f} s "
                      f"(periods in {done.zone})")
            render.input_problems(done.problems)
            render.grading_notes(done.grading_stopped, done.one_grade)
            return
    with warehouse.connect_current() as con:
        try:
            chosen = find(name)
        except KeyError:
            raise typer.BadParameter(f"no KPI {name!r}; `b24metrics kpi list` lists them",
                                     param_hint="NAME") from None
        _require_kpi_table(con, warehouse, chosen.table)
        model = model or config.kpis.attribution_model    # the config now, not at the last refresh
        use_model(con, model)
        try:
            result = cut(con, chosen, period=period, by=by, since=since, until=until)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--period/--by") from None
        headline = (_headline_conversion(con, config, period, since, until)
                    if chosen.name == "lead_to_won" and fmt == "table" and by is None else None)
    render.print_cut(result, fmt)
    if headline is not None:
        out.print(render.cohort_conversion_line(headline, model))
    if chosen.family == "attribution" and fmt == "table":
        out.print(f"Cohort view, model {model!r} (--model first|deal); "
                  "projected_* are projections at the ripeness curve, the rest to date.")
        early = render.too_early_rows(result)
        if early:
            out.print(early)


def explain(
    entity: str = typer.Argument(..., help="lead or deal", metavar="ENTITY"),
    record_id: int = typer.Argument(..., help="its ID on the portal", metavar="ID"),
) -> None:
    """Show why a lead or deal has its numbers: what happened to it in words, its grade with
    every rule that fired, its KPI values, and the history, activities and deals they came
    from, all in portal time (kpis.timezone). Reads only."""
    if entity not in ("lead", "deal"):
        raise typer.BadParameter("lead or deal", param_hint="ENTITY")
    from b24metrics.kpis.explain import explain_deal, explain_lead

    config = settings(calls_portal=False)
    warehouse = warehouse_of(config)
    with warehouse.connect_current() as con:
        _require_kpi_table(con, warehouse, "kpi_leads")
        sections = (explain_lead if entity == "lead" else explain_deal)(con, record_id, config.kpis.timezone)
    if not sections:
        raise typer.BadParameter(f"no live {entity} {record_id} in {warehouse.path}: deleted, or not synced yet",
                                 param_hint="RECORD_ID")
    for section in sections:
        out.print(render.explain_table(section))


def _headline_conversion(con: duckdb.DuckDBPyConnection, config, period: str, since: datetime | None,
                         until: datetime | None) -> CohortConversion | None:
    """M4 as the report's headline card shows it: in the cohort view, of the cohort
    kpis/headline.py picks for the report's headline period (the last whole one up to --until)."""
    from b24metrics.kpis import cut, find
    from b24metrics.kpis.headline import cohort_conversion
    from b24metrics.report.build import local_window
    from b24metrics.report.window import REPORT_PERIODS

    if period not in REPORT_PERIODS:
        return None
    try:
        window, _ = local_window(con, config, period, since=since.date() if since else None,
                                 until=until.date() if until else None)
    except ValueError:
        return None
    total = cut(con, find("cohort_return"), period=period, since=window.since, until=window.until)
    return cohort_conversion(total, window.headline)


def _lead_stages_used() -> list[str]:
    """Which lead statuses M3 counts as accepted (SAL) and qualified (SQL): the portal's status
    names when a synced warehouse is there, else the configured IDs and the rule inferred."""
    from b24metrics.kpis.lead_stages import stages_used

    config = settings(calls_portal=False)
    warehouse = warehouse_of(config)
    if not warehouse.path.exists():
        return [used.text for used in stages_used(None, config.kpis.lead_stages)]
    with warehouse.connect(read_only=True) as con:
        return [used.text for used in stages_used(con, config.kpis.lead_stages)]


def _require_kpi_table(con: duckdb.DuckDBPyConnection, warehouse: Warehouse, table: str) -> None:
    if missing_tables(con, [table]):
        raise NotSynced(f"no KPI tables in {warehouse.path} yet: run `b24metrics sync` first "
                        "(or `b24metrics kpi --refresh`)")
