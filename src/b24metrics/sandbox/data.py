"""Seeded, deterministic data of the sandbox portal.

``generate(state, seed, leads, companies, tz, ...)`` fills a :class:`PortalState`
with CRM dictionaries (``crm.status.list``), companies, leads and the lead user
fields every real portal has, then the other streams (users, contacts, deals,
stage history, activities, calls: see :mod:`.data_streams`).

The data has the shapes of real portals: a lead says who it is (:mod:`.data_orgs`)
and stays unlinked until a manager converts it; its chances depend on who it is,
on what it did and on its channel (:mod:`.data_channels`).  Companies enter the
CRM during the ~3 years before the anchor, or when the first lead naming them is
converted, whichever comes first; leads are created during the 540 days before it.

Same seed, sizes and time zone give a byte-identical portal: the dictionaries,
companies and leads come from one ``random.Random(seed)``, every later stream
from its own generator derived from the seed, and all dates from the fixed
:data:`~b24metrics.sandbox.datetimes.ANCHOR` (2026-11-01T00:00:00+03:00),
never from the wall clock.
"""

from __future__ import annotations

import gc
import random
from bisect import bisect_right
from itertools import accumulate
from datetime import datetime, timezone
from typing import Any, NamedTuple

from .data_channels import CALL_LINE_WEIGHTS, CALL_LINES, ECONOMICS, TRACKED, campaigns_running, month_index
from .data_orgs import (
    MY_BRAND,
    MY_DOMAIN,
    Org,
    brand_key,
    canonical_title,
    free_mail,
    org_domain,
    pick_form,
    sole_trader_title,
    translit,
    typed_title,
    unique_brand,
)
from .datetimes import ANCHOR, TsFormatter
from .schema import COMPANY_NAMES
from .state import PortalState

__all__ = ["generate", "USERS", "LEAD_STATUSES", "EMPLOYEE_BANDS", "LeadFacts", "SIZE_FIELD", "SIZE_ITEMS"]

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
#: Bitrix24's own bands, on a portal whose admin never touched them (``default_bands``)
DEFAULT_EMPLOYEE_BANDS = EMPLOYEE_BANDS[:3] + [("EMPLOYEES_4", "более 500", "более 500")]

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


def build_statuses(default_bands: bool = False) -> list[dict[str, Any]]:
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
    for i, (status_id, name, name_init) in enumerate(DEFAULT_EMPLOYEE_BANDS if default_bands else EMPLOYEE_BANDS):
        rows.append(_status_row(next_id, "EMPLOYEES", status_id, name, name_init, (i + 1) * 10, "N", None, None, None))
        next_id += 1
    for i, (status_id, name) in enumerate(INDUSTRIES):
        rows.append(_status_row(next_id, "INDUSTRY", status_id, name, name, (i + 1) * 10, "N", None, None, None))
        next_id += 1
    for status_id, name, sort, system, color, sem, extra in DEAL_STAGES:
        rows.append(_status_row(next_id, "DEAL_STAGE", status_id, name, name if system == "Y" else "",
                                sort, system, color, sem, extra))
        next_id += 1
    if default_bands:
        return rows
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
COMMENTS = ["Просил перезвонить после обеда", "Интересует оптовая поставка",
            "Нужен счёт на юрлицо", "Сравнивает с конкурентами", "Бюджет согласован",
            "Дубль, см. предыдущее обращение"]

# how often each source brings a lead (None = no source); what a lead of each is worth: .data_channels
SOURCE_IDS = [s for s, _ in SOURCES] + [None]
SOURCE_WEIGHTS = [15, 8, 17, 18, 6, 5, 4, 14, 7, 4, 7]

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


# ---------------------------------------------------------------- who the leads are

