"""Seeded CRM activities (``crm.activity.list``): calls, e-mails, meetings,
to-dos and tasks bound to leads, deals and contacts.

Planned in two passes.  First the activities every owner "must" have:

* the incoming call or e-mail a CALL / EMAIL lead was created from;
* the times a lead came back by itself while it was a lead (inbound calls,
  e-mails, meetings: its engagement, which made it likelier to convert);
* the first outgoing contact of a lead (call, or e-mail): usually minutes to
  hours after DATE_CREATE, the next working morning for leads that came in
  at night or on a weekend, slower for weaker managers; some leads (mostly
  young NEW ones and junk) are never contacted;
* a planned to-do of many open leads and deals (deadline after the anchor)
  and an overdue one (not completed, deadline passed) for some of them.

Then the rest of the budget goes to follow-ups spread over each owner's
active life (deals weigh more than leads).  IDs follow CREATED.  Every time
is before the anchor except planned deadlines.  Records are built in API
form right away (the generator is on the portal's start-up path).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import timezone
from itertools import accumulate
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .data import ANCHOR_TS, DAY, MANAGER_SKILL, LeadFacts
from .datetimes import TsFormatter, TsParser

__all__ = ["CallInfo", "Activities", "build_activities", "KINDS"]

#: kind -> (TYPE_ID, PROVIDER_ID, PROVIDER_TYPE_ID, DIRECTION)
KINDS = {
    "call_out": ("2", "VOXIMPLANT_CALL", "CALL", "2"),
    "call_in": ("2", "VOXIMPLANT_CALL", "CALL", "1"),
    "email_out": ("4", "CRM_EMAIL", "EMAIL", "2"),
    "email_in": ("4", "CRM_EMAIL", "EMAIL", "1"),
    "meeting": ("1", "CRM_MEETING", "MEETING", "0"),
    "todo": ("6", "CRM_TODO", "TODO", "0"),
    "task": ("3", "TASKS", "TASK", "0"),
}
FOLLOW_UP_KINDS = ["call_out", "call_in", "email_out", "email_in", "meeting", "todo", "task"]
FOLLOW_UP_WEIGHTS = [35, 12, 18, 10, 8, 14, 3]
EMAIL_SUBJECTS = ["Коммерческое предложение", "Re: Запрос цены", "Договор на согласование",
                  "Счёт на оплату", "Re: Сроки поставки", "Презентация решения"]
MEETING_SUBJECTS = ["Встреча: презентация решения", "Встреча: обсуждение договора",
                    "Встреча в офисе клиента", "Демонстрация продукта"]
TODO_SUBJECTS = ["Перезвонить клиенту", "Отправить договор", "Уточнить бюджет", "Подготовить КП",
                 "Напомнить об оплате", "Согласовать встречу"]
TASK_SUBJECTS = ["Задача: подготовить спецификацию", "Задача: расчёт стоимости", "Задача: проверить документы"]
FAILED_OUT = [("486", 35), ("480", 30), ("603", 20), ("603-S", 10), ("404", 5)]
_OUT_CODES = [code for code, _ in FAILED_OUT]
_OUT_CUM = list(accumulate(weight for _, weight in FAILED_OUT))




class CallInfo(NamedTuple):
    """What the telephony statistics need of a call activity."""

    start: int
    duration: int
    code: str                # CALL_FAILED_CODE: "200", "304", "486", ...
    call_type: int           # 1 out, 2 in, 3 in with redirect, 4 callback
    responsible: int
    owner_type: int
    owner_id: int


@dataclass
class Activities:
    """The generated activities and what the other streams need of them."""

    #: activity ID -> record (API form)
    records: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: activity ID -> [(OWNER_TYPE_ID, OWNER_ID), ...], the owner first
    bindings: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    #: (activity ID, call) for every call activity, in ID order
    calls: list[tuple[int, CallInfo]] = field(default_factory=list)
    #: (OWNER_TYPE_ID, OWNER_ID) -> (latest CREATED, its RESPONSIBLE_ID)
    latest: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)


class _LogNormal:
    """Draws from a log-normal distribution with one ``random()`` call (a fixed
    table of 4,096 quantiles: the generator runs on the portal's start-up path)."""

    SIZE = 4096

    def __init__(self, mu: float, sigma: float) -> None:
        table = random.Random(f"lognormal:{mu}:{sigma}")
        self.values = sorted(table.lognormvariate(mu, sigma) for _ in range(self.SIZE))

    def pick(self, rand: Any) -> float:
        return self.values[int(rand() * self.SIZE)]


_FIRST_CONTACT_MINUTES = _LogNormal(3.4, 1.25)   # median ~30 minutes, a long tail
_OUT_SECONDS = _LogNormal(4.7, 0.8)              # answered outgoing calls, median ~2 minutes
_IN_SECONDS = _LogNormal(4.9, 0.8)               # answered incoming calls
_LEAD_WEIGHT = {"NEW": 0.4, "IN_PROCESS": 1.2, "PROCESSED": 1.2, "CONVERTED": 1.6, "JUNK": 0.6}


class _Owner(NamedTuple):
    owner_type: int
    owner_id: int
    start: int          # follow-ups happen in [start, end]
    end: int
    open: bool
    responsible: int
    name: str
    weight: float
    id_text: str            # owner_id and responsible as the API writes them
    responsible_text: str


_ts = TsParser()

_BASE: dict[str, Any] = {
    "ID": None, "OWNER_ID": None, "OWNER_TYPE_ID": None, "TYPE_ID": None, "PROVIDER_ID": None,
    "PROVIDER_TYPE_ID": None, "PROVIDER_GROUP_ID": None, "ASSOCIATED_ENTITY_ID": "0", "SUBJECT": None,
    "CREATED": None, "LAST_UPDATED": None, "START_TIME": None, "END_TIME": None, "DEADLINE": None,
    "COMPLETED": "Y", "STATUS": "2", "RESPONSIBLE_ID": None, "PRIORITY": "2", "NOTIFY_TYPE": "0",
    "NOTIFY_VALUE": "0", "DESCRIPTION": "", "DESCRIPTION_TYPE": "1", "DIRECTION": None, "LOCATION": "",
    "SETTINGS": None, "ORIGINATOR_ID": None, "ORIGIN_ID": None, "AUTHOR_ID": None, "EDITOR_ID": None,
    "PROVIDER_PARAMS": None, "PROVIDER_DATA": None, "RESULT_MARK": "0", "RESULT_VALUE": None,
    "RESULT_SUM": None, "RESULT_CURRENCY_ID": None, "RESULT_STATUS": "0", "RESULT_STREAM": "0",
    "RESULT_SOURCE_ID": None, "AUTOCOMPLETE_RULE": "0", "IS_INCOMING_CHANNEL": "N",
}


def _template(kind: str) -> dict[str, Any]:
    type_id, provider, provider_type, direction = KINDS[kind]
    record = dict(_BASE, TYPE_ID=type_id, PROVIDER_ID=provider, PROVIDER_TYPE_ID=provider_type, DIRECTION=direction)
    if type_id == "1":
        record.update(NOTIFY_TYPE="1", NOTIFY_VALUE="15")
    elif type_id == "4":
        record["DESCRIPTION_TYPE"] = "3"
    return record


_TEMPLATES = {kind: _template(kind) for kind in KINDS}
_TEXT = {number: str(number) for number in range(10)}


class _Planner:
    def __init__(self, rng: random.Random, tz: timezone) -> None:
        self.rng = rng
        self.offset = int(tz.utcoffset(None).total_seconds())
        self.format_ts = TsFormatter(tz).function()
        #: (CREATED, sequence, record, call or None, OWNER_TYPE_ID, OWNER_ID)
        self.entries: list[tuple[int, int, dict[str, Any], CallInfo | None, int, int]] = []
        self.kind_cum = list(accumulate(FOLLOW_UP_WEIGHTS))

    def working_time(self, ts: int) -> int:
        """``ts`` if within working hours, else the next working morning (9–10 a.m.)."""
        local = ts + self.offset
        day, second = divmod(local, DAY)
        weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
        if weekday < 5 and 9 * 3600 <= second < 19 * 3600:
            return ts
        if weekday >= 5 or second >= 9 * 3600:
            day += 1
        while (day + 3) % 7 >= 5:
            day += 1
        return day * DAY - self.offset + 9 * 3600 + int(self.rng.random() * 3600)

    def add(self, owner: _Owner, kind: str, when: int, *, incoming_channel: bool = False,
            call_type: int | None = None, planned_deadline: int | None = None,
            overdue: bool = False) -> None:
        rng = self.rng
        rand = rng.random
        last = ANCHOR_TS - 1
        if when > last:
            when = last
        start = end = deadline = created = updated = when
        completed = True
        status = "2"
        call = None
        if kind == "call_out" or kind == "call_in":
            if kind == "call_out":
                if rand() < 0.72:
                    code, duration = "200", int(_OUT_SECONDS.pick(rand)) + 5
                else:
                    code, duration = _OUT_CODES[bisect_right(_OUT_CUM, rand() * _OUT_CUM[-1])], 0
                subject = "Исходящий звонок " + owner.name
                call_type = call_type or 1
            else:
                if rand() < 0.86:
                    code, duration = "200", int(_IN_SECONDS.pick(rand)) + 5
                    subject = "Входящий звонок " + owner.name
                else:
                    code, duration = "304", 0
                    subject = "Пропущенный звонок " + owner.name
                call_type = call_type or (3 if rand() < 0.1 else 2)
            end = updated = min(when + duration, last)
            if code == "304":
                # a missed call waits for a call back
                if rand() < 0.3:
                    completed, status = False, "1"
                else:
                    updated = min(last, when + int(rng.expovariate(1 / 7200)) + 60)
            call = CallInfo(when, end - when, code, call_type, owner.responsible, owner.owner_type, owner.owner_id)
        elif kind == "email_out" or kind == "email_in":
            subject = EMAIL_SUBJECTS[int(rand() * len(EMAIL_SUBJECTS))]
            if kind == "email_in":
                if rand() < 0.85:
                    status = "3"
                    updated = min(last, when + int(rng.expovariate(1 / 10800)) + 60)
                else:
                    completed, status = False, "1"
        else:
            if kind == "meeting":
                subject = MEETING_SUBJECTS[int(rand() * len(MEETING_SUBJECTS))]
                created = when - int(DAY * (0.2 + rand() * 4))
                end = when + 3600
            elif kind == "todo":
                subject = TODO_SUBJECTS[int(rand() * len(TODO_SUBJECTS))]
                start = end = deadline = when + int(DAY * (0.1 + rand() * 4))
            else:
                subject = TASK_SUBJECTS[int(rand() * len(TASK_SUBJECTS))]
                end = deadline = when + int(DAY * (1 + rand() * 9))
            if planned_deadline is not None:
                start = end = deadline = planned_deadline
            created = max(min(created, last), owner.start)
            if deadline > last or overdue or (owner.open and rand() < 0.08):
                completed, status, updated = False, "1", created
            else:
                status = "2" if rand() < 0.9 else "3"
                updated = min(last, max(created, deadline - int(rand() * 3600)))
        format_ts = self.format_ts
        created_text = format_ts(created)
        start_text = created_text if start == created else format_ts(start)
        end_text = start_text if end == start else format_ts(end)
        record = _TEMPLATES[kind].copy()
        responsible = owner.responsible_text
        record["OWNER_ID"] = owner.id_text
        record["OWNER_TYPE_ID"] = _TEXT[owner.owner_type]
        record["SUBJECT"] = subject
        record["CREATED"] = created_text
        record["LAST_UPDATED"] = (end_text if updated == end else
                                  created_text if updated == created else format_ts(updated))
        record["START_TIME"] = start_text
        record["END_TIME"] = end_text
        record["DEADLINE"] = start_text if deadline == start else (end_text if deadline == end else format_ts(deadline))
        if not completed:
            record["COMPLETED"] = "N"
        if status != "2":
            record["STATUS"] = status
        record["RESPONSIBLE_ID"] = record["AUTHOR_ID"] = record["EDITOR_ID"] = responsible
        record["SETTINGS"] = []
        record["PROVIDER_PARAMS"] = []
        if incoming_channel:
            record["IS_INCOMING_CHANNEL"] = "Y"
        self.entries.append((created, len(self.entries), record, call, owner.owner_type, owner.owner_id))

    def follow_up(self, owner: _Owner) -> None:
        rand = self.rng.random
        kind = FOLLOW_UP_KINDS[bisect_right(self.kind_cum, rand() * self.kind_cum[-1])]
        when = owner.start + int(rand() * max(1, owner.end - owner.start))
        self.add(owner, kind, self.working_time(when) if rand() < 0.9 else when)


_TOUCH_KINDS = ("call_in", "call_in", "call_in", "email_in", "email_in", "meeting")


def _lead_owners(planner: _Planner, leads: list[dict[str, Any]], facts: dict[str, LeadFacts]
                 ) -> tuple[list[tuple[_Owner, str, Any]], list[_Owner]]:
    """The activities every lead must have (``(owner, kind, args)`` for :func:`_run_structural`)
    and the leads that get follow-ups."""
    rng = planner.rng
    rand = rng.random
    structural: list[tuple[_Owner, str, Any]] = []
    owners: list[_Owner] = []
    for lead in leads:
        create = _ts(lead["DATE_CREATE"])
        status = lead["STATUS_ID"]
        source = lead["SOURCE_ID"]
        moved = _ts(lead["MOVED_TIME"]) if status != "NEW" else create
        final = status in ("CONVERTED", "JUNK")
        responsible = int(lead["ASSIGNED_BY_ID"])
        name = f"{lead['NAME']} {lead['LAST_NAME']}"
        age = ANCHOR_TS - create
        base = _Owner(1, int(lead["ID"]), create, moved if final else ANCHOR_TS - 1, not final, responsible, name, 0.0,
                      lead["ID"], lead["ASSIGNED_BY_ID"])
        # the call or e-mail the lead was created from
        if source == "CALL":
            structural.append((base, "call_in", (create, True, 2)))
        elif source == "EMAIL":
            structural.append((base, "email_in", (create, True, None)))
        fact = facts.get(lead["ID"])
        if fact is not None and fact.engagement:
            span = max(1, base.end - create)
            for _ in range(fact.engagement):
                kind = _TOUCH_KINDS[int(rand() * len(_TOUCH_KINDS))]
                when = planner.working_time(create + 600 + int(rand() * span))
                structural.append((base, kind, (min(when, base.end), False, None)))
        if status == "NEW":
            never = 0.6 if age < DAY else (0.35 if age < 7 * DAY else 0.2)
        else:
            never = 0.14 if status == "JUNK" else 0.03
        if rand() < never:
            continue
        skill = MANAGER_SKILL.get(responsible, 1.0)
        if source == "CALLBACK":
            first = create + 30 + int(rand() * 300)
        else:
            # median ~30 minutes of working time, a long tail, slower for weaker managers
            first = planner.working_time(create) + int(60 * _FIRST_CONTACT_MINUTES.pick(rand) / (skill * skill))
        if final and first > moved:
            if rand() < 0.5:
                continue
            first = create + int(rand() * (moved - create + 1))
        if first >= ANCHOR_TS:
            continue
        kind = "call_out" if source == "CALLBACK" or rand() < 0.75 else "email_out"
        structural.append((base, kind, (first, False, 4 if source == "CALLBACK" else None)))
        owner = _Owner(1, base.owner_id, first, max(first, base.end), base.open, responsible, name,
                       _LEAD_WEIGHT[status], base.id_text, base.responsible_text)
        owners.append(owner)
        if not final and rand() < 0.5:
            structural.append((owner, "todo", ("planned",)))
        if not final and rand() < 0.15:
            structural.append((owner, "todo", ("overdue",)))
    return structural, owners


def _deal_owners(planner: _Planner, deals: list[dict[str, Any]]
                 ) -> tuple[list[tuple[_Owner, str, Any]], list[_Owner]]:
    rand = planner.rng.random
    structural: list[tuple[_Owner, str, Any]] = []
    owners: list[_Owner] = []
    for deal in deals:
        if deal["IS_RECURRING"] == "Y":
            continue
        create = _ts(deal["DATE_CREATE"])
        open_ = deal["CLOSED"] == "N"
        end = ANCHOR_TS - 1 if open_ else _ts(deal["MOVED_TIME"])
        owner = _Owner(2, int(deal["ID"]), create, max(create, end), open_, int(deal["ASSIGNED_BY_ID"]),
                       f"«{deal['TITLE'][:40]}»", 3.0 if open_ else 2.5, deal["ID"], deal["ASSIGNED_BY_ID"])
        owners.append(owner)
        if open_ and rand() < 0.6:
            structural.append((owner, "todo", ("planned",)))
        if open_ and rand() < 0.2:
            structural.append((owner, "todo", ("overdue",)))
    return structural, owners


def _contact_owners(contacts: list[dict[str, Any]]) -> list[_Owner]:
    return [_Owner(3, int(c["ID"]), _ts(c["DATE_CREATE"]), ANCHOR_TS - 1, True, int(c["ASSIGNED_BY_ID"]),
                   f"{c['NAME']} {c['LAST_NAME']}", 0.3, c["ID"], c["ASSIGNED_BY_ID"]) for c in contacts]


def _run_structural(planner: _Planner, owner: _Owner, kind: str, args: Any) -> None:
    rand = planner.rng.random
    if args[0] == "planned":
        created = max(owner.start, ANCHOR_TS - 1 - int(rand() * 5 * DAY))
        planner.add(owner, kind, created, planned_deadline=ANCHOR_TS + int(DAY * (0.2 + rand() * 10)))
    elif args[0] == "overdue":
        span = max(1, ANCHOR_TS - 1 - owner.start)
        created = owner.start + int(rand() * span)
        deadline = min(ANCHOR_TS - 60, created + int(DAY * (0.1 + rand() * 3)))
        planner.add(owner, kind, created, planned_deadline=max(created, deadline), overdue=True)
    else:
        when, incoming, call_type = args
        planner.add(owner, kind, max(0, when), incoming_channel=incoming, call_type=call_type)


def build_activities(rng: random.Random, count: int, leads: list[dict[str, Any]],
                     deals: dict[int, dict[str, Any]], contacts: list[dict[str, Any]],
                     tz: timezone, facts: dict[str, LeadFacts] | None = None) -> Activities:
    """``count`` activities with IDs in CREATED order (ORIGIN_IDs of calls come later)."""
    result = Activities()
    if count <= 0:
        return result
    planner = _Planner(rng, tz)
    lead_structural, lead_owners = _lead_owners(planner, leads, facts or {})
    deal_structural, deal_owners = _deal_owners(planner, list(deals.values()))
    structural = lead_structural + deal_structural
    if len(structural) > count:
        keep = sorted(rng.sample(range(len(structural)), count))
        structural = [structural[i] for i in keep]
    for owner, kind, args in structural:
        _run_structural(planner, owner, kind, args)
    owners = lead_owners + deal_owners + _contact_owners(contacts)
    remaining = count - len(planner.entries)
    if owners and remaining > 0:
        cum = list(accumulate(owner.weight for owner in owners))
        total = cum[-1]
        rand = rng.random
        for _ in range(remaining):
            planner.follow_up(owners[bisect_right(cum, rand() * total)])
    entries = planner.entries
    entries.sort()  # by CREATED, then sequence (unique: the records are never compared)

    deal_links: dict[int, list[tuple[int, int]]] = {}
    for deal_id, deal in deals.items():
        links = [(2, deal_id)]
        if deal["CONTACT_ID"] is not None:
            links.append((3, int(deal["CONTACT_ID"])))
        if deal["COMPANY_ID"] is not None:
            links.append((4, int(deal["COMPANY_ID"])))
        deal_links[deal_id] = links
    records, bindings, calls, latest = result.records, result.bindings, result.calls, result.latest
    rand = rng.random
    next_id = 1
    for _, _, record, call, owner_type, owner_id in entries:
        record["ID"] = str(next_id)
        records[next_id] = record
        if owner_type == 2 and owner_id in deal_links:
            bindings[next_id] = list(deal_links[owner_id])
        else:
            bindings[next_id] = [(owner_type, owner_id)]
        if call is not None:
            calls.append((next_id, call))
        if owner_type != 1:  # deals and contacts get LAST_ACTIVITY_TIME from here
            latest[(owner_type, owner_id)] = (record["CREATED"], record["RESPONSIBLE_ID"])
        next_id += 1 + (int(rand() * 4) + 1 if rand() < 0.05 else 0)
    return result
