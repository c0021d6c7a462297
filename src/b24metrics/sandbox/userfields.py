"""CRM user fields: ``crm.lead.userfield.*``, ``crm.deal.userfield.*``,
``crm.company.userfield.*`` and coercion of UF values.

Every handler takes the entity it works on (:data:`LEAD_UF` by default,
:data:`DEAL_UF`, :data:`COMPANY_UF`).  Definitions are stored in
:attr:`PortalState.lead_userfields` / ``deal_userfields`` / ``company_userfields`` in API form
(``"ID": "145"``, flags ``"Y"``/``"N"``) except that the five label keys
hold ``{lang: text}`` maps; the list method returns the text for ``LANG``
(filter key, default ``ru``).

Values follow Bitrix's user-field types (``main/lib/userfield/types``):

* ``integer`` must look like ``[-+]?\\d+``; stored as ``"87"``;
* ``double`` accepts ``,`` as decimal point, must look like a number and
  is rounded to ``SETTINGS.PRECISION`` decimals (PHP ``round``; Bitrix's
  default precision when none is given is **0**); stored as PHP prints the
  float (``"87.5"``, ``"88"``);
* ``boolean`` is stored as ``true``/``false`` (``Y``/``1``/``true`` are true);
* ``datetime``/``date`` are normalised to the portal offset / ``YYYY-MM-DD``;
* other types are stored as strings.  Empty values are ``null``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import partial
from datetime import timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from .datetimes import normalize_date, normalize_datetime
from .envelope import Outcome, RestError, param
from .filters import compile_filter, parse_order, php_floatval, sort_records
from .schema import USER_TYPES, USERFIELD_KINDS

__all__ = [
    "UfEntity",
    "LEAD_UF",
    "DEAL_UF",
    "COMPANY_UF",
    "coerce_uf_value",
    "userfield_add",
    "userfield_list",
    "userfield_get",
    "userfield_delete",
    "userfield_kinds",
    "userfield_methods",
]

LABEL_KEYS = ("EDIT_FORM_LABEL", "LIST_COLUMN_LABEL", "LIST_FILTER_LABEL")
MESSAGE_KEYS = ("ERROR_MESSAGE", "HELP_MESSAGE")
LANGUAGES = ("ru", "en")
DEFAULT_LANG = "ru"
MAX_NAME = 50
_NAME = re.compile(r"^UF_CRM_[A-Z0-9_]+$")
_INTEGER = re.compile(r"^[-+]?\d+$")
_DOUBLE = re.compile(r"^[-+]?\d*[.,]?\d+$")

_DEFAULT_SETTINGS: dict[str, dict[str, Any]] = {
    "string": {"SIZE": 20, "ROWS": 1, "REGEXP": "", "MIN_LENGTH": 0, "MAX_LENGTH": 0, "DEFAULT_VALUE": ""},
    "integer": {"SIZE": 20, "MIN_VALUE": 0, "MAX_VALUE": 0, "DEFAULT_VALUE": None},
    "double": {"PRECISION": 0, "SIZE": 20, "MIN_VALUE": 0.0, "MAX_VALUE": 0.0, "DEFAULT_VALUE": None},
    "boolean": {"DEFAULT_VALUE": 0, "DISPLAY": "CHECKBOX", "LABEL": ["", ""], "LABEL_CHECKBOX": ""},
    "datetime": {"DEFAULT_VALUE": {"TYPE": "NONE", "VALUE": ""}, "USE_SECOND": "Y", "USE_TIMEZONE": "N"},
    "date": {"DEFAULT_VALUE": {"TYPE": "NONE", "VALUE": ""}},
    "money": {"DEFAULT_VALUE": ""},
    "url": {"POPUP": "Y", "SIZE": 20, "MIN_LENGTH": 0, "MAX_LENGTH": 0, "DEFAULT_VALUE": "", "RESIZE": "N"},
    "enumeration": {"DISPLAY": "LIST", "LIST_HEIGHT": 1, "CAPTION_NO_VALUE": "", "SHOW_NO_VALUE": "Y"},
    "employee": {},
    "crm_status": {"ENTITY_TYPE": ""},
    "crm": {"LEAD": "N", "CONTACT": "Y", "COMPANY": "Y", "DEAL": "N"},
}

@dataclass(frozen=True)
class UfEntity:
    """Where one CRM entity keeps its user fields."""

    entity_id: str    #: ENTITY_ID of the definitions ("CRM_LEAD")
    definitions: str  #: PortalState attribute holding the definitions
    records: str      #: PortalState attribute holding the records (id -> record)

    def defs(self, state: Any) -> list[dict[str, Any]]:
        return getattr(state, self.definitions)

    def rows(self, state: Any) -> dict[int, dict[str, Any]]:
        return getattr(state, self.records)


LEAD_UF = UfEntity("CRM_LEAD", "lead_userfields", "leads")
DEAL_UF = UfEntity("CRM_DEAL", "deal_userfields", "deals")
COMPANY_UF = UfEntity("CRM_COMPANY", "company_userfields", "companies")

_KIND_BY_TYPE = {"integer": "int", "double": "float", "boolean": "bool", "datetime": "datetime",
                 "date": "date", "enumeration": "int", "employee": "int"}


def userfield_kinds(definitions: list[dict[str, Any]]) -> dict[str, str]:
    """Filter/sort kind of every user field (see :mod:`.schema`)."""
    return {d["FIELD_NAME"]: _KIND_BY_TYPE.get(d["USER_TYPE_ID"], "string") for d in definitions}


# ---------------------------------------------------------------- values

def _php_string(value: Any) -> str:
    """PHP's string conversion of a scalar."""
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    if isinstance(value, float):
        return _php_float(value)
    return str(value)


