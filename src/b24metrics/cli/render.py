"""What the commands print: the Rich tables and the lines around them. No command logic here."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from b24metrics.kpis.families.attribution import MIN_EXPECTED_WINS, TOO_EARLY_FLAGS, TOO_EARLY_TEXT
from b24metrics.kpis.headline import INPUT_MISSING, MIN_COMPARED_LEADS, NONE, PROJECTED, RIPE, TO_DATE, TOO_EARLY
from b24metrics.redact import redact

if TYPE_CHECKING:  # what the tables show; their modules are imported by the commands that make them
    from b24metrics.config import LeadFields
    from b24metrics.doctor import Check
    from b24metrics.extract import StreamResult
    from b24metrics.kpis import Cut
    from b24metrics.kpis.explain import Section
    from b24metrics.kpis.headline import CohortConversion
    from b24metrics.report import Exported
    from b24metrics.warehouse import Run
    from b24metrics.writeback import FieldSpec, FieldsReport, GateReport, PushReport

# Piped output (logs, CI, cron mail) gets room for whole tables instead of the default 80 columns.
# No markup: titles, channels, managers and refusal reasons come from the CRM, and "[site]" in
# one would be eaten ("[/x]" would even raise); our own colour goes in as style.
out = Console(width=None if sys.stdout.isatty() else 160, markup=False)


def error_line(message: str) -> None:
    """The one line a failing command leaves on stderr, whatever its exit code (redacted: it may
    quote the portal). The console is made here, not once, so that it writes to the stderr of now."""
    Console(stderr=True).print(Text("error: ", style="bold red") + Text(redact(message)), highlight=False,
                               soft_wrap=True)


def cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}".replace(",", " ").rstrip("0").rstrip(".")
    return str(value)


def when(moment: datetime | None) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M") if moment else ""


def grades_table(rows: list[dict]) -> Table:
    table = Table(title="Lead grades by source")
    for name in ("source", "leads", "A", "B", "C", "D", "A+B %", "mean score"):
        table.add_column(name, justify="left" if name == "source" else "right")
    for r in rows:
        table.add_row(r["source"], str(r["leads"]), str(r["a"]), str(r["b"]), str(r["c"]), str(r["d"]),
                      f"{r['target_share_pct']:.1f}", f"{r['mean_score']:.1f}")
    return table


def sync_table(results: Iterable[StreamResult]) -> Table:
    table = Table(title="Sync")
    for name in ("stream", "pass", "rows", "pages", "requests", "quarantined values"):
        table.add_column(name, justify="left" if name in ("stream", "pass") else "right")
    for r in results:
        table.add_row(r.stream, r.mode, str(r.rows), str(r.pages), str(r.requests), str(r.quarantined))
    return table


def streams_table(bookmarks: Iterable[tuple]) -> Table:
    """`status`: where each stream's pass stands (read_bookmarks' rows)."""
    table = Table(title="Streams (times in UTC)")
    for name in ("stream", "pass", "done", "cursor ID", "rows", "changes since", "updated"):
        table.add_column(name, no_wrap=True)
    for stream, mode, complete, cursor, rows, since, updated in bookmarks:
        table.add_row(stream, mode or "full", "yes" if complete else "no", str(cursor or ""),
                      str(rows), when(since), when(updated))
    return table


def runs_table(runs: Iterable[Run]) -> Table:
    table = Table(title="Last runs (times in UTC)")
    for name in ("run", "kind", "status", "started", "finished", "rows", "requests", "error"):
        table.add_column(name, overflow="fold")
    for r in runs:
        table.add_row(str(r.run_id), r.kind, r.status, when(r.started_at), when(r.finished_at),
                      str(r.rows_loaded or 0), str(r.requests or 0), r.error or "")
    return table


def input_problems(problems: list[str]) -> None:
    for problem in problems[:20]:
        out.print(f"input skipped: {problem}", style="yellow")
    if len(problems) > 20:
        out.print(f"... and {len(problems) - 20} more bad input rows", style="yellow")


def grading_notes(stopped: list[str], one_grade: dict[str, Any] | None) -> None:
    """Why the leads were not graded (one line each), or that the rules do not separate them."""
    for problem in stopped:
        out.print(f"leads not graded: {problem}; the last grades stand and are not written back", style="red")
    if one_grade:
        out.print(f"warning: {one_grade['message']}", style="yellow")


_STATUS_STYLE = {"ok": "green", "warning": "yellow", "problem": "bold red"}


def doctor_table(checks: Iterable[Check]) -> Table:
    table = Table(title="b24metrics doctor")
    for name in ("", "check", "found", "fix"):
        table.add_column(name, overflow="fold")
    for c in checks:
        table.add_row(Text(c.status, style=_STATUS_STYLE[c.status]), c.name, redact(c.detail), c.fix)
    return table


def doctor_summary(checks: list[Check]) -> Text:
    counts = {status: sum(c.status == status for c in checks) for status in _STATUS_STYLE}
    line = ", ".join(f"{n} {status}{'s' if n != 1 and status != 'ok' else ''}" for status, n in counts.items())
    worst = "problem" if counts["problem"] else "warning" if counts["warning"] else "ok"
    return Text(line, style=_STATUS_STYLE[worst])


def catalogue_table() -> Table:
    from b24metrics.kpis import catalogue

    table = Table(title="KPI catalogue")
    for column in ("code", "name", "what it counts", "cut by"):
        table.add_column(column, overflow="fold")
    for k in catalogue().values():
        table.add_row(k.code, k.name, k.definition, ", ".join(k.dims) or "-")
    return table


def print_cut(result: Cut, fmt: str) -> None:
    """A KPI cut (kpis.cut's result) as a table, CSV or JSON on stdout."""
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
        table.add_row(*[_measure_cell(row, c) for c in keys], cell(row.get(f"{main}_prev")),
                      cell(row.get(f"{main}_yoy")))
    out.print(table if rows else "No rows in this range.")


def _measure_cell(row: Mapping[str, Any], column: str) -> str:
    """A figure of a cut's row; an empty projection of a cohort too young for one says so."""
    flag = TOO_EARLY_FLAGS.get(column)
    if row[column] is None and flag is not None and row.get(flag):
        return TOO_EARLY_TEXT
    return cell(row[column])


def too_early_rows(result: Cut) -> str:
    """Which rows of a cohort cut are too early to project, in one line a wide table cannot cut."""
    early = [row for row in result.rows if row.get("too_early") or row.get("too_early_rate")]
    if not early:
        return ""
    names = ", ".join(" ".join(str(row[k]) for k in ("period", result.by) if k and row.get(k) is not None)
                      or "all" for row in early)
    return (f"{TOO_EARLY_TEXT[:1].upper()}{TOO_EARLY_TEXT[1:]} (nothing won yet, and under {MIN_EXPECTED_WINS} "
            f"wins expected by the cohort's age: its projected_* are left empty): {names}.")


def cohort_conversion_line(conv: CohortConversion, model: str) -> str:
    """The headline's lead to won deal as the report's card shows it (kpis/headline.py)."""
    if conv.basis == INPUT_MISSING:
        return f"Headline lead to won deal (cohort view): {conv.result.note}"
    if conv.basis == NONE or conv.row is None:
        return "Headline lead to won deal (cohort view): no ripe cohort and no lead in the headline cohort."
    cohort = f"the {conv.cohort:%Y-%m-%d} lead cohort"
    what = {RIPE: f"{cohort}, the latest ripe one",
            PROJECTED: f"projected, {cohort}: not ripe yet",
            TOO_EARLY: f"{cohort} to date: not final, {TOO_EARLY_TEXT}",
            TO_DATE: f"{cohort} to date: not final"}[conv.basis]
    compared = []
    for suffix, name in (("_prev", "the cohort before"), ("_yoy", "a year before")):
        if conv.comparable(suffix):
            compared.append(f"{name} {_percent(conv.compared(suffix))}")
        else:
            compared.append(f"{name} not compared ({conv.leads(suffix)} leads, under {MIN_COMPARED_LEADS})")
    return (f"Headline lead to won deal (cohort view, model {model!r}, as the report shows it): "
            f"{_percent(conv.value)}, {what}; {'; '.join(compared)}.")


def _percent(value: object) -> str:
    return "-" if value is None else f"{cell(value)}%"


def explain_table(section: Section) -> Table:
    """One section of `explain`: a single wide row reads better as field / value lines."""
    title, rows = section.title, section.rows
    if len(rows) == 1 and rows[0] and len(rows[0]) > 6:
        table = Table(title=title, show_header=False)
        table.add_column("field", style="bold")
        table.add_column("value", overflow="fold")
        for key, value in rows[0].items():
            table.add_row(key, cell(value))
        return table
    table = Table(title=title)
    for column in (rows[0] if rows else {"(none)": None}):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*[cell(v) for v in row.values()])
    return table


