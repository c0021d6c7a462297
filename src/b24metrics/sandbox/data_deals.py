"""Seeded deal pipelines, deals and the stage history of leads and deals.

Pipelines: 0 "Общая" (the stages already in ``crm.status.list`` as
``DEAL_STAGE``), 1 "Повторные продажи" and 3 "Тендеры" (2 was deleted long
ago), each with its ``C{id}:`` stages including one custom ``UC_`` stage.

About half of the deals come from converted leads (created a moment after the
lead's conversion, same company, source, UTM and manager); the others are
spread over the same 540 days.  Each deal walks its pipeline: created in the
first stage, a few forward moves, then won, lost or still open; a few were
moved to another pipeline (history ``TYPE_ID`` 5) and a few were reopened
after closing.  Its history ends in its current stage at ``MOVED_TIME``.
"""

from __future__ import annotations

import random
from datetime import timezone
from typing import Any

from .data import (
    ANCHOR_TS,
    LeadFacts,
    BAND_DEAL_FACTOR,
    DAY,
    DEAL_STAGES,
    LEAD_SPAN_DAYS,
    MANAGER_SKILL,
    PICK_MANAGER,
    PICK_SOURCE,
    USER_STR,
    _money,
    _status_row,
)
from .data_people import CONTACT_TYPES
from .datetimes import TsFormatter, TsParser

__all__ = [
    "CATEGORIES",
    "PIPELINE_STAGES",
    "DEAL_TYPES",
    "UNUSED_STAGES",
    "stage_semantic",
    "build_categories",
    "stream_statuses",
    "build_deals",
    "lead_history",
    "history_row",
]

#: (id, name, sort, isDefault)
CATEGORIES = [(0, "Общая", 100, True), (1, "Повторные продажи", 200, False), (3, "Тендеры", 300, False)]

_PIPELINE_1 = [
    ("C1:NEW", "Новая", 10, "Y", "#39A8EF", None, "process"),
    ("C1:PREPARATION", "Подбор предложения", 20, "N", "#2FC6F6", None, "process"),
    ("C1:UC_7XK2QD", "Повторный контакт", 30, "N", "#55D0E0", None, "process"),
    ("C1:EXECUTING", "Согласование условий", 40, "N", "#47E4C2", None, "process"),
    ("C1:UC_A81KZP", "Ожидание бюджета", 50, "N", "#C8D3DA", None, "process"),
    ("C1:WON", "Сделка успешна", 60, "Y", "#7BD500", "S", "success"),
    ("C1:LOSE", "Сделка провалена", 70, "Y", "#FF5752", "F", "failure"),
]
_PIPELINE_3 = [
    ("C3:NEW", "Новый тендер", 10, "Y", "#39A8EF", None, "process"),
    ("C3:PREPARATION", "Подготовка заявки", 20, "N", "#2FC6F6", None, "process"),
    ("C3:UC_M4T9ZA", "Заявка подана", 30, "N", "#55D0E0", None, "process"),
    ("C3:EXECUTING", "Торги", 40, "N", "#47E4C2", None, "process"),
    ("C3:WON", "Тендер выигран", 60, "Y", "#7BD500", "S", "success"),
    ("C3:LOSE", "Тендер проигран", 70, "Y", "#FF5752", "F", "failure"),
    ("C3:APOLOGY", "Отказ от участия", 80, "N", "#FF5752", "F", "apology"),
]
#: category id -> its stages, as rows of crm.status.list (STATUS_ID, NAME, SORT, SYSTEM, COLOR, SEMANTICS, EXTRA)
PIPELINE_STAGES = {0: DEAL_STAGES, 1: _PIPELINE_1, 3: _PIPELINE_3}

#: DEAL_TYPE dictionary: (STATUS_ID, NAME)
DEAL_TYPES = [("SALE", "Продажа"), ("COMPLEX", "Комплексная продажа"), ("GOODS", "Продажа товара"),
              ("SERVICES", "Продажа услуги"), ("SERVICE", "Сервисное обслуживание")]

