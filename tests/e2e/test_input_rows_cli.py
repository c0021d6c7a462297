"""Bad rows in an input file, through the real CLI: the sync goes on and warns once per file,
naming the file and each bad line; a file none of whose rows can be used leaves the KPIs that
need it saying "input missing" (kpi and the report), not showing figures without spend."""

import os
import subprocess
import sys

import duckdb

from b24metrics.sandbox.inputs import months_before_anchor


def run_cli(args: list[str], env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "b24metrics", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env={**os.environ, **env})


def test_bad_spend_rows_warn_by_file_and_line_and_an_unusable_file_is_input_missing(portals, tmp_path):
    portal = portals(seed=31, leads=120, rate=50.0, burst=50)
    month = months_before_anchor(1)[0]
    spend = tmp_path / "spend.csv"
    config = tmp_path / "b24metrics.toml"
    config.write_text('[kpis]\nspend_file = "spend.csv"\n', encoding="utf-8")
    env = {"B24M_CONFIG": str(config), "B24M_PORTAL__WEBHOOK_URL": portal.webhook_url, "B24M_PORTAL__RATE": "50",
           "B24M_WAREHOUSE__PATH": str(tmp_path / "wh.duckdb")}

    # lines 3 and 4 are bad, lines 2 and 5 good
    spend.write_text(f"month;channel;amount;currency\n{month};Реклама;1000;RUB\n{month};Реклама;много;RUB\n"
                     f"2026-13;Выставка;10;RUB\n{month};Выставка;500;RUB\n", encoding="utf-8")
    done = run_cli(["sync"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    warned = [line for line in done.stderr.splitlines() if str(spend) in line]
    assert len(warned) == 1 and "WARNING" in warned[0], done.stderr       # once for the file
    assert "line 3: 'много' is not a number" in warned[0] and "line 4: month '2026-13'" in warned[0]
    assert f"{spend}:3" in done.stdout and f"{spend}:4" in done.stdout   # the sync's own summary
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        assert con.execute("SELECT status FROM sync_runs").fetchall() == [("ok",)]
        assert con.execute("SELECT channel, sum(spend) FROM kpi_spend_return WHERE spend > 0 GROUP BY 1 "
                           "ORDER BY 1").fetchall() == [("Выставка", 500.0), ("Реклама", 1000.0)]
    shown = run_cli(["kpi", "spend_return", "--period", "month"], env, tmp_path)
    assert shown.returncode == 0 and "input missing" not in shown.stdout

    # no row usable: the KPIs that need spend say so, in kpi and in the report
    spend.write_text(f"month;channel;amount;currency\n{month};Реклама;много;RUB\n", encoding="utf-8")
    done = run_cli(["sync"], env, tmp_path)
    assert done.returncode == 0, done.stderr
    shown = run_cli(["kpi", "spend_return", "--period", "month", "--by", "channel"], env, tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("input missing:") and str(spend) in shown.stdout.replace("\n", "")
    assert "input missing" in run_cli(["kpi", "call_client_cost"], env, tmp_path).stdout
    assert "input missing" not in run_cli(["kpi", "leads_by_channel"], env, tmp_path).stdout
    report = tmp_path / "report.html"
    made = run_cli(["report", "--out", str(report), "--lang", "en"], env, tmp_path)
    assert made.returncode == 0, made.stderr
    assert "Input missing: spend file" in report.read_text(encoding="utf-8")

    # an unreadable file: the same, with the reason
    spend.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xa4\xc3")
    assert run_cli(["sync"], env, tmp_path).returncode == 0
    shown = run_cli(["kpi", "spend_return"], env, tmp_path)
    # the line wraps at 160 columns where the temporary path puts the break, a space kept before it
    assert "input missing" in shown.stdout and "neither UTF-8 nor Windows-1251" in " ".join(shown.stdout.split())
