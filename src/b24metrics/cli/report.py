"""`report` writes the HTML report; `export` copies the tables out for BI tools."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Optional

import typer

from b24metrics.cli import render
from b24metrics.cli.context import settings
from b24metrics.cli.render import out
from b24metrics.warehouse import warehouse_of


def report(
    period: Optional[str] = typer.Option(
        None, "--period", help="day, week (ISO), month, quarter or year (default: report.period, month).", metavar="PERIOD"),
    since: Optional[datetime] = typer.Option(
        None, "--since", help="First period shown (its start date; default: 12 months, 13 weeks, 31 days, "
                              "8 quarters or 5 years up to the last whole period).", metavar="DATE"),
    until: Optional[datetime] = typer.Option(
        None, "--until", help="Show periods that start before this date (default: up to the one under way).", metavar="DATE"),
    out_file: Optional[Path] = typer.Option(
        None, "--out", "-o", help="The HTML file (default: report.path, else b24metrics-report.html beside "
                                  "the warehouse).", metavar="FILE"),
    lang: Optional[str] = typer.Option(None, "--lang", help="ru or en: labels and number formats (default: "
                                                            "report.lang, ru).", metavar="LANG"),
) -> None:
    """Write the report: one HTML file with inline SVG charts that opens without a network.
    Headline figures against the previous period and a year before, leads by channel, grade
    mix, funnel and bottleneck, speed to lead, deal cycle, CPL/CAC/ROMI, plan vs actual,
    telephony, managers, CRM hygiene. Every figure comes from the KPI tables. Reads only."""
    # here, not above: the report's modules (its template engine among them) are this command's alone
    from b24metrics.report import report_path, write_report
    from b24metrics.report.fmt import LANGS
    from b24metrics.report.window import REPORT_PERIODS

    config = settings(calls_portal=False)
    period = period or config.report.period
    lang = lang or config.report.lang
    if period not in REPORT_PERIODS:
        raise typer.BadParameter(f"one of {', '.join(REPORT_PERIODS)}", param_hint="--period")
    if lang not in LANGS:
        raise typer.BadParameter(f"one of {', '.join(LANGS)}", param_hint="--lang")
    if since and until and since >= until:
        raise typer.BadParameter("--since must be before --until", param_hint="--since/--until")
    warehouse = warehouse_of(config)
    written = write_report(warehouse, config, out_file or report_path(config), period=period,
                           since=since.date() if since else None, until=until.date() if until else None, lang=lang)
    out.print(f"Report written: {written.path} ({written.bytes / 1024:.0f} KB in {written.seconds:.1f} s)",
              soft_wrap=True)
    for section, why in written.empty.items():
        out.print(f"  {section}: {why}", style="dim")


def export(
    out_dir: Path = typer.Option(..., "--out", "-o", help="Directory for the files (created if missing).", metavar="DIR"),
    fmt: str = typer.Option("parquet", "--format", help="csv or parquet.", metavar="FORMAT"),
    force: bool = typer.Option(False, "--force", help="Replace the files of an earlier export in --out."),
) -> None:
    """Write every KPI table and view and the normalized CRM tables (leads, deals, contacts,
    companies, activities, calls, users, statuses, deal_categories, lead and deal history, lead
    grades) as one file per table, for BI tools; never the raw payloads or our bookkeeping. Reads only."""
    from b24metrics.report import FORMATS as EXPORT_FORMATS
    from b24metrics.report import export as export_warehouse
    from b24metrics.report import is_export_file

    if fmt not in EXPORT_FORMATS:
        raise typer.BadParameter(f"one of {', '.join(EXPORT_FORMATS)}", param_hint="--format")
    if out_dir.exists() and not out_dir.is_dir():
        raise typer.BadParameter(f"{out_dir} is a file, not a directory", param_hint="--out")
    earlier = sorted(p.name for p in out_dir.glob(f"*.{fmt}") if is_export_file(p)) if out_dir.is_dir() else []
    if earlier and not force:
        shown = ", ".join(earlier[:3]) + (f" and {len(earlier) - 3} more" if len(earlier) > 3 else "")
        raise typer.BadParameter(f"{out_dir} holds files of an earlier export ({shown}); --force replaces them",
                                 param_hint="--out")
    config = settings(calls_portal=False)
    warehouse = warehouse_of(config)
    began = time.monotonic()
    files = export_warehouse(warehouse, out_dir, fmt, memory_limit=config.kpis.memory_limit)
    out.print(render.export_table(out_dir, files))
    out.print(f"{len(files)} tables as {fmt} in {time.monotonic() - began:.1f} s")