#: stages that stay in a pipeline for years with no deal ever moved into them
UNUSED_STAGES = {"C1:UC_A81KZP"}

_SEMANTIC = {stage[0]: (stage[5] or "P") for stages in PIPELINE_STAGES.values() for stage in stages}
#: category -> process stages in order (the used ones), its success stage, its failure stages
_PROCESS = {cat: [s[0] for s in stages if s[5] is None and s[0] not in UNUSED_STAGES]
            for cat, stages in PIPELINE_STAGES.items()}
_WON = {cat: next(s[0] for s in stages if s[5] == "S") for cat, stages in PIPELINE_STAGES.items()}
_LOST = {cat: [s[0] for s in stages if s[5] == "F"] for cat, stages in PIPELINE_STAGES.items()}

PRODUCTS = ["Поставка оборудования", "Внедрение CRM", "Сервисный контракт", "Лицензии на год",
            "Монтаж и пусконаладка", "Консультационные услуги", "Поставка расходных материалов",
            "Техническое обслуживание", "Аудит инфраструктуры"]
DEAL_COMMENTS = ["Ждём подписанный договор", "Клиент просит скидку 5%", "Согласовать сроки поставки",
                 "Оплата частями", "Нужна демонстрация для руководства"]


def stage_semantic(stage_id: str) -> str:
    """``P``/``S``/``F`` of a deal stage of any pipeline (``P`` for unknown ones)."""
    return _SEMANTIC.get(stage_id, "P")


def build_categories() -> list[dict[str, Any]]:
    """crm.category.list rows (the default pipeline has no origin keys, as in the docs)."""
    rows = []
    for cat, name, sort, default in CATEGORIES:
        row: dict[str, Any] = {"id": cat, "name": name, "sort": sort, "entityTypeId": 2,
                               "isDefault": "Y" if default else "N"}
        if not default:
            row["originId"] = ""
            row["originatorId"] = ""
        rows.append(row)
    return rows


def stream_statuses(first_id: int) -> list[dict[str, Any]]:
    """Rows appended to crm.status.list: stages of pipelines 1 and 3, DEAL_TYPE, CONTACT_TYPE."""
    rows = []
    next_id = first_id
    for cat, stages in PIPELINE_STAGES.items():
        if cat == 0:
            continue  # already in the base dictionaries as DEAL_STAGE
        for status_id, name, sort, system, color, sem, extra in stages:
            row = _status_row(next_id, f"DEAL_STAGE_{cat}", status_id, name, name if system == "Y" else "",
                              sort, system, color, sem, extra)
            row["CATEGORY_ID"] = str(cat)
            rows.append(row)
            next_id += 1
    for entity, items in (("DEAL_TYPE", DEAL_TYPES), ("CONTACT_TYPE", CONTACT_TYPES)):
        for i, (status_id, name) in enumerate(items):
            rows.append(_status_row(next_id, entity, status_id, name, name, (i + 1) * 10, "Y" if i == 0 else "N",
                                    None, None, None))
            next_id += 1
    return rows


def history_row(history_id: int, type_id: int, owner_id: int, created: str, stage: str,
                category: int | None) -> dict[str, Any]:
    """One crm.stagehistory.list item: a deal's when ``category`` is given, else a lead's."""
    if category is None:
        return {"ID": history_id, "TYPE_ID": type_id, "OWNER_ID": owner_id, "CREATED_TIME": created,
                "STATUS_SEMANTIC_ID": _LEAD_SEMANTIC.get(stage, "P"), "STATUS_ID": stage}
    return {"ID": history_id, "TYPE_ID": type_id, "OWNER_ID": owner_id, "CREATED_TIME": created,
            "CATEGORY_ID": category, "STAGE_SEMANTIC_ID": stage_semantic(stage), "STAGE_ID": stage}


_LEAD_SEMANTIC = {"CONVERTED": "S", "JUNK": "F"}


