"""Input files on a real setup, through the real CLI: a spend file Excel saved in Windows-1251 is
read; one nobody can read is one warning naming it, and the sync, its run and the write-back go
on. The config names the file by a relative path, read beside the config file whatever the
working directory."""

import os
import subprocess
import sys

import duckdb

from b24metrics.sandbox.inputs import months_before_anchor

SPEND = "month;channel;amount;currency\r\n{month};Реклама;123 456,00;RUB\r\n{month};Выставка;7 000;RUB\r\n"


def run_cli(args: list[str], env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "b24metrics", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env={**os.environ, **env})


def test_an_unreadable_spend_file_warns_once_and_a_windows_1251_one_is_read(portals, tmp_path):
    portal = portals(seed=12, leads=150, rate=50.0, burst=50)
    conf, elsewhere = tmp_path / "conf", tmp_path / "elsewhere"
    conf.mkdir()
    elsewhere.mkdir()
    config = conf / "b24metrics.toml"
    config.write_text('[kpis]\nspend_file = "spend.csv"\n', encoding="utf-8")
    spend = conf / "spend.csv"
    warehouse = tmp_path / "wh.duckdb"
    env = {"B24M_CONFIG": str(config), "B24M_PORTAL__WEBHOOK_URL": portal.webhook_url, "B24M_PORTAL__RATE": "50",
           "B24M_WAREHOUSE__PATH": str(warehouse)}

    spend.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xa4\xc3")  # an .xlsx renamed .csv
    done = run_cli(["sync"], env, elsewhere)
    assert done.returncode == 0, done.stderr
    naming = [line for line in done.stderr.splitlines() if str(spend) in line]
    assert len(naming) == 1 and "WARNING" in naming[0] and "neither UTF-8 nor Windows-1251" in naming[0]
    assert "input missing" in naming[0]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT kind, status FROM sync_runs ORDER BY run_id").fetchall() == [("sync", "ok")]
        assert con.execute("SELECT count(*) FROM kpi_leads WHERE grade IS NOT NULL").fetchone()[0] == 150
        assert con.execute("SELECT count(*) FROM kpi_spend_return WHERE spend > 0").fetchone()[0] == 0
    # the data counts as freshly synced: the write-back's quality gate lets it through
    written = run_cli(["writeback"], env, elsewhere)
    assert written.returncode == 0, written.stdout + written.stderr

    month = months_before_anchor(1)[0]
    spend.write_bytes(SPEND.format(month=month).encode("cp1251"))
    done = run_cli(["sync"], env, elsewhere)
    assert done.returncode == 0, done.stderr
    assert str(spend) not in done.stderr
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT channel, sum(spend) FROM kpi_spend_return WHERE spend > 0 "
                           "GROUP BY channel ORDER BY channel").fetchall() == [("Выставка", 7000.0),
                                                                                ("Реклама", 123456.0)]
