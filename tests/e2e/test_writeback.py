"""Write-back over real HTTP: refused rows, fields, dry run, no loop, kill -9, the quality gate."""

import hashlib
import os
import random
import subprocess
import sys

import httpx
import pytest

from b24metrics import pipeline
from b24metrics.extract import STREAMS
from b24metrics.writeback.push import patch_payloads

from .conftest import portal_leads, run_and_kill

CLI = [sys.executable, "-m", "b24metrics"]
LEADS_ONLY = {"deal_fields": {"origin_grade": "", "cycle_days": "", "channel_win_rate": ""},
              "company_fields": {"ltv": "", "purchases": ""}}
GRADE, SCORE, FACTORS = "UF_CRM_B24M_GRADE", "UF_CRM_B24M_SCORE", "UF_CRM_B24M_FACTORS"
ENGAGEMENT = "UF_CRM_B24M_ENGAGEMENT"


def ready(settings, **sync):
    """The warehouse as a good sync leaves it: synced, KPIs refreshed, the run marked ready."""
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.open_client(settings) as client:
        pipeline.run_sync(client, warehouse, settings, list(STREAMS.values()), **sync)
    return warehouse


def ready_two_days_ago(settings):
    """As ready() leaves it, but the run's data was ready two days ago."""
    warehouse = ready(settings)
    with warehouse.transaction() as con:
        con.execute("UPDATE sync_runs SET synced_at = now() - INTERVAL 2 DAY")
    return warehouse


def write(settings, warehouse, **kwargs):
    with pipeline.open_client(settings) as client:
        return pipeline.writeback(client, warehouse, settings, **kwargs)


def cycle(settings, warehouse):
    with pipeline.open_client(settings) as client:
        return pipeline.run_cycle(client, warehouse, settings)


def cli_env(portal, settings):
    env = {k: v for k, v in os.environ.items() if not k.startswith("B24M_")}
    env.update(B24M_PORTAL__WEBHOOK_URL=portal.webhook_url, B24M_WAREHOUSE__PATH=str(settings.warehouse.path),
               B24M_PORTAL__RATE=str(portal.rate), B24M_PORTAL__BURST=str(int(portal.burst)))
    return env


def ledger(warehouse, where="true"):
    with warehouse.connect(read_only=True) as con:
        return con.execute(f"SELECT entity, entity_id, field, outcome, error, tries FROM writeback_ledger "
                           f"WHERE {where} ORDER BY entity_id, field").fetchall()


def updates(portal) -> int:
    return sum(n for method, n in portal.stats.method_calls.items() if method.endswith(".update"))


def test_three_of_500_refused_the_rest_applied_then_retried_then_permanent(portals, settings_for):
    portal = portals(seed=21, leads=500, rate=50.0, burst=50)
    settings = settings_for(portal, writeback={**LEADS_ONLY, "max_tries": 3})
    warehouse = ready(settings)
    ids = sorted(portal.state.leads)
    refused = [ids[7], ids[260], ids[261]]  # each in a batch of 50 with others
    portal.faults.reject_records("crm.lead.update", refused)  # "Access denied", as Bitrix24 words it

    first = write(settings, warehouse).push
    assert first.updates_sent == 500 and first.requests == 10 and first.deferred == 0
    assert sorted(i for _, i in first.rejected) == refused and set(first.rejected.values()) == {"Access denied"}
    # four values per lead: grade, score, factors, engagement
    assert first.applied_values == 497 * 4 and portal.stats.lead_updates_changed == 497
    rows = ledger(warehouse, "outcome <> 'applied'")
    assert [(r[1], r[3], r[4], r[5]) for r in rows] == [(i, "rejected", "Access denied", 1) for i in refused for _ in range(4)]
    leads = {int(lead["ID"]): lead for lead in portal_leads(portal)}
    assert all(leads[i][GRADE] for i in ids if i not in refused)
    assert not any(leads[i][GRADE] for i in refused)

    second = write(settings, warehouse).push  # the next cycle: only the refused ones again
    assert second.updates_sent == 3 and second.requests == 1 and len(second.rejected) == 3
    third = write(settings, warehouse).push
    assert third.updates_sent == 3 and third.made_permanent == 12
    assert {(r[3], r[5]) for r in ledger(warehouse, "outcome = 'permanent'")} == {("permanent", 3)}
    fourth = write(settings, warehouse).push
    assert fourth.updates_sent == 0 and sum(fourth.permanent.values()) == 12
    assert portal.stats.lead_update_calls == 500 + 3 + 3