_ts = TsParser()


def _spread(rng: random.Random, start: int, end: int, count: int) -> list[int]:
    """``count`` sorted moments in ``(start, end]``, the last one exactly ``end``."""
    if count <= 0:
        return []
    inner = sorted(start + int(rng.random() * (end - start)) for _ in range(count - 1))
    return inner + [end]


# ---------------------------------------------------------------- lead history

def lead_history(rng: random.Random, leads: list[dict[str, Any]], tz: timezone
                 ) -> dict[int, dict[str, Any]]:
    """History consistent with every lead: created as NEW at DATE_CREATE, in its
    current status since MOVED_TIME, sometimes IN_PROCESS in between."""
    format_ts = TsFormatter(tz).function()
    rand = rng.random
    # (time, seq, type, owner, status, CREATED_TIME)
    events: list[tuple[int, int, int, int, str, str]] = []
    append = events.append
    for lead in leads:
        owner = int(lead["ID"])
        status = lead["STATUS_ID"]
        create = _ts(lead["DATE_CREATE"])
        append((create, len(events), 1, owner, "NEW", lead["DATE_CREATE"]))
        if status == "NEW":
            continue
        moved = _ts(lead["MOVED_TIME"])
        if status != "IN_PROCESS" and moved - create >= 2 and rand() < (0.6 if status == "PROCESSED" else 0.45):
            between = create + 1 + int(rand() * (moved - create - 1))
            append((between, len(events), 2, owner, "IN_PROCESS", format_ts(between)))
        append((moved, len(events), 3 if status in _LEAD_SEMANTIC else 2, owner, status, lead["MOVED_TIME"]))
    events.sort()
    rows: dict[int, dict[str, Any]] = {}
    next_id = 1
    for _, _, type_id, owner, status, created in events:
        rows[next_id] = {"ID": next_id, "TYPE_ID": type_id, "OWNER_ID": owner, "CREATED_TIME": created,
                         "STATUS_SEMANTIC_ID": _LEAD_SEMANTIC.get(status, "P"), "STATUS_ID": status}
        next_id += 1 + (1 if rand() < 0.02 else 0)
    return rows


# ---------------------------------------------------------------- deals

def _deal_times(rng: random.Random, count: int) -> list[int]:
    start_ts = ANCHOR_TS - LEAD_SPAN_DAYS * DAY
    times = []
    for _ in range(count):
        day = int(LEAD_SPAN_DAYS * rng.random() ** 0.85)
        seconds = 9 * 3600 + int(rng.random() * 10 * 3600) if rng.random() < 0.9 else int(rng.random() * DAY)
        times.append(min(start_ts + day * DAY + seconds, ANCHOR_TS - 1))
    return times


