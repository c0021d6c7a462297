"""Who the sandbox's leads are: organisations with their legal form, brand, site domain and
size; sole traders; private people; and how each writes its name and e-mail into a form.

Real leads from forms and calls carry what the person typed (``COMPANY_TITLE`` with the legal
form in front, behind or missing, quotes «» or "", ``ИП Иванов И.И.``), a free-mail or a
corporate address, and no link to the CRM's company until a manager converts the lead.  The
organisations here are the sandbox's market: each becomes a CRM company either on its own
(an import, a deal made by hand) or when a manager converts the first lead that names it,
whichever comes first; leads that name it after that can be matched to it by title, e-mail
domain or phone.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate

__all__ = ["MY_BRAND", "MY_DOMAIN", "FREE_MAIL", "LEGAL_FORMS", "Org", "translit", "brand_key", "unique_brand",
           "org_domain", "pick_form", "typed_title", "canonical_title", "free_mail", "sole_trader_title"]

#: the portal's own company (IS_MY_COMPANY): its employees' mail is on its domain
MY_BRAND = "ТехноПром"
MY_DOMAIN = "tehnoprom.example"

#: free e-mail providers, as common as they are in Russian forms
FREE_MAIL = ["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "list.ru", "ya.ru", "rambler.ru",
             "icloud.com", "outlook.com"]
_FREE_CUM = list(accumulate([30, 26, 18, 6, 4, 3, 4, 4, 3, 2]))

#: legal forms of organisations (not sole traders); large companies are more often joint-stock
LEGAL_FORMS = ["ООО", "АО", "ПАО", "ЗАО", "НАО", "НКО", "ФГУП"]
_FORM_CUM = {
    "small": list(accumulate([86, 6, 0, 4, 1, 2, 1])),
    "large": list(accumulate([45, 25, 18, 6, 2, 1, 3])),
}
_TLDS = [".ru", ".ru", ".ru", ".ru", ".ru", ".ru", ".com", ".pro", ".net", ".su"]
_BRAND_SUFFIXES = ["Плюс", "Про", "Центр", "Юг", "Урал", "Север", "Регион", "М"]

_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s",
     "t", "u", "f", "kh", "ts", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya"]))


@lru_cache(maxsize=4096)
def translit(text: str) -> str:
    """Lower-case Latin transliteration of a Russian word (for e-mail addresses)."""
    return "".join(_TRANSLIT.get(ch, ch if ch.isascii() and ch.isalnum() else "") for ch in text.lower())


def brand_key(brand: str) -> str:
    """What makes two brands the same name to a person: case, hyphens and spaces aside."""
    return brand.lower().replace("-", "").replace(" ", "")


def unique_brand(brand: str, used: dict[str, int]) -> str:
    """``brand``, or a variant of it no other organisation of this portal has.  ``used``: the
    brand keys taken, each with how many variants of it were tried (so a large market does not
    try them all again for every organisation)."""
    key = brand_key(brand)
    index = used.get(key, -1)
    candidate = brand
    while brand_key(candidate) in used:
        index += 1
        if index < len(_BRAND_SUFFIXES):
            candidate = f"{brand} {_BRAND_SUFFIXES[index]}"
        else:
            candidate = f"{brand} {index - len(_BRAND_SUFFIXES) + 2}"
    used[key] = max(index, used.get(key, -1))
    used.setdefault(brand_key(candidate), -1)
    return candidate


def org_domain(rng: random.Random, brand: str, used: set[str]) -> str:
    """The organisation's site and mail domain, unique on the portal."""
    base = translit(brand_key(brand)) or "firma"
    domain = base + _TLDS[int(rng.random() * len(_TLDS))]
    index = 2
    while domain in used:
        domain = f"{base}{index}.ru"
        index += 1
    used.add(domain)
    return domain


def pick_form(rng: random.Random, large: bool) -> str:
    cum = _FORM_CUM["large" if large else "small"]
    return LEGAL_FORMS[bisect_right(cum, rng.random() * cum[-1])]


def canonical_title(rng: random.Random, form: str, brand: str) -> str:
    """The company's TITLE as a manager entered it in the CRM."""
    roll = rng.random()
    if roll < 0.78:
        return f"{form} «{brand}»"
    if roll < 0.92:
        return f'{form} "{brand}"'
    return brand


def sole_trader_title(rng: random.Random, person: tuple[str, str, str | None], canonical: bool = True) -> str:
    """``ИП Иванов И.И.``; typed by the person himself it varies."""
    name, last, second = person
    initials = f"{name[0]}.{second[0] + '.' if second else ''}"
    if canonical:
        return f"ИП {last} {initials}"
    roll = rng.random()
    if roll < 0.5:
        return f"ИП {last} {initials}"
    if roll < 0.7:
        return f"ИП {last} {name} {second or ''}".rstrip()
    if roll < 0.85:
        return f"{last} {initials} ИП"
    return f"Индивидуальный предприниматель {last} {initials}"


def typed_title(rng: random.Random, form: str, brand: str) -> str | None:
    """COMPANY_TITLE as a person typed it into a form: the legal form in front, behind or
    left out, «» or "" or no quotes, sometimes nothing at all."""
    roll = rng.random()
    if roll < 0.32:
        return f"{form} «{brand}»"
    if roll < 0.52:
        return f'{form} "{brand}"'
    if roll < 0.60:
        return f"{brand} {form}"
    if roll < 0.65:
        return f'"{brand}" {form}'
    if roll < 0.85:
        return brand
    if roll < 0.90:
        return f"{form.lower()} {brand.lower()}"
    return None


def free_mail(rng: random.Random) -> str:
    return FREE_MAIL[bisect_right(_FREE_CUM, rng.random() * _FREE_CUM[-1])]


class Org:
    """One organisation (or sole trader) of the sandbox's market.

    ``indep_ts``: when it would enter the CRM on its own; ``crm_ts``: when it did (the earlier
    of that and the conversion of the first lead naming it); ``client_ts``: that first
    conversion (None while no lead of it converted); ``row_id``: its company's ID, once the
    companies are numbered in the order they entered the CRM."""

    __slots__ = ("index", "brand", "form", "title", "domain", "band", "person", "phone", "indep_ts",
                 "crm_ts", "client_ts", "row_id", "mine")

    def __init__(self, index: int, brand: str | None, form: str, title: str, domain: str | None, band: str,
                 person: tuple[str, str, str | None] | None, phone: str, indep_ts: int) -> None:
        self.index = index
        self.brand = brand
        self.form = form
        self.title = title
        self.domain = domain
        self.band = band
        self.person = person
        self.phone = phone
        self.indep_ts = indep_ts
        self.crm_ts = indep_ts
        self.client_ts: int | None = None
        self.row_id: str = ""
        self.mine = False

    @property
    def sole_trader(self) -> bool:
        return self.form == "ИП"
