"""The Typer app: global options, the commands in the order the help lists them, exit codes."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from b24metrics import __version__, errors
from b24metrics.cli import demo, doctor, grade, kpi, report, service, sync, writeback
from b24metrics.cli.context import state

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
from b24metrics.cli.render import error_line, out
from b24metrics.logsetup import setup_logging
from b24metrics.warehouse import is_interrupt

log = logging.getLogger("b24metrics")

# Plain help, not Rich's: Rich markup would eat "[writeback]" in a docstring, and Typer's Rich
# help gives every flag a "<bool>" placeholder as if it took a value.
app = typer.Typer(
    help="Marketing and sales KPIs from a Bitrix24 CRM: sync into DuckDB, grade leads A–D, "
    "write the grades back into the CRM card.",
    epilog=errors.exit_codes_text(),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
fields_app = typer.Typer(help="The custom fields the KPIs are written into.", no_args_is_help=True,
                         rich_markup_mode=None)

app.command()(demo.demo)
app.command()(sync.sync)
app.command()(sync.status)
app.command()(doctor.doctor)
app.command()(kpi.kpi)
app.command()(kpi.explain)
app.add_typer(grade.app, name="grade")
fields_app.command("setup")(writeback.fields_setup)
app.add_typer(fields_app, name="fields")
app.command()(writeback.writeback)
app.command()(report.report)
app.command("export")(report.export)
app.command()(service.run)
app.command()(demo.sandbox)


def _version(value: bool) -> None:
    if value:
        out.print(f"b24metrics {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    config: Optional[Path] = typer.Option(
        None, "--config", "-c", help="TOML config file (default: $B24M_CONFIG, then ./b24metrics.toml).", metavar="FILE"
    ),
    log_level: Optional[str] = typer.Option(None, "--log-level", help="DEBUG, INFO, WARNING or ERROR.", metavar="LEVEL"),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    if log_level and log_level.upper() not in LOG_LEVELS:
        raise typer.BadParameter(f"{log_level!r} is not one of {', '.join(LOG_LEVELS)}", param_hint="--log-level")
    state.config, state.log_level = config, log_level.upper() if log_level else None
    setup_logging(state.log_level or "INFO")


def main() -> None:
    try:
        # Outside standalone mode click returns a typer.Exit's code instead of raising it.
        code = app(standalone_mode=False)
        if code == errors.EXIT_INTERRUPTED:  # Typer turns a KeyboardInterrupt into this code, silently
            _fail(errors.EXIT_INTERRUPTED, "interrupted")
        if isinstance(code, int) and code:
            sys.exit(code)
    except errors.ConfigError as exc:
        _fail(errors.EXIT_CONFIG, str(exc))
    except errors.WarehouseUnusable as exc:
        _fail(errors.EXIT_WAREHOUSE, str(exc))
    except errors.StopError as exc:
        _fail(errors.EXIT_STOP, str(exc))
    except errors.WarehouseBusy as exc:
        _fail(errors.EXIT_BUSY, str(exc))
    except errors.RetryError as exc:
        _fail(errors.EXIT_RETRY, f"{exc} (transient; try again later)")
    except (KeyboardInterrupt, typer.Abort, errors.Interrupted):
        _fail(errors.EXIT_INTERRUPTED, "interrupted")
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except typer.TyperException as exc:  # a bad option or argument: click's usage error, exit 2
        if type(exc).__name__ == "NoArgsIsHelpError":  # `b24metrics` or `fields` alone: the help itself
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)
        # One line like every other error, not click's usage block. Typer vendors click: its usage
        # errors subclass TyperException, which declares no ctx.
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        _fail(exc.exit_code, f"{exc.format_message()}{hint}")
    except Exception as exc:  # the last net: one redacted line, the traceback only for DEBUG
        if is_interrupt(exc):  # Ctrl-C that stopped a DuckDB query: not a bug
            _fail(errors.EXIT_INTERRUPTED, "interrupted")
        log.debug("internal error", exc_info=True)
        _fail(errors.EXIT_INTERNAL, f"internal error: {type(exc).__name__}: {exc}")


def _fail(code: int, message: str) -> None:
    error_line(message)
    sys.exit(code)
