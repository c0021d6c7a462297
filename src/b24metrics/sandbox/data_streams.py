"""The data generated after leads and companies: users, contacts, deal
pipelines, deals, stage history, activities and call statistics.

Each stream has its own ``random.Random(f"{seed}:<stream>")``, so leads,
companies, statuses and the lead user fields do not depend on the sizes of these
streams, except the leads' ``CONTACT_ID``: a converted lead points at the contact
made from it, a returning client's lead at a contact of its company, when the
portal has one.  The rows added to ``crm.status.list`` come after the others,
with larger IDs.
"""

from __future__ import annotations

import random
from datetime import timezone
from typing import Any

from .data_activities import build_activities
from .data_calls import build_calls
from .data_deals import build_categories, build_deals, lead_history, stream_statuses
from .data_people import build_contacts, build_users
from .data import LeadFacts
from .state import PortalState

__all__ = ["generate_streams", "default_sizes", "MAX_DEFAULT_ACTIVITIES"]

#: the default activity count (3 per lead and deal) stops here: the 10,000-lead portal
#: gets 30,000 activities and 10,000 calls and is still generated in about a second
MAX_DEFAULT_ACTIVITIES = 30_000


def default_sizes(leads: int, deals: int | None, contacts: int | None, activities: int | None,
                  calls: int | None) -> tuple[int, int, int, int]:
    """``(deals, contacts, activities, calls)`` with the defaults filled in."""
    for name, value in (("deals", deals), ("contacts", contacts), ("activities", activities), ("calls", calls)):
        if value is not None and value < 0:
            raise ValueError(f"{name} must be >= 0")
    if deals is None:
        deals = 0 if leads == 0 else max(10, round(leads / 3))
    if contacts is None:
        contacts = leads // 2
    if activities is None:
        activities = min(MAX_DEFAULT_ACTIVITIES, 3 * (leads + deals))
    if calls is None:
        calls = activities // 3
    return int(deals), int(contacts), int(activities), int(calls)


def _stream(seed: int, name: str) -> random.Random:
    return random.Random(f"{seed}:{name}")


def _touch_last_activity(tables: dict[int, dict[int, dict[str, Any]]],
                         latest: dict[tuple[int, int], tuple[str, str]]) -> None:
    """LAST_ACTIVITY_TIME/BY of deals and contacts: their latest created activity."""
    for (owner_type, owner_id), (created, responsible) in latest.items():
        table = tables.get(owner_type)
        record = table.get(owner_id) if table is not None else None
        if record is not None and created > record["LAST_ACTIVITY_TIME"]:
            record["LAST_ACTIVITY_TIME"] = created
            record["LAST_ACTIVITY_BY"] = responsible


def _link_lead_contacts(rng: random.Random, leads: list[dict[str, Any]], contacts: list[dict[str, Any]]) -> None:
    """CONTACT_ID of leads: the contact a conversion made, or for a returning client's lead
    (linked at once) a contact its company already had."""
    by_lead = {c["LEAD_ID"]: c["ID"] for c in contacts if c["LEAD_ID"] is not None}
    by_company: dict[str, list[tuple[str, str]]] = {}
    for contact in contacts:
        if contact["COMPANY_ID"] is not None:
            by_company.setdefault(contact["COMPANY_ID"], []).append((contact["DATE_CREATE"], contact["ID"]))
    for lead in leads:
        contact_id = by_lead.get(lead["ID"])
        if contact_id is None and lead["IS_RETURN_CUSTOMER"] == "Y":
            known = [c for created, c in by_company.get(lead["COMPANY_ID"], ()) if created <= lead["DATE_CREATE"]]
            if known:
                contact_id = known[int(rng.random() * len(known))]
        lead["CONTACT_ID"] = contact_id


def generate_streams(state: PortalState, seed: int, leads: list[dict[str, Any]],
                     companies: list[dict[str, Any]], tz: timezone, *, deals: int | None = None,
                     contacts: int | None = None, users: int = 8, activities: int | None = None,
                     calls: int | None = None, facts: list[LeadFacts] | None = None,
                     next_multifield_id: int = 1) -> None:
    """Fill the new streams of ``state`` (companies are read, never changed; leads get their
    ``CONTACT_ID``).  ``facts``: what :func:`~.data.generate` knows of each lead beyond its
    record (its engagement, the chances and lag of its deal, the line it called)."""
    deal_count, contact_count, activity_count, call_count = default_sizes(
        len(leads), deals, contacts, activities, calls)
    state.users = build_users(_stream(seed, "users"), users, tz)
    next_status_id = max((int(row["ID"]) for row in state.statuses), default=0) + 1
    state.statuses.extend(stream_statuses(next_status_id))
    state.categories = build_categories()
    facts_by_lead = {lead["ID"]: fact for lead, fact in zip(leads, facts)} if facts is not None else {}
    # the portal's own company is no client: no contact or deal of the sales side names it
    clients = [company for company in companies if company["IS_MY_COMPANY"] != "Y"]
    contact_rows = build_contacts(_stream(seed, "contacts"), contact_count, leads, clients, tz,
                                  next_multifield_id=next_multifield_id)
    state.contacts = {int(row["ID"]): row for row in contact_rows}
    _link_lead_contacts(_stream(seed, "lead_contacts"), leads, contact_rows)
    deal_rows, deal_history = build_deals(_stream(seed, "deals"), deal_count, leads, clients, contact_rows, tz,
                                          facts_by_lead)
    state.deals = {int(row["ID"]): row for row in deal_rows}
    state.stage_history = {1: lead_history(_stream(seed, "lead_history"), leads, tz), 2: deal_history}
    activities = build_activities(_stream(seed, "activities"), activity_count, leads, state.deals,
                                  contact_rows, tz, facts_by_lead)
    state.activities, state.activity_bindings = activities.records, activities.bindings
    state.calls, origin_ids = build_calls(_stream(seed, "calls"), call_count, activities.calls, state.deals,
                                          state.contacts, tz, facts_by_lead, state.leads)
    for activity_id, origin_id in origin_ids.items():
        state.activities[activity_id]["ORIGIN_ID"] = origin_id
    _touch_last_activity({2: state.deals, 3: state.contacts}, activities.latest)
