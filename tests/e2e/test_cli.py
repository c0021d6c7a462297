import subprocess
import sys

import pytest

COMMANDS = ["demo", "sync", "status", "kpi", "writeback", "sandbox"]


def _run(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "b24metrics", *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_explains_itself(command):
    run = _run(command, "--help")
    assert run.returncode == 0 and "Usage" in run.stdout and len(run.stdout.splitlines()) > 5


def test_top_level_help_lists_commands_and_exit_codes():
    run = _run("--help")
    assert run.returncode == 0
    for command in COMMANDS:
        assert command in run.stdout
    assert "Exit codes" in run.stdout


def test_demo_runs_the_whole_cycle(tmp_path):
    run = _run("demo", "--dir", str(tmp_path), "--leads", "120", "--seed", "5")
    assert run.returncode == 0, run.stderr
    assert "Lead grades by source" in run.stdout and "Wrote 360 values on 120 of 120 leads" in run.stdout
    assert (tmp_path / "b24metrics.duckdb").is_file()


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
