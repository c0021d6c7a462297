"""`demo` runs the whole cycle on a sandbox portal; `sandbox` serves one for other clients."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from b24metrics.cli import render
from b24metrics.cli.context import progress, state
from b24metrics.cli.render import out
from b24metrics.config import LeadFields, load_settings
from b24metrics.errors import ConfigError
from b24metrics.warehouse import writer_lock
from b24metrics.logsetup import setup_logging
from b24metrics.redact import redact

if TYPE_CHECKING:
    from b24metrics.portal import PortalClient


def demo(
    directory: Optional[Path] = typer.Option(None, "--dir", help="Where to put the DuckDB file (default: a temp dir).", metavar="DIR"),
    leads: int = typer.Option(500, "--leads", min=0, help="Leads on the sandbox portal.", metavar="N"),
    seed: int = typer.Option(42, "--seed", help="Seed of the sandbox data (same seed, same portal).", metavar="N"),
) -> None:
    """Run the whole cycle on a sandbox portal started in-process: sync, grade, write back,
    then write the HTML report and print its path."""
    # here, not above: the whole cycle's modules, which no other command loads for this one
    from b24metrics import pipeline
    from b24metrics.grading import grades_by_source
    from b24metrics.kpis.inputs import SPEND_COLUMNS
    from b24metrics.report import report_path, write_report
    from b24metrics.sandbox import SandboxPortal
    from b24metrics.sandbox.datetimes import ANCHOR as SANDBOX_ANCHOR
    from b24metrics.sandbox.inputs import write_inputs

    workdir = directory or Path(tempfile.mkdtemp(prefix="b24metrics-demo-"))
    claim_demo_dir(workdir)
    with SandboxPortal(seed=seed, leads=leads) as portal:
        settings = load_settings(
            state.config, read_file=False, calls_portal=True,
            portal={"webhook_url": portal.webhook_url},
            warehouse={"path": str(workdir / "b24metrics.duckdb")},
            # spend, plan and tracking numbers made up for the sandbox, so that every report
            # section has something to show; the report is written once, after both cycles
            kpis=write_inputs(workdir / "inputs", seed=seed, leads=leads, spend_columns=SPEND_COLUMNS),
            report={"enabled": False, "path": str(workdir / "b24metrics-report.html")},
        )
        setup_logging(state.log_level or settings.log_level)
        out.print(f"Sandbox portal on {redact(portal.webhook_url)} ({leads} leads, seed {seed})")
        warehouse = pipeline.open_warehouse(settings)
        # Runs start under the writer lock (another demo on the same --dir waits or exits 5).
        with writer_lock(settings.warehouse.path, "b24metrics demo"), pipeline.open_client(settings) as client:
            with progress() as advance:
                report = pipeline.run_cycle(client, warehouse, settings, progress=advance)
            # A second cycle with nothing changed on the portal: the diff must send nothing.
            again = pipeline.run_cycle(client, warehouse, settings)
            cards = _first_leads(client, settings.writeback.lead_fields)
    out.print(render.sync_table(report.streams))
    out.print(render.grades_table(grades_by_source(warehouse)))
    render.print_writeback(report.gate, report.fields, report.push)
    out.print(render.cards_table(cards, settings.writeback.lead_fields))
    out.print(
        f"Cycle took {report.seconds:.1f} s and {report.requests} HTTP requests "
        f"({report.rate_limited} refused by the rate limit)."
    )
    assert again.push is not None, "the demo's write-back is enabled and its data fresh"
    out.print(
        f"Second cycle, nothing changed on the portal: {again.push.applied_values} values written, "
        f"{again.push.requests} update requests, {again.requests} HTTP requests in all."
    )
    out.print(f"Warehouse: {warehouse.path}", soft_wrap=True)
    # The sandbox's data ends at its anchor: the report covers the twelve months before it.
    written = write_report(warehouse, settings, report_path(settings), until=SANDBOX_ANCHOR.date(),
                           period=settings.report.period, lang=settings.report.lang)
    out.print(f"Report: {written.path}", soft_wrap=True)


#: Left in a directory the demo writes into: the demo's own, which a later demo may reuse.
DEMO_MARK = ".b24metrics-demo"


def claim_demo_dir(workdir: Path) -> None:
    """Make `workdir` the demo's, or refuse it: a directory that holds a warehouse the demo did
    not make (a real portal's, say) is never written into, not even the report beside it."""
    if workdir.exists() and not workdir.is_dir():
        raise ConfigError(f"demo --dir {workdir}: not a directory")
    if workdir.is_dir() and not (workdir / DEMO_MARK).is_file():
        foreign = sorted(p.name for p in workdir.iterdir() if p.name.endswith((".duckdb", ".duckdb.wal")))
        if foreign:
            raise ConfigError(f"demo --dir {workdir}: it holds {', '.join(foreign)}, which no demo made; "
                              "the demo writes sandbox data only into a new directory or one of its own")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / DEMO_MARK).write_text("made by `b24metrics demo`: sandbox data, not a real portal's\n")