def _php_float(value: float) -> str:
    """PHP 8 ``(string)$float`` (``precision`` = 14)."""
    if value != value:
        return "NAN"
    if value in (float("inf"), float("-inf")):
        return "INF" if value > 0 else "-INF"
    text = format(value, ".14G")
    if "E" in text:
        mantissa, exponent = text.split("E")
        if "." not in mantissa:
            mantissa += ".0"
        sign = exponent[0]
        return f"{mantissa}E{sign}{int(exponent[1:])}"
    return text


def _php_round(value: float, precision: int) -> float:
    try:
        quantum = Decimal(1).scaleb(-precision)
        return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError):
        return value


class _BadValue(Exception):
    pass


def _coerce_one(definition: dict[str, Any], value: Any, tz: timezone) -> Any:
    user_type = definition["USER_TYPE_ID"]
    if user_type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return value != 0
        return str(value if value is not None else "").strip().upper() in ("Y", "1", "TRUE", "YES", "ON")
    if value is None or isinstance(value, (list, dict)):
        return None
    text = _php_string(value).strip() if not isinstance(value, str) else value
    if text.strip() == "":
        return None
    if user_type in ("integer", "enumeration", "employee"):
        text = text.strip()
        if not _INTEGER.match(text):
            raise _BadValue("an integer")
        return str(int(text))
    if user_type == "double":
        text = text.replace(",", ".").replace(" ", "")
        if not _DOUBLE.match(text):
            raise _BadValue("a number")
        precision = int(definition.get("SETTINGS", {}).get("PRECISION") or 0)
        return _php_float(_php_round(float(text), precision))
    if user_type == "datetime":
        normalized = normalize_datetime(text, tz)
        if normalized is None:
            raise _BadValue("a date and time")
        return normalized
    if user_type == "date":
        normalized = normalize_date(text, tz)
        if normalized is None:
            raise _BadValue("a date")
        return normalized
    return text


def coerce_uf_value(definition: dict[str, Any], value: Any, tz: timezone) -> Any:
    """The stored form of ``value`` written to user field ``definition``.

    Raises :class:`RestError` (400) when Bitrix's type check would reject it.
    """
    try:
        if definition.get("MULTIPLE") == "Y":
            items = value if isinstance(value, list) else (
                list(value.values()) if isinstance(value, dict) else [value])
            coerced = [_coerce_one(definition, item, tz) for item in items]
            coerced = [item for item in coerced if item is not None]
            return coerced or None
        return _coerce_one(definition, value, tz)
    except _BadValue as exc:
        raise RestError(400, "", f'Value of field "{definition["FIELD_NAME"]}" must be {exc}.') from None


# ---------------------------------------------------------------- definitions

def _flag(value: Any, default: str) -> str:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return "Y" if value else "N"
    return "Y" if str(value).strip().upper() in ("Y", "1", "TRUE") else "N"


