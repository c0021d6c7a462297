"""Deals, contacts and pipelines: ``crm.deal.*``, ``crm.deal.userfield.*``,
``crm.contact.list/get`` and ``crm.category.list``.

Registered into :data:`~.methods.HANDLERS` on import (see :mod:`.server`).
"""

from __future__ import annotations

from typing import Any

from .data_deals import stage_semantic
from .envelope import Outcome, RestError, param
from .filters import php_floatval, split_key
from .methods import (
    HANDLERS,
    Updatable,
    append_history,
    entity_schema,
    fields_description,
    get_record,
    list_records,
    update_record,
)
from .schema_streams import (
    CONTACT_KINDS,
    CONTACT_MULTIFIELDS,
    CONTACT_NAMES,
    DEAL_FIELDS,
    DEAL_KINDS,
    DEAL_NAMES,
    DEAL_WRITABLE,
)
from .userfields import DEAL_UF, userfield_methods

__all__ = ["deal_list", "deal_get", "deal_update", "contact_list", "contact_get", "category_list"]

#: crm.deal.list and crm.deal.get never return these (D:api-reference/crm/deals/crm-deal-list)
DEAL_HIDDEN = ("CONTACT_IDS",)


# ---------------------------------------------------------------- deals

def _deal_schema(portal: Any) -> tuple[dict[str, str], list[str]]:
    return entity_schema(DEAL_KINDS, portal.state.deal_userfields)


def deal_list(portal: Any, params: dict[str, Any]) -> Outcome:
    """No select means ``*`` + ``UF_*`` (D:api-reference/crm/deals/crm-deal-list)."""
    with portal.state.lock:
        kinds, uf_names = _deal_schema(portal)
        return list_records(portal, params, portal.state.deals, kinds, DEAL_NAMES, uf_names,
                            default_select=("*", "UF_*"))


def deal_get(portal: Any, params: dict[str, Any]) -> Outcome:
    with portal.state.lock:
        record = get_record(portal.state.deals, params)
    for name in DEAL_HIDDEN:
        record.pop(name, None)
    return Outcome(record)


def deal_fields(portal: Any, params: dict[str, Any]) -> Outcome:
    with portal.state.lock:
        return Outcome(fields_description(DEAL_FIELDS, portal.state.deal_userfields))


def _stage_in_pipeline(state: Any, record: dict[str, Any], stage: str) -> bool:
    """CATEGORY_ID cannot change through crm.deal.update: the stage must be of the deal's pipeline."""
    category = record["CATEGORY_ID"] or "0"
    entity = "DEAL_STAGE" if category == "0" else f"DEAL_STAGE_{category}"
    return any(s["ENTITY_ID"] == entity and s["STATUS_ID"] == stage for s in state.statuses)


def _deal_moved(state: Any, record: dict[str, Any], stage: str, now: str, user: str) -> None:
    semantic = stage_semantic(stage)
    record["STAGE_SEMANTIC_ID"] = semantic
    record["CLOSED"] = "N" if semantic == "P" else "Y"
    record["IS_NEW"] = "N"
    record["MOVED_TIME"] = now
    record["MOVED_BY_ID"] = user
    append_history(state, 2, int(record["ID"]), stage, now, int(record["CATEGORY_ID"] or 0))


DEAL_UPDATE = Updatable("deals", DEAL_KINDS, DEAL_WRITABLE, "deal_userfields", "deal", "STAGE_ID",
                        _stage_in_pipeline, _deal_moved)


def deal_update(portal: Any, params: dict[str, Any]) -> Outcome:
    """Same change semantics as crm.lead.update; a stage change moves the deal
    (MOVED_TIME, CLOSED, STAGE_SEMANTIC_ID) and adds a stage history row."""
    return update_record(portal, params, DEAL_UPDATE)


# ---------------------------------------------------------------- contacts

def _multifield_filter(flt: Any) -> tuple[Any, Any]:
    """Split PHONE/EMAIL conditions off the filter: exact match (``=``/no prefix/``@``)
    only, as Bitrix documents; other prefixes on them are ignored."""
    if not isinstance(flt, dict):
        return flt, None
    rest: dict[str, Any] = {}
    wanted: list[tuple[str, set[str]]] = []
    for key, value in flt.items():
        op, name = split_key(str(key))
        if name.upper() not in CONTACT_MULTIFIELDS:
            rest[key] = value
        elif op in ("eq", "in"):
            values = value if isinstance(value, list) else [value]
            wanted.append((name.upper(), {str(v) for v in values}))
    if not wanted:
        return rest, None

    def matches(record: dict[str, Any]) -> bool:
        return all(any(item["VALUE"] in values for item in record.get(name) or ()) for name, values in wanted)

    return rest, matches


def contact_list(portal: Any, params: dict[str, Any]) -> Outcome:
    """No select means ``*`` + ``UF_*``; PHONE/EMAIL only when named in select."""
    flt, multifield = _multifield_filter(param(params, "filter"))
    with portal.state.lock:
        return list_records(portal, params, portal.state.contacts, CONTACT_KINDS, CONTACT_NAMES, [],
                            explicit_only=CONTACT_MULTIFIELDS, default_select=("*", "UF_*"),
                            visible=multifield, flt=flt)


def contact_get(portal: Any, params: dict[str, Any]) -> Outcome:
    """crm.contact.get returns the multifields too."""
    with portal.state.lock:
        return Outcome(get_record(portal.state.contacts, params))


# ---------------------------------------------------------------- pipelines

_ENTITY_NAMES = {1: "LEAD", 5: "INVOICE", 6: "ACTIVITY", 8: "REQUISITE"}


def category_list(portal: Any, params: dict[str, Any]) -> Outcome:
    """``result.categories[]`` with JSON-number ids, plus ``total`` as in the docs' example.

    Deals (2) have this portal's pipelines; contacts, companies, quotes and
    smart invoices (3, 4, 7, 31) only their default category; an SPA type
    (>= 128) does not exist here; other types have no categories.
    """
    raw = param(params, "entityTypeId")
    entity_type = int(php_floatval(raw)) if raw not in (None, "") else 0
    if entity_type == 2:
        with portal.state.lock:
            rows = [dict(row) for row in portal.state.categories]
    elif entity_type in (3, 4, 7, 31):
        rows = [{"id": 0, "name": "Общая", "sort": 100, "entityTypeId": entity_type, "isDefault": "Y"}]
    elif entity_type >= 128:
        raise RestError(400, "NOT_FOUND", "Smart process not found")
    else:
        name = _ENTITY_NAMES.get(entity_type, str(entity_type))
        raise RestError(400, "ENTITY_TYPE_NOT_SUPPORTED", f"Entity type `{name}` is not supported")
    return Outcome({"categories": rows}, total=len(rows))


HANDLERS.update({
    "crm.deal.list": deal_list,
    "crm.deal.get": deal_get,
    "crm.deal.update": deal_update,
    "crm.deal.fields": deal_fields,
    **userfield_methods("crm.deal", DEAL_UF),
    "crm.contact.list": contact_list,
    "crm.contact.get": contact_get,
    "crm.category.list": category_list,
})
