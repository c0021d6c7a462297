"""Seeded, deterministic data of the sandbox portal.

``generate(state, seed, leads, companies, tz, ...)`` fills a :class:`PortalState`
with CRM dictionaries (``crm.status.list``), companies, leads and two
pre-existing lead user fields of the kind every real portal has, then the
other streams (users, contacts, deals, stage history, activities, calls: see
:mod:`.data_streams`).

Same seed, sizes and time zone give a byte-identical portal: the dictionaries,
companies and leads come from one ``random.Random(seed)``, every later stream
from its own generator derived from the seed, and all dates from the fixed
:data:`~b24metrics.sandbox.datetimes.ANCHOR` (2026-11-01T00:00:00+03:00),
never from the wall clock.  Leads are created during the 540 days before
the anchor, companies during the ~3 years before it.
"""

from __future__ import annotations

import gc
import random
from bisect import bisect_right
from itertools import accumulate
from datetime import datetime, timezone
from typing import Any

from .datetimes import ANCHOR, TsFormatter
from .schema import COMPANY_NAMES
from .state import PortalState

__all__ = ["generate", "USERS", "LEAD_STATUSES", "EMPLOYEE_BANDS"]

DAY = 86400
ANCHOR_TS = int(ANCHOR.timestamp())
LEAD_SPAN_DAYS = 540
COMPANY_SPAN_DAYS = 1100

#: Portal employees: 1 is the administrator (owner of the webhook).
USERS = [1, 5, 6, 9, 11, 14, 17, 23]
MANAGERS = [5, 6, 9, 11, 14, 17, 23]
#: per-manager skill: multiplies the chance to convert a lead
MANAGER_SKILL = {5: 1.25, 6: 0.8, 9: 1.05, 11: 0.95, 14: 1.15, 17: 0.7, 23: 1.0}
MANAGER_WEIGHTS = [16, 14, 15, 13, 12, 9, 11]
#: one shared string object per user ID (hundreds of thousands of records point at them)
USER_STR = {user: str(user) for user in USERS}

# ---------------------------------------------------------------- dictionaries

#: (STATUS_ID, NAME, SORT, SYSTEM, COLOR, SEMANTICS, EXTRA.SEMANTICS)
LEAD_STATUSES = [
    ("NEW", "Не обработан", 10, "Y", "#2FC6F6", None, "process"),
    ("IN_PROCESS", "В работе", 20, "N", "#55D0E0", None, "process"),
    ("PROCESSED", "Обработан", 30, "N", "#FFA900", None, "process"),
    ("CONVERTED", "Качественный лид", 50, "Y", "#7BD500", "S", "success"),
    ("JUNK", "Некачественный лид", 60, "Y", "#FF5752", "F", "failure"),
]
STATUS_SEMANTIC = {"NEW": "P", "IN_PROCESS": "P", "PROCESSED": "P", "CONVERTED": "S", "JUNK": "F"}

DEAL_STAGES = [
    ("NEW", "Новая", 10, "Y", "#39A8EF", None, "process"),
    ("PREPARATION", "Подготовка документов", 20, "N", "#2FC6F6", None, "process"),
    ("PREPAYMENT_INVOICE", "Счёт на предоплату", 30, "N", "#55D0E0", None, "process"),
    ("EXECUTING", "В работе", 40, "N", "#47E4C2", None, "process"),
    ("FINAL_INVOICE", "Финальный счёт", 50, "N", "#FFA900", None, "process"),
    ("WON", "Сделка успешна", 60, "Y", "#7BD500", "S", "success"),
    ("LOSE", "Сделка провалена", 70, "Y", "#FF5752", "F", "failure"),
    ("APOLOGY", "Анализ причины провала", 80, "N", "#FF5752", "F", "apology"),
]

SOURCES = [
    ("CALL", "Звонок"),
    ("EMAIL", "E-mail"),
    ("WEB", "Веб-сайт"),
    ("ADVERTISING", "Реклама"),
    ("PARTNER", "Существующий клиент"),
    ("RECOMMENDATION", "По рекомендации"),
    ("TRADE_SHOW", "Выставка"),
    ("WEBFORM", "CRM-форма"),
    ("CALLBACK", "Обратный звонок"),
    ("OTHER", "Другое"),
]

