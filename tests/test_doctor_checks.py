"""The doctor's checks one by one, on real warehouse files and settings (no portal needed): the
schema a newer version wrote, the daemon's last cycle and its age, the memory limit by size, and
kpis.timezone against the portal's offset, IANA names included."""

from datetime import datetime, timedelta, timezone

from b24metrics.config import load_settings
from b24metrics.doctor import exit_code, worst
from b24metrics.doctor.check import ok, problem, warning
from b24metrics.doctor.portal_checks import PortalFacts, rule_fields_check, timezone_check
from b24metrics.doctor.warehouse_checks import (
    WarehouseFacts,
    daemon_check,
    memory_check,
    memory_needed,
    read_facts,
    schema_check,
)
from b24metrics.warehouse import Warehouse, finish_run, start_run


def settings(tmp_path, *, memory_limit: str | None = None, **overrides):
    warehouse = {"path": str(tmp_path / "wh.duckdb"), **({"memory_limit": memory_limit} if memory_limit else {})}
    return load_settings(read_file=False, warehouse=warehouse, **overrides)


def test_exit_code_is_the_worst_line():
    assert exit_code([]) == 0 and worst([]) == "ok"
    assert exit_code([ok("a", ""), warning("b", "", "")]) == 1
    assert exit_code([problem("c", "", ""), ok("a", ""), warning("b", "", "")]) == 2


def test_schema_ok_at_head_a_problem_when_a_newer_version_wrote_it(tmp_path):
    warehouse = Warehouse(tmp_path / "wh.duckdb")
    line, readable = schema_check(warehouse)
    assert line.status == "ok" and "first sync creates it" in line.detail and not readable
    assert not warehouse.path.exists()
    warehouse.migrate()
    line, readable = schema_check(warehouse)
    assert line.status == "ok" and readable and warehouse.head() in line.detail
    with warehouse.connect() as con:
        con.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    line, readable = schema_check(warehouse)
    assert line.status == "problem" and "9999_from_the_future" in line.detail and "newer" in line.detail
    assert not readable


def test_a_file_that_is_no_warehouse_is_a_problem_not_a_crash(tmp_path):
    (tmp_path / "wh.duckdb").write_bytes(b"this is a spreadsheet, not DuckDB" * 100)
    line, readable = schema_check(Warehouse(tmp_path / "wh.duckdb", busy_timeout=0.1))
    assert line.status == "problem" and "cannot be opened" in line.detail and not readable


def test_daemon_check_reads_the_last_cycle_and_its_age(tmp_path):
    config = settings(tmp_path, daemon={"health_max_age_seconds": 3600})
    warehouse = Warehouse(config.warehouse.path)
    warehouse.migrate()
    assert daemon_check(config, read_facts(warehouse)).status == "ok"     # no daemon here: nothing wrong

    run = start_run(warehouse, "cycle")
    finish_run(warehouse, run, status="ok", rows=10, requests=2)
    now = datetime.now(timezone.utc)
    line = daemon_check(config, read_facts(warehouse), now=now + timedelta(minutes=5))
    assert line.status == "ok" and f"run {run}" in line.detail and "5 min ago" in line.detail
    line = daemon_check(config, read_facts(warehouse), now=now + timedelta(hours=3))
    assert line.status == "warning" and "3.0 h ago" in line.detail and "health_max_age_seconds" in line.detail

    run = start_run(warehouse, "cycle")
    finish_run(warehouse, run, status="failed", rows=0, requests=1, error="AuthFailed: NO_AUTH_FOUND (HTTP 401)")
    start_run(warehouse, "sync")    # another kind of run after it does not hide the cycle
    line = daemon_check(config, read_facts(warehouse))
    assert line.status == "problem" and f"run {run}" in line.detail and "NO_AUTH_FOUND" in line.detail


def test_memory_limit_by_the_leads_held(tmp_path):
    assert memory_needed(0) == memory_needed(20_000) == 128 * 1000**2
    assert memory_needed(1_000_000) == 256 * 1000**2 and memory_needed(4_000_000) == 1024 * 1000**2
    assert memory_check(settings(tmp_path), WarehouseFacts(leads=1_000_000)).status == "ok"   # the default
    line = memory_check(settings(tmp_path), WarehouseFacts(leads=2_000_000))
    assert line.status == "warning" and 'memory_limit = "512MB"' in line.fix
    line = memory_check(settings(tmp_path, memory_limit="64MB"),
                        WarehouseFacts(leads=500))
    assert line.status == "warning" and "64MB" in line.detail


def test_time_zone_against_the_portals_offset(tmp_path):
    winter = PortalFacts(scopes=["crm"], now=datetime.fromisoformat("2026-01-15T10:00:00+03:00"), admin=True)
    summer = PortalFacts(scopes=["crm"], now=datetime.fromisoformat("2026-07-15T10:00:00+02:00"), admin=True)

    def status(zone, facts):
        return timezone_check(settings(tmp_path, kpis={"timezone": zone}), facts)

    assert status("portal", winter).status == "ok"
    assert status("+03:00", winter).status == "ok" and status("Europe/Moscow", winter).status == "ok"
    assert status("Europe/Berlin", summer).status == "ok"           # +02:00 in July: DST followed
    line = status("Europe/Berlin", winter)
    assert line.status == "problem" and "+01:00" in line.detail and "+03:00" in line.detail
    assert status("Mars/Olympus", winter).status == "problem"


def test_a_rule_comparing_a_text_field_by_order_is_a_warning(tmp_path):
    config = settings(tmp_path, grading={"rules": [
        {"label": "budget", "points": 10, "when": [{"field": "UF_CRM_BUDGET", "op": ">=", "value": 5}]}]})
    facts = PortalFacts(scopes=["crm"], now=None, admin=True)
    facts.userfields["lead"] = {"UF_CRM_BUDGET": {"FIELD_NAME": "UF_CRM_BUDGET", "USER_TYPE_ID": "string"}}
    line = rule_fields_check(config, facts)
    assert line.status == "warning" and "UF_CRM_BUDGET is string" in line.detail
    facts.userfields["lead"]["UF_CRM_BUDGET"]["USER_TYPE_ID"] = "double"
    assert rule_fields_check(config, facts).status == "ok"
    facts.userfields["lead"] = {}
    assert rule_fields_check(config, facts).status == "problem"
