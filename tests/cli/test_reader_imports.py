"""`status` and `kpi NAME` answer beside a long write-back within about a second, and most of
that second is Python starting the command: they import neither SQLAlchemy and alembic (the
schema revision is read with DuckDB alone), nor the portal client, the sync, the grading, the
KPI refresh, the report or the write-back. Each command is run in a fresh interpreter and asked
what it imported, so a module-level import of any of them in the CLI fails here, with no timing."""

import json
import os
import subprocess
import sys

import pytest

# Libraries and our own modules the readers do without, each of them imported by the commands that
# write (sync, writeback, report, run, demo); the CLI imported all of them for every command before.
HEAVY = ("sqlalchemy", "alembic", "duckdb_engine", "mako", "httpx", "jinja2", "pyarrow", "apscheduler",
         "prometheus_client", "b24metrics.pipeline", "b24metrics.portal", "b24metrics.extract.sync",
         "b24metrics.extract.stream_pass", "b24metrics.grading", "b24metrics.kpis.refresh",
         "b24metrics.report", "b24metrics.writeback", "b24metrics.sandbox", "b24metrics.daemon",
         "b24metrics.doctor")

# main() in-process, as `python -m b24metrics ARGS` runs it, then the modules it loaded
PROBE = """
import json, sys
out, args = sys.argv[1], json.loads(sys.argv[2])
sys.argv = ["b24metrics", *args]
from b24metrics.cli import main
try:
    main()
    code = 0
except SystemExit as exc:
    code = exc.code
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readers")
    env = {k: v for k, v in os.environ.items() if not k.startswith("B24M_")}
    env["B24M_WAREHOUSE__PATH"] = str(folder / "wh.duckdb")
    # a warehouse with its KPI tables (built on no data): what `kpi NAME` reads
    made = subprocess.run([sys.executable, "-m", "b24metrics", "kpi"], env=env, capture_output=True, text=True,
                          timeout=300)
    assert made.returncode == 0, made.stderr
    return env


def _imported(env, tmp_path, args: list[str]) -> tuple[int, str, set[str]]:
    out = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", PROBE, str(out), json.dumps(args)], env=env, capture_output=True,
                          text=True, timeout=300)
    found = json.loads(out.read_text())
    return found["code"], done.stdout, set(found["modules"])


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("args, shown", [
    (["status"], "Streams (times in UTC)"),
    (["kpi", "leads_by_channel", "--period", "all"], "No rows in this range."),
], ids=["status", "kpi"])
def test_readers_import_none_of_the_writers_modules(env, tmp_path, args, shown):
    code, printed, modules = _imported(env, tmp_path, args)
    assert code == 0 and shown in printed, printed
    assert "duckdb" in modules and "b24metrics.warehouse.db" in modules   # the probe saw the command run
    assert _heavy(modules) == []


def test_the_commands_that_write_still_find_their_modules(env, tmp_path):
    """The other half: deferred imports are still there when a command needs them (the check above
    would pass as well if the probe saw nothing). `kpi` with no NAME refreshes the KPI tables."""
    code, printed, modules = _imported(env, tmp_path, ["kpi"])
    assert code == 0 and "leads graded" in printed, printed
    assert {"b24metrics.kpis.refresh", "b24metrics.grading", "sqlalchemy"} <= modules