def test_fields_setup_is_idempotent_and_leaves_a_wrong_type_alone(portals, settings_for):
    portal = portals(seed=22, leads=60, rate=50.0, burst=50)
    settings = settings_for(portal)
    # Someone made a text field of our score's name; our LTV field exists already, rightly typed.
    for method, name, kind in (("crm.lead", "B24M_SCORE", "string"), ("crm.company", "B24M_LTV", "money")):
        assert httpx.post(portal.webhook_url + f"{method}.userfield.add",
                          json={"fields": {"FIELD_NAME": name, "USER_TYPE_ID": kind, "LABEL": "x"}}).status_code == 200
    env = cli_env(portal, settings)

    def setup(*args):
        return subprocess.run(CLI + ["fields", "setup", *args], env=env, capture_output=True, text=True, timeout=120)

    def definitions():
        with portal.state.lock:
            return [dict(d) for kind in ("lead", "deal", "company") for d in getattr(portal.state, f"{kind}_userfields")]

    before = definitions()
    dry = setup("--dry-run")
    assert dry.returncode == 3, dry.stderr  # a wrong type is for a person to decide
    assert dry.stdout.count("would be created") == 7 and "exists as string" in dry.stdout
    assert definitions() == before
    first = setup()
    assert first.returncode == 3 and first.stdout.count("created") == 7 and "exists, reused" in first.stdout
    after_first = definitions()
    assert len(after_first) == len(before) + 7
    second = setup()
    assert second.returncode == 3 and "created" not in second.stdout.replace("would be created", "")
    assert definitions() == after_first  # nothing added, nothing changed
    score = next(d for d in after_first if d["FIELD_NAME"] == SCORE)
    assert score["USER_TYPE_ID"] == "string"  # not overwritten
    cycle_days = next(d for d in after_first if d["FIELD_NAME"] == "UF_CRM_B24M_CYCLE_DAYS")
    assert set(cycle_days["EDIT_FORM_LABEL"]) == {"ru", "en"} and cycle_days["ENTITY_ID"] == "CRM_DEAL"
    assert cycle_days["EDIT_FORM_LABEL"]["ru"].startswith("Цикл сделки")

    warehouse = ready(settings)
    report = write(settings, warehouse)
    assert [(s.name, kind) for s, kind in report.fields.wrong_type] == [(SCORE, "string")]
    written = {name for (_, _, name) in portal.stats.uf_writes}
    assert SCORE not in written and {GRADE, FACTORS, "UF_CRM_B24M_LTV", "UF_CRM_B24M_CYCLE_DAYS"} <= written