COMPANY_TYPES = [
    ("CUSTOMER", "Клиент"),
    ("SUPPLIER", "Поставщик"),
    ("COMPETITOR", "Конкурент"),
    ("PARTNER", "Партнер"),
    ("OTHER", "Другое"),
]

#: (STATUS_ID, NAME, NAME_INIT): the integrator renamed the top default band
#: "более 500" to "500-1000" and added EMPLOYEES_5 "более 1000".
EMPLOYEE_BANDS = [
    ("EMPLOYEES_1", "менее 50", "менее 50"),
    ("EMPLOYEES_2", "50-250", "50-250"),
    ("EMPLOYEES_3", "250-500", "250-500"),
    ("EMPLOYEES_4", "500-1000", "более 500"),
]
EMPLOYEES_5 = ("EMPLOYEES_5", "более 1000", "")

INDUSTRIES = [
    ("IT", "Информационные технологии"),
    ("TELECOM", "Телекоммуникации и связь"),
    ("MANUFACTURING", "Производство"),
    ("BANKING", "Банковские услуги"),
    ("CONSULTING", "Консалтинг"),
    ("FINANCE", "Финансы"),
    ("GOVERNMENT", "Правительство"),
    ("DELIVERY", "Доставка"),
    ("ENTERTAINMENT", "Развлечения"),
    ("NOTPROFIT", "Не для получения прибыли"),
    ("OTHER", "Другое"),
]


def _status_row(id_: int, entity: str, status_id: str, name: str, name_init: str, sort: int,
                system: str, color: str | None, semantics: str | None,
                extra: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "ID": str(id_),
        "ENTITY_ID": entity,
        "STATUS_ID": status_id,
        "NAME": name,
        "NAME_INIT": name_init,
        "SORT": str(sort),
        "SYSTEM": system,
        "CATEGORY_ID": None,
        "COLOR": color,
        "SEMANTICS": semantics,
    }
    if extra is not None:
        row["EXTRA"] = {"SEMANTICS": extra, "COLOR": color}
    return row


def build_statuses() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    next_id = 1
    for status_id, name, sort, system, color, sem, extra in LEAD_STATUSES:
        rows.append(_status_row(next_id, "STATUS", status_id, name, name if system == "Y" else "",
                                sort, system, color, sem, extra))
        next_id += 1
    for i, (status_id, name) in enumerate(SOURCES):
        rows.append(_status_row(next_id, "SOURCE", status_id, name, name, (i + 1) * 10, "N", None, None, None))
        next_id += 1
    for i, (status_id, name) in enumerate(COMPANY_TYPES):
        rows.append(_status_row(next_id, "COMPANY_TYPE", status_id, name, name, (i + 1) * 10, "N", None, None, None))
        next_id += 1
    for i, (status_id, name, name_init) in enumerate(EMPLOYEE_BANDS):
        rows.append(_status_row(next_id, "EMPLOYEES", status_id, name, name_init, (i + 1) * 10, "N", None, None, None))
        next_id += 1
    for i, (status_id, name) in enumerate(INDUSTRIES):
        rows.append(_status_row(next_id, "INDUSTRY", status_id, name, name, (i + 1) * 10, "N", None, None, None))
        next_id += 1
    for status_id, name, sort, system, color, sem, extra in DEAL_STAGES:
        rows.append(_status_row(next_id, "DEAL_STAGE", status_id, name, name if system == "Y" else "",
                                sort, system, color, sem, extra))
        next_id += 1
    # Added by the integrator later, hence the larger ID.
    status_id, name, name_init = EMPLOYEES_5
    rows.append(_status_row(next_id + 37, "EMPLOYEES", status_id, name, name_init, 50, "N", None, None, None))
    return rows


# ---------------------------------------------------------------- names

MALE_NAMES = ["Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья",
              "Кирилл", "Михаил", "Никита", "Матвей", "Роман", "Егор", "Иван", "Денис", "Евгений",
              "Тимофей", "Владимир", "Павел", "Олег", "Игорь", "Константин", "Виктор", "Юрий",
              "Николай", "Антон", "Григорий", "Вадим", "Станислав"]
