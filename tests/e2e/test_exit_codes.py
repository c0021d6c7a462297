"""Every exit code the README's table promises is one the CLI really exits with: one row per code
of errors.EXIT_CODES, each a real `python -m b24metrics ...` run (against a sandbox portal where
the command calls one) that ends with that code, one `error:` line on stderr and no traceback.
Code 1, an internal error, is what no input should cause: that row makes a bug and runs main()
in-process."""

import importlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from b24metrics.cli import context as cli_context
from b24metrics.cli import main
from b24metrics.errors import EXIT_CODES
from b24metrics.warehouse import writer_lock

cli_app = importlib.import_module("b24metrics.cli.app")  # the package's `app` is the Typer app, not this module
# A log record as logsetup writes it to a stderr that is no terminal: not the command's error line.
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def _env(tmp_path: Path, **keys: str) -> dict[str, str]:
    """The environment of a run: no B24M_ key of the test's own, no config file, then `keys`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("B24M_")}
    return {**env, "B24M_WAREHOUSE__PATH": str(tmp_path / "wh.duckdb"), **keys}


def _run(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    run = subprocess.run([sys.executable, "-m", "b24metrics", *args], capture_output=True, text=True,
                         timeout=300, env=env, cwd=cwd)
    return run.returncode, run.stderr


def _portal_env(portal, tmp_path: Path, **keys: str) -> dict[str, str]:
    return _env(tmp_path, B24M_PORTAL__WEBHOOK_URL=portal.webhook_url, B24M_PORTAL__RATE="50", **keys)


def done(tmp_path, portals, monkeypatch, capsys):
    # a read-only command with nothing but warehouse.path set
    return _run(["status"], _env(tmp_path), tmp_path)


def internal(tmp_path, portals, monkeypatch, capsys):
    # No legitimate input reaches the last net (that is what it is for): make a bug, in-process.
    def bug(settings):
        raise RuntimeError("a bug in the warehouse code")

    monkeypatch.setattr(importlib.import_module("b24metrics.cli.sync"), "warehouse_of", bug)
    # in-process: the CLI's logging setup would outlive the test, bound to capsys's stderr
    monkeypatch.setattr(cli_app, "setup_logging", lambda *a, **k: None)
    monkeypatch.setattr(cli_context, "setup_logging", lambda *a, **k: None)
    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["b24metrics", "status"])
    with pytest.raises(SystemExit) as exited:
        main()
    return exited.value.code, capsys.readouterr().err


def config(tmp_path, portals, monkeypatch, capsys):
    # sync calls the portal: without the webhook it stops before anything
    return _run(["sync"], _env(tmp_path), tmp_path)


def stop(tmp_path, portals, monkeypatch, capsys):
    portal = portals(seed=3, leads=20, rate=50.0)
    wrong = portal.webhook_url.replace(portal.token, "0" * len(portal.token))
    return _run(["sync"], _env(tmp_path, B24M_PORTAL__WEBHOOK_URL=wrong, B24M_PORTAL__RATE="50"), tmp_path)


def retry(tmp_path, portals, monkeypatch, capsys):
    portal = portals(seed=3, leads=20, rate=50.0)
    portal.faults.storm(120, status=500, error="INTERNAL_SERVER_ERROR", description="down for maintenance")
    return _run(["sync"], _portal_env(portal, tmp_path, B24M_PORTAL__MAX_RETRIES="1"), tmp_path)


def busy(tmp_path, portals, monkeypatch, capsys):
    # `kpi` rebuilds the KPI tables: a writer, and one that needs no portal
    with writer_lock(tmp_path / "wh.duckdb", "a sync in the test"):
        return _run(["kpi"], _env(tmp_path), tmp_path)


def gate(tmp_path, portals, monkeypatch, capsys):
    portal = portals(seed=3, leads=20, rate=50.0)
    return _run(["writeback"], _portal_env(portal, tmp_path), tmp_path)   # no sync has run yet


def interrupted(tmp_path, portals, monkeypatch, capsys):
    portal = portals(seed=3, leads=20, rate=50.0)
    hold = portal.faults.hold(1)  # the sync's first call waits: the command is mid-way on any machine
    proc = subprocess.Popen([sys.executable, "-m", "b24metrics", "sync"], env=_portal_env(portal, tmp_path),
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert hold.wait_reached(120), "the sync never reached the portal"
        proc.send_signal(signal.SIGINT)
    finally:
        hold.release()
    _, stderr = proc.communicate(timeout=120)
    return proc.returncode, stderr


def warehouse(tmp_path, portals, monkeypatch, capsys):
    # warehouse.path names a file that is no DuckDB database
    (tmp_path / "wh.duckdb").write_text("id,title\n1,a lead\n")
    return _run(["status"], _env(tmp_path), tmp_path)


SCENARIOS = {0: done, 1: internal, 2: config, 3: stop, 4: retry, 5: busy, 6: gate, 7: warehouse, 130: interrupted}
EXPECTED = {  # what the one line says, so that the code comes from the case meant
    0: None,
    1: "internal error: RuntimeError: a bug in the warehouse code",
    2: "portal.webhook_url: missing",
    3: "NO_AUTH_FOUND",
    4: "try again later",
    5: "a sync in the test",
    6: "no sync has run yet",
    7: "holds text, not a DuckDB warehouse",
    130: "interrupted",
}


@pytest.mark.parametrize("code", [code for code, _ in EXIT_CODES])
def test_every_exit_code_of_the_table_is_one_the_cli_exits_with(code, tmp_path, portals, monkeypatch, capsys):
    assert code in SCENARIOS, f"exit code {code} is in EXIT_CODES but no invocation here produces it"
    got, stderr = SCENARIOS[code](tmp_path, portals, monkeypatch, capsys)
    assert got == code, stderr
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip() and not LOG_RECORD.match(line)]
    if code == 0:
        assert lines == []
    else:
        assert len(lines) == 1 and lines[0].startswith("error: ") and EXPECTED[code] in lines[0], stderr


def test_every_scenario_is_a_row_of_the_table():
    """No scenario for a code the table has dropped: the table and this walk stay the same list."""
    assert set(SCENARIOS) == set(EXPECTED) == {code for code, _ in EXIT_CODES}
