"""`fields setup` makes the custom fields; `writeback` writes the KPIs into them."""

from __future__ import annotations

from contextlib import nullcontext

import typer

from b24metrics.cli import render
from b24metrics.cli.context import settings, writer_lock
from b24metrics.cli.render import out
from b24metrics.errors import EXIT_GATE, EXIT_STOP


def fields_setup(
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be created; create nothing."),
) -> None:
    """Create the custom fields of the [writeback] mapping on leads, deals and companies where
    they are missing, labelled in Russian and English. A field of that name is reused; one of
    another type is reported and left alone (exit code 3: a person must decide)."""
    # here, not above: the portal client and the write-back, which the readers never load
    from b24metrics import pipeline
    from b24metrics.writeback import ensure_fields, field_specs

    config = settings(calls_portal=True)
    specs = field_specs(config.writeback)
    # A field created anew holds no values: the stored payloads forget the old field's.
    stored = config.warehouse.path.exists() and not dry_run
    with (writer_lock(config.warehouse.path, "b24metrics fields setup", wait=config.warehouse.writer_wait)
          if stored else nullcontext()), pipeline.open_client(config) as client:
        report = ensure_fields(client, pipeline.open_warehouse(config) if stored else None, specs, dry_run=dry_run)
    out.print(render.fields_table(report, specs, dry_run))
    if report.wrong_type:
        render.error_line(f"{len(report.wrong_type)} fields exist with another type and were left alone: "
                          + ", ".join(f"{spec.entity} {spec.name} ({kind})" for spec, kind in report.wrong_type))
        raise typer.Exit(EXIT_STOP)


def writeback(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would change (values per entity and field, the first changes); "
        "write nothing, to the portal or the warehouse."),
) -> None:
    """Write the KPIs into the lead, deal and company fields (creating missing fields): only the
    values that differ from what the portal holds, 50 updates a batch, every value in
    writeback_ledger. Not after a failed or stale sync, nor while a configured hygiene check
    fails: then exit code 6 and the reason."""
    from b24metrics import pipeline  # here, not above: the portal client, which the readers never load

    config = settings(calls_portal=True)
    if dry_run:
        with pipeline.open_client(config) as client:
            # open_warehouse only reads a file already at the newest schema
            report = pipeline.writeback(client, pipeline.open_warehouse(config), config, dry_run=True)
    else:
        with writer_lock(config.warehouse.path, "b24metrics writeback", wait=config.warehouse.writer_wait), \
                pipeline.open_client(config) as client:
            warehouse = pipeline.open_warehouse(config)
            with pipeline.recorded_run(warehouse, client, "writeback") as run:
                report = pipeline.writeback(client, warehouse, config, run_id=run.run_id)
    render.print_writeback(report.gate, report.fields, report.push)
    if report.blocked and not dry_run:
        render.error_line("write-back blocked by the quality gate, nothing written: " + "; ".join(report.gate.reasons))
        raise typer.Exit(EXIT_GATE)
