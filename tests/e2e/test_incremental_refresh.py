"""An incremental KPI refresh ends exactly where a full rebuild of the same warehouse ends.

A generated sandbox portal is synced and refreshed (a full rebuild, the first), then edited the
ways a working CRM changes between two syncs: statuses and stages moved (with their history
rows), sources, managers and amounts edited, deals relinked to other leads and moved between
pipelines, companies resized (the grade reads them), new leads and deals, activities done,
calls logged. After the next sync the refresh recomputes only the items in scope; its tables
must then equal, row for row, what a full rebuild makes from the same warehouse.
"""

from __future__ import annotations

import math
import random

import pytest

from b24metrics import pipeline
from b24metrics.extract import STREAMS
from b24metrics.kpis.refresh import refresh_kpis
from b24metrics.sandbox.data_deals import stage_semantic
from b24metrics.sandbox.methods import _lead_moved as lead_moved, append_history


def _snapshot(warehouse) -> dict[str, list[tuple]]:
    def norm(value):
        if isinstance(value, float) and math.isfinite(value):
            return float(f"{value:.9g}")  # aggregates sum rows in another order
        return value

    with warehouse.connect(read_only=True) as con:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'kpi\\_%' ESCAPE '\\' "
            "AND table_name <> 'kpi_state' ORDER BY 1").fetchall()]
        tables += ["lead_grades", "lead_engagement"]
        shot = {}
        for table in tables:
            # when a grade was computed differs; what it is must not
            columns = "* EXCLUDE (computed_at)" if table == "lead_grades" else "*"
            rows = con.execute(f"SELECT {columns} FROM {table}").fetchall()
            shot[table] = sorted((tuple(norm(v) for v in row) for row in rows), key=repr)
    return shot


def _edit(portal, rng: random.Random) -> None:
    """One sync's worth of business: every kind of change a per-item KPI row depends on."""
    state = portal.state
    stamp = portal.format_time(portal.clock())
    lead_stages = ["NEW", "IN_PROCESS", "PROCESSED", "CONVERTED", "JUNK"]
    with state.lock:
        leads, deals = sorted(state.leads), sorted(state.deals)
        for lead_id in rng.sample(leads, 12):
            lead = state.leads[lead_id]
            status = rng.choice(lead_stages)
            lead.update(STATUS_ID=status, SOURCE_ID=rng.choice(["CALL", "WEB", "EMAIL", None]),
                        ASSIGNED_BY_ID=str(rng.choice([1, 5, 6, 9])), DATE_MODIFY=stamp)
            lead_moved(state, lead, status, stamp, "1")     # its semantics and history, as the portal's own
        for deal_id in rng.sample(deals, 10):
            deal = state.deals[deal_id]
            move = rng.random()
            if move < 0.3:    # to another pipeline
                category = rng.choice([0, 1])
                stage = "NEW" if category == 0 else f"C{category}:NEW"
                deal.update(CATEGORY_ID=str(category))
            else:
                prefix = "" if deal.get("CATEGORY_ID") in (None, "0", 0) else f"C{deal['CATEGORY_ID']}:"
                stage = prefix + rng.choice(["PREPARATION", "WON", "LOSE", "NEW"])
            deal.update(STAGE_ID=stage, STAGE_SEMANTIC_ID=stage_semantic(stage), MOVED_TIME=stamp, DATE_MODIFY=stamp,
                        OPPORTUNITY=f"{rng.randint(0, 90000)}.00")
            if rng.random() < 0.5:   # relinked to another lead
                deal["LEAD_ID"] = str(rng.choice(leads))
            append_history(state, 2, deal_id, stage, stamp, int(deal.get("CATEGORY_ID") or 0))
        # leads whose deals stay as they are: a deal carries its lead's grade and channel
        origins = sorted({int(d["LEAD_ID"]) for d in state.deals.values() if d.get("LEAD_ID") not in (None, "", "0")})
        for lead_id in rng.sample(origins, min(5, len(origins))):
            state.leads[lead_id].update(COMPANY_ID=str(rng.choice(sorted(state.companies))), HAS_PHONE="N",
                                        UTM_SOURCE="changed", SOURCE_ID="PARTNER", DATE_MODIFY=stamp)
        for company_id in rng.sample(sorted(state.companies), 4):
            state.companies[company_id].update(
                EMPLOYEES=rng.choice(["EMPLOYEES_1", "EMPLOYEES_4", "EMPLOYEES_5"]), DATE_MODIFY=stamp)
        # clients: a won deal's company and contact change, and names on the revenue rows
        won = [d for d in deals if state.deals[d].get("STAGE_SEMANTIC_ID") == "S"]
        for deal_id in rng.sample(won, min(4, len(won))):
            state.deals[deal_id].update(COMPANY_ID=rng.choice([None, str(rng.choice(sorted(state.companies)))]),
                                        CONTACT_ID=str(rng.choice(sorted(state.contacts))), DATE_MODIFY=stamp)
        bought = sorted({int(state.deals[d]["COMPANY_ID"]) for d in won if state.deals[d].get("COMPANY_ID")})
        for company_id in rng.sample(bought, min(3, len(bought))):
            state.companies[company_id].update(TITLE=f"ООО Переименованная {company_id}", DATE_MODIFY=stamp)
        buyers = sorted({int(state.deals[d]["CONTACT_ID"]) for d in won if state.deals[d].get("CONTACT_ID")})
        for contact_id in rng.sample(buyers, min(3, len(buyers))):
            state.contacts[contact_id].update(NAME="Новое", LAST_NAME=f"Имя {contact_id}", DATE_MODIFY=stamp)
        for _ in range(3):
            new_id = max(state.leads) + 1
            state.leads[new_id] = {**state.leads[rng.choice(leads)], "ID": str(new_id), "DATE_CREATE": stamp,
                                   "DATE_MODIFY": stamp, "STATUS_ID": "NEW", "STATUS_SEMANTIC_ID": "P"}
            append_history(state, 1, new_id, "NEW", stamp)
        for _ in range(2):
            new_id = max(state.deals) + 1
            state.deals[new_id] = {**state.deals[rng.choice(deals)], "ID": str(new_id), "DATE_CREATE": stamp,
                                   "DATE_MODIFY": stamp, "LEAD_ID": str(rng.choice(leads))}
        activity_ids = sorted(state.activities)
        for activity_id in rng.sample(activity_ids, 10):   # done now
            state.activities[activity_id].update(COMPLETED="Y", LAST_UPDATED=stamp)
        for _ in range(8):
            new_id = max(state.activities) + 1
            owner_type, owner = rng.choice([("1", rng.choice(leads)), ("2", rng.choice(deals))])
            state.activities[new_id] = {**state.activities[rng.choice(activity_ids)], "ID": str(new_id),
                                        "OWNER_TYPE_ID": owner_type, "OWNER_ID": str(owner), "COMPLETED": "Y",
                                        "DIRECTION": "2", "CREATED": stamp, "LAST_UPDATED": stamp,
                                        "START_TIME": stamp}
        call_ids = sorted(state.calls)
        for _ in range(5):
            new_id = max(state.calls) + 1
            state.calls[new_id] = {**state.calls[rng.choice(call_ids)], "ID": str(new_id),
                                   "CALL_START_DATE": stamp, "CRM_ENTITY_TYPE": "LEAD",
                                   "CRM_ENTITY_ID": str(rng.choice(leads)), "CALL_TYPE": rng.choice(["1", "2"])}