def test_dry_run_shows_what_would_change_and_writes_nothing(portals, settings_for):
    portal = portals(seed=23, leads=120, rate=50.0, burst=50)
    settings = settings_for(portal)
    ready(settings)
    portal.stats.reset()
    digest = hashlib.sha256(settings.warehouse.path.read_bytes()).hexdigest()
    run = subprocess.run(CLI + ["writeback", "--dry-run"], env=cli_env(portal, settings), capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert not [m for m in portal.stats.method_calls if m.endswith((".update", ".userfield.add"))]
    assert not portal.stats.uf_writes
    assert hashlib.sha256(settings.warehouse.path.read_bytes()).hexdigest() == digest  # the warehouse too
    out = " ".join(run.stdout.split())
    assert "Write-back (dry run)" in out and "First changes" in out
    for entity, name, count in (("lead", GRADE, 120), ("lead", SCORE, 120), ("deal", "UF_CRM_B24M_CYCLE_DAYS", 40)):
        assert f"{entity} │ {name} │ {count} │" in out
    assert "Would create company field UF_CRM_B24M_LTV" in out


def test_a_sync_after_a_writeback_sends_nothing(portals, settings_for):
    portal = portals(seed=24, leads=300, rate=50.0, burst=50)
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    first = cycle(settings, warehouse)
    # every lead, company and deal gets its card, but a recurring template, which is no deal anyone works on,
    # and the portal's own company (IS_MY_COMPANY), which is no client
    worked_deals = sum(deal["IS_RECURRING"] != "Y" for deal in portal.state.deals.values())
    clients = sum(company["IS_MY_COMPANY"] != "Y" for company in portal.state.companies.values())
    assert clients < len(portal.state.companies)
    assert first.push.updates_sent == 300 + worked_deals + clients
    sent = updates(portal)
    for _ in range(2):
        again = cycle(settings, warehouse)
        # Our writes bumped DATE_MODIFY: the syncs read every lead back, and the diff finds them equal.
        assert next(s for s in again.streams if s.stream == "leads").rows == 300
        assert again.push.values == 0 and again.push.updates_sent == 0 and again.push.requests == 0
    assert updates(portal) == sent


def test_kill_9_during_writeback_then_rerun(portals, settings_for):
    portal = portals(seed=25, leads=2000, rate=50.0, burst=50)
    settings = settings_for(portal)
    ready(settings)
    env = cli_env(portal, settings)
    rng = random.Random(25)
    # Each run is cut when its k-th update reaches the portal: three runs send at most 3 x 800
    # of the ~3,000 updates, so none can end first, however fast the machine.
    updates = ("crm.lead.update", "crm.deal.update", "crm.company.update")
    kills = sum(run_and_kill(CLI + ["writeback"], env, portal, rng.randint(1, 800), updates,
                             linger=rng.uniform(0, 0.5)) for _ in range(3))
    assert kills == 3, f"only {kills} of 3 runs were killed mid-way"
    done = subprocess.run(CLI + ["writeback"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr

    writes = portal.stats.uf_writes
    assert len(writes) > 6000 and max(writes.values()) <= 2
    # Every field equals its KPI: read everything back from the portal, and the diff finds nothing.
    warehouse = ready(settings, full=True)
    assert write(settings, warehouse, dry_run=True).push.values == 0
    with warehouse.connect(read_only=True) as con:
        grades = dict(con.execute("SELECT lead_id, grade FROM lead_grades").fetchall())
    assert {int(lead["ID"]): lead[GRADE] for lead in portal_leads(portal)} == grades


def test_values_left_in_doubt_are_read_back_not_sent_blindly(portals, settings_for):
    portal = portals(seed=28, leads=50, rate=50.0, burst=50)
    settings = settings_for(portal, writeback=LEADS_ONLY)
    warehouse = ready(settings)
    write(settings, warehouse)
    lost, landed = sorted(portal.state.leads)[3:5]
    with warehouse.connect(read_only=True) as con:
        grade = dict(con.execute("SELECT lead_id, grade FROM lead_grades WHERE lead_id IN (?, ?)", [lost, landed]).fetchall())
    # As a run killed mid-batch leaves it: both values 'sent', not yet in the stored payloads;
    # the portal got one of them.
    with portal.state.lock:
        portal.state.leads[lost][GRADE] = "X"
    with warehouse.transaction() as con:
        patch_payloads(con, [("lead", lost, GRADE, "X"), ("lead", landed, GRADE, "X")])
        for lead_id in (lost, landed):
            con.execute("INSERT INTO writeback_ledger (entity, entity_id, field, old_value, new_value, outcome, written_at) "
                        "VALUES ('lead', ?, ?, 'X', ?, 'sent', now())", [lead_id, GRADE, grade[lead_id]])
    before = dict(portal.stats.uf_writes)
    push = write(settings, warehouse).push
    assert push.in_doubt == 2 and push.in_doubt_applied == 1
    assert push.updates_sent == 1 and portal.state.leads[lost][GRADE] == grade[lost]
    assert portal.stats.uf_writes[("lead", landed, GRADE)] == before[("lead", landed, GRADE)]
    outcomes = {r[1]: r[3] for r in ledger(warehouse, f"field = '{GRADE}' AND error LIKE 'read back%'")}
    assert outcomes == {lost: "lost", landed: "applied"}


def test_a_method_blocked_mid_writeback_waits_and_sends_again(portals, settings_for):
    portal = portals(seed=27, leads=300, rate=50.0, burst=50)
    settings = settings_for(portal, writeback={**LEADS_ONLY, "workers": 1})
    warehouse = ready(settings)
    # The third request from here (the first update batch after the two field calls) finds
    # crm.lead.update blocked: 429 OPERATION_TIME_LIMIT on each of its commands. For 20 s: the
    # plan built between those requests cannot outlast it on a loaded machine, and it is over
    # when the client, told no reset time by a 429, tries again a basket (a minute) later.
    portal.on_request(lambda p: p.block_method("crm.lead.update", 20.0), after=2)
    push = write(settings, warehouse).push
    assert push.deferred >= 1 and not push.rejected
    assert push.applied_values == 1200 and portal.stats.lead_updates_changed == 300
    assert {r[3] for r in ledger(warehouse)} == {"applied", "deferred"}


def test_the_gate_blocks_after_a_failed_sync_and_a_good_one_lifts_it(portals, settings_for):
    portal = portals(seed=26, leads=80, rate=50.0, burst=50)
    settings = settings_for(portal)
    warehouse = ready(settings)
    portal.faults.fail_next(50, status=500, error="INTERNAL_SERVER_ERROR", description="down for maintenance")
    with pipeline.open_client(settings) as client:
        client.backoff = 0.01
        with pytest.raises(Exception, match="INTERNAL_SERVER_ERROR"):
            pipeline.run_cycle(client, warehouse, settings)
    portal.faults.clear()
    portal.stats.reset()
    report = write(settings, warehouse)
    assert report.blocked and "failed" in report.gate.reasons[0] and "down for maintenance" in report.gate.reasons[0]
    assert not portal.stats.method_calls  # not even the fields were looked at
    good = cycle(settings, warehouse)
    assert good.gate.passed and good.push.applied_values > 0


def test_the_gate_blocks_a_stale_sync_and_the_cli_says_why(portals, settings_for):
    portal = portals(seed=30, leads=60, rate=50.0, burst=50)
    settings = settings_for(portal)
    ready_two_days_ago(settings)
    portal.stats.reset()
    run = subprocess.run(CLI + ["writeback"], env=cli_env(portal, settings), capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 6, run.stderr
    out = " ".join(run.stdout.split())
    assert "Write-back blocked" in out and "2880 minutes old" in out and "max_sync_age_minutes = 180" in out
    assert updates(portal) == 0


def test_a_sync_of_some_streams_does_not_make_stale_data_fresh_for_the_gate(portals, settings_for):
    portal = portals(seed=32, leads=40, rate=50.0, burst=50)
    settings = settings_for(portal)
    warehouse = ready_two_days_ago(settings)
    with pipeline.open_client(settings) as client:
        partial, _ = pipeline.run_sync(client, warehouse, settings, pipeline.select_streams(["leads"]))
    with warehouse.connect(read_only=True) as con:
        kind, synced = con.execute("SELECT kind, synced_at FROM sync_runs WHERE run_id = ?",
                                   [partial.run_id]).fetchall()[0]
    assert kind == "partial sync" and synced is None
    report = write(settings, warehouse)
    assert report.blocked and "2880 minutes old" in report.gate.reasons[0]


def test_the_gate_blocks_on_a_failing_hygiene_threshold(portals, settings_for):
    portal = portals(seed=31, leads=200, rate=50.0, burst=50)
    strict = settings_for(portal, writeback={"quality_gate": {"hygiene_max": {"no_source_share": 1.0},
                                                              "hygiene_days": 100_000}})
    warehouse = pipeline.open_warehouse(strict)
    blocked = cycle(strict, warehouse)
    assert len(blocked.gate.reasons) == 1 and "no_source_share" in blocked.gate.reasons[0]
    assert blocked.push.values == 0 and updates(portal) == 0
    lenient = settings_for(portal, writeback={"quality_gate": {"hygiene_max": {"no_source_share": 90.0},
                                                               "hygiene_days": 100_000}})
    passed = cycle(lenient, warehouse)
    assert passed.gate.passed and any("no_source_share" in c for c in passed.gate.checks)
    assert passed.push.applied_values > 0


def test_the_engagement_field_joins_the_writeback_then_idle_cycles_send_nothing(portals, settings_for):
    portal = portals(seed=33, leads=150, rate=50.0, burst=50)
    without = settings_for(portal, writeback={**LEADS_ONLY, "lead_fields": {"engagement": ""}})
    warehouse = pipeline.open_warehouse(without)
    first = cycle(without, warehouse)
    assert first.push.updates_sent == 150
    assert not any(d["FIELD_NAME"] == ENGAGEMENT for d in portal.state.lead_userfields)

    settings = settings_for(portal, writeback=LEADS_ONLY)     # the new field, as an upgrade brings it
    joined = cycle(settings, warehouse)
    assert any(d["FIELD_NAME"] == ENGAGEMENT for d in portal.state.lead_userfields)
    # only the new field's values go out: the grades the portal holds are left alone
    assert joined.push.updates_sent == 150 and joined.push.applied_values == 150
    with warehouse.connect(read_only=True) as con:
        wanted = dict(con.execute("SELECT lead_id, engagement FROM kpi_lead_cards").fetchall())
    held = {int(lead["ID"]): lead[ENGAGEMENT] for lead in portal_leads(portal)}
    assert held == {i: str(int(v)) for i, v in wanted.items()}
    assert sum(1 for v in wanted.values() if v > 0) >= 10, "the sandbox's leads did something"
    sent = updates(portal)
    for _ in range(10):
        idle = cycle(settings, warehouse)
        assert idle.push.values == 0 and idle.push.updates_sent == 0
    assert updates(portal) == sent
