"""Running out of memory through the real CLI: one line naming the memory limit to raise and its
environment variable, exit 2, never DuckDB's "Current transaction is aborted" that follows it;
the run is recorded failed with that line, and the next sync with room goes on from there."""

import os
import subprocess
import sys

import duckdb

from b24metrics.config import WarehouseSettings


def run_cli(args: list[str], env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "b24metrics", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env={**os.environ, **env})


def test_out_of_memory_is_one_line_naming_the_setting_to_raise(portals, tmp_path):
    portal = portals(seed=41, leads=300, rate=50.0, burst=50)
    warehouse = tmp_path / "wh.duckdb"
    env = {"B24M_PORTAL__WEBHOOK_URL": portal.webhook_url, "B24M_PORTAL__RATE": "50",
           "B24M_WAREHOUSE__PATH": str(warehouse)}

    starved = run_cli(["sync"], {**env, "B24M_WAREHOUSE__MEMORY_LIMIT": "16MB"}, tmp_path)
    assert starved.returncode == 2, starved.stderr
    errors = [line for line in starved.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: out of memory: DuckDB needed more than warehouse.memory_limit = '16MB' lets it use; raise "
        "warehouse.memory_limit in the config file or as B24M_WAREHOUSE__MEMORY_LIMIT (the README's Memory "
        "section says how much)"], starved.stderr
    assert "aborted" not in starved.stderr and "Traceback" not in starved.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        status, error = con.execute("SELECT status, error FROM sync_runs ORDER BY run_id DESC LIMIT 1").fetchone()
    assert status == "failed" and error.startswith("OutOfMemory: out of memory") and "aborted" not in error

    # the shipped default holds, and the sync goes on from what was committed
    assert WarehouseSettings().memory_limit != "16MB"
    done = run_cli(["sync"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM leads").fetchone()[0] == 300

    # the KPI refresh runs with its own limit, and its line names that one
    refresh = run_cli(["kpi", "--refresh", "--full"], {**env, "B24M_KPIS__MEMORY_LIMIT": "2MB"}, tmp_path)
    assert refresh.returncode == 2, refresh.stderr
    assert "kpis.memory_limit = '2MB'" in refresh.stderr and "B24M_KPIS__MEMORY_LIMIT" in refresh.stderr
    assert "aborted" not in refresh.stderr
