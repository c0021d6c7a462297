"""The streams generated after leads and companies: sizes, determinism, consistency."""

from __future__ import annotations

import hashlib
import json
import statistics
from collections import Counter, defaultdict
from datetime import datetime

import pytest

from b24metrics.sandbox.data import USERS, generate
from b24metrics.sandbox.data_channels import PORTAL_NUMBERS
from b24metrics.sandbox.datetimes import ANCHOR, parse_offset
from b24metrics.sandbox.schema_streams import CONTACT_NAMES, DEAL_NAMES
from b24metrics.sandbox.state import PortalState

TZ = parse_offset("+03:00")
ANCHOR_TS = ANCHOR.timestamp()
#: crm.status.list rows the generator made before deals existed (IDs 1..43 and 81)
BASE_STATUS_ROWS = 44

#: sha256 of [statuses, companies, leads without CONTACT_ID, lead user fields] as the generator makes
#: them (same seed, sizes, zone): the later streams must not change them
FROZEN = {
    (7, 500, None): "7cc436fcb977789145ba36064c44c4daeda05941925da216b9645d75d21d4b00",
    (3, 120, None): "fa3907c2b7d8fcd9d356c9eb9640226abef79ddbe046b856c8f5bf768ad932e1",
    (9, 300, 17): "bcdf55bd9209ae3c9c7e4f08250b06b000366a67e0ebc0ab5719d87ab9f475d5",
    (5, 0, None): "2f41313dff3349c43ea1d96e869cefca0bcc595265bf0745837ad6c45485fdb3",
}

STREAMS = ("deals", "contacts", "users", "activities", "activity_bindings", "calls", "categories", "stage_history")


def ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def old_part_hash(state: PortalState) -> str:
    # CONTACT_ID is the one lead field the contacts decide (tested in test_lead_contact_ids)
    leads = {i: {k: v for k, v in lead.items() if k != "CONTACT_ID"} for i, lead in state.leads.items()}
    dump = json.dumps([state.statuses[:BASE_STATUS_ROWS], state.companies, leads, state.lead_userfields],
                      ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(dump.encode()).hexdigest()


def streams_dump(state: PortalState) -> str:
    return json.dumps([state.statuses] + [getattr(state, name) for name in STREAMS], ensure_ascii=False,
                      sort_keys=True, default=str)


@pytest.fixture(scope="module")
def state():
    return generate(PortalState(), 21, 1500, None, TZ)


@pytest.mark.parametrize("key", list(FROZEN))
def test_leads_companies_statuses_unchanged_by_the_new_streams(key):
    seed, leads, companies = key
    state = generate(PortalState(), seed, leads, companies, TZ)
    assert old_part_hash(state) == FROZEN[key]
    # the new crm.status.list rows come after the old ones, with larger IDs
    old_ids = [int(row["ID"]) for row in state.statuses[:BASE_STATUS_ROWS]]
    assert old_ids == list(range(1, 44)) + [81]
    assert all(int(row["ID"]) > 81 for row in state.statuses[BASE_STATUS_ROWS:])
    # and the old part does not depend on the sizes of the new streams
    other = generate(PortalState(), seed, leads, companies, TZ, deals=3, contacts=0, users=12, activities=7, calls=0)
    assert old_part_hash(other) == FROZEN[key]


def test_lead_contact_ids(state):
    """A converted lead points at the contact made from it; a returning client's lead (linked at
    once) at a contact its company had before; any other lead at none."""
    made_from = {c["LEAD_ID"]: c["ID"] for c in state.contacts.values() if c["LEAD_ID"] is not None}
    linked_returning = 0
    for lead in state.leads.values():
        contact_id = lead["CONTACT_ID"]
        if lead["ID"] in made_from:
            assert contact_id == made_from[lead["ID"]] and lead["STATUS_ID"] == "CONVERTED"
        elif contact_id is not None:
            contact = state.contacts[int(contact_id)]
            assert lead["IS_RETURN_CUSTOMER"] == "Y" and contact["COMPANY_ID"] == lead["COMPANY_ID"]
            assert contact["DATE_CREATE"] <= lead["DATE_CREATE"]
            linked_returning += 1
    assert len(made_from) > 100 and linked_returning > 20


def test_same_seed_same_streams_other_seed_other_streams():
    a = generate(PortalState(), 11, 400, None, TZ)
    b = generate(PortalState(), 11, 400, None, TZ)
    c = generate(PortalState(), 12, 400, None, TZ)
    assert streams_dump(a) == streams_dump(b)
    assert [d["TITLE"] for d in a.deals.values()] != [d["TITLE"] for d in c.deals.values()]
    assert [x["SUBJECT"] for x in a.activities.values()] != [x["SUBJECT"] for x in c.activities.values()]


def test_default_and_explicit_sizes():
    state = generate(PortalState(), 1, 900, None, TZ)
    assert len(state.deals) == 300 and len(state.contacts) == 450 and len(state.users) == 8
    assert len(state.activities) == 3 * (900 + 300) and len(state.calls) == 1200
    small = generate(PortalState(), 1, 12, None, TZ)
    assert len(small.deals) == 10  # at least 10 deals when there are leads
    empty = generate(PortalState(), 1, 0, None, TZ)
    assert (len(empty.deals), len(empty.contacts), len(empty.activities), len(empty.calls)) == (0, 0, 0, 0)
    assert len(empty.users) == 8 and len(empty.categories) == 3
    sized = generate(PortalState(), 1, 200, None, TZ, deals=40, contacts=30, users=20, activities=500, calls=90)
    assert (len(sized.deals), len(sized.contacts), len(sized.users), len(sized.activities), len(sized.calls)) == (
        40, 30, 20, 500, 90)
    with pytest.raises(ValueError):
        generate(PortalState(), 1, 10, None, TZ, users=5)
    with pytest.raises(ValueError):
        generate(PortalState(), 1, 10, None, TZ, deals=-1)


def test_users_are_the_lead_owners(state):
    assert sorted(state.users) == USERS
    owners = {int(lead["ASSIGNED_BY_ID"]) for lead in state.leads.values()}
    owners |= {int(deal["ASSIGNED_BY_ID"]) for deal in state.deals.values()}
    owners |= {int(a["RESPONSIBLE_ID"]) for a in state.activities.values()}
    assert owners <= set(state.users)
    assert all(user["ACTIVE"] is True and user["USER_TYPE"] == "employee" for user in state.users.values())
    more = generate(PortalState(), 21, 10, None, TZ, users=30).users
    assert len(more) == 30 and sorted(more)[:8] == USERS and any(u["ACTIVE"] is False for u in more.values())


def test_deals_are_realistic_and_consistent(state):
    deals = list(state.deals.values())
    assert all(list(deal) == DEAL_NAMES for deal in deals)  # no CONTACT_IDS, no UF yet
    ids = [int(d["ID"]) for d in deals]
    assert ids == sorted(ids) and [d["DATE_CREATE"] for d in deals] == sorted(d["DATE_CREATE"] for d in deals)
    from_leads = [d for d in deals if d["LEAD_ID"] is not None]
    assert 0.35 < len(from_leads) / len(deals) <= 0.5
    for deal in from_leads:
        lead = state.leads[int(deal["LEAD_ID"])]
        assert lead["STATUS_ID"] == "CONVERTED" and deal["DATE_CREATE"] >= lead["MOVED_TIME"]
        assert deal["COMPANY_ID"] == lead["COMPANY_ID"] and deal["ASSIGNED_BY_ID"] == lead["ASSIGNED_BY_ID"]
    assert {d["CATEGORY_ID"] for d in deals} == {"0", "1", "3"}
    assert {d["STAGE_SEMANTIC_ID"] for d in deals} == {"P", "S", "F"}
    assert any(d["IS_RECURRING"] == "Y" for d in deals)
    assert Counter(d["CURRENCY_ID"] for d in deals).most_common(1)[0][0] == "RUB"
    assert {"USD", "EUR"} & {d["CURRENCY_ID"] for d in deals}
    semantics = {row["STATUS_ID"]: row["SEMANTICS"] or "P" for row in state.statuses
                 if row["ENTITY_ID"].startswith("DEAL_STAGE")}
    for deal in deals:
        stage = deal["STAGE_ID"]
        assert semantics[stage] == deal["STAGE_SEMANTIC_ID"]
        assert deal["CLOSED"] == ("N" if deal["STAGE_SEMANTIC_ID"] == "P" else "Y")
        assert stage.startswith(f"C{deal['CATEGORY_ID']}:") or (deal["CATEGORY_ID"] == "0" and ":" not in stage)
        assert deal["DATE_CREATE"] <= deal["MOVED_TIME"] <= deal["DATE_MODIFY"] and ts(deal["DATE_MODIFY"]) < ANCHOR_TS
        # BEGINDATE/CLOSEDATE: dates, written as UTC midnight in the portal offset (as Bitrix does)
        assert deal["BEGINDATE"].endswith("T03:00:00+03:00") and deal["CLOSEDATE"] > deal["BEGINDATE"]
        assert deal["BEGINDATE"][:10] == deal["DATE_CREATE"][:10]
        if deal["CONTACT_ID"] is not None:
            assert int(deal["CONTACT_ID"]) in state.contacts


def _by_owner(rows):
    grouped = defaultdict(list)
    for row in rows.values():
        grouped[row["OWNER_ID"]].append(row)
    return grouped


def test_deal_history_ends_in_the_current_stage(state):
    history = _by_owner(state.stage_history[2])
    assert set(history) == set(state.deals)
    ids = list(state.stage_history[2])
    assert ids == sorted(ids)
    times = [row["CREATED_TIME"] for row in state.stage_history[2].values()]
    assert times == sorted(times)  # IDs follow time, across owners
    for deal_id, deal in state.deals.items():
        rows = history[deal_id]
        assert rows[0]["TYPE_ID"] == 1 and rows[0]["CREATED_TIME"] == deal["DATE_CREATE"]
        last = rows[-1]
        assert (last["STAGE_ID"], str(last["CATEGORY_ID"]), last["CREATED_TIME"]) == (
            deal["STAGE_ID"], deal["CATEGORY_ID"], deal["MOVED_TIME"])
        assert last["STAGE_SEMANTIC_ID"] == deal["STAGE_SEMANTIC_ID"]
        for row in rows[1:]:
            if row["TYPE_ID"] != 5:
                assert row["TYPE_ID"] == (2 if row["STAGE_SEMANTIC_ID"] == "P" else 3)
    moved = [rows for rows in history.values() if any(r["TYPE_ID"] == 5 for r in rows)]
    reopened = [rows for rows in history.values()
                if any(a["TYPE_ID"] == 3 and b["TYPE_ID"] == 2 for a, b in zip(rows, rows[1:]))]
    assert moved and reopened
    for rows in moved:
        switch = next(r for r in rows if r["TYPE_ID"] == 5)
        assert switch["CATEGORY_ID"] != rows[0]["CATEGORY_ID"] and switch["STAGE_ID"].endswith(":NEW")


def test_lead_history_matches_every_lead(state):
    history = _by_owner(state.stage_history[1])
    assert set(history) == set(state.leads)
    for lead_id, lead in state.leads.items():
        rows = history[lead_id]
        assert (rows[0]["TYPE_ID"], rows[0]["STATUS_ID"], rows[0]["CREATED_TIME"]) == (1, "NEW", lead["DATE_CREATE"])
        assert (rows[-1]["STATUS_ID"], rows[-1]["CREATED_TIME"]) == (lead["STATUS_ID"], lead["MOVED_TIME"])
        assert rows[-1]["STATUS_SEMANTIC_ID"] == lead["STATUS_SEMANTIC_ID"]
    assert {row["TYPE_ID"] for row in state.stage_history[1].values()} == {1, 2, 3}


def test_contacts(state):
    contacts = list(state.contacts.values())
    assert all([name for name in c if name not in ("PHONE", "EMAIL")] == CONTACT_NAMES for c in contacts)
    for contact in contacts:
        assert (contact["HAS_PHONE"] == "Y") == bool(contact.get("PHONE"))
        assert (contact["HAS_EMAIL"] == "Y") == bool(contact.get("EMAIL"))
        for item in contact.get("PHONE", []) + contact.get("EMAIL", []):
            assert set(item) == {"ID", "VALUE_TYPE", "VALUE", "TYPE_ID"}
        if contact["LEAD_ID"] is not None:
            lead = state.leads[int(contact["LEAD_ID"])]
            assert (contact["NAME"], contact["LAST_NAME"]) == (lead["NAME"], lead["LAST_NAME"])
    assert any(c["LEAD_ID"] is None for c in contacts) and any(c["LEAD_ID"] for c in contacts)


def test_activities(state):
    activities = list(state.activities.values())
    assert {a["TYPE_ID"] for a in activities} == {"1", "2", "3", "4", "6"}
    assert {a["OWNER_TYPE_ID"] for a in activities} == {"1", "2", "3"}
    ids = [int(a["ID"]) for a in activities]
    assert ids == sorted(ids) and [a["CREATED"] for a in activities] == sorted(a["CREATED"] for a in activities)
    for activity in activities:
        assert activity["CREATED"] <= activity["LAST_UPDATED"] and ts(activity["LAST_UPDATED"]) < ANCHOR_TS
        assert activity["COMPLETED"] == ("N" if activity["STATUS"] == "1" else "Y")
        if activity["TYPE_ID"] in ("2", "4"):
            assert activity["DIRECTION"] in ("1", "2")
        owner_table = {"1": state.leads, "2": state.deals, "3": state.contacts}[activity["OWNER_TYPE_ID"]]
        assert int(activity["OWNER_ID"]) in owner_table
        assert state.activity_bindings[int(activity["ID"])][0] == (int(activity["OWNER_TYPE_ID"]),
                                                                   int(activity["OWNER_ID"]))
    open_ = [a for a in activities if a["COMPLETED"] == "N"]
    assert any(ts(a["DEADLINE"]) < ANCHOR_TS for a in open_)   # overdue
    assert any(ts(a["DEADLINE"]) >= ANCHOR_TS for a in open_)  # planned


def test_first_outgoing_contact_of_leads(state):
    first: dict[int, float] = {}
    for a in state.activities.values():
        if a["OWNER_TYPE_ID"] == "1" and a["DIRECTION"] == "2" and a["TYPE_ID"] in ("2", "4"):
            owner = int(a["OWNER_ID"])
            first[owner] = min(first.get(owner, float("inf")), ts(a["START_TIME"]))
    share = len(first) / len(state.leads)
    assert 0.75 < share < 0.97  # some leads are never contacted
    delays = [(first[i] - ts(lead["DATE_CREATE"])) / 60 for i, lead in state.leads.items() if i in first]
    assert min(delays) >= 0
    assert 5 < statistics.median(delays) < 180  # minutes to hours


def test_calls_link_activities_and_never_deals(state):
    calls = list(state.calls.values())
    assert {c["CRM_ENTITY_TYPE"] for c in calls} <= {"LEAD", "CONTACT", "COMPANY", None}
    assert all(value is None or isinstance(value, str) for c in calls for value in c.values())
    assert Counter(c["CALL_FAILED_CODE"] for c in calls).most_common(1)[0][0] == "200"
    assert {"304", "486"} <= {c["CALL_FAILED_CODE"] for c in calls}
    linked = [c for c in calls if c["CRM_ACTIVITY_ID"] is not None]
    assert len(linked) > 0.8 * len(calls)
    for call in linked:
        activity = state.activities[int(call["CRM_ACTIVITY_ID"])]
        assert activity["TYPE_ID"] == "2" and activity["ORIGIN_ID"] == "VI_" + call["CALL_ID"]
        assert activity["START_TIME"] == call["CALL_START_DATE"]
        assert call["CALL_TYPE"] in (("1", "4") if activity["DIRECTION"] == "2" else ("2", "3"))
        if call["CRM_ENTITY_TYPE"] == "LEAD":
            assert activity["OWNER_TYPE_ID"] == "1" and activity["OWNER_ID"] == call["CRM_ENTITY_ID"]
    assert {c["PORTAL_NUMBER"] for c in calls} == set(PORTAL_NUMBERS)
