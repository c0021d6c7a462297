"""`b24metrics doctor` through the real CLI against the sandbox portal: all ok on a sound setup;
a rule on a field the portal lacks, a time zone other than the portal's and a spend channel the
portal has no source of are each named, exit 2; a webhook without a scope is named too."""

import json
import os
import subprocess
import sys

from b24metrics.sandbox.inputs import months_before_anchor


def run_cli(args: list[str], env: dict[str, str | None], cwd) -> subprocess.CompletedProcess:
    """`env` over this process's environment; a None value takes that variable out."""
    merged = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    return subprocess.run([sys.executable, "-m", "b24metrics", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=merged)


def setup(portal, tmp_path, config_text: str = "") -> dict[str, str | None]:
    config = tmp_path / "b24metrics.toml"
    config.write_text(config_text, encoding="utf-8")
    return {"B24M_CONFIG": str(config), "B24M_PORTAL__WEBHOOK_URL": portal.webhook_url, "B24M_PORTAL__RATE": "50",
            "B24M_WAREHOUSE__PATH": str(tmp_path / "wh.duckdb")}


def checks_of(done: subprocess.CompletedProcess) -> dict[str, dict]:
    return {c["name"]: c for c in json.loads(done.stdout)["checks"]}


def test_doctor_is_all_ok_on_a_sound_setup_before_and_after_the_first_sync(portals, tmp_path):
    portal = portals(seed=21, leads=120, rate=50.0, burst=50)
    month = months_before_anchor(1)[0]
    (tmp_path / "spend.csv").write_text(f"month,channel,amount,currency\n{month},Реклама,1000,RUB\n", encoding="utf-8")
    env = setup(portal, tmp_path, '[kpis]\nspend_file = "spend.csv"\ntracking_numbers = {}\n')

    before = run_cli(["doctor", "--format", "json"], env, tmp_path)
    assert before.returncode == 0, before.stdout + before.stderr
    assert json.loads(before.stdout)["status"] == "ok"
    assert not (tmp_path / "wh.duckdb").exists()   # read-only: the doctor creates no warehouse

    assert run_cli(["sync"], env, tmp_path).returncode == 0
    done = run_cli(["doctor"], env, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("webhook", "grading rule fields", "write-back fields", "time zone", "spend file",
                 "warehouse schema", "memory limit", "daemon"):
        assert any(line.split("│")[2].strip() == name and line.split("│")[1].strip() == "ok"
                   for line in done.stdout.splitlines() if line.count("│") >= 4), (name, done.stdout)
    assert done.stdout.rstrip().endswith("ok, 0 warnings, 0 problems")
    assert portal.token not in done.stdout + done.stderr

    as_json = checks_of(run_cli(["doctor", "--format", "json"], env, tmp_path))
    assert {c["status"] for c in as_json.values()} == {"ok"}
    assert "scopes crm, telephony, user" in as_json["webhook"]["detail"]

    small = run_cli(["doctor", "--format", "json"], {**env, "B24M_WAREHOUSE__MEMORY_LIMIT": "64MB"}, tmp_path)
    assert small.returncode == 1   # a warning: the memory limit the 20,000-lead case ran out with
    memory = checks_of(small)["memory limit"]
    assert memory["status"] == "warning" and "64MB" in memory["detail"] and "128MB" in memory["fix"]


def test_doctor_names_a_missing_rule_field_a_wrong_time_zone_and_an_unknown_channel(portals, tmp_path):
    portal = portals(seed=22, leads=60, rate=50.0, burst=50)
    month = months_before_anchor(1)[0]
    (tmp_path / "spend.csv").write_text(f"month;channel;amount;currency\n{month};Реклама;1000;RUB\n{month};Телевидение;5000;RUB\n",
                                        encoding="utf-8")
    env = setup(portal, tmp_path, "\n".join([
        "[kpis]", 'spend_file = "spend.csv"', 'timezone = "+05:00"', "",
        "[[grading.rules]]", 'label = "big budget"', "points = 50",
        'when = [{field = "UF_CRM_NO_SUCH_FIELD", op = ">=", value = 100000}]', ""]))

    done = run_cli(["doctor", "--format", "json"], env, tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    found = checks_of(done)
    assert json.loads(done.stdout)["status"] == "problem"
    rule = found["grading rule fields"]
    assert rule["status"] == "problem" and "UF_CRM_NO_SUCH_FIELD" in rule["detail"] and "big budget" in rule["detail"]
    zone = found["time zone"]
    assert zone["status"] == "problem" and "+05:00" in zone["detail"] and "+03:00" in zone["detail"]
    assert '"portal"' in zone["fix"]
    spend = found["spend file"]
    assert spend["status"] == "problem" and "'Телевидение'" in spend["detail"] and "Реклама" not in spend["detail"]
    assert found["webhook"]["status"] == "ok"

    table = run_cli(["doctor"], env, tmp_path)   # the same three, in the table a person reads
    assert table.returncode == 2
    assert "UF_CRM_NO_SUCH_FIELD" in table.stdout and "Телевидение" in table.stdout and "+05:00" in table.stdout
    assert "3 problems" in table.stdout


def test_doctor_names_a_scope_the_webhook_lacks_and_an_answerless_portal(portals, tmp_path):
    portal = portals(seed=23, leads=20, rate=50.0, burst=50)
    portal.scopes = ["crm", "user"]
    env = setup(portal, tmp_path)
    done = run_cli(["doctor", "--format", "json"], env, tmp_path)
    assert done.returncode == 2
    webhook = checks_of(done)["webhook"]
    assert webhook["status"] == "problem" and "telephony" in webhook["detail"] and "telephony" in webhook["fix"]

    unset = run_cli(["doctor", "--format", "json"], {**env, "B24M_PORTAL__WEBHOOK_URL": None}, tmp_path)
    assert unset.returncode == 2, unset.stderr
    found = checks_of(unset)
    assert found["webhook"]["status"] == "problem" and "portal.webhook_url is not set" in found["webhook"]["detail"]
    assert "B24M_PORTAL__WEBHOOK_URL" in found["webhook"]["fix"] and "warehouse schema" in found   # the rest still runs

    port = portal.port
    portal.stop()
    gone = run_cli(["doctor", "--format", "json"], {**env, "B24M_PORTAL__GIVE_UP_AFTER_SECONDS": "2"}, tmp_path)
    assert gone.returncode == 2
    webhook = checks_of(gone)["webhook"]
    assert webhook["status"] == "problem" and f"127.0.0.1:{port}" in webhook["detail"]
    assert portal.token not in gone.stdout + gone.stderr