def _label_map(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(lang): _php_string(text) for lang, text in value.items()}
    if isinstance(value, list):
        return {}
    return {lang: _php_string(value) for lang in LANGUAGES}


def _settings(user_type: str, given: Any) -> dict[str, Any]:
    settings = dict(_DEFAULT_SETTINGS.get(user_type, {}))
    if isinstance(given, dict):
        settings.update(given)
    if user_type == "double":
        try:
            precision = int(float(settings.get("PRECISION") or 0))
        except (TypeError, ValueError):
            precision = 0
        settings["PRECISION"] = max(0, min(12, precision))
    return settings


def _field_name(raw: Any) -> str:
    name = _php_string(raw).strip().upper()
    if name.startswith("UF_CRM_"):
        full = name
    elif name.startswith("UF_"):
        full = "UF_CRM_" + name[3:]
    else:
        full = "UF_CRM_" + name
    if len(full) > MAX_NAME or not _NAME.match(full):
        raise RestError(400, "ERROR_CORE",
                        f'Invalid field name "{full}": use at most {MAX_NAME} characters '
                        "(including UF_CRM_) of A-Z, 0-9 and _.")
    return full


def userfield_add(portal: Any, params: dict[str, Any], entity: UfEntity = LEAD_UF) -> Outcome:
    fields = param(params, "fields")
    if not isinstance(fields, dict):
        raise RestError(400, "ERROR_CORE", "The parameter 'fields' must be array.")
    raw_name = fields.get("FIELD_NAME")
    if raw_name is None or _php_string(raw_name).strip() == "":
        raise RestError(400, "ERROR_CORE", "FIELD_NAME is required.")
    raw_type = fields.get("USER_TYPE_ID")
    if raw_type is None or _php_string(raw_type).strip() == "":
        raise RestError(400, "ERROR_CORE", "USER_TYPE_ID is required.")
    name = _field_name(raw_name)
    user_type = _php_string(raw_type).strip().lower()
    if user_type not in USER_TYPES:
        raise RestError(400, "ERROR_CORE", f'Unsupported USER_TYPE_ID "{user_type}".')
    state = portal.state
    with state.lock:
        if state.userfield(name, entity.definitions) is not None:
            raise RestError(400, "ERROR_CORE",
                            f'User field "{name}" for object "{entity.entity_id}" already exists.')
        field_id = state.next_userfield_id
        state.next_userfield_id += 1
        label = fields.get("LABEL")
        definition: dict[str, Any] = {
            "ID": str(field_id),
            "ENTITY_ID": entity.entity_id,
            "FIELD_NAME": name,
            "USER_TYPE_ID": user_type,
            "XML_ID": None if fields.get("XML_ID") in (None, "") else _php_string(fields["XML_ID"]),
            "SORT": str(int(float(fields.get("SORT") or 100))) if _is_number(fields.get("SORT")) else "100",
            "MULTIPLE": "N" if user_type == "boolean" else _flag(fields.get("MULTIPLE"), "N"),
            "MANDATORY": _flag(fields.get("MANDATORY"), "N"),
            "SHOW_FILTER": _show_filter(fields.get("SHOW_FILTER")),
            "SHOW_IN_LIST": _flag(fields.get("SHOW_IN_LIST"), "Y"),
            "EDIT_IN_LIST": _flag(fields.get("EDIT_IN_LIST"), "Y"),
            "IS_SEARCHABLE": _flag(fields.get("IS_SEARCHABLE"), "N"),
            "SETTINGS": _settings(user_type, fields.get("SETTINGS")),
        }
        for key in LABEL_KEYS:
            definition[key] = _label_map(fields[key] if fields.get(key) not in (None, "") else label)
        for key in MESSAGE_KEYS:
            definition[key] = _label_map(fields.get(key))
        if user_type == "enumeration":
            definition["LIST"] = _enum_items(fields.get("LIST"), state)
        entity.defs(state).append(definition)
        for record in entity.rows(state).values():
            record[name] = None
    return Outcome(field_id)


def _is_number(value: Any) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


def _show_filter(value: Any) -> str:
    text = _php_string(value).strip().upper() if value is not None else ""
    return text if text in ("N", "I", "E", "S") else ("I" if text in ("Y", "1", "TRUE") else "N")


