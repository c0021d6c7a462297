"""One report: read the KPI cuts, build the sections, render, write the file in one step."""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import cast

import duckdb

from b24metrics.config import Settings
from b24metrics.errors import NotSynced
from b24metrics.kpis.catalogue import catalogue
from b24metrics.kpis.refresh import set_local_time
from b24metrics.report import attribution, lead_quality, marketing, sales
from b24metrics.report.fmt import Locale
from b24metrics.report.gather import Gather
from b24metrics.report.render import render
from b24metrics.report.text import text_for
from b24metrics.report.window import Window, make_window, shift, year_before
from b24metrics.warehouse import Warehouse, missing_tables

log = logging.getLogger(__name__)

#: the sections in the order a marketing head reads them: results, where leads come from and
#: how good they are, how they move through the funnel and how fast, which channel pays (the
#: cohort view), the cash view, plan, people, data
SECTIONS = [marketing.headline, marketing.channels, marketing.grades, lead_quality.engagement,
            lead_quality.grade_proof, marketing.funnel, marketing.rejections, marketing.speed,
            marketing.cycle, attribution.cohorts, sales.money, sales.plan, sales.telephony, sales.managers,
            sales.hygiene]


@dataclass
class ReportResult:
    path: Path
    bytes: int
    seconds: float
    sections: list[str]         # ids of the sections drawn
    empty: dict[str, str]       # id -> why a section has no chart


def report_path(settings: Settings) -> Path:
    """report.path, or b24metrics-report.html beside the warehouse file (a directory the
    service may write: the Docker image's working directory is the read-only config)."""
    return settings.report.path or settings.warehouse.path.parent / "b24metrics-report.html"


def kpi_tables() -> set[str]:
    return {k.table for k in catalogue().values()} | {t for k in catalogue().values() for t in k.tables}


def require_kpi_tables(con: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> None:
    missing = missing_tables(con, kpi_tables())
    if missing:
        raise NotSynced(f"no KPI tables in {warehouse.path} yet ({', '.join(missing[:3])}"
                        f"{' ...' if len(missing) > 3 else ''}): run `b24metrics sync` or `b24metrics kpi --refresh`")


def open_readable(warehouse: Warehouse) -> None:
    if not warehouse.path.exists():
        raise NotSynced(f"no warehouse at {warehouse.path} (warehouse.path): run `b24metrics sync` first")


def local_window(con: duckdb.DuckDBPyConnection, settings: Settings, period: str, *, since: date | None = None,
                 until: date | None = None, now: datetime | None = None) -> tuple[Window, str]:
    """The report's periods by `period` as of `now` (default: the clock) on the portal's wall
    clock, and its time zone: local_time() is defined on `con` for the sections' queries. The
    report and `kpi lead_to_won` (its headline card) take their window from here."""
    zone = set_local_time(con, settings.kpis.timezone)
    local_now = now or con.execute("SELECT local_time(now())").fetchall()[0][0]
    return replace(make_window(period, local_now.date(), since=since, until=until), now=local_now), zone


def write_report(warehouse: Warehouse, settings: Settings, out: Path, *, period: str = "month",
                 since: date | None = None, until: date | None = None, lang: str = "ru",
                 now: datetime | None = None) -> ReportResult:
    """The report over [since, until) by `period`, written to `out` whole or not at all.
    `now` (the portal's wall clock) fixes which periods have ended; default: the clock."""
    began = time.perf_counter()
    loc = Locale(lang)
    t = text_for(lang)
    open_readable(warehouse)
    with warehouse.connect(read_only=True) as con:
        require_kpi_tables(con, warehouse)
        # medians and quantiles over whole KPI tables: the refresh's room, not the sync's
        warehouse.set_memory_limit(con, "kpis.memory_limit", settings.kpis.memory_limit)
        window, zone = local_window(con, settings, period, since=since, until=until, now=now)
        local_now = cast(datetime, window.now)     # local_window always sets it
        g = Gather(con, settings, window, loc)
        sections = [build(g) for build in SECTIONS]
    first, last = window.periods[0], window.periods[-1]
    intro = t("window", first=loc.period(period, first), last=loc.period(period, last),
              kind=t(f"periods.{period}"), headline=loc.period(period, window.headline),
              prev=loc.period(period, shift(period, window.headline, -1)),
              yoy=loc.period(period, year_before(period, window.headline)))
    generated = t("generated", at=local_now.strftime("%d.%m.%Y %H:%M" if lang == "ru" else "%Y-%m-%d %H:%M"),
                  zone=zone)
    page = render(sections, window, loc, intro=intro, generated=generated)
    size = _write_atomically(out, page)
    seconds = time.perf_counter() - began
    empty = {s.id: s.note for s in sections if s.empty}
    log.debug("report written to %s: %d KB in %.2f s, %d of %d sections drawn", out, size // 1024, seconds,
             len(sections) - len(empty), len(sections))
    return ReportResult(out, size, seconds, [s.id for s in sections if not s.empty], empty)


def _write_atomically(out: Path, page: str) -> int:
    """A reader (a web server, a mail job) never sees half a report: write beside, then rename."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    data = page.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(data)