FEMALE_NAMES = ["Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Екатерина",
                "Светлана", "Юлия", "Анастасия", "Дарья", "Ксения", "Марина", "Виктория", "Полина",
                "Алина", "Вероника", "Людмила", "Галина", "Валерия", "Алёна", "Софья", "Кристина"]
PATRONYMIC_ROOTS = ["Александров", "Дмитриев", "Сергеев", "Андреев", "Алексеев", "Михайлов",
                    "Иванов", "Викторов", "Владимиров", "Николаев", "Петров", "Юрьев", "Олегов",
                    "Игорев", "Павлов", "Евгеньев", "Анатольев", "Борисов", "Геннадьев", "Валерьев"]
LAST_NAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
              "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
              "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
              "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов",
              "Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв",
              "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв",
              "Белов", "Медведев", "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров",
              "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов",
              "Марков", "Миронов", "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов",
              "Гаврилов", "Тихонов", "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев",
              "Фомин", "Чернов", "Абрамов", "Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров",
              "Калинин", "Исаев", "Быков", "Маслов", "Родионов", "Коновалов", "Лазарев", "Воронин",
              "Климов", "Филатов", "Голубев", "Кудрявцев", "Прохоров", "Наумов", "Потапов"]
COMPANY_ROOTS = ["Альфа", "Вектор", "Гранит", "Меридиан", "Сигма", "Техно", "Строй", "Пром", "Агро",
                 "Мед", "Инфо", "Балт", "Волга", "Транс", "Энерго", "Фарм", "Дата", "Кварц", "Орион",
                 "Спектр", "Атлант", "Север", "Урал", "Сибирь", "Нева", "Полюс", "Азимут", "Эталон",
                 "Горизонт", "Феникс"]
COMPANY_TAILS = ["Сервис", "Трейд", "Групп", "Инвест", "Ресурс", "Системс", "Логистик", "Про",
                 "Плюс", "Маркет", "Консалт", "Снаб", "Строй", "Тех", "Лаб", "Софт", "Холдинг", "Монтаж"]
CITIES = ["Москва", "Санкт-Петербург", "Новосибирск", "Екатеринбург", "Казань", "Нижний Новгород",
          "Краснодар", "Самара", "Ростов-на-Дону", "Уфа", "Воронеж", "Пермь", "Тюмень"]
POSTS = ["Генеральный директор", "Коммерческий директор", "Менеджер по закупкам", "Главный инженер",
         "Руководитель отдела продаж", "Финансовый директор", "Офис-менеджер", "ИТ-директор"]
WEBFORMS = ["Заявка на консультацию", "Расчёт стоимости", "Запрос КП", "Заказать демо"]
TRADE_SHOWS = ["Иннопром", "Связь-Экспо", "ЦИПР", "MosBuild"]
UTM_SOURCES = ["yandex", "google", "vk", "telegram", "mail.ru", "partner_site"]
UTM_MEDIUMS = ["cpc", "cpc", "cpc", "organic", "social", "email", "referral"]
UTM_THEMES = ["brand", "leadgen", "retarget", "promo", "webinar"]
COMMENTS = ["Просил перезвонить после обеда", "Интересует оптовая поставка",
            "Нужен счёт на юрлицо", "Сравнивает с конкурентами", "Бюджет согласован",
            "Дубль, см. предыдущее обращение"]

# conversion chance by source (None = no source)
CONVERSION = {"RECOMMENDATION": 0.46, "PARTNER": 0.42, "CALL": 0.31, "WEBFORM": 0.28, "WEB": 0.25,
              "CALLBACK": 0.27, "EMAIL": 0.22, "TRADE_SHOW": 0.2, "ADVERTISING": 0.12,
              "OTHER": 0.18, None: 0.2}
SOURCE_IDS = [s for s, _ in SOURCES] + [None]
SOURCE_WEIGHTS = [15, 8, 17, 14, 6, 5, 3, 14, 7, 4, 7]

