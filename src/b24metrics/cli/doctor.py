"""`doctor`: the checklist of the settings against the portal and the warehouse."""

from __future__ import annotations

import json

import typer

from b24metrics.cli import render
from b24metrics.cli.context import settings
from b24metrics.cli.render import out

DOCTOR_FORMATS = ("table", "json")


def doctor(
    fmt: str = typer.Option("table", "--format", help="table, or json for monitoring.", metavar="FORMAT"),
) -> None:
    """Check the setup and say what to fix: the webhook answers with the scopes crm, telephony
    and user; every custom field a grading rule or the write-back names exists with a suitable
    type; kpis.timezone matches the portal's clock; the spend and plan files parse and name
    channels the portal has, the tracking numbers have calls; the warehouse is at the newest
    schema and warehouse.memory_limit suits its size; the daemon's last cycle and its age.
    Reads only. Exit code by the worst line: 0 all ok, 1 a warning, 2 a problem."""
    if fmt not in DOCTOR_FORMATS:
        raise typer.BadParameter(f"one of {', '.join(DOCTOR_FORMATS)}", param_hint="--format")
    from b24metrics import doctor as checks  # here: the portal client, which only this command needs

    found = checks.run_checks(settings(calls_portal=False))
    code = checks.exit_code(found)
    if fmt == "json":
        # plain print: Rich would wrap long lines inside the JSON strings
        print(json.dumps({"status": checks.worst(found), "exit_code": code,
                          "checks": [c.as_dict() for c in found]}, ensure_ascii=False, indent=1))
    else:
        out.print(render.doctor_table(found))
        out.print(render.doctor_summary(found))
    raise typer.Exit(code)
