import re
import subprocess
import sys
from importlib.metadata import entry_points

import duckdb
import pytest
from typer.testing import CliRunner

from b24metrics.cli import app, main
from b24metrics.errors import exit_codes_text
from b24metrics.sandbox import SandboxPortal
from tests.test_docs import command_paths

COMMANDS = command_paths()


def _run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "b24metrics", *args], capture_output=True, text=True, timeout=timeout)


def test_the_command_list_comes_from_the_app():
    assert {"demo", "sync", "status", "kpi", "explain", "fields", "fields setup", "writeback", "report", "export",
            "run", "sandbox"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself_without_type_noise(command):
    """Flags show no "<bool>" as if they took a value, and brackets in a docstring are not eaten
    as Rich markup."""
    run = CliRunner().invoke(app, [*command.split(), "--help"])
    assert run.exit_code == 0 and "Usage" in run.output and len(run.output.splitlines()) > 5, run.output
    assert "<bool>" not in run.output
    # options name what they take (DATE, SECONDS, STREAM), not Python's types (<datetime>, <float range>)
    options = [line for line in run.output.splitlines() if line.lstrip().startswith("-")]
    assert not [line for line in options if re.search(r"<[a-z][^>]*>", line)], options
    if command == "fields setup":
        assert "[writeback] mapping" in " ".join(run.output.split())


def test_top_level_help_lists_commands_and_exit_codes():
    run = _run("--help")
    assert run.returncode == 0
    for command in COMMANDS:
        assert command.split()[0] in run.stdout
    # click may wrap the epilog anywhere (after a hyphen too): compare without whitespace
    assert "".join(exit_codes_text().split()) in "".join(run.stdout.split())


def test_the_console_script_is_the_cli_main():
    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "b24metrics"]
    assert script.load() is main


def test_demo_runs_the_whole_cycle(tmp_path):
    run = _run("demo", "--dir", str(tmp_path), "--leads", "120", "--seed", "5")
    assert run.returncode == 0, run.stderr
    out = " ".join(run.stdout.split())
    # The same seed makes the same portal: every deal is checked but a recurring template, which is
    # no deal anyone works on, and every company but the portal's own (IS_MY_COMPANY), no client.
    portal = SandboxPortal(seed=5, leads=120).state
    deals = sum(deal["IS_RECURRING"] != "Y" for deal in portal.deals.values())
    companies = sum(company["IS_MY_COMPANY"] != "Y" for company in portal.companies.values())
    assert deals < len(portal.deals) and companies < len(portal.companies)
    assert "Lead grades by source" in out
    assert f"checked 120 leads, {deals} deals, {companies} companies; 0 records refused" in out
    assert "Second cycle, nothing changed on the portal: 0 values written" in out
    assert (tmp_path / "b24metrics.duckdb").is_file()
    report = tmp_path / "b24metrics-report.html"
    assert f"Report: {report}" in out and report.stat().st_size > 50_000


def test_crm_text_with_brackets_prints_as_written():
    from b24metrics.cli.render import cards_table, out
    from b24metrics.config import LeadFields

    with out.capture() as printed:
        out.print(cards_table([{"ID": 7, "TITLE": "Заявка [site] [/x]"}], LeadFields()))
    assert "Заявка [site] [/x]" in printed.get()


def test_no_command_shows_the_help_not_an_error():
    run = _run()
    assert run.stderr.startswith("Usage:") and "Commands:" in run.stderr


def test_an_unknown_log_level_is_one_line_exit_2(tmp_path):
    run = _run("--log-level", "LOUD", "status")
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "'LOUD' is not one of DEBUG, INFO, WARNING, ERROR" in run.stderr


def test_demo_refuses_a_directory_holding_a_real_warehouse(tmp_path):
    real = tmp_path / "b24metrics.duckdb"
    con = duckdb.connect(str(real))
    con.execute("CREATE TABLE leads AS SELECT 1 AS id, 'a real lead' AS title")
    con.close()
    before = real.read_bytes()
    run = _run("demo", "--dir", str(tmp_path), "--leads", "20")
    assert run.returncode == 2, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "b24metrics.duckdb, which no demo made" in lines[0], run.stderr
    assert real.read_bytes() == before                      # untouched byte for byte
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b24metrics.duckdb"]  # nothing written beside it


def test_demo_reuses_a_directory_of_its_own(tmp_path):
    for _ in range(2):
        run = _run("demo", "--dir", str(tmp_path), "--leads", "20", "--seed", "6")
        assert run.returncode == 0, run.stderr


