"""`b24metrics grade check` over a sandbox portal: the proof of the grade from the grades at entry."""

import os
import re
import subprocess
import sys

from b24metrics import pipeline
from b24metrics.config import load_settings
from b24metrics.extract import STREAMS
from b24metrics.grading import backtest, portal_band_mapping


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("B24M_")}
    return {**env, "B24M_WAREHOUSE__PATH": str(tmp_path / "wh.duckdb"), **extra}


def _check(tmp_path, *args):
    return subprocess.run([sys.executable, "-m", "b24metrics", "grade", "check", *args], capture_output=True,
                          text=True, timeout=300, env=_env(tmp_path), cwd=tmp_path)


def _synced(portal, settings_for):
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.open_client(settings) as client:
        pipeline.run_sync(client, warehouse, settings, list(STREAMS.values()))
    return settings, warehouse


def test_grade_check_before_a_sync_is_one_line_exit_2(tmp_path):
    run = _check(tmp_path)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert [line for line in run.stderr.splitlines() if line.startswith("error: ")] == [
        f"error: no KPI tables in {tmp_path / 'wh.duckdb'} yet: run `b24metrics sync` first "
        "(or `b24metrics kpi --refresh`)"]


def test_grade_check_prints_the_proof_and_a_proposed_block_that_loads_as_config(portals, settings_for, tmp_path):
    portal = portals(seed=12, leads=600, rate=50.0, burst=50)
    settings, warehouse = _synced(portal, settings_for)
    with warehouse.connect(read_only=True) as con:
        result = backtest(con, settings.grading)
        mapping = portal_band_mapping(con, settings.grading)
    run = _check(tmp_path)
    assert run.returncode == 0, run.stderr
    out = " ".join(run.stdout.split())
    # the default rules' employee thresholds, each with the band of this portal that stands in for it
    assert {m["threshold"] for m in mapping} == {250, 1000}
    assert "Employee thresholds on this portal's size bands" in out
    for m in mapping:
        assert " ".join(m["note"].split()) in out
    assert "Settled leads by grade at entry" in out
    for g in result.grades:   # each grade's row with its won interval, as backtest() has it
        low, high = g.won_interval
        assert f"{100 * low:.1f}-{100 * high:.1f}" in out
    assert result.verdict() in out
    block = run.stdout[run.stdout.index("[grading]\n"):]
    (tmp_path / "proposed.toml").write_text(block, encoding="utf-8")
    proposed = load_settings(tmp_path / "proposed.toml", read_file=True)
    assert [r.label for r in proposed.grading.rules] == [r.label for r in settings.grading.rules]
    assert [r.when for r in proposed.grading.rules] == [r.when for r in settings.grading.rules]
    suggested = {s.label: s.points for s in result.suggestions if s.points is not None}
    assert suggested and all(r.points == suggested.get(r.label, r.points) for r in proposed.grading.rules)
    assert "--no-suggest" in subprocess.run([sys.executable, "-m", "b24metrics", "grade", "check", "--help"],
                                            capture_output=True, text=True, timeout=60).stdout
    bare = _check(tmp_path, "--no-suggest")
    assert bare.returncode == 0 and "[grading]" not in bare.stdout and "Settled leads" in bare.stdout


def test_on_the_sandbox_a_leads_are_won_at_least_twice_as_often_as_d_leads(portals, settings_for, tmp_path):
    portal = portals(seed=7, leads=3000, rate=200.0, burst=200)
    settings, warehouse = _synced(portal, settings_for)
    with warehouse.connect(read_only=True) as con:
        result = backtest(con, settings.grading, suggest=False)
    a, d = result.row("A"), result.row("D")
    assert a is not None and d is not None and a.leads >= 30 and d.leads >= 30
    assert result.lift is not None and result.lift >= 2.0, (a, d)
    assert result.separates
    run = _check(tmp_path, "--no-suggest")
    out = " ".join(run.stdout.split())
    assert "The grade separates outcomes on this portal" in out
    assert re.search(r"A is won \d+\.\dx as often", out)