def export_table(out_dir: Path, files: Iterable[Exported]) -> Table:
    table = Table(title=f"Exported to {out_dir}")
    for column in ("table", "rows", "file"):
        table.add_column(column, justify="right" if column == "rows" else "left", overflow="fold")
    for item in files:
        table.add_row(item.table, str(item.rows), item.path.name)
    return table


def fields_table(fields: FieldsReport, specs: Iterable[FieldSpec], dry_run: bool) -> Table:
    table = Table(title="Custom fields" + (" (dry run)" if dry_run else ""))
    for name in ("entity", "field", "type", "label (ru / en)", "status"):
        table.add_column(name, overflow="fold")
    status: dict[int, str | Text] = {id(s): "exists, reused" for s in fields.existing}
    status.update({id(s): "created" for s in fields.created})
    status.update({id(s): "would be created" for s in fields.planned})
    status.update({id(s): Text(f"exists as {kind}: not touched, its values not written", style="red")
                   for s, kind in fields.wrong_type})
    for s in specs:
        table.add_row(s.entity, s.name, s.user_type, f"{s.label_ru} / {s.label_en}", status.get(id(s), ""))
    return table


def cards_table(leads: Iterable[Mapping[str, Any]], names: LeadFields) -> Table:
    """What a manager now sees in a few lead cards, as the portal returned them."""
    table = Table(title="In the CRM card now (read back from the portal)")
    for name in ("lead", "title", "grade", "score", "why"):
        table.add_column(name, overflow="fold")
    for lead in leads:
        table.add_row(str(lead["ID"]), str(lead.get("TITLE") or ""), str(lead.get(names.grade) or ""),
                      str(lead.get(names.score) or ""), str(lead.get(names.factors) or ""))
    return table