@pytest.mark.parametrize("seed", [3, 11])
def test_incremental_refresh_equals_a_full_rebuild(portals, settings_for, seed):
    portal = portals(seed=seed, leads=800, companies=150, contacts=200, deals=300, activities=1500, calls=400,
                     rate=1000.0, burst=1000)
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    rng = random.Random(seed)
    with pipeline.open_client(settings) as client:
        pipeline.sync(client, warehouse, list(STREAMS.values()), settings)
        first = refresh_kpis(warehouse, settings)
        assert first.full and first.reason == "first refresh"
        quiet = refresh_kpis(warehouse, settings)
        assert not quiet.full and quiet.scope == (0, 0)
        for _ in range(2):
            _edit(portal, rng)
            pipeline.sync(client, warehouse, list(STREAMS.values()), settings)
            step = refresh_kpis(warehouse, settings)
            assert not step.full, step.reason
            leads, deals = step.scope
            assert 15 <= leads < 200 and 12 <= deals < 75, step.scope
            incremental = _snapshot(warehouse)
            rebuilt = refresh_kpis(warehouse, settings, full=True)
            assert rebuilt.full
            full = _snapshot(warehouse)
            assert incremental.keys() == full.keys()
            for table in full:
                assert incremental[table] == full[table], table


def test_what_forces_a_full_rebuild(portals, settings_for):
    portal = portals(seed=5, leads=120, deals=40, rate=1000.0, burst=1000)
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    with pipeline.open_client(settings) as client:
        pipeline.sync(client, warehouse, list(STREAMS.values()), settings)
    assert refresh_kpis(warehouse, settings).full
    assert not refresh_kpis(warehouse, settings).full
    # a changed setting a per-item row reads
    assert refresh_kpis(warehouse, settings_for(portal, kpis={"speed_sla_minutes": 30})).full
    assert not refresh_kpis(warehouse, settings_for(portal, kpis={"speed_sla_minutes": 30})).full
    # a deletion found by a sweep changes no payload
    with warehouse.transaction() as con:
        con.execute("UPDATE leads SET deleted = true WHERE id = (SELECT min(id) FROM leads)")
    again = refresh_kpis(warehouse, settings_for(portal, kpis={"speed_sla_minutes": 30}))
    assert again.full and "deletions" in again.reason
    # a renamed user (every manager label)
    with warehouse.transaction() as con:
        con.execute("UPDATE users SET name = 'Переименован' WHERE id = (SELECT min(id) FROM users)")
    assert refresh_kpis(warehouse, settings_for(portal, kpis={"speed_sla_minutes": 30})).full
    # and the periodic one
    every_time = settings_for(portal, kpis={"speed_sla_minutes": 30, "full_refresh_hours": 0})
    assert "over 0 h" in refresh_kpis(warehouse, every_time).reason


def test_our_own_writes_do_not_count_as_changes(portals, settings_for, monkeypatch):
    """A write-back bumps DATE_MODIFY of every record it writes, and the next sync reads them
    all again: what changed is only DATE_MODIFY and our own fields, whose values the warehouse
    already holds, so the refresh after it has nothing to recompute."""
    portal = portals(seed=8, leads=300, deals=80, rate=1000.0, burst=1000)
    settings = settings_for(portal)
    warehouse = pipeline.open_warehouse(settings)
    refreshes = []

    def spy(*args, **kwargs):
        refreshes.append(refresh_kpis(*args, **kwargs))
        return refreshes[-1]

    monkeypatch.setattr(pipeline, "refresh_kpis", spy)
    with pipeline.open_client(settings) as client:
        first = pipeline.run_cycle(client, warehouse, settings)
        assert first.push is not None and first.push.updates_sent >= 300     # every lead got its grade
        second = pipeline.run_cycle(client, warehouse, settings)
    leads_read = next(s.rows for s in second.streams if s.stream == "leads")
    assert leads_read >= 300                       # the sync read back what we wrote
    assert refreshes[0].full and not refreshes[1].full, refreshes[1].reason
    assert refreshes[1].scope == (0, 0)
