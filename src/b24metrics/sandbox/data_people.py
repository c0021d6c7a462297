"""Seeded portal users (``user.get``) and CRM contacts (``crm.contact.list``).

The first eight users are the employees the lead generator already assigns
leads to (:data:`~.data.USERS`); more are added when asked for.  About as
many contacts as there are converted leads come from those leads (same
person, company, source and UTM, created at the conversion); the rest are
contacts entered by hand over the ~3 years before the anchor.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import timezone
from typing import Any

from .data import (
    ANCHOR_TS,
    COMPANY_SPAN_DAYS,
    DAY,
    PICK_MANAGER,
    POSTS,
    USER_STR,
    USERS,
    _person,
)
from .data_orgs import MY_DOMAIN, free_mail, translit
from .datetimes import TsFormatter, TsParser

__all__ = ["build_users", "build_contacts", "CONTACT_TYPES", "translit"]

#: (ID, NAME, LAST_NAME, SECOND_NAME, GENDER, WORK_POSITION, UF_DEPARTMENT, DATE_REGISTER)
STAFF = [
    (1, "Андрей", "Соколов", "Викторович", "M", "Генеральный директор", [1], "2023-02-06T10:12:40"),
    (5, "Ольга", "Кузнецова", "Сергеевна", "F", "Руководитель отдела продаж", [3], "2023-03-13T09:30:05"),
    (6, "Дмитрий", "Волков", "Андреевич", "M", "Менеджер по продажам", [3], "2023-04-03T11:02:51"),
    (9, "Екатерина", "Морозова", "Игоревна", "F", "Менеджер по продажам", [3], "2023-09-18T09:45:12"),
    (11, "Илья", "Лебедев", "Олегович", "M", "Менеджер по продажам", [5], "2024-01-22T10:20:33"),
    (14, "Анна", "Павлова", "Дмитриевна", "F", "Старший менеджер по продажам", [5], "2024-03-04T09:05:48"),
    (17, "Максим", "Егоров", None, "M", "Менеджер по продажам", [5], "2024-08-12T12:40:09"),
    (23, "Полина", "Никитина", "Алексеевна", "F", "Менеджер по работе с клиентами", [3], "2025-02-10T09:15:27"),
]
EXTRA_POSITIONS = ["Бухгалтер", "Инженер", "Логист", "Маркетолог", "Юрист", "Менеджер по продажам",
                   "Специалист техподдержки", "Офис-менеджер"]
EXTRA_DEPARTMENTS = [[1], [7], [9], [3], [11]]
EMAIL_DOMAIN = MY_DOMAIN

#: CONTACT_TYPE dictionary: (STATUS_ID, NAME)
CONTACT_TYPES = [("CLIENT", "Клиенты"), ("SUPPLIER", "Поставщики"), ("PARTNER", "Партнеры"),
                 ("OTHER", "Другое")]


# ---------------------------------------------------------------- users

def _user(user_id: int, name: str, last: str, second: str | None, gender: str, position: str,
          departments: list[int], registered: str, last_login: str, active: bool, tz_suffix: str,
          phone_inner: str | None) -> dict[str, Any]:
    return {
        "ID": str(user_id),
        "XML_ID": None,
        "ACTIVE": active,
        "NAME": name,
        "LAST_NAME": last,
        "SECOND_NAME": second or "",
        "EMAIL": f"{translit(name)[0]}.{translit(last)}@{EMAIL_DOMAIN}",
        "LAST_LOGIN": last_login,
        "DATE_REGISTER": registered + tz_suffix,
        "TIME_ZONE": "",
        "IS_ONLINE": "N",
        "TIME_ZONE_OFFSET": "0",
        "TIMESTAMP_X": {},
        "LAST_ACTIVITY_DATE": {},
        "PERSONAL_GENDER": gender,
        "PERSONAL_BIRTHDAY": "",
        "PERSONAL_MOBILE": "",
        "PERSONAL_CITY": "",
        "WORK_PHONE": "",
        "WORK_POSITION": position,
        "UF_EMPLOYMENT_DATE": "",
        "UF_DEPARTMENT": departments,
        "UF_PHONE_INNER": phone_inner,
        "USER_TYPE": "employee",
    }


def build_users(rng: random.Random, count: int, tz: timezone) -> dict[int, dict[str, Any]]:
    """``count`` users (at least the eight that own leads); the extra ones are
    other employees, about a quarter of them dismissed (``ACTIVE: false``)."""
    if count < len(USERS):
        raise ValueError(f"users must be >= {len(USERS)}: the leads are assigned to users {USERS}")
    format_ts = TsFormatter(tz).function()
    suffix = format_ts(0)[19:]
    users: dict[int, dict[str, Any]] = {}
    for index, (user_id, name, last, second, gender, position, departments, registered) in enumerate(STAFF):
        login = format_ts(ANCHOR_TS - 3600 - int(rng.random() * 3 * DAY))
        users[user_id] = _user(user_id, name, last, second, gender, position, departments, registered,
                               login, True, suffix, str(101 + index))
    next_id = USERS[-1] + 1
    for index in range(count - len(USERS)):
        name, last, second = _person(rng)
        registered_ts = ANCHOR_TS - int((60 + rng.random() * 900) * DAY)
        active = rng.random() >= 0.25
        login_ts = (ANCHOR_TS - int(rng.random() * 5 * DAY)) if active else (
            registered_ts + int(rng.random() * (ANCHOR_TS - registered_ts)))
        users[next_id] = _user(
            next_id, name, last, second, "M" if (second or "").endswith("ич") else "F",
            EXTRA_POSITIONS[int(rng.random() * len(EXTRA_POSITIONS))],
            list(EXTRA_DEPARTMENTS[int(rng.random() * len(EXTRA_DEPARTMENTS))]),
            format_ts(registered_ts)[:19], format_ts(login_ts), active, suffix,
            str(109 + index) if rng.random() < 0.6 else None)
        next_id += 1 + (int(rng.random() * 3) if rng.random() < 0.3 else 0)
    return users


# ---------------------------------------------------------------- contacts

def _mobile(rng: random.Random) -> str:
    return f"+79{int(rng.random() * 1_000_000_000):09d}"


_ts = TsParser()


def build_contacts(rng: random.Random, count: int, leads: list[dict[str, Any]],
                   companies: list[dict[str, Any]], tz: timezone,
                   next_multifield_id: int = 1) -> list[dict[str, Any]]:
    """``count`` contacts in ID (= creation) order; PHONE/EMAIL multifields included."""
    if count <= 0:
        return []
    format_ts = TsFormatter(tz).function()
    converted = [lead for lead in leads if lead["STATUS_ID"] == "CONVERTED"]
    from_leads = [lead for lead in converted if rng.random() < 0.85]
    if len(from_leads) > count // 2:
        keep = sorted(rng.sample(range(len(from_leads)), count // 2))
        from_leads = [from_leads[i] for i in keep]
    company_created = [_ts(c["DATE_CREATE"]) for c in companies]
    drafts: list[tuple[int, int, dict[str, Any]]] = []
    for seq, lead in enumerate(from_leads):
        created = min(ANCHOR_TS - 1, _ts(lead["MOVED_TIME"]) + 1 + int(rng.random() * 30))
        drafts.append((created, seq, {
            "name": (lead["NAME"], lead["LAST_NAME"], lead["SECOND_NAME"]),
            "lead": lead["ID"], "company": lead["COMPANY_ID"], "source": lead["SOURCE_ID"],
            "assigned": lead["ASSIGNED_BY_ID"], "post": lead["POST"], "type": "CLIENT",
            "phone": lead["HAS_PHONE"] == "Y", "email": lead["HAS_EMAIL"] == "Y",
            "utm": (lead["UTM_SOURCE"], lead["UTM_MEDIUM"], lead["UTM_CAMPAIGN"],
                    lead["UTM_CONTENT"], lead["UTM_TERM"]),
            "city": lead["ADDRESS_CITY"],
            # the conversion copies what the person gave
            "phone_value": lead["PHONE"][0]["VALUE"] if lead.get("PHONE") else None,
            "email_value": lead["EMAIL"][0]["VALUE"] if lead.get("EMAIL") else None,
        }))
    start_ts = ANCHOR_TS - COMPANY_SPAN_DAYS * DAY
    types = [code for code, _ in CONTACT_TYPES]
    for seq in range(len(drafts), count):
        created = start_ts + int(rng.random() * (COMPANY_SPAN_DAYS * DAY - 3600))
        eligible = bisect_right(company_created, created)
        company = companies[int(rng.random() * eligible)]["ID"] if eligible and rng.random() < 0.7 else None
        drafts.append((created, seq, {
            "name": _person(rng), "lead": None, "company": company,
            "source": (None, "CALL", "EMAIL", "PARTNER", "RECOMMENDATION", "TRADE_SHOW", "OTHER")[
                int(rng.random() * 7)],
            "assigned": USER_STR[PICK_MANAGER.pick(rng)],
            "post": POSTS[int(rng.random() * len(POSTS))] if company and rng.random() < 0.5 else None,
            "type": rng.choices(types, weights=[70, 12, 10, 8])[0],
            "phone": rng.random() < 0.85, "email": rng.random() < 0.6,
            "utm": (None, None, None, None, None), "city": None, "phone_value": None, "email_value": None,
        }))
    drafts.sort()  # by creation, then sequence (unique)
    hosts = {c["ID"]: _company_host(c) for c in companies}
    rows: list[dict[str, Any]] = []
    next_id = 1
    mf_id = next_multifield_id
    for created, _, draft in drafts:
        name, last, second = draft["name"]
        modify = min(ANCHOR_TS - 1, created + (int(rng.expovariate(1 / (40 * DAY))) if rng.random() < 0.5 else 0))
        phones: list[dict[str, str]] = []
        emails: list[dict[str, str]] = []
        if draft["phone"]:
            phones.append({"ID": str(mf_id), "VALUE_TYPE": "WORK" if rng.random() < 0.4 else "MOBILE",
                           "VALUE": draft["phone_value"] or _mobile(rng), "TYPE_ID": "PHONE"})
            mf_id += 1
            if rng.random() < 0.1:
                phones.append({"ID": str(mf_id), "VALUE_TYPE": "WORK", "VALUE": _mobile(rng), "TYPE_ID": "PHONE"})
                mf_id += 1
        if draft["email"]:
            host = hosts.get(draft["company"]) if rng.random() < 0.7 else None
            host = host or free_mail(rng)
            emails.append({"ID": str(mf_id), "VALUE_TYPE": "WORK",
                           "VALUE": draft["email_value"] or f"{translit(name)[0]}.{translit(last)}@{host}",
                           "TYPE_ID": "EMAIL"})
            mf_id += 1
        assigned = draft["assigned"]
        utm = draft["utm"]
        created_text = format_ts(created)
        row: dict[str, Any] = {
            "ID": str(next_id),
            "POST": draft["post"],
            "COMMENTS": None,
            "HONORIFIC": None,
            "NAME": name,
            "SECOND_NAME": second,
            "LAST_NAME": last,
            "PHOTO": None,
            "LEAD_ID": draft["lead"],
            "TYPE_ID": draft["type"],
            "SOURCE_ID": draft["source"],
            "SOURCE_DESCRIPTION": None,
            "COMPANY_ID": draft["company"],
            "BIRTHDATE": "",
            "EXPORT": "Y",
            "HAS_PHONE": "Y" if phones else "N",
            "HAS_EMAIL": "Y" if emails else "N",
            "HAS_IMOL": "N",
            "DATE_CREATE": created_text,
            "DATE_MODIFY": format_ts(modify),
            "ASSIGNED_BY_ID": assigned,
            "CREATED_BY_ID": assigned if rng.random() < 0.85 else "1",
            "MODIFY_BY_ID": assigned,
            "OPENED": "Y",
            "ORIGINATOR_ID": None,
            "ORIGIN_ID": None,
            "ORIGIN_VERSION": None,
            "FACE_ID": None,
            "LAST_ACTIVITY_TIME": created_text,
            "ADDRESS": None,
            "ADDRESS_2": None,
            "ADDRESS_CITY": draft["city"],
            "ADDRESS_POSTAL_CODE": None,
            "ADDRESS_REGION": None,
            "ADDRESS_PROVINCE": None,
            "ADDRESS_COUNTRY": None,
            "ADDRESS_LOC_ADDR_ID": None,
            "UTM_SOURCE": utm[0],
            "UTM_MEDIUM": utm[1],
            "UTM_CAMPAIGN": utm[2],
            "UTM_CONTENT": utm[3],
            "UTM_TERM": utm[4],
            "LAST_ACTIVITY_BY": assigned,
        }
        # multifields: no key at all when the contact has none
        if phones:
            row["PHONE"] = phones
        if emails:
            row["EMAIL"] = emails
        rows.append(row)
        next_id += 1 + (int(rng.random() * 3) + 1 if rng.random() < 0.1 else 0)
    return rows


def _company_host(company: dict[str, Any]) -> str | None:
    """The company's own mail domain (from its site), None when it has no site."""
    web = company.get("WEB")
    return web[0]["VALUE"].removeprefix("https://") if web else None