def _walk(rng: random.Random, cat: int, create: int, skill: float, win: float = 1.0,
          lag_days: float = 20.0) -> list[tuple[int, int, int, str]]:
    """The deal's stage moves after creation: ``[(time, TYPE_ID, category, stage), ...]``.

    It closes after a log-normal time around ``lag_days`` (its channel's), if that has passed
    by the anchor and it does not stall; ``win`` scales its chance to be won."""
    age = ANCHOR_TS - create
    age_days = age / DAY
    steps: list[tuple[int, int, str]] = []  # (TYPE_ID, category, stage)
    process = _PROCESS[cat]
    if cat == 0 and age_days > 10 and rng.random() < 0.03:
        # started in the general pipeline, then handed over to another one
        if rng.random() < 0.6:
            steps.append((2, 0, process[1]))
        cat = 1 if rng.random() < 0.5 else 3
        process = _PROCESS[cat]
        steps.append((5, cat, process[0]))
    duration = lag_days * DAY * rng.lognormvariate(0.0, 0.9)
    if rng.random() < 0.93 and duration < age:
        won = rng.random() < min(0.85, 0.36 * skill * win * (1.1 if cat == 1 else 0.85 if cat == 3 else 1.0))
        limit = len(process) if won else 1 + int(rng.random() * len(process))
        if not (won and rng.random() < 0.12):  # else the manager jumps straight to the won stage
            steps += [(2, cat, stage) for stage in process[1:limit] if rng.random() < 0.72]
        lost = _LOST[cat]
        final = _WON[cat] if won else (lost[0] if len(lost) == 1 or rng.random() < 0.85 else lost[1])
        steps.append((3, cat, final))
        if age_days > 20 and rng.random() < 0.04:
            # reopened: back to a process stage, then sometimes closed again
            steps.append((2, cat, process[1 + int(rng.random() * (len(process) - 1))]))
            if rng.random() < 0.5:
                steps.append((3, cat, _WON[cat] if rng.random() < 0.5 else lost[0]))
        span = min(int(duration) + 1800 * len(steps), age - 1)
    else:
        target = min(len(process) - 1, int(len(process) * rng.random() ** 1.6))
        steps += [(2, cat, stage) for stage in process[1:target] if rng.random() < 0.7]
        if target > 0:
            steps.append((2, cat, process[target]))
        span = int(rng.random() * (age - 1))
    times = _spread(rng, create, min(ANCHOR_TS - 1, create + max(span, 0)), len(steps))
    return [(t, type_id, c, stage) for t, (type_id, c, stage) in zip(times, steps)]


def _date_value(format_ts: TsFormatter, offset: int, ts: int, days_later: int = 0) -> str:
    """A date field as Bitrix writes it: the portal date's UTC midnight in the portal offset."""
    day = (ts + offset) // DAY + days_later
    return format_ts(day * DAY)


