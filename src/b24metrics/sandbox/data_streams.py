"""The data generated after leads and companies: users, contacts, deal
pipelines, deals, stage history, activities and call statistics.

Each stream has its own ``random.Random(f"{seed}:<stream>")``, so leads,
companies, statuses and the pre-existing lead user fields stay exactly what
:func:`~.data.generate` made before these streams existed; the rows added to
``crm.status.list`` come after the old ones, with larger IDs.
"""

from __future__ import annotations

import random
from datetime import timezone
from typing import Any

from .data_activities import build_activities
from .data_calls import build_calls
from .data_deals import build_categories, build_deals, lead_history, stream_statuses
from .data_people import build_contacts, build_users
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


def generate_streams(state: PortalState, seed: int, leads: list[dict[str, Any]],
                     companies: list[dict[str, Any]], tz: timezone, *, deals: int | None = None,
                     contacts: int | None = None, users: int = 8, activities: int | None = None,
                     calls: int | None = None) -> None:
    """Fill the new streams of ``state`` (leads and companies are read, never changed)."""
    deal_count, contact_count, activity_count, call_count = default_sizes(
        len(leads), deals, contacts, activities, calls)
    state.users = build_users(_stream(seed, "users"), users, tz)
    next_status_id = max((int(row["ID"]) for row in state.statuses), default=0) + 1
    state.statuses.extend(stream_statuses(next_status_id))
    state.categories = build_categories()
    contact_rows = build_contacts(_stream(seed, "contacts"), contact_count, leads, companies, tz)
    state.contacts = {int(row["ID"]): row for row in contact_rows}
    deal_rows, deal_history = build_deals(_stream(seed, "deals"), deal_count, leads, companies, contact_rows, tz)
    state.deals = {int(row["ID"]): row for row in deal_rows}
    state.stage_history = {1: lead_history(_stream(seed, "lead_history"), leads, tz), 2: deal_history}
    activities = build_activities(_stream(seed, "activities"), activity_count, leads, state.deals,
                                  contact_rows, tz)
    state.activities, state.activity_bindings = activities.records, activities.bindings
    state.calls, origin_ids = build_calls(_stream(seed, "calls"), call_count, activities.calls, state.deals,
                                          state.contacts, tz)
    for activity_id, origin_id in origin_ids.items():
        state.activities[activity_id]["ORIGIN_ID"] = origin_id
    _touch_last_activity({2: state.deals, 3: state.contacts}, activities.latest)