#: who a lead is: a private person, a sole trader the CRM has never seen, or an organisation
#: (or a sole trader) of the market, which the CRM knows or will know as a company
WHO_PRIVATE, WHO_NEW_SOLE, WHO_ORG = 0, 1, 2
_WHO_CUM = list(accumulate([26, 7, 67]))
#: factors on (conversion, win, deal amount) by who the lead is: organisations by size band
PRIVATE_FACTORS = (0.5, 0.6, 0.3)
SOLE_FACTORS = (0.6, 0.7, 0.45)
BAND_FACTORS = {"EMPLOYEES_1": (0.85, 0.9, 0.6), "EMPLOYEES_2": (1.1, 1.05, 1.2),
                "EMPLOYEES_3": (1.3, 1.2, 2.0), "EMPLOYEES_4": (1.55, 1.35, 3.0),
                "EMPLOYEES_5": (1.8, 1.5, 4.5)}
#: engagement: how many times the lead came back by itself (inbound calls, e-mails, meetings)
#: while it was a lead, and the factor that puts on its conversion and its deal's win
_ENGAGEMENT_CUM = list(accumulate([42, 28, 17, 9, 4]))
ENGAGEMENT_CONVERSION = (0.65, 1.0, 1.35, 1.7, 2.0)
ENGAGEMENT_WIN = (0.85, 1.0, 1.1, 1.2, 1.3)
#: the band a lead picks in the size field of the form (the field's item IDs), by true band
SIZE_FIELD = "UF_CRM_1712040000123"
SIZE_ITEMS = [("45", "до 50 сотрудников"), ("46", "50–250 сотрудников"), ("47", "250–1000 сотрудников"),
              ("48", "более 1000 сотрудников")]
_SIZE_ITEM_OF_BAND = {"EMPLOYEES_1": 0, "EMPLOYEES_2": 1, "EMPLOYEES_3": 2, "EMPLOYEES_4": 2, "EMPLOYEES_5": 3}


class LeadFacts(NamedTuple):
    """What the later streams need to know of a lead that its record does not say."""

    engagement: int        # inbound touches while a lead (activities make them)
    win: float             # factor on its deal's chance to be won
    deal: float            # factor on its deal's amount
    lag_days: float        # median days from its deal's creation to its close
    line: str | None       # the portal line a CALL lead dialled
    band: str | None       # its organisation's true size band (None: a private person or new ИП)


class _Multifields:
    """IDs of PHONE/EMAIL/WEB items: one sequence for every entity, as on a portal."""

    def __init__(self) -> None:
        self.next_id = 1

    def item(self, type_id: str, value_type: str, value: str) -> list[dict[str, str]]:
        item = {"ID": str(self.next_id), "VALUE_TYPE": value_type, "VALUE": value, "TYPE_ID": type_id}
        self.next_id += 1
        return [item]


def _mobile(rng: random.Random) -> str:
    return f"+79{int(rng.random() * 1_000_000_000):09d}"


# ---------------------------------------------------------------- companies

def _orgs(rng: random.Random, count: int) -> list[Org]:
    """The market: ``count`` organisations, each becoming one CRM company.  The first is the
    portal's own (``IS_MY_COMPANY``), in the CRM before anything else."""
    start_ts = ANCHOR_TS - COMPANY_SPAN_DAYS * DAY
    created = sorted(start_ts + int(rng.random() * (COMPANY_SPAN_DAYS - 10) * DAY) for _ in range(count))
    bands = rng.choices(BANDS, weights=BAND_WEIGHTS, k=count)
    if count >= len(BANDS):
        for band, index in zip(BANDS, rng.sample(range(count), len(BANDS))):
            bands[index] = band
    used_brands: dict[str, int] = {brand_key(MY_BRAND): -1}
    used_domains: set[str] = {MY_DOMAIN}
    orgs: list[Org] = []
    for i in range(count):
        band = bands[i]
        if i == 0:
            org = Org(0, MY_BRAND, "ООО", f"ООО «{MY_BRAND}»", MY_DOMAIN, band, None, "+7 495 123-45-67",
                      created[0])
            org.mine = True
        elif band == "EMPLOYEES_1" and rng.random() < 0.3:
            person = _person(rng)
            org = Org(i, None, "ИП", sole_trader_title(rng, person), None, band, person, _phone(rng), created[i])
        else:
            brand = unique_brand(_company_brand(rng), used_brands)
            form = pick_form(rng, band in ("EMPLOYEES_4", "EMPLOYEES_5"))
            domain = org_domain(rng, brand, used_domains) if rng.random() < 0.9 else None
            org = Org(i, brand, form, canonical_title(rng, form, brand), domain, band, None, _phone(rng), created[i])
        orgs.append(org)
    return orgs