# employees band -> revenue range in roubles
BAND_REVENUE = {
    "EMPLOYEES_1": (3_000_000, 120_000_000),
    "EMPLOYEES_2": (80_000_000, 2_000_000_000),
    "EMPLOYEES_3": (700_000_000, 6_000_000_000),
    "EMPLOYEES_4": (2_000_000_000, 20_000_000_000),
    "EMPLOYEES_5": (10_000_000_000, 300_000_000_000),
}
BANDS = ["EMPLOYEES_1", "EMPLOYEES_2", "EMPLOYEES_3", "EMPLOYEES_4", "EMPLOYEES_5"]
BAND_WEIGHTS = [45, 26, 12, 10, 7]
BAND_DEAL_FACTOR = {"EMPLOYEES_1": 0.6, "EMPLOYEES_2": 1.2, "EMPLOYEES_3": 2.0,
                    "EMPLOYEES_4": 3.0, "EMPLOYEES_5": 4.5}


class _Weighted:
    """``rng.choices(items, weights)[0]`` without rebuilding the weights each call."""

    def __init__(self, items: list[Any], weights: list[float]) -> None:
        self.items = items
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> Any:
        return self.items[bisect_right(self.cum, rng.random() * self.total)]


PICK_SOURCE = _Weighted(SOURCE_IDS, SOURCE_WEIGHTS)
PICK_MANAGER = _Weighted(MANAGERS, MANAGER_WEIGHTS)


def _female(last_name: str) -> str:
    return last_name + "а"


# Built once: every person generated points at these strings instead of new copies.
FEMALE_LAST_NAMES = [_female(last) for last in LAST_NAMES]
MALE_PATRONYMICS = [root + "ич" for root in PATRONYMIC_ROOTS]
FEMALE_PATRONYMICS = [root + "на" for root in PATRONYMIC_ROOTS]


def _person(rng: random.Random) -> tuple[str, str, str | None]:
    """(NAME, LAST_NAME, SECOND_NAME) with consistent gender."""
    last = int(rng.random() * len(LAST_NAMES))
    patronymic = int(rng.random() * len(PATRONYMIC_ROOTS))
    has_second = rng.random() < 0.85
    if rng.random() < 0.52:
        first = MALE_NAMES[int(rng.random() * len(MALE_NAMES))]
        return first, LAST_NAMES[last], MALE_PATRONYMICS[patronymic] if has_second else None
    first = FEMALE_NAMES[int(rng.random() * len(FEMALE_NAMES))]
    return first, FEMALE_LAST_NAMES[last], FEMALE_PATRONYMICS[patronymic] if has_second else None


def _company_brand(rng: random.Random) -> str:
    root = COMPANY_ROOTS[int(rng.random() * len(COMPANY_ROOTS))]
    tail = COMPANY_TAILS[int(rng.random() * len(COMPANY_TAILS))]
    if rng.random() < 0.3:
        return f"{root}-{tail}"
    return root + tail.lower() if rng.random() < 0.5 else root + tail


def _phone(rng: random.Random) -> str:
    n = int(rng.random() * 10_000_000)
    code = (495, 499, 812, 343, 383, 903, 916, 926, 985)[int(rng.random() * 9)]
    return f"+7 {code} {n // 10000:03d}-{(n // 100) % 100:02d}-{n % 100:02d}"


def _money(value: float) -> str:
    return f"{value:.2f}"


class _Shared(dict):  # type: ignore[type-arg]
    """One string object per distinct value while a table is generated: ``shared[text]``
    is the first equal string seen (hundreds of thousands of records repeat titles,
    sums and campaign names).  Drop it when the table is done."""

    def __missing__(self, text: Any) -> Any:
        self[text] = text
        return text


def _empty_address() -> dict[str, Any]:
    return {"ADDRESS": None, "ADDRESS_2": None, "ADDRESS_CITY": None, "ADDRESS_POSTAL_CODE": None,
            "ADDRESS_REGION": None, "ADDRESS_PROVINCE": None, "ADDRESS_COUNTRY": None,
            "ADDRESS_COUNTRY_CODE": None, "ADDRESS_LOC_ADDR_ID": None}


# ---------------------------------------------------------------- companies