def build_deals(rng: random.Random, count: int, leads: list[dict[str, Any]], companies: list[dict[str, Any]],
                contacts: list[dict[str, Any]], tz: timezone, facts: dict[str, LeadFacts] | None = None
                ) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    """``count`` deals in ID (= creation) order and their stage history; a deal from a lead
    is won, sized and timed by what ``facts`` says of the lead (its size, engagement, channel)."""
    facts = facts or {}
    if count <= 0:
        return [], {}
    format_ts = TsFormatter(tz).function()
    offset = int(tz.utcoffset(None).total_seconds())
    converted = [lead for lead in leads if lead["STATUS_ID"] == "CONVERTED"]
    n_from_leads = min(len(converted), count // 2)
    picked = sorted(rng.sample(range(len(converted)), n_from_leads)) if n_from_leads else []
    contact_by_lead = {c["LEAD_ID"]: c for c in contacts if c["LEAD_ID"] is not None}
    contacts_by_company: dict[str, list[dict[str, Any]]] = {}
    for contact in contacts:
        if contact["COMPANY_ID"] is not None:
            contacts_by_company.setdefault(contact["COMPANY_ID"], []).append(contact)
    company_by_id = {c["ID"]: c for c in companies}
    drafts: list[tuple[int, int, dict[str, Any] | None]] = []
    for seq, index in enumerate(picked):
        lead = converted[index]
        drafts.append((min(ANCHOR_TS - 1, _ts(lead["MOVED_TIME"]) + 1 + int(rng.random() * 20)), seq, lead))
    for seq, created in enumerate(_deal_times(rng, count - n_from_leads), start=len(drafts)):
        drafts.append((created, seq, None))
    drafts.sort()  # by creation, then sequence (unique)
    company_created = sorted((_ts(c["DATE_CREATE"]), c["ID"]) for c in companies)
    contact_created = [(_ts(c["DATE_CREATE"]), c["ID"], c["COMPANY_ID"]) for c in contacts]

    deals: list[dict[str, Any]] = []
    events: list[tuple[int, int, int, int, int, str]] = []  # (time, seq, type, owner, category, stage)
    seen_clients: set[str] = set()
    next_id = 1
    rand = rng.random
    deal_types = [code for code, _ in DEAL_TYPES]
    for create, _, lead in drafts:
        deal_id = str(next_id)
        fact = facts.get(lead["ID"]) if lead is not None else None
        if lead is not None:
            assigned_str = lead["ASSIGNED_BY_ID"]
            company_id = lead["COMPANY_ID"]
            contact = contact_by_lead.get(lead["ID"])
            contact_id = contact["ID"] if contact else None
            source = lead["SOURCE_ID"]
            utm = (lead["UTM_SOURCE"], lead["UTM_MEDIUM"], lead["UTM_CAMPAIGN"], lead["UTM_CONTENT"], lead["UTM_TERM"])
            title = lead["TITLE"]
            base = float(lead["OPPORTUNITY"])
            currency = lead["CURRENCY_ID"]
            cat = 0
        else:
            assigned_str = USER_STR[PICK_MANAGER.pick(rng)]
            company_id = contact_id = None
            eligible = _count_before(company_created, create)
            if eligible and rand() < 0.65:
                company_id = company_created[int(rand() * eligible)][1]
            if company_id is not None and contacts_by_company.get(company_id) and rand() < 0.75:
                candidates = contacts_by_company[company_id]
                contact = candidates[int(rand() * len(candidates))]
                contact_id = contact["ID"] if _ts(contact["DATE_CREATE"]) <= create else None
            elif company_id is None and contact_created and rand() < 0.6:
                pick = contact_created[int(rand() * len(contact_created))]
                contact_id = pick[1] if pick[0] <= create else None
            source = PICK_SOURCE.pick(rng)
            utm = (None, None, None, None, None)
            who = company_by_id[company_id]["TITLE"] if company_id is not None else None
            cat_roll = rand()
            cat = 1 if cat_roll < 0.16 else (3 if cat_roll < 0.27 else 0)
            product = PRODUCTS[int(rand() * len(PRODUCTS))]
            if cat == 3:
                title = f"Тендер №{int(rand() * 900000) + 100000} — {product.lower()}"
            else:
                title = f"{product} — {who}" if who else product
            base = 0.0
            currency = "RUB" if rand() < 0.94 else ("USD" if rand() < 0.6 else "EUR")
        client = company_id or (f"c{contact_id}" if contact_id else None)
        is_return = "Y" if client is not None and client in seen_clients else "N"
        if client is not None:
            seen_clients.add(client)
        if is_return == "Y" and lead is None and cat == 0 and rand() < 0.4:
            cat = 1
        recurring = lead is None and cat == 0 and rand() < 0.01
        skill = MANAGER_SKILL.get(int(assigned_str), 1.0)
        moves = [] if recurring else (_walk(rng, cat, create, skill, fact.win, fact.lag_days) if fact is not None
                                      else _walk(rng, cat, create, skill))
        category = moves[-1][2] if moves else cat
        first_stage = _PROCESS[cat][0]
        stage = moves[-1][3] if moves else first_stage
        moved = moves[-1][0] if moves else create
        semantic = stage_semantic(stage)
        modify = moved if rand() < 0.5 else min(ANCHOR_TS - 1, moved + int(rng.expovariate(1 / (6 * DAY))))

        if base <= 0 or rand() < 0.3:
            base = 0.0 if rand() < 0.08 else float(max(5000, round(rng.lognormvariate(12.1, 0.75), -3)))
            if fact is not None:
                base *= fact.deal
            elif company_id is not None:
                band = company_by_id[company_id]["EMPLOYEES"]
                base *= BAND_DEAL_FACTOR[band]
            if cat == 3:
                base *= 3
        opportunity = round(base, 2)
        tax = round(opportunity * 20 / 120, 2) if opportunity and rand() < 0.3 else 0.0
        if semantic == "S":
            probability = "100" if rand() < 0.5 else None
        elif semantic == "F":
            probability = "0" if rand() < 0.3 else None
        else:
            probability = str(10 * (1 + int(rand() * 9))) if rand() < 0.4 else None
        planned = 7 if rand() < 0.55 else 10 + int(rand() * 80)
        created_by = assigned_str if rand() < 0.8 else "1"
        origin = rand() < 0.03
        deal: dict[str, Any] = {
            "ID": deal_id,
            "TITLE": ("Ежемесячное обслуживание — " + title) if recurring else title,
            "TYPE_ID": deal_types[min(len(deal_types) - 1, int(len(deal_types) * rand() ** 1.7))],
            "STAGE_ID": stage,
            "PROBABILITY": probability,
            "CURRENCY_ID": currency,
            "OPPORTUNITY": _money(opportunity),
            "IS_MANUAL_OPPORTUNITY": "Y" if opportunity and rand() < 0.6 else "N",
            "TAX_VALUE": _money(tax),
            "LEAD_ID": lead["ID"] if lead is not None else None,
            "COMPANY_ID": company_id,
            "CONTACT_ID": contact_id,
            "QUOTE_ID": None,
            "BEGINDATE": _date_value(format_ts, offset, create),
            "CLOSEDATE": _date_value(format_ts, offset, create, planned),
            "ASSIGNED_BY_ID": assigned_str,
            "CREATED_BY_ID": created_by,
            "MODIFY_BY_ID": assigned_str if rand() < 0.85 else "1",
            "DATE_CREATE": format_ts(create),
            "DATE_MODIFY": format_ts(modify),
            "OPENED": "Y" if rand() < 0.9 else "N",
            "CLOSED": "N" if semantic == "P" else "Y",
            "COMMENTS": DEAL_COMMENTS[int(rand() * len(DEAL_COMMENTS))] if rand() < 0.08 else None,
            "ADDITIONAL_INFO": None,
            "LOCATION_ID": None,
            "CATEGORY_ID": str(category),
            "STAGE_SEMANTIC_ID": semantic,
            "IS_NEW": "Y" if stage == _PROCESS[category][0] and not moves else "N",
            "IS_RECURRING": "Y" if recurring else "N",
            "IS_RETURN_CUSTOMER": is_return,
            "IS_REPEATED_APPROACH": "Y" if is_return == "Y" and rand() < 0.15 else "N",
            "SOURCE_ID": source,
            "SOURCE_DESCRIPTION": None,
            "ORIGINATOR_ID": "1c_exchange" if origin else None,
            "ORIGIN_ID": f"{int(rand() * 90000) + 10000:06d}" if origin else None,
            "MOVED_BY_ID": assigned_str,
            "MOVED_TIME": format_ts(moved),
            "LAST_ACTIVITY_TIME": format_ts(create),
            "UTM_SOURCE": utm[0],
            "UTM_MEDIUM": utm[1],
            "UTM_CAMPAIGN": utm[2],
            "UTM_CONTENT": utm[3],
            "UTM_TERM": utm[4],
            "LAST_ACTIVITY_BY": assigned_str,
        }
        deals.append(deal)
        owner = next_id
        events.append((create, len(events), 1, owner, cat, first_stage))
        for when, type_id, move_cat, move_stage in moves:
            events.append((when, len(events), type_id, owner, move_cat, move_stage))
        next_id += 1 + (int(rand() * 3) + 1 if rand() < 0.12 else 0)

    events.sort()
    history: dict[int, dict[str, Any]] = {}
    history_id = 1
    for when, _, type_id, owner, cat, stage in events:
        history[history_id] = {"ID": history_id, "TYPE_ID": type_id, "OWNER_ID": owner,
                               "CREATED_TIME": format_ts(when), "CATEGORY_ID": cat,
                               "STAGE_SEMANTIC_ID": _SEMANTIC.get(stage, "P"), "STAGE_ID": stage}
        history_id += 1 + (1 if rand() < 0.02 else 0)
    return deals, history


def _count_before(created: list[tuple[int, str]], ts: int) -> int:
    low, high = 0, len(created)
    while low < high:
        mid = (low + high) // 2
        if created[mid][0] <= ts:
            low = mid + 1
        else:
            high = mid
    return low