def _company_rows(rng: random.Random, orgs: list[Org], tz: timezone, multifields: _Multifields,
                  default_bands: bool) -> list[dict[str, Any]]:
    """The CRM companies, in the order they entered the CRM (IDs follow it)."""
    format_ts = TsFormatter(tz).function()
    industries = [code for code, _ in INDUSTRIES]
    types = [code for code, _ in COMPANY_TYPES]
    rows: list[dict[str, Any]] = []
    shared = _Shared()
    next_id = 1
    for org in sorted(orgs, key=lambda o: (o.crm_ts, o.index)):
        band = org.band
        low, high = BAND_REVENUE[band]
        revenue = None
        if rng.random() >= 0.15:
            revenue = _money(round(low + (high - low) * rng.random() ** 2, -3))
        create_ts = org.crm_ts
        modify_ts = min(ANCHOR_TS - 1, create_ts + int(rng.expovariate(1 / (60 * DAY))))
        modified = format_ts(modify_ts)
        assigned = PICK_MANAGER.pick(rng)
        has_email = org.mine or (org.domain is not None and rng.random() < 0.75)
        row: dict[str, Any] = {
            "ID": str(next_id),
            "COMPANY_TYPE": "OTHER" if org.mine else rng.choices(types, weights=[70, 10, 4, 10, 6])[0],
            "TITLE": shared[org.title],
            "LOGO": None,
            "LEAD_ID": None,
            "HAS_PHONE": "Y" if org.mine or rng.random() < 0.9 else "N",
            "HAS_EMAIL": "Y" if has_email else "N",
            "HAS_IMOL": "N",
            "ASSIGNED_BY_ID": USER_STR[1 if org.mine else assigned],
            "CREATED_BY_ID": USER_STR[1 if org.mine else (assigned if rng.random() < 0.8 else 1)],
            "MODIFY_BY_ID": USER_STR[assigned],
            "BANKING_DETAILS": None,
            "INDUSTRY": None if rng.random() < 0.06 else industries[int(rng.random() * len(industries))],
            "REVENUE": shared[revenue],
            "CURRENCY_ID": "RUB",
            "EMPLOYEES": "EMPLOYEES_4" if default_bands and band == "EMPLOYEES_5" else band,
            "COMMENTS": None,
            "DATE_CREATE": format_ts(create_ts),
            "DATE_MODIFY": modified,
            "OPENED": "Y",
            "IS_MY_COMPANY": "Y" if org.mine else "N",
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
        row = {name: row[name] for name in COMPANY_NAMES}
        # multifields: no key at all when the company has none
        if row["HAS_PHONE"] == "Y":
            row["PHONE"] = multifields.item("PHONE", "WORK", org.phone)
        if has_email:
            row["EMAIL"] = multifields.item("EMAIL", "WORK", f"{'info' if rng.random() < 0.6 else 'office'}@{org.domain}")
        if org.domain is not None:
            row["WEB"] = multifields.item("WEB", "WORK", f"https://{org.domain}")
        org.row_id = row["ID"]
        rows.append(row)
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


def _lead_title(rng: random.Random, source: str | None, person: str, company: str | None, phone: str) -> str:
    who = company or person
    if source == "CALL":
        return f"Входящий звонок {phone}"
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


#: (source, months before the anchor's month) -> the campaigns running then
_RUNNING = {(source, months): campaigns_running(source, months)
            for source in ("WEB", "WEBFORM", "ADVERTISING", "CALLBACK") for months in range(0, 20)}
PICK_LINE = _Weighted(CALL_LINES, CALL_LINE_WEIGHTS)
_LOCAL_PARTS = ("info", "zakaz", "sales", "office")


def _leads(rng: random.Random, count: int, orgs: list[Org], tz: timezone, multifields: _Multifields
           ) -> tuple[list[dict[str, Any]], list[LeadFacts], list[tuple[dict[str, Any], Org]]]:
    """The leads in ID order, what the later streams need of each, and (lead, organisation) for
    every lead linked to a company (set once the companies have IDs)."""
    format_ts = TsFormatter(tz).function()
    times = _lead_times(rng, count)
    market = orgs[1:]  # the portal's own company sends no leads
    rows: list[dict[str, Any]] = []
    facts: list[LeadFacts] = []
    links: list[tuple[dict[str, Any], Org]] = []
    shared = _Shared()
    next_id = 1
    rand = rng.random
    who_total = _WHO_CUM[-1]
    engagement_total = _ENGAGEMENT_CUM[-1]
    for i in range(count):
        create_ts = times[i]
        age_days = (ANCHOR_TS - create_ts) / DAY
        source = PICK_SOURCE.pick(rng)
        assigned = PICK_MANAGER.pick(rng)
        econ = ECONOMICS[source]
        line = None
        if source == "CALL":
            line = PICK_LINE.pick(rng)
            if line in TRACKED:
                econ = ECONOMICS[TRACKED[line][1]]._replace(convert_days=econ.convert_days)

        utm_source = utm_medium = utm_campaign = utm_content = utm_term = None
        campaign_conversion = campaign_deal = 1.0
        if source in ("WEB", "WEBFORM", "ADVERTISING", "CALLBACK") and rand() < 0.7:
            created = datetime.fromtimestamp(create_ts, tz)
            running = _RUNNING.get((source, month_index(created.year, created.month)))
            if running and (source == "ADVERTISING" or rand() < 0.8):
                campaign = running[int(rand() * len(running))]
                utm_source, utm_medium, utm_campaign = campaign.utm_source, campaign.utm_medium, campaign.name
                campaign_conversion, campaign_deal = campaign.conversion, campaign.deal
            else:
                utm_source = ("google", "yandex", "partner_site")[int(rand() * 3)]
                utm_medium = "referral" if utm_source == "partner_site" else "organic"
            if rand() < 0.3:
                utm_content = f"banner_{int(rand() * 5) + 1}"
            if utm_medium == "cpc" and rand() < 0.4:
                utm_term = ("crm внедрение", "купить оборудование", "аутсорсинг", "доставка грузов")[int(rand() * 4)]

        # who the lead is
        who_roll = rand() * who_total
        org: Org | None = None
        if who_roll >= _WHO_CUM[1] and market:
            org = market[int(rand() * len(market))]
        if org is not None:
            if org.sole_trader:
                person3 = org.person or _person(rng)
                conv_f, win_f, deal_f = SOLE_FACTORS
            else:
                person3 = _person(rng)
                conv_f, win_f, deal_f = BAND_FACTORS[org.band]
            returning = org.client_ts is not None and org.client_ts <= create_ts
        else:
            person3 = _person(rng)
            conv_f, win_f, deal_f = SOLE_FACTORS if who_roll >= _WHO_CUM[0] else PRIVATE_FACTORS
            returning = False
        name, last_name, second_name = person3
        engagement = bisect_right(_ENGAGEMENT_CUM, rand() * engagement_total)

        # status: young leads are open, old ones mostly final
        if age_days < 1:
            status = "NEW" if rand() < 0.85 else "IN_PROCESS"
        else:
            final_p = 0.94 if age_days > 45 else 0.25 + 0.69 * age_days / 45
            if rand() < final_p:
                convert_p = (econ.conversion * campaign_conversion * MANAGER_SKILL[assigned] * conv_f
                             * ENGAGEMENT_CONVERSION[engagement] * (1.4 if returning else 1.0))
                status = "CONVERTED" if rand() < min(0.95, convert_p) else "JUNK"
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
            moved_ts = create_ts + min(int(rng.expovariate(1 / (econ.convert_days * DAY))) + 600, age_s - 1)
        moved_ts = min(moved_ts, ANCHOR_TS - 1)
        modify_ts = moved_ts
        if rand() < 0.4:
            modify_ts = min(ANCHOR_TS - 1, moved_ts + int(rng.expovariate(1 / (10 * DAY))))
        activity_ts = create_ts + int(rand() * (modify_ts - create_ts + 1))

        # what the person wrote: the organisation's name, phone, e-mail, position
        phone = (org.phone if org is not None and rand() < 0.3 else _mobile(rng))
        if org is None:
            company_title = sole_trader_title(rng, person3, canonical=False) if who_roll >= _WHO_CUM[0] else None
        elif returning:
            company_title = org.title  # the portal filled it from the client's company
        elif org.sole_trader:
            company_title = sole_trader_title(rng, person3, canonical=False)
        else:
            company_title = typed_title(rng, org.form, org.brand or "")
        has_phone = source in ("CALL", "CALLBACK") or rand() < 0.8
        has_email = source == "EMAIL" or rand() < (0.65 if org is not None else 0.5)
        email = None
        if has_email:
            if org is not None and org.domain is not None and rand() < 0.72:
                local = (_LOCAL_PARTS[int(rand() * len(_LOCAL_PARTS))] if rand() < 0.12
                         else f"{translit(name)[0]}.{translit(last_name)}")
                email = f"{local}@{org.domain}"
            else:
                digits = str(int(rand() * 90) + 10) if rand() < 0.4 else ""
                email = f"{translit(last_name)}{digits}@{free_mail(rng)}"
        post = None
        if org is not None and not org.sole_trader and rand() < 0.55:
            post = POSTS[int(rand() * len(POSTS))]

        if rand() < 0.2:
            opportunity = 0.0
        else:
            base = rng.lognormvariate(11.4, 0.75) * deal_f * econ.deal * campaign_deal
            opportunity = float(max(1000, round(base, -3)))
        currency = "RUB" if rand() < 0.95 else ("USD" if rand() < 0.6 else "EUR")

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
            "TITLE": shared[_lead_title(rng, source, person, company_title, phone)],
            "HONORIFIC": None,
            "NAME": name,
            "SECOND_NAME": second_name,
            "LAST_NAME": last_name,
            "COMPANY_TITLE": shared[company_title],
            "COMPANY_ID": None,
            "CONTACT_ID": None,
            "IS_RETURN_CUSTOMER": "Y" if returning else "N",
            "BIRTHDATE": "",
            "SOURCE_ID": source,
            "SOURCE_DESCRIPTION": shared[f"Кампания {utm_campaign}" if utm_campaign and rand() < 0.3
                                         else ("Со слов клиента" if rand() < 0.05 else None)],
            "STATUS_ID": status,
            "STATUS_DESCRIPTION": None,
            "POST": post,
            "COMMENTS": COMMENTS[int(rand() * len(COMMENTS))] if rand() < 0.1 else None,
            "CURRENCY_ID": currency,
            "OPPORTUNITY": shared[_money(opportunity)],
            "IS_MANUAL_OPPORTUNITY": "Y" if opportunity > 0 and rand() < 0.7 else "N",
            "HAS_PHONE": "Y" if has_phone else "N",
            "HAS_EMAIL": "Y" if has_email else "N",
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
            "UTM_CAMPAIGN": utm_campaign,
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
        # multifields: no key at all when the lead has none (HAS_PHONE / HAS_EMAIL say so)
        if has_phone:
            row["PHONE"] = multifields.item("PHONE", "MOBILE" if phone[2] == "9" else "WORK", phone)
        if email is not None:
            row["EMAIL"] = multifields.item("EMAIL", "WORK", email)
        rows.append(row)

        if org is not None:
            if returning:
                links.append((row, org))  # recognised at once and linked to the client
            elif status == "CONVERTED":
                # the manager converts it: picks the company, or creates it now
                links.append((row, org))
                if org.crm_ts > moved_ts:
                    org.crm_ts = moved_ts
                if org.client_ts is None or org.client_ts > moved_ts:
                    org.client_ts = moved_ts
        band = org.band if org is not None else None
        facts.append(LeadFacts(engagement, econ.win * win_f * ENGAGEMENT_WIN[engagement] * (1.15 if returning else 1.0),
                               deal_f * econ.deal * campaign_deal, econ.lag_days, line, band))
        next_id += 1 + (int(rand() * 5) + 1 if rand() < 0.15 else 0)
    return rows, facts, links


def _size_field_values(seed: int, rows: list[dict[str, Any]], facts: list[LeadFacts]) -> None:
    """The form's "company size" answer: most organisations pick their band, a few one off;
    private people mostly skip it.  A generator of its own, so the rest of the data stays the
    same with the field or without it."""
    rng = random.Random(f"{seed}:size_field")
    rand = rng.random
    last = len(SIZE_ITEMS) - 1
    for row, fact in zip(rows, facts):
        value = None
        if fact.band is not None and rand() < 0.65:
            index = _SIZE_ITEM_OF_BAND[fact.band]
            if rand() < 0.1:
                index = max(0, min(last, index + (1 if rand() < 0.5 else -1)))
            value = SIZE_ITEMS[index][0]
        elif fact.band is None and rand() < 0.15:
            value = SIZE_ITEMS[0][0]
        row[SIZE_FIELD] = value


def _label(text_ru: str, text_en: str) -> dict[str, str]:
    return {"ru": text_ru, "en": text_en}


#: what every lead user field of the sandbox has in common
_LEAD_UF = {
    "ENTITY_ID": "CRM_LEAD",
    "SORT": "100",
    "MULTIPLE": "N",
    "MANDATORY": "N",
    "SHOW_FILTER": "E",
    "SHOW_IN_LIST": "Y",
    "EDIT_IN_LIST": "Y",
    "IS_SEARCHABLE": "N",
}


def _userfields() -> list[dict[str, Any]]:
    """Two user fields the portal already had before b24metrics came along."""
    common = _LEAD_UF
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


def _size_userfield() -> dict[str, Any]:
    """The "company size" list a CRM form asks for, kept in a lead user field (enumeration)."""
    return {
        "ID": "145",
        **_LEAD_UF,
        "FIELD_NAME": SIZE_FIELD,
        "USER_TYPE_ID": "enumeration",
        "XML_ID": None,
        "SETTINGS": {"DISPLAY": "LIST", "LIST_HEIGHT": 1, "CAPTION_NO_VALUE": "", "SHOW_NO_VALUE": "Y"},
        "EDIT_FORM_LABEL": _label("Размер компании", "Company size"),
        "LIST_COLUMN_LABEL": _label("Размер компании", "Company size"),
        "LIST_FILTER_LABEL": _label("Размер компании", "Company size"),
        "ERROR_MESSAGE": _label("", ""),
        "HELP_MESSAGE": _label("", ""),
        "LIST": [{"ID": item_id, "SORT": str((i + 1) * 10), "VALUE": label, "DEF": "N",
                  "XML_ID": f"size_{i + 1}"} for i, (item_id, label) in enumerate(SIZE_ITEMS)],
    }


def generate(state: PortalState, seed: int, leads: int, companies: int | None,
             tz: timezone, *, deals: int | None = None, contacts: int | None = None, users: int = 8,
             activities: int | None = None, calls: int | None = None, size_field: bool = False,
             default_bands: bool = False) -> PortalState:
    """Fill ``state`` with the seeded portal and return it (sizes: see :class:`SandboxPortal`).

    ``size_field``: the leads' CRM form asks for the company size (an enumeration user field);
    ``default_bands``: the portal kept Bitrix24's own EMPLOYEES bands (top band «более 500»)."""
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
            state.statuses = build_statuses(default_bands)
            multifields = _Multifields()
            orgs = _orgs(rng, company_count)
            lead_rows, facts, links = _leads(rng, leads, orgs, tz, multifields)
            company_rows = _company_rows(rng, orgs, tz, multifields, default_bands)
            for lead, org in links:
                lead["COMPANY_ID"] = org.row_id
            state.companies = {int(row["ID"]): row for row in company_rows}
            state.lead_userfields = _userfields()
            state.next_userfield_id = 145
            if size_field:
                state.lead_userfields.append(_size_userfield())
                state.next_userfield_id = 147
                state.next_enum_id = 49
                _size_field_values(seed, lead_rows, facts)
            state.leads = {int(row["ID"]): row for row in lead_rows}
            generate_streams(state, seed, lead_rows, company_rows, tz, deals=deals, contacts=contacts,
                             users=users, activities=activities, calls=calls, facts=facts,
                             next_multifield_id=multifields.next_id)
    finally:
        if gc_was_enabled:
            gc.enable()
    return state