def _first_leads(client: PortalClient, names: LeadFields, count: int = 5) -> list[dict[str, Any]]:
    """The first lead cards as the portal's REST API returns them, the written fields included."""
    answer = client.call("crm.lead.list", {
        "order": {"ID": "ASC"}, "filter": {">ID": 0}, "start": -1,
        "select": ["ID", "TITLE", names.grade, names.score, names.factors],
    })
    return list(answer.result or [])[:count]


def sandbox(
    port: int = typer.Option(0, "--port", help="Port on 127.0.0.1 (0: any free port).", metavar="PORT"),
    seed: int = typer.Option(42, "--seed", help="Seed of the generated data.", metavar="N"),
    leads: int = typer.Option(500, "--leads", min=0, help="Number of leads.", metavar="N"),
    token: Optional[str] = typer.Option(None, "--token", help="Webhook secret (default: random).", metavar="SECRET"),
    rate: float = typer.Option(2.0, "--rate", help="Requests per second the bucket drains.", metavar="PER_SECOND"),
    burst: int = typer.Option(50, "--burst", help="Requests the bucket holds.", metavar="N"),
    latency: float = typer.Option(0.0, "--latency", min=0, help="Seconds every answer waits before it goes out.",
                                  metavar="SECONDS"),
    storm_every: float = typer.Option(
        0.0, "--storm-every", min=0, help="About every SECONDS, a storm of 503 QUERY_LIMIT_EXCEEDED on every "
        "request for --storm-seconds (0: none).", metavar="SECONDS"),
    storm_seconds: float = typer.Option(3.0, "--storm-seconds", min=0, help="How long a 503 storm lasts.",
                                        metavar="SECONDS"),
    block_every: float = typer.Option(
        0.0, "--block-every", min=0, help="About every SECONDS, one list or update method answers 429 "
        "OPERATION_TIME_LIMIT for --block-seconds, as when its execution-time budget is spent (0: none).",
        metavar="SECONDS"),
    block_seconds: float = typer.Option(10.0, "--block-seconds", min=0, help="How long a 429 block lasts.",
                                        metavar="SECONDS"),
    timeout_every: float = typer.Option(
        0.0, "--timeout-every", min=0, help="About every SECONDS, one request waits 35 s before it is handled: "
        "a client with a shorter timeout gives up, and the request still runs (0: none).", metavar="SECONDS"),
    churn_every: float = typer.Option(
        0.0, "--churn-every", min=0, help="About every SECONDS, a few leads and deals change and one lead is "
        "deleted while a list is being paged (0: none).", metavar="SECONDS"),
    refuse: float = typer.Option(
        0.0, "--refuse", min=0, max=1, help="This share of the leads (0.05: one in twenty) refuse their next two "
        "crm.lead.update calls, then accept.", metavar="SHARE"),
    malformed: int = typer.Option(
        0, "--malformed", min=0, help="This many leads hold a value that does not parse (a sum with a currency "
        "in it, 31 February, a name where a user ID belongs).", metavar="N"),
) -> None:
    """Serve a sandbox Bitrix24 portal on 127.0.0.1 until Ctrl-C; prints the webhook URL. The
    fault options make it misbehave on a schedule, as a real portal does on a bad day, for
    anyone testing a client against it; what was injected is printed when it stops."""
    from b24metrics.sandbox import SandboxPortal
    from b24metrics.sandbox.chaos import Chaos

    portal = SandboxPortal(seed=seed, leads=leads, token=token, port=port, rate=rate, burst=burst).start()
    chaos = Chaos(storm_every=storm_every, storm_seconds=storm_seconds, block_every=block_every,
                  block_seconds=block_seconds, timeout_every=timeout_every, churn_every=churn_every,
                  refuse=refuse, malformed=malformed, latency=latency, seed=seed).start(portal)
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
        chaos.stop()
        portal.stop()
        if chaos.active:
            out.print("Faults injected: " + (", ".join(f"{n} {what}" for what, n in sorted(chaos.injected.items()))
                                             or "none yet"), style="dim")
