"""Seeded telephony statistics (``voximplant.statistic.get``).

Most records are the calls behind call activities (``CRM_ACTIVITY_ID``
links them; the activity's ``ORIGIN_ID`` is ``VI_<CALL_ID>``).  A call on a
deal is attributed to the deal's contact, else its company: statistics link
LEAD / CONTACT / COMPANY only, never DEAL.  Call activities that got no
record were logged by hand.  About 8% of the records are calls from unknown
numbers, with no CRM entity and no activity.  Every value is a string (or
null), as the API returns them.
"""

from __future__ import annotations

import random
from datetime import timezone
from typing import Any

from .data import ANCHOR_TS, DAY, LEAD_SPAN_DAYS, MANAGERS, LeadFacts
from .data_activities import CallInfo
from .data_channels import MAIN_LINE, PORTAL_NUMBERS, SIP_LINE, TRACKED
from .datetimes import TsFormatter

__all__ = ["build_calls", "PORTAL_NUMBERS", "FAILED_REASONS"]

_TRACKING = list(TRACKED)
FAILED_REASONS = {
    "200": "Успешный звонок",
    "304": "Пропущенный звонок",
    "486": "Занято",
    "480": "Временно недоступен",
    "603": "Отклонено",
    "603-S": "Вызов отменен",
    "404": "Неверный номер",
}


_TEMPLATE: dict[str, Any] = {
    "ID": None, "PORTAL_USER_ID": None, "PORTAL_NUMBER": None, "PHONE_NUMBER": None, "CALL_ID": None,
    "EXTERNAL_CALL_ID": None, "CALL_CATEGORY": "external", "CALL_LOG": None, "CALL_DURATION": None,
    "CALL_START_DATE": None, "CALL_RECORD_URL": None, "CALL_VOTE": None, "COST": "0.0000",
    "COST_CURRENCY": "RUR", "CALL_FAILED_CODE": None, "CALL_FAILED_REASON": None, "CRM_ENTITY_TYPE": None,
    "CRM_ENTITY_ID": None, "CRM_ACTIVITY_ID": None, "REST_APP_ID": None, "REST_APP_NAME": None,
    "TRANSCRIPT_ID": None, "TRANSCRIPT_PENDING": "N", "SESSION_ID": None, "REDIAL_ATTEMPT": None,
    "COMMENT": None, "RECORD_DURATION": None, "RECORD_FILE_ID": None, "CALL_TYPE": None,
}
_CALL_TYPES = {1: "1", 2: "2", 3: "3", 4: "4", 5: "5"}


def _phone(rng: random.Random) -> str:
    return f"+7{(495, 499, 812, 903, 916, 926, 985)[int(rng.random() * 7)]}{int(rng.random() * 10_000_000):07d}"


