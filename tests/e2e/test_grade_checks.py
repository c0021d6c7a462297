"""Grading rules are checked before any grade is written, through the real CLI against a sandbox
portal: a wrong-typed value stops at start (exit 2, nothing asked of the portal); a rule on a
custom field the portal does not have (or no longer has) leaves the leads ungraded with one line
naming the rule and the field, and the write-back writes nothing (counted at the sandbox); a rule
set that puts every lead into one grade is reported."""

import os
import subprocess
import sys
from html import unescape
from pathlib import Path

import duckdb

BOOL_FIELD = "UF_CRM_1708952993785"   # a boolean lead field every sandbox portal has


def _run(args: list[str], tmp_path: Path, portal, rules: str) -> subprocess.CompletedProcess:
    (tmp_path / "b24metrics.toml").write_text(rules, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("B24M_")}
    env.update(B24M_WAREHOUSE__PATH=str(tmp_path / "wh.duckdb"), B24M_PORTAL__WEBHOOK_URL=portal.webhook_url,
               B24M_PORTAL__RATE="50", B24M_CONFIG=str(tmp_path / "b24metrics.toml"), COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "b24metrics", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=tmp_path)


def _writes(portal) -> list[str]:
    return [m for m in portal.stats.method_calls if m.endswith((".update", ".userfield.add"))]


def _graded(tmp_path: Path) -> int:
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        return con.execute("SELECT count(*) FROM lead_grades").fetchall()[0][0]


def _report(tmp_path: Path, portal, rules: str) -> str:
    """The grade section of the English report, its whitespace folded."""
    done = _run(["report", "--period", "year", "--lang", "en", "--out", str(tmp_path / "r.html")], tmp_path, portal, rules)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    return " ".join(unescape(html.split('id="grades"')[1].split("</section>")[0]).split())


def _rule(label: str, field: str, op: str, value: str) -> str:
    return f'[[grading.rules]]\nlabel = "{label}"\npoints = 50\nwhen = [{{ field = "{field}", op = "{op}", value = {value} }}]\n'


def test_a_rule_value_of_the_wrong_type_stops_at_start_naming_the_rule(tmp_path, portals):
    portal = portals(seed=3, leads=20, rate=50.0)
    done = _run(["sync"], tmp_path, portal, _rule("big company", "company_employees_min", ">=", '"lots"'))
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "rule 'big company'" in errors[0] and "needs a number, not 'lots'" in errors[0]
    assert "Traceback" not in done.stderr and portal.stats.http_requests == 0


def test_a_rule_on_a_missing_field_grades_nothing_and_writes_nothing(tmp_path, portals):
    portal = portals(seed=3, leads=20, rate=50.0)
    rules = _rule("rated by a manager", "UF_CRM_NO_SUCH_FIELD", ">=", "4")
    synced = _run(["sync"], tmp_path, portal, rules)
    assert synced.returncode == 0, synced.stderr
    line = ("leads not graded: grading rule 'rated by a manager' reads UF_CRM_NO_SUCH_FIELD, which the "
            "portal's leads do not have")
    assert line in " ".join(synced.stdout.split())
    assert _graded(tmp_path) == 0   # the sync stands, the grades were not made
    assert "grading rule 'rated by a manager' reads UF_CRM_NO_SUCH_FIELD" in _report(tmp_path, portal, rules)
    portal.stats.reset()
    written = _run(["writeback"], tmp_path, portal, rules)
    assert written.returncode == 6, written.stderr
    assert "grades held back: grading rule 'rated by a manager' reads UF_CRM_NO_SUCH_FIELD" in written.stderr
    assert _writes(portal) == [] and not portal.stats.uf_writes


def test_a_field_deleted_after_grading_holds_the_grades_back(tmp_path, portals):
    portal = portals(seed=3, leads=20, rate=50.0)
    rules = _rule("flagged", BOOL_FIELD, "=", "true")
    first = _run(["sync"], tmp_path, portal, rules)
    assert first.returncode == 0 and "not graded" not in first.stdout, first.stdout + first.stderr
    assert _graded(tmp_path) == 20
    with portal.state.lock:   # the admin deletes the field on the portal
        portal.state.lead_userfields[:] = [d for d in portal.state.lead_userfields if d["FIELD_NAME"] != BOOL_FIELD]
        for lead in portal.state.leads.values():
            lead.pop(BOOL_FIELD, None)
    again = _run(["sync"], tmp_path, portal, rules)
    assert f"leads not graded: grading rule 'flagged' reads {BOOL_FIELD}" in " ".join(again.stdout.split())
    portal.stats.reset()
    written = _run(["writeback"], tmp_path, portal, rules)
    assert written.returncode == 6 and "grades held back" in written.stderr, written.stderr
    assert _writes(portal) == []


def test_rules_that_put_every_lead_into_one_grade_are_reported(tmp_path, portals):
    portal = portals(seed=3, leads=30, rate=50.0)
    synced = _run(["sync"], tmp_path, portal, _rule("never", "opportunity", "<", "-1"))
    assert synced.returncode == 0, synced.stderr
    assert "warning: the grading rules put 100% of 30 leads into grade D" in " ".join(synced.stdout.split())
    report = _report(tmp_path, portal, _rule("never", "opportunity", "<", "-1"))
    assert "The grading rules put 100 % of 30 leads into grade D" in report