def print_writeback(gate: GateReport | None, fields: FieldsReport | None, push: PushReport | None) -> None:
    """The quality gate's verdict, the fields made, and what the write-back sent (or would send)."""
    from b24metrics.writeback import ENTITIES

    dry = push is not None and push.dry_run
    if gate is not None:
        for check in gate.checks:
            out.print(f"quality gate: {check}", style="dim")
        for reason in gate.reasons:
            out.print(Text(f"Write-back {'would be ' if dry else ''}blocked:", style="red"), reason)
        if gate.reasons and not dry:
            return
    if fields is not None:
        for spec in fields.created:
            out.print(f"Created {spec.entity} field {spec.name} ({spec.user_type})")
        for spec in fields.planned:
            out.print(f"Would create {spec.entity} field {spec.name} ({spec.user_type})")
        for spec, kind in fields.wrong_type:
            out.print(f"{spec.entity} field {spec.name} exists as {kind}, not {spec.user_type}: "
                      "not touched, not written", style="red")
    if push is None:
        return
    if push.in_doubt:
        out.print(f"{push.in_doubt} values were in doubt after an interrupted write-back: read back from the "
                  f"portal, {push.in_doubt_applied} were there already")
    if push.missing_tables:
        out.print(f"No KPI tables yet ({', '.join(push.missing_tables)}): run `b24metrics sync` first.")
    out.print(_push_table(push, dry))
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
        out.print(_first_changes_table(push))


def _push_table(push: PushReport, dry: bool) -> Table:
    table = Table(title=f"Write-back ({'dry run' if dry else 'done'})")
    for name in ("entity", "field", "to change" if dry else "changed", "refused", "refused for good, not sent"):
        table.add_column(name, justify="left" if name in ("entity", "field") else "right")
    for entity, name in sorted(set(push.planned) | set(push.applied) | set(push.permanent)):
        done = push.planned.get((entity, name), 0) if dry else push.applied.get((entity, name), 0)
        refused = "" if dry else str(push.planned.get((entity, name), 0) - done)
        table.add_row(entity, name, str(done), refused, str(push.permanent.get((entity, name), 0)))
    return table


def _first_changes_table(push: PushReport) -> Table:
    table = Table(title="First changes")
    for name in ("entity", "ID", "field", "portal has", "new value"):
        table.add_column(name, overflow="fold")
    for c in push.sample:
        table.add_row(c.entity, str(c.entity_id), c.field, "" if c.old is None else c.old,
                      "(empty)" if c.new is None else c.new)
    return table