def _enum_items(raw: Any, state: Any) -> list[dict[str, Any]]:
    items = raw if isinstance(raw, list) else (list(raw.values()) if isinstance(raw, dict) else [])
    result = []
    next_id = getattr(state, "next_enum_id", 1)
    for index, item in enumerate(items):
        if not isinstance(item, dict) or _php_string(item.get("VALUE")).strip() == "":
            continue
        result.append({
            "ID": str(next_id),
            "SORT": str(int(float(item["SORT"]))) if _is_number(item.get("SORT")) else str((index + 1) * 10),
            "VALUE": _php_string(item["VALUE"]),
            "DEF": _flag(item.get("DEF"), "N"),
            "XML_ID": _php_string(item.get("XML_ID")) or hashlib.md5(
                f"{next_id}:{item['VALUE']}".encode()).hexdigest(),
        })
        next_id += 1
    state.next_enum_id = next_id
    return result


def _public(definition: dict[str, Any], lang: str) -> dict[str, Any]:
    out = {key: value for key, value in definition.items()}
    for key in LABEL_KEYS + MESSAGE_KEYS:
        texts = definition.get(key) or {}
        out[key] = texts.get(lang, texts.get("en", next(iter(texts.values()), None) if texts else None))
    out["SETTINGS"] = dict(definition.get("SETTINGS") or {})
    if "LIST" in definition:
        out["LIST"] = [dict(item) for item in definition["LIST"]]
    return out


#: a list method's page (methods.PAGE_SIZE, which imports this module)
LIST_PAGE = 50


def userfield_list(portal: Any, params: dict[str, Any], entity: UfEntity = LEAD_UF) -> Outcome:
    flt = param(params, "filter")
    lang = DEFAULT_LANG
    if isinstance(flt, dict):
        flt = dict(flt)
        for key in list(flt):
            if str(key).upper() == "LANG":
                lang = _php_string(flt.pop(key)) or DEFAULT_LANG
    predicate = compile_filter(flt, USERFIELD_KINDS, portal.tzinfo)
    order = param(params, "order")
    order_list = parse_order(order if order else {"SORT": "ASC", "ID": "ASC"}, USERFIELD_KINDS)
    raw_start = param(params, "start")
    start = max(0, int(php_floatval(raw_start))) if raw_start not in (None, "") else 0
    with portal.state.lock:
        rows = [d for d in entity.defs(portal.state) if predicate is None or predicate(d)]
        rows = sort_records(list(rows), order_list, USERFIELD_KINDS, portal.tzinfo)
        result = [_public(d, lang) for d in rows[start:start + LIST_PAGE]]
    # 50 a page with start/next, as every list method (the docs: START); a portal set up by an
    # integrator has more lead fields than that
    end = start + LIST_PAGE
    return Outcome(result, total=len(rows), next=end if end < len(rows) else None)


def _find_by_id(portal: Any, params: dict[str, Any], entity: UfEntity) -> dict[str, Any]:
    raw = param(params, "id")
    for definition in entity.defs(portal.state):
        if raw is not None and _php_string(raw).strip() == definition["ID"]:
            return definition
    raise RestError(400, "", "Not found")


def userfield_get(portal: Any, params: dict[str, Any], entity: UfEntity = LEAD_UF) -> Outcome:
    with portal.state.lock:
        return Outcome(_public(_find_by_id(portal, params, entity), DEFAULT_LANG))


def userfield_delete(portal: Any, params: dict[str, Any], entity: UfEntity = LEAD_UF) -> Outcome:
    state = portal.state
    with state.lock:
        definition = _find_by_id(portal, params, entity)
        entity.defs(state).remove(definition)
        name = definition["FIELD_NAME"]
        for record in entity.rows(state).values():
            record.pop(name, None)
    return Outcome(True)


def userfield_methods(prefix: str, entity: UfEntity) -> dict[str, Any]:
    """``<prefix>.userfield.list/add/get/delete`` of one entity, for the method table."""
    handlers = {"list": userfield_list, "add": userfield_add, "get": userfield_get, "delete": userfield_delete}
    return {f"{prefix}.userfield.{verb}": partial(handler, entity=entity) for verb, handler in handlers.items()}
