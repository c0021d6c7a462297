"""`run`: the daemon, as a service."""

from __future__ import annotations

import typer

from b24metrics.cli.context import settings, state
from b24metrics.logsetup import setup_logging


def run() -> None:
    """Run as a service: a cycle (sync, KPIs, write-back, report) every daemon.interval_seconds,
    one at a time (a cycle that comes due during another runs once after it), the ID sweep for
    deletes nightly at daemon.sweep_at, /healthz and Prometheus /metrics on daemon.host:port.
    Logs JSON lines unless stderr is a terminal. SIGTERM or Ctrl-C lets the page or batch under
    way finish and commit, then exits 0."""
    from b24metrics.daemon import run_daemon

    config = settings(calls_portal=True)
    setup_logging(state.log_level or config.log_level, config.daemon.log_format)
    raise typer.Exit(run_daemon(config))
