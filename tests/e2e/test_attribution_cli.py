"""`kpi --model`: the cohort KPIs cut by either attribution model from the command line."""

import json

from tests.e2e.test_cli import run_cli


def test_kpi_model_picks_the_attribution_model_and_says_which(portals, tmp_path):
    portal = portals(seed=12, leads=300, rate=50.0, burst=50)
    env = {"B24M_PORTAL__WEBHOOK_URL": portal.webhook_url, "B24M_PORTAL__RATE": "50",
           "B24M_WAREHOUSE__PATH": str(tmp_path / "wh.duckdb")}
    assert run_cli(["sync"], env).returncode == 0
    totals = {}
    for model in ("first", "deal"):
        shown = run_cli(["kpi", "cohort_return", "--period", "all", "--model", model, "--format", "json"], env)
        assert shown.returncode == 0, shown.stderr
        (row,) = json.loads(shown.stdout)
        totals[model] = row
    # the leads are the same under either model, and so is each client's first won deal (the
    # models differ only in where a returning client's later deals go)
    assert totals["first"]["leads"] == totals["deal"]["leads"] == 300
    assert totals["first"]["new_clients"] == totals["deal"]["new_clients"] > 0
    table = run_cli(["kpi", "cohort_return", "--by", "channel", "--model", "deal"], env)
    assert table.returncode == 0 and "model 'deal'" in table.stdout
    default = run_cli(["kpi", "cohort_return", "--by", "channel"], env)
    assert default.returncode == 0 and "model 'first'" in default.stdout
    bad = run_cli(["kpi", "cohort_return", "--model", "last"], env)
    assert bad.returncode == 2 and "one of first, deal" in bad.stderr and "Traceback" not in bad.stderr