def test_sandbox_command_serves_a_portal_any_client_can_use():
    import httpx

    proc = subprocess.Popen([sys.executable, "-m", "b24metrics", "sandbox", "--leads", "70", "--seed", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and "/rest/1/" in url
        body = httpx.post(url + "crm.lead.list", json={"select": ["ID"]}, timeout=10).json()
        assert body["total"] == 70 and len(body["result"]) == 50 and body["next"] == 50
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_cli(args, env):
    import os

    return subprocess.run([sys.executable, "-m", "b24metrics", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **env})


def test_kpi_command_lists_cuts_and_refuses_unknown_cuts_with_exit_2(portals, tmp_path):
    import json

    portal = portals(seed=12, leads=300, rate=50.0, burst=50)
    env = {"B24M_PORTAL__WEBHOOK_URL": portal.webhook_url, "B24M_PORTAL__RATE": "50",
           "B24M_WAREHOUSE__PATH": str(tmp_path / "wh.duckdb")}
    assert run_cli(["sync"], env).returncode == 0
    listed = run_cli(["kpi", "list"], env)
    assert listed.returncode == 0 and "leads_by_channel" in listed.stdout
    # which lead statuses M3 counts, by the portal's names (the inference: not the first, no failure)
    assert "SAL (accepted into work):" in listed.stdout and "IN_PROCESS" in listed.stdout
    assert "SQL (qualified):" in listed.stdout and "JUNK" not in listed.stdout
    as_json = run_cli(["kpi", "M1", "--period", "year", "--format", "json"], env)
    rows = json.loads(as_json.stdout)
    assert sum(r["leads"] for r in rows) == 300
    bad = run_cli(["kpi", "M1", "--by", "planet"], env)
    assert bad.returncode == 2 and "cannot be cut by 'planet'" in bad.stderr and "Traceback" not in bad.stderr
    # after the sync's own refresh nothing is left to recompute; --full rebuilds all the same
    again = run_cli(["kpi"], env)
    assert again.returncode == 0 and "refreshed for 0 leads and 0 deals" in again.stdout
    full = run_cli(["kpi", "--full"], env)
    assert full.returncode == 0 and "rebuilt (full refresh asked for)" in full.stdout


def _env_without_webhook(tmp_path) -> dict:
    """Only warehouse.path: no B24M_ key of the test's own environment, no config file (cwd)."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("B24M_")}
    return {**env, "B24M_WAREHOUSE__PATH": str(tmp_path / "wh.duckdb")}


def _cli(args, env, cwd):
    return subprocess.run([sys.executable, "-m", "b24metrics", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=cwd)


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def test_read_only_commands_run_without_the_webhook_and_portal_commands_refuse_with_one_line(portals, tmp_path):
    import json

    portal = portals(seed=8, leads=60, rate=50.0, burst=50)
    bare = _env_without_webhook(tmp_path)
    synced = _cli(["sync"], {**bare, "B24M_PORTAL__WEBHOOK_URL": portal.webhook_url, "B24M_PORTAL__RATE": "50"},
                  tmp_path)
    assert synced.returncode == 0, synced.stderr
    m1 = json.loads(_cli(["kpi", "M1", "--period", "all", "--format", "json"], bare, tmp_path).stdout)
    assert sum(r["leads"] for r in m1) == 60
    for args, shows in [(["status"], "Last runs"), (["kpi", "S1", "--period", "year"], "S1"),
                        (["kpi"], "leads graded"), (["explain", "lead", "1"], "grade (M2)"),
                        (["report", "--out", str(tmp_path / "r.html")], "Report written"),
                        (["export", "--out", str(tmp_path / "bi"), "--format", "csv"], "tables as csv")]:
        run = _cli(args, bare, tmp_path)
        assert run.returncode == 0 and shows in run.stdout, (args, run.stderr)
    for args in (["sync"], ["writeback"], ["writeback", "--dry-run"], ["fields", "setup", "--dry-run"], ["run"]):
        run = _cli(args, bare, tmp_path)
        assert run.returncode == 2 and "Traceback" not in run.stderr, (args, run.stderr)
        assert _error_lines(run.stderr) == [
            "error: config environment (B24M_CONFIG unset, no b24metrics.toml): portal.webhook_url: missing "
            "(set it in the file or as B24M_PORTAL__WEBHOOK_URL)"], (args, run.stderr)


def test_kpi_and_explain_errors_exit_2_with_one_line(portals, tmp_path):
    bare = _env_without_webhook(tmp_path)
    # no warehouse yet: no KPI tables, which is the `report` case: sync first
    for args in (["kpi", "M1"], ["explain", "lead", "1"]):
        run = _cli(args, bare, tmp_path)
        assert run.returncode == 2 and "Traceback" not in run.stderr, (args, run.stderr)
        (line,) = _error_lines(run.stderr)
        assert "no KPI tables" in line and "run `b24metrics sync` first" in line
    backwards = _cli(["kpi", "M1", "--since", "2024-03-01", "--until", "2024-01-01"], bare, tmp_path)
    assert backwards.returncode == 2 and "No rows" not in backwards.stdout
    assert _error_lines(backwards.stderr) == [line for line in backwards.stderr.splitlines() if line.strip()]
    assert "--since must be before --until" in backwards.stderr
    portal = portals(seed=8, leads=30, rate=50.0, burst=50)
    synced = _cli(["sync"], {**bare, "B24M_PORTAL__WEBHOOK_URL": portal.webhook_url, "B24M_PORTAL__RATE": "50"},
                  tmp_path)
    assert synced.returncode == 0, synced.stderr
    for entity in ("lead", "deal"):
        missing = _cli(["explain", entity, "987654"], bare, tmp_path)
        assert missing.returncode == 2 and "Traceback" not in missing.stderr, missing.stderr
        (line,) = _error_lines(missing.stderr)
        assert f"no live {entity} 987654" in line
    assert _cli(["explain", "lead", "1"], bare, tmp_path).returncode == 0