def build_calls(rng: random.Random, count: int, call_activities: list[tuple[int, CallInfo]],
                deals: dict[int, dict[str, Any]], contacts: dict[int, dict[str, Any]], tz: timezone,
                facts: dict[str, LeadFacts] | None = None, leads: dict[int, dict[str, Any]] | None = None
                ) -> tuple[dict[int, dict[str, Any]], dict[int, str]]:
    """``count`` call records by ID, and ORIGIN_ID (``VI_<CALL_ID>``) by activity ID.

    A CALL lead's incoming calls come in on the line it dialled (``facts``), from the number
    it left (``leads``); other incoming calls mostly on the main line, outgoing ones on the
    main line or the SIP line."""
    facts = facts or {}
    leads = leads or {}
    if count <= 0:
        return {}, {}
    format_ts = TsFormatter(tz).function()
    rand = rng.random
    candidates: list[tuple[int, CallInfo, str, int]] = []  # (activity ID, call, entity type, entity id)
    for activity_id, draft in call_activities:
        if draft.owner_type == 1:
            candidates.append((activity_id, draft, "LEAD", draft.owner_id))
        elif draft.owner_type == 3:
            candidates.append((activity_id, draft, "CONTACT", draft.owner_id))
        else:
            deal = deals.get(draft.owner_id)
            if deal is None:
                continue
            if deal["CONTACT_ID"] is not None:
                candidates.append((activity_id, draft, "CONTACT", int(deal["CONTACT_ID"])))
            elif deal["COMPANY_ID"] is not None:
                candidates.append((activity_id, draft, "COMPANY", int(deal["COMPANY_ID"])))
    unknown = max(0, round(count * 0.08))
    linked_count = min(len(candidates), count - unknown)
    unknown = count - linked_count
    picked = sorted(rng.sample(range(len(candidates)), linked_count))
    phones: dict[tuple[str, int], str] = {}

    def phone_of(entity: str, entity_id: int) -> str:
        key = (entity, entity_id)
        number = phones.get(key)
        if number is None:
            record = (contacts.get(entity_id) if entity == "CONTACT" else
                      leads.get(entity_id) if entity == "LEAD" else None)
            number = record["PHONE"][0]["VALUE"] if record and record.get("PHONE") else _phone(rng)
            phones[key] = number
        return number

    # (start, seq, fields)
    calls: list[tuple[int, int, dict[str, Any]]] = []
    for index in picked:
        activity_id, draft, entity, entity_id = candidates[index]
        fact = facts.get(str(entity_id)) if entity == "LEAD" else None
        calls.append((draft.start, len(calls), {
            "line": fact.line if fact is not None else None,
            "user": draft.responsible, "phone": phone_of(entity, entity_id), "type": draft.call_type,
            "duration": draft.duration, "code": draft.code, "entity": entity,
            "entity_id": str(entity_id), "activity": str(activity_id),
        }))
    span = LEAD_SPAN_DAYS * DAY
    for _ in range(unknown):
        start = ANCHOR_TS - 1 - int(rand() * span)
        answered = rand() < 0.55
        calls.append((start, len(calls), {
            "line": None, "user": MANAGERS[int(rand() * len(MANAGERS))], "phone": _phone(rng), "type": 2,
            "duration": int(rng.lognormvariate(4.2, 0.9)) + 5 if answered else 0,
            "code": "200" if answered else "304", "entity": None, "entity_id": None, "activity": None,
        }))
    calls.sort()  # by start, then sequence (unique)

    records: dict[int, dict[str, Any]] = {}
    origin_ids: dict[int, str] = {}
    next_id = 1
    template = _TEMPLATE
    for start, _, call in calls:
        call_id = f"{rng.getrandbits(64):016X}.{start}.{int(rand() * 90_000_000) + 10_000_000}"
        duration = call["duration"]
        code = call["code"]
        call_type = call["type"]
        outgoing = call_type == 1 or call_type == 4
        record = template.copy()
        record["ID"] = str(next_id)
        record["PORTAL_USER_ID"] = str(call["user"])
        if outgoing:
            record["PORTAL_NUMBER"] = MAIN_LINE if rand() < 0.6 else SIP_LINE
        elif call["line"] is not None:
            record["PORTAL_NUMBER"] = call["line"]
        else:
            record["PORTAL_NUMBER"] = MAIN_LINE if rand() < 0.6 else _TRACKING[int(rand() * len(_TRACKING))]
        record["PHONE_NUMBER"] = call["phone"]
        record["CALL_ID"] = call_id
        record["CALL_DURATION"] = str(duration)
        record["CALL_START_DATE"] = format_ts(start)
        record["CALL_FAILED_CODE"] = code
        record["CALL_FAILED_REASON"] = FAILED_REASONS[code]
        record["CRM_ENTITY_TYPE"] = call["entity"]
        record["CRM_ENTITY_ID"] = call["entity_id"]
        record["CRM_ACTIVITY_ID"] = call["activity"]
        record["SESSION_ID"] = str(3_000_000_000 + int(rand() * 999_999_999))
        record["CALL_TYPE"] = _CALL_TYPES[call_type]
        if code == "200":
            if outgoing:
                record["COST"] = f"{((duration + 59) // 60) * 1.2:.4f}"
            elif rand() < 0.2:
                record["CALL_VOTE"] = str(1 + int(rand() * 5))
            if rand() < 0.85:
                record["RECORD_DURATION"] = record["CALL_DURATION"]
                record["RECORD_FILE_ID"] = str(10_000 + next_id)
        records[next_id] = record
        if call["activity"] is not None:
            origin_ids[int(call["activity"])] = f"VI_{call_id}"
        next_id += 1 + (1 if rand() < 0.01 else 0)
    return records, origin_ids