def _companies(rng: random.Random, count: int, tz: timezone) -> list[dict[str, Any]]:
    format_ts = TsFormatter(tz).function()
    start_ts = ANCHOR_TS - COMPANY_SPAN_DAYS * DAY
    created = sorted(start_ts + int(rng.random() * (COMPANY_SPAN_DAYS - 10) * DAY) for _ in range(count))
    bands = rng.choices(BANDS, weights=BAND_WEIGHTS, k=count)
    if count >= len(BANDS):
        for band, index in zip(BANDS, rng.sample(range(count), len(BANDS))):
            bands[index] = band
    industries = [code for code, _ in INDUSTRIES]
    types = [code for code, _ in COMPANY_TYPES]
    rows: list[dict[str, Any]] = []
    shared = _Shared()
    next_id = 1
    for i in range(count):
        band = bands[i]
        if band == "EMPLOYEES_1" and rng.random() < 0.3:
            name, last, second = _person(rng)
            title = f"ИП {last} {name[0]}. {second[0] + '.' if second else ''}".rstrip()
        else:
            brand = _company_brand(rng)
            roll = rng.random()
            if band in ("EMPLOYEES_4", "EMPLOYEES_5") and roll < 0.35:
                title = f"ПАО «{brand}»"
            elif roll < 0.25:
                title = f"АО «{brand}»"
            else:
                title = f"ООО «{brand}»"
        low, high = BAND_REVENUE[band]
        revenue = None
        if rng.random() >= 0.15:
            revenue = _money(round(low + (high - low) * rng.random() ** 2, -3))
        create_ts = created[i]
        modify_ts = min(ANCHOR_TS - 1, create_ts + int(rng.expovariate(1 / (60 * DAY))))
        modified = format_ts(modify_ts)
        assigned = PICK_MANAGER.pick(rng)
        row: dict[str, Any] = {
            "ID": str(next_id),
            "COMPANY_TYPE": rng.choices(types, weights=[70, 10, 4, 10, 6])[0],
            "TITLE": shared[title],
            "LOGO": None,
            "LEAD_ID": None,
            "HAS_PHONE": "Y" if rng.random() < 0.9 else "N",
            "HAS_EMAIL": "Y" if rng.random() < 0.75 else "N",
            "HAS_IMOL": "N",
            "ASSIGNED_BY_ID": USER_STR[assigned],
            "CREATED_BY_ID": USER_STR[assigned if rng.random() < 0.8 else 1],
            "MODIFY_BY_ID": USER_STR[assigned],
            "BANKING_DETAILS": None,
            "INDUSTRY": None if rng.random() < 0.06 else industries[int(rng.random() * len(industries))],
            "REVENUE": shared[revenue],
            "CURRENCY_ID": "RUB",
            "EMPLOYEES": band,
            "COMMENTS": None,
            "DATE_CREATE": format_ts(create_ts),
            "DATE_MODIFY": modified,
            "OPENED": "Y",
            "IS_MY_COMPANY": "N",
            "ORIGINATOR_ID": None,
            "ORIGIN_ID": None,
            "ORIGIN_VERSION": None,
            **_empty_address(),
            "UTM_SOURCE": None,
            "UTM_MEDIUM": None,
            "UTM_CAMPAIGN": None,
            "UTM_CONTENT": None,
            "UTM_TERM": None,
            "LAST_ACTIVITY_BY": USER_STR[assigned],
            "LAST_ACTIVITY_TIME": modified,
        }
        row["ADDRESS_CITY"] = CITIES[int(rng.random() * len(CITIES))]
        row["ADDRESS_COUNTRY"] = "Россия"
        rows.append({name: row[name] for name in COMPANY_NAMES})
        next_id += 1 + (int(rng.random() * 4) if rng.random() < 0.2 else 0)
    return rows


# ---------------------------------------------------------------- leads

def _lead_times(rng: random.Random, count: int) -> list[int]:
    start_ts = ANCHOR_TS - LEAD_SPAN_DAYS * DAY
    times = []
    for _ in range(count):
        # more leads recently (the business grows), fewer on weekends
        day = int(LEAD_SPAN_DAYS * rng.random() ** 0.8)
        weekday = (ANCHOR.weekday() + day - LEAD_SPAN_DAYS) % 7
        if weekday >= 5 and rng.random() < 0.65:
            day = max(0, day - (weekday - 4))
        if rng.random() < 0.85:
            seconds = 9 * 3600 + int(rng.random() * 10 * 3600)
        else:
            seconds = int(rng.random() * DAY)
        times.append(min(start_ts + day * DAY + seconds, ANCHOR_TS - 1))
    times.sort()
    return times


