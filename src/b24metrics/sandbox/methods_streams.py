"""Activities, stage history, users and telephony: ``crm.activity.list/get``,
``crm.stagehistory.list``, ``user.get`` and ``voximplant.statistic.get``.

All of them page like the classic lists (50 rows, ``start``/``next``/
``total``, ``start=-1`` skips counting) through :func:`~.methods.list_records`.
Registered into :data:`~.methods.HANDLERS` on import (see :mod:`.server`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .envelope import Outcome, RestError, param
from .filters import php_floatval, split_key
from .methods import HANDLERS, Predicate, get_record, list_records
from .schema_streams import (
    ACTIVITY_KINDS,
    ACTIVITY_NAMES,
    CALL_KINDS,
    CALL_NAMES,
    DEAL_HISTORY_KINDS,
    DEAL_HISTORY_NAMES,
    LEAD_HISTORY_KINDS,
    LEAD_HISTORY_NAMES,
    USER_KINDS,
    USER_NAMES,
)

__all__ = ["activity_list", "activity_get", "stagehistory_list", "user_get", "voximplant_statistic_get"]


# ---------------------------------------------------------------- activities

def _bindings_filter(portal: Any, flt: Any) -> tuple[Any, Predicate | None]:
    """``filter[BINDINGS]``: ``[{OWNER_TYPE_ID, OWNER_ID}, ...]``, either key or both;
    an activity matches when any of its bindings matches any of the pairs."""
    if not isinstance(flt, dict):
        return flt, None
    rest = {key: value for key, value in flt.items() if str(key).upper() != "BINDINGS"}
    raw = next((value for key, value in flt.items() if str(key).upper() == "BINDINGS"), None)
    if raw is None:
        return flt, None
    pairs: list[tuple[int | None, int | None]] = []
    for item in raw.values() if isinstance(raw, dict) else raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            continue
        upper = {str(k).upper(): v for k, v in item.items()}
        owner_type = upper.get("OWNER_TYPE_ID")
        owner_id = upper.get("OWNER_ID")
        pairs.append((None if owner_type in (None, "") else int(php_floatval(owner_type)),
                      None if owner_id in (None, "") else int(php_floatval(owner_id))))
    if not pairs:
        return rest, None
    bindings = portal.state.activity_bindings

    def bound(record: dict[str, Any]) -> bool:
        for owner_type, owner_id in bindings.get(int(record["ID"]), ()):
            for want_type, want_id in pairs:
                if (want_type is None or want_type == owner_type) and (want_id is None or want_id == owner_id):
                    return True
        return False

    return rest, bound


def activity_list(portal: Any, params: dict[str, Any]) -> Outcome:
    """Default order START_TIME ascending (D:.../activity-base/crm-activity-list)."""
    with portal.state.lock:
        flt, bound = _bindings_filter(portal, param(params, "filter"))
        return list_records(portal, params, portal.state.activities, ACTIVITY_KINDS, ACTIVITY_NAMES, [],
                            default_order={"START_TIME": "ASC"}, visible=bound, flt=flt)


def activity_get(portal: Any, params: dict[str, Any]) -> Outcome:
    with portal.state.lock:
        return Outcome(get_record(portal.state.activities, params))


# ---------------------------------------------------------------- stage history

_HISTORY_SCHEMA = {1: (LEAD_HISTORY_KINDS, LEAD_HISTORY_NAMES), 2: (DEAL_HISTORY_KINDS, DEAL_HISTORY_NAMES)}
#: entity types crm.stagehistory.list accepts but this portal has no history of
_HISTORY_EMPTY = (5, 31)


def _check_history_args(flt: Any, order: Any, kinds: dict[str, str]) -> None:
    """Bitrix refuses unknown filter/order fields and sort directions here (400 INVALID_ARG_VALUE)."""
    if isinstance(flt, dict):
        for key in flt:
            _, field = split_key(str(key))
            if field.upper() not in kinds:
                raise RestError(400, "INVALID_ARG_VALUE", f"Invalid filter: field '{field}' is not allowed in filter")
    if isinstance(order, dict):
        for field, direction in order.items():
            if str(field).upper() not in kinds:
                raise RestError(400, "INVALID_ARG_VALUE", f"Invalid order: field '{field}' is not allowed in order")
            if str(direction).strip().upper() not in ("ASC", "DESC"):
                raise RestError(400, "INVALID_ARG_VALUE",
                                "Invalid order: allowed sort directions are ASC, DESC. "
                                f"But got '{direction}' for field '{field}'")


def stagehistory_list(portal: Any, params: dict[str, Any]) -> Outcome:
    """``result.items[]`` + total/next; IDs and TYPE_IDs are JSON numbers.

    As on real portals, a deal's rows from pipelines it has left are not
    returned (only those of its current CATEGORY_ID; the full history stays
    in ``state.stage_history``); ``portal.stagehistory_current_pipeline_only
    = False`` returns them all.
    """
    raw = param(params, "entityTypeId")
    entity_type = int(php_floatval(raw)) if raw not in (None, "") else 0
    if entity_type in _HISTORY_EMPTY:
        return Outcome({"items": []}, total=0)
    if entity_type not in _HISTORY_SCHEMA:
        raise RestError(400, "ENTITY_TYPE_NOT_SUPPORTED", f"Entity type `{entity_type}` is not supported")
    kinds, names = _HISTORY_SCHEMA[entity_type]
    _check_history_args(param(params, "filter"), param(params, "order"), kinds)
    state = portal.state
    visible: Predicate | None = None
    if entity_type == 2 and getattr(portal, "stagehistory_current_pipeline_only", True):
        deals = state.deals

        def in_current_pipeline(row: dict[str, Any]) -> bool:
            deal = deals.get(row["OWNER_ID"])
            return deal is None or str(row["CATEGORY_ID"]) == (deal["CATEGORY_ID"] or "0")

        visible = in_current_pipeline

    with state.lock:
        outcome = list_records(portal, params, state.stage_history.get(entity_type, {}), kinds, names, [],
                               visible=visible)
    return replace(outcome, result={"items": outcome.result})


# ---------------------------------------------------------------- users

_NAME_SEARCH_FIELDS = ("NAME", "LAST_NAME", "SECOND_NAME", "EMAIL", "WORK_POSITION")


def _name_search(flt: Any) -> tuple[Any, Predicate | None]:
    if not isinstance(flt, dict):
        return flt, None
    rest = {key: value for key, value in flt.items() if str(key).upper() != "NAME_SEARCH"}
    text = next((value for key, value in flt.items() if str(key).upper() == "NAME_SEARCH"), None)
    if not isinstance(text, str) or not text.strip():
        return rest, None
    words = text.casefold().split()

    def found(record: dict[str, Any]) -> bool:
        haystack = " ".join(str(record.get(name) or "") for name in _NAME_SEARCH_FIELDS).casefold()
        return all(word in haystack for word in words)

    return rest, found


def _single_order(sort: Any, order: Any) -> Any:
    """``sort`` (a field name) + ``order`` (ASC/DESC) -> an order map; an order map passes through."""
    if isinstance(order, dict):
        return order
    if isinstance(sort, str) and sort.strip():
        direction = order if isinstance(order, str) and order.strip().upper() in ("ASC", "DESC") else "ASC"
        return {sort.strip(): direction}
    return None


def user_get(portal: Any, params: dict[str, Any]) -> Outcome:
    """``sort``/``order`` strings, ``FILTER`` (or ``filter``) with prefixes, ``NAME_SEARCH``;
    ``ADMIN_MODE`` is accepted (the webhook's user is an administrator)."""
    flt, search = _name_search(param(params, "filter"))  # FILTER or filter
    order = _single_order(param(params, "sort"), param(params, "order"))
    with portal.state.lock:
        return list_records(portal, params, portal.state.users, USER_KINDS, USER_NAMES, [],
                            visible=search, flt=flt, order=order)


# ---------------------------------------------------------------- telephony

def voximplant_statistic_get(portal: Any, params: dict[str, Any]) -> Outcome:
    """``FILTER``, ``SORT`` (a field name; not CALL_TYPE), ``ORDER`` (ASC/DESC), ``start``.
    No sort means ID order; values are strings as stored."""
    sort = param(params, "sort")  # SORT (documented) or sort
    if isinstance(sort, str) and sort.strip().upper() == "CALL_TYPE":
        sort = None
    order = _single_order(sort, param(params, "order"))
    if isinstance(order, dict) and sort is None:
        order = None  # ORDER alone is a direction, never a map here
    stripped = {key: value for key, value in params.items() if str(key).lower() != "select"}
    with portal.state.lock:
        return list_records(portal, stripped, portal.state.calls, CALL_KINDS, CALL_NAMES, [],
                            flt=param(params, "filter"), order=order)


HANDLERS.update({
    "crm.activity.list": activity_list,
    "crm.activity.get": activity_get,
    "crm.stagehistory.list": stagehistory_list,
    "user.get": user_get,
    "voximplant.statistic.get": voximplant_statistic_get,
})