def _lead_title(rng: random.Random, source: str | None, person: str, company: str | None) -> str:
    who = company or person
    if source == "CALL":
        return f"Входящий звонок {_phone(rng)}"
    if source == "CALLBACK":
        return f"Обратный звонок с сайта — {who}"
    if source == "WEB":
        return f"Заявка с сайта — {who}"
    if source == "WEBFORM":
        return f"CRM-форма «{WEBFORMS[int(rng.random() * len(WEBFORMS))]}»"
    if source == "EMAIL":
        return f"Письмо на info@ — {who}"
    if source == "ADVERTISING":
        return f"Заявка с рекламы — {who}"
    if source == "TRADE_SHOW":
        return f"Контакт с выставки «{TRADE_SHOWS[int(rng.random() * len(TRADE_SHOWS))]}» — {who}"
    if source == "RECOMMENDATION":
        return f"Рекомендация — {who}"
    if source == "PARTNER":
        return f"Повторное обращение — {who}"
    return f"Лид — {who}"


def _leads(rng: random.Random, count: int, companies: list[dict[str, Any]],
           tz: timezone) -> list[dict[str, Any]]:
    format_ts = TsFormatter(tz).function()
    times = _lead_times(rng, count)
    company_created = [int(datetime.fromisoformat(c["DATE_CREATE"]).timestamp()) for c in companies]
    seen_companies: set[str] = set()
    rows: list[dict[str, Any]] = []
    shared = _Shared()
    next_id = 1
    rand = rng.random
    for i in range(count):
        create_ts = times[i]
        age_days = (ANCHOR_TS - create_ts) / DAY
        source = PICK_SOURCE.pick(rng)
        assigned = PICK_MANAGER.pick(rng)
        name, last_name, second_name = _person(rng)

        company = None
        eligible = bisect_right(company_created, create_ts)
        if eligible and rand() < 0.6:
            company = companies[int(rand() * eligible)]
        company_id = company["ID"] if company else None
        company_title = company["TITLE"] if company else None
        if company is None and rand() < 0.12:
            company_title = f"ООО «{_company_brand(rng)}»"
        is_return = "N"
        if company_id is not None:
            is_return = "Y" if company_id in seen_companies else "N"
            seen_companies.add(company_id)

        # status: young leads are open, old ones mostly final
        if age_days < 1:
            status = "NEW" if rand() < 0.85 else "IN_PROCESS"
        else:
            final_p = 0.94 if age_days > 45 else 0.25 + 0.69 * age_days / 45
            if rand() < final_p:
                convert_p = CONVERSION[source] * MANAGER_SKILL[assigned]
                if company is not None:
                    convert_p *= 1.2
                status = "CONVERTED" if rand() < convert_p else "JUNK"
            else:
                roll = rand()
                new_p = 0.5 if age_days < 7 else 0.15
                status = "NEW" if roll < new_p else ("IN_PROCESS" if roll < new_p + 0.55 * (1 - new_p) else "PROCESSED")
        semantic = STATUS_SEMANTIC[status]

        age_s = ANCHOR_TS - create_ts
        if status == "NEW":
            moved_ts = create_ts
        elif semantic == "P":
            moved_ts = create_ts + int(rand() * age_s)
        else:
            moved_ts = create_ts + min(int(rng.expovariate(1 / (6 * DAY))) + 600, age_s - 1)
        moved_ts = min(moved_ts, ANCHOR_TS - 1)
        modify_ts = moved_ts
        if rand() < 0.4:
            modify_ts = min(ANCHOR_TS - 1, moved_ts + int(rng.expovariate(1 / (10 * DAY))))
        activity_ts = create_ts + int(rand() * (modify_ts - create_ts + 1))

        if rand() < 0.2:
            opportunity = 0.0
        else:
            base = rng.lognormvariate(11.3, 1.0)
            if company is not None:
                base *= BAND_DEAL_FACTOR[company["EMPLOYEES"]]
            opportunity = float(max(1000, round(base, -3)))
        currency = "RUB" if rand() < 0.95 else ("USD" if rand() < 0.6 else "EUR")

        web_like = source in ("WEB", "WEBFORM", "ADVERTISING", "CALLBACK")
        utm_source = utm_medium = utm_campaign = utm_content = utm_term = None
        if web_like and rand() < 0.7:
            utm_source = UTM_SOURCES[int(rand() * len(UTM_SOURCES))]
            utm_medium = "cpc" if source == "ADVERTISING" else UTM_MEDIUMS[int(rand() * len(UTM_MEDIUMS))]
            created = datetime.fromtimestamp(create_ts, tz)
            theme = UTM_THEMES[int(rand() * len(UTM_THEMES))]
            utm_campaign = f"{theme}_{created.year}_q{(created.month - 1) // 3 + 1}"
            if rand() < 0.3:
                utm_content = f"banner_{int(rand() * 5) + 1}"
            if utm_medium == "cpc" and rand() < 0.4:
                utm_term = ("crm внедрение", "купить оборудование", "аутсорсинг", "доставка грузов")[int(rand() * 4)]

        created_by = 1 if source in ("WEB", "WEBFORM", "CALLBACK") else (assigned if rand() < 0.85 else 1)
        person = f"{name} {last_name}"
        assigned_str = USER_STR[assigned]
        lead_id = str(next_id)
        # one string per distinct moment of this lead (DATE_CLOSED is always MOVED_TIME's)
        create_text = format_ts(create_ts)
        moved_text = create_text if moved_ts == create_ts else format_ts(moved_ts)
        modify_text = moved_text if modify_ts == moved_ts else format_ts(modify_ts)
        activity_text = (create_text if activity_ts == create_ts else
                         modify_text if activity_ts == modify_ts else format_ts(activity_ts))
        row: dict[str, Any] = {
            "ID": lead_id,
            "TITLE": shared[_lead_title(rng, source, person, company_title)],
            "HONORIFIC": None,
            "NAME": name,
            "SECOND_NAME": second_name,
            "LAST_NAME": last_name,
            "COMPANY_TITLE": shared[company_title],
            "COMPANY_ID": company_id,
            "CONTACT_ID": None,
            "IS_RETURN_CUSTOMER": is_return,
            "BIRTHDATE": "",
            "SOURCE_ID": source,
            "SOURCE_DESCRIPTION": shared[f"Кампания {utm_campaign}" if utm_campaign and rand() < 0.3
                                         else ("Со слов клиента" if rand() < 0.05 else None)],
            "STATUS_ID": status,
            "STATUS_DESCRIPTION": None,
            "POST": POSTS[int(rand() * len(POSTS))] if company is not None and rand() < 0.35 else None,
            "COMMENTS": COMMENTS[int(rand() * len(COMMENTS))] if rand() < 0.1 else None,
            "CURRENCY_ID": currency,
            "OPPORTUNITY": shared[_money(opportunity)],
            "IS_MANUAL_OPPORTUNITY": "Y" if opportunity > 0 and rand() < 0.7 else "N",
            "HAS_PHONE": "Y" if source in ("CALL", "CALLBACK") or rand() < 0.8 else "N",
            "HAS_EMAIL": "Y" if source == "EMAIL" or rand() < 0.55 else "N",
            "HAS_IMOL": "Y" if rand() < 0.05 else "N",
            "ASSIGNED_BY_ID": assigned_str,
            "CREATED_BY_ID": USER_STR[created_by],
            "MODIFY_BY_ID": assigned_str if rand() < 0.85 else "1",
            "DATE_CREATE": create_text,
            "DATE_MODIFY": modify_text,
            "DATE_CLOSED": moved_text if semantic != "P" else None,
            "STATUS_SEMANTIC_ID": semantic,
            "OPENED": "Y" if rand() < 0.9 else "N",
            "ORIGINATOR_ID": None,
            "ORIGIN_ID": None,
            "MOVED_BY_ID": assigned_str,
            "MOVED_TIME": moved_text,
            "ADDRESS": None,
            "ADDRESS_2": None,
            "ADDRESS_CITY": None,
            "ADDRESS_POSTAL_CODE": None,
            "ADDRESS_REGION": None,
            "ADDRESS_PROVINCE": None,
            "ADDRESS_COUNTRY": None,
            "ADDRESS_COUNTRY_CODE": None,
            "ADDRESS_LOC_ADDR_ID": None,
            "UTM_SOURCE": utm_source,
            "UTM_MEDIUM": utm_medium,
            "UTM_CAMPAIGN": shared[utm_campaign],
            "UTM_CONTENT": shared[utm_content],
            "UTM_TERM": utm_term,
            "LAST_ACTIVITY_BY": assigned_str,
            "LAST_ACTIVITY_TIME": activity_text,
        }
        if rand() < 0.3:
            row["ADDRESS_CITY"] = CITIES[int(rand() * len(CITIES))]
        # the two pre-existing user fields (see _userfields)
        row["UF_CRM_1708952993785"] = (rand() < 0.15) if rand() < 0.7 else None
        row["UF_CRM_1706782596092"] = shared[f"PROMO{int(rand() * 90) + 10}"] if rand() < 0.05 else None
        rows.append(row)
        next_id += 1 + (int(rand() * 5) + 1 if rand() < 0.15 else 0)
    return rows


def _label(text_ru: str, text_en: str) -> dict[str, str]:
    return {"ru": text_ru, "en": text_en}


def _userfields() -> list[dict[str, Any]]:
    """Two user fields the portal already had before b24metrics came along."""
    common = {
        "ENTITY_ID": "CRM_LEAD",
        "SORT": "100",
        "MULTIPLE": "N",
        "MANDATORY": "N",
        "SHOW_FILTER": "E",
        "SHOW_IN_LIST": "Y",
        "EDIT_IN_LIST": "Y",
        "IS_SEARCHABLE": "N",
    }
    return [
        {
            "ID": "141",
            **common,
            "FIELD_NAME": "UF_CRM_1706782596092",
            "USER_TYPE_ID": "string",
            "XML_ID": None,
            "SETTINGS": {"SIZE": 20, "ROWS": 1, "REGEXP": "", "MIN_LENGTH": 0, "MAX_LENGTH": 0,
                         "DEFAULT_VALUE": ""},
            "EDIT_FORM_LABEL": _label("Промокод", "Promo code"),
            "LIST_COLUMN_LABEL": _label("Промокод", "Promo code"),
            "LIST_FILTER_LABEL": _label("Промокод", "Promo code"),
            "ERROR_MESSAGE": _label("", ""),
            "HELP_MESSAGE": _label("", ""),
        },
        {
            "ID": "143",
            **common,
            "FIELD_NAME": "UF_CRM_1708952993785",
            "USER_TYPE_ID": "boolean",
            "XML_ID": None,
            "SETTINGS": {"DEFAULT_VALUE": 0, "DISPLAY": "CHECKBOX", "LABEL": ["", ""],
                         "LABEL_CHECKBOX": ""},
            "EDIT_FORM_LABEL": _label("Горячий лид", "Hot lead"),
            "LIST_COLUMN_LABEL": _label("Горячий лид", "Hot lead"),
            "LIST_FILTER_LABEL": _label("Горячий лид", "Hot lead"),
            "ERROR_MESSAGE": _label("", ""),
            "HELP_MESSAGE": _label("", ""),
        },
    ]


def generate(state: PortalState, seed: int, leads: int, companies: int | None,
             tz: timezone, *, deals: int | None = None, contacts: int | None = None, users: int = 8,
             activities: int | None = None, calls: int | None = None) -> PortalState:
    """Fill ``state`` with the seeded portal and return it (sizes: see :class:`SandboxPortal`)."""
    from .data_streams import generate_streams  # it builds on this module's names

    if leads < 0:
        raise ValueError("leads must be >= 0")
    company_count = max(20, leads // 5) if companies is None else max(0, int(companies))
    rng = random.Random(seed)
    # Millions of small dicts: the cyclic GC would rescan them again and again.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with state.lock:
            state.statuses = build_statuses()
            company_rows = _companies(rng, company_count, tz)
            state.companies = {int(row["ID"]): row for row in company_rows}
            state.lead_userfields = _userfields()
            state.next_userfield_id = 145
            lead_rows = _leads(rng, leads, company_rows, tz)
            state.leads = {int(row["ID"]): row for row in lead_rows}
            generate_streams(state, seed, lead_rows, company_rows, tz, deals=deals, contacts=contacts,
                             users=users, activities=activities, calls=calls)
    finally:
        if gc_was_enabled:
            gc.enable()
    return state


