"""REST method handlers of the sandbox portal and their dispatcher.

A handler is ``handler(portal, params) -> Outcome`` and raises
:class:`~.envelope.RestError` for errors.  :func:`execute` runs one method
(also a batch sub-command): it times it, feeds the per-method "operating"
meter, counts it in ``stats.method_calls`` and builds its ``time`` block.

Here: the shared list/get/update machinery (:func:`list_records`,
:func:`get_record`, :func:`update_record`) and the lead, company and status
handlers; :mod:`.methods_deals` and :mod:`.methods_streams` add the others
to :data:`HANDLERS`.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from .data_deals import history_row
from .datetimes import date_field_value, format_ts, normalize_date, normalize_datetime
from .envelope import Outcome, RestError, param, time_block
from .filters import compile_filter, id_lower_bound, parse_order, php_floatval, resolve_select, sort_records
from .schema import (
    COMPANY_FIELDS,
    COMPANY_KINDS,
    COMPANY_NAMES,
    COMPANY_WRITABLE,
    LEAD_FIELDS,
    LEAD_KINDS,
    LEAD_NAMES,
    LEAD_WRITABLE,
    STATUS_KINDS,
    STATUS_NAMES,
)
from .scopes import scope
from .userfields import COMPANY_UF, LEAD_UF, LIST_PAGE, coerce_uf_value, userfield_kinds, userfield_methods

__all__ = ["execute", "normalize_method", "HANDLERS", "PAGE_SIZE", "list_records", "get_record", "update_record",
           "Updatable", "append_history", "fields_description", "Predicate"]

PAGE_SIZE = LIST_PAGE

Handler = Callable[[Any, dict[str, Any]], Outcome]


def normalize_method(name: str) -> str:
    name = name.strip().lower()
    if name.endswith(".json"):
        name = name[:-5]
    return name


def _start(params: dict[str, Any]) -> int:
    raw = param(params, "start")
    if raw is None or raw == "":
        return 0
    return int(php_floatval(raw))


# ---------------------------------------------------------------- list / get

_FROM_PARAMS: Any = object()
Predicate = Callable[[dict[str, Any]], bool]


def _both(first: Predicate, second: Predicate) -> Predicate:
    return lambda record: first(record) and second(record)


def list_records(portal: Any, params: dict[str, Any], table: dict[int, dict[str, Any]] | list[dict[str, Any]],
                 kinds: dict[str, str], standard: list[str], user_fields: list[str], *,
                 default_order: dict[str, str] | None = None, visible: Predicate | None = None,
                 explicit_only: tuple[str, ...] = (), default_select: tuple[str, ...] = ("*",),
                 flt: Any = _FROM_PARAMS, order: Any = _FROM_PARAMS) -> Outcome:
    """Classic list method: filter, order, select, 50-row pages with start/next/total.

    ``default_order`` applies when ``order`` is empty; ``visible`` hides
    records whatever the filter; ``flt``/``order`` override the params (for
    methods whose parameters have other names).  The outcome tells the cost
    model (:mod:`.cost`) the rows returned and, when ``start >= 0``, the rows
    counted for ``total`` and skipped by the offset; ``start=-1`` counts
    nothing (in ID order it stops at the page's last row).
    """
    tz = portal.tzinfo
    if flt is _FROM_PARAMS:
        flt = param(params, "filter")
    if order is _FROM_PARAMS:
        order = param(params, "order")
    predicate = compile_filter(flt, kinds, tz)
    if visible is not None:
        predicate = visible if predicate is None else _both(predicate, visible)
    order = parse_order(order if order or not default_order else default_order, kinds)
    fields = resolve_select(param(params, "select"), standard, user_fields, explicit_only, default_select)
    start = _start(params)
    count_total = start >= 0
    if not count_total:
        start = 0
    end = start + PAGE_SIZE
    state = portal.state
    with state.lock:
        page: list[dict[str, Any]] = []
        total = 0
        if isinstance(table, dict) and order == [("ID", False)]:
            # Records in ascending ID order: walk the sorted IDs from the >ID bound.
            ids = state.sorted_ids(table)
            lower, inclusive = id_lower_bound(flt)
            for index in range(state.ids_from(ids, lower, inclusive), len(ids)):
                record = table.get(ids[index])
                if record is None:
                    continue
                if predicate is not None and not predicate(record):
                    continue
                if start <= total < end:
                    page.append(record)
                total += 1
                if not count_total and total >= end:
                    break
        else:
            records = list(table.values()) if isinstance(table, dict) else list(table)
            if predicate is not None:
                records = [record for record in records if predicate(record)]
            total = len(records)
            page = sort_records(records, order, kinds, tz)[start:end]
        rows = [{name: record[name] for name in fields if name in record} for record in page]
    if not count_total:
        return Outcome(rows, total=0, rows_read=len(rows))
    return Outcome(rows, total=total, next=end if end < total else None,
                   rows_read=len(rows), rows_counted=total, rows_skipped=min(start, total))


def entity_schema(base_kinds: dict[str, str], definitions: list[dict[str, Any]]) -> tuple[dict[str, str], list[str]]:
    """Field kinds of an entity with its user fields, and the user fields' names."""
    kinds = dict(base_kinds)
    kinds.update(userfield_kinds(definitions))
    return kinds, [d["FIELD_NAME"] for d in definitions]


def _lead_schema(portal: Any) -> tuple[dict[str, str], list[str]]:
    return entity_schema(LEAD_KINDS, portal.state.lead_userfields)


#: multifields: listed only when the select names them ("*" does not), as Bitrix24 does
LEAD_MULTIFIELDS = ("PHONE", "EMAIL")
COMPANY_MULTIFIELDS = ("PHONE", "EMAIL", "WEB")


def lead_list(portal: Any, params: dict[str, Any]) -> Outcome:
    with portal.state.lock:
        kinds, uf_names = _lead_schema(portal)
        return list_records(portal, params, portal.state.leads, kinds, LEAD_NAMES, uf_names,
                            explicit_only=LEAD_MULTIFIELDS)


def company_list(portal: Any, params: dict[str, Any]) -> Outcome:
    with portal.state.lock:
        kinds, uf_names = entity_schema(COMPANY_KINDS, portal.state.company_userfields)
        return list_records(portal, params, portal.state.companies, kinds, COMPANY_NAMES, uf_names,
                            explicit_only=COMPANY_MULTIFIELDS)


def status_list(portal: Any, params: dict[str, Any]) -> Outcome:
    return list_records(portal, params, portal.state.statuses, STATUS_KINDS, STATUS_NAMES, [])


def get_record(table: dict[int, dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """``crm.*.get``: a copy of the record ``params["id"]`` names (400 when missing)."""
    raw = param(params, "id")
    record_id = int(php_floatval(raw)) if raw not in (None, "") else 0
    if record_id <= 0:
        raise RestError(400, "", "ID is not defined or invalid.")
    record = table.get(record_id)
    if record is None:
        raise RestError(400, "", "Not found")
    return dict(record)


def lead_get(portal: Any, params: dict[str, Any]) -> Outcome:
    with portal.state.lock:
        return Outcome(get_record(portal.state.leads, params))


def company_get(portal: Any, params: dict[str, Any]) -> Outcome:
    with portal.state.lock:
        return Outcome(get_record(portal.state.companies, params))


_TYPE_NAMES = {"int": "integer", "float": "double", "datetime": "datetime", "date": "date",
               "char": "char", "string": "string", "bool": "boolean"}
_LINK_TYPES = {"STATUS_ID": "crm_status", "SOURCE_ID": "crm_status", "CURRENCY_ID": "crm_currency",
               "COMPANY_ID": "crm_company", "CONTACT_ID": "crm_contact", "ASSIGNED_BY_ID": "user",
               "CREATED_BY_ID": "user", "MODIFY_BY_ID": "user", "MOVED_BY_ID": "user",
               "LAST_ACTIVITY_BY": "user", "HONORIFIC": "crm_status", "STAGE_ID": "crm_status",
               "TYPE_ID": "crm_status", "CATEGORY_ID": "crm_category", "LEAD_ID": "crm_lead",
               "QUOTE_ID": "crm_quote"}


def lead_fields(portal: Any, params: dict[str, Any]) -> Outcome:
    with portal.state.lock:
        return Outcome(_with_multifields(fields_description(LEAD_FIELDS, portal.state.lead_userfields),
                                         LEAD_MULTIFIELDS))


def company_fields(portal: Any, params: dict[str, Any]) -> Outcome:
    with portal.state.lock:
        return Outcome(_with_multifields(fields_description(COMPANY_FIELDS, portal.state.company_userfields),
                                         COMPANY_MULTIFIELDS))


def _with_multifields(described: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The multifields after the standard fields, before the user fields, as crm.*.fields lists them."""
    out: dict[str, Any] = {}
    for name, value in described.items():
        if name.startswith("UF_") and names[0] not in out:
            out.update(_multifield_descriptions(names))
        out[name] = value
    if names[0] not in out:
        out.update(_multifield_descriptions(names))
    return out


def _multifield_descriptions(names: tuple[str, ...]) -> dict[str, Any]:
    return {name: {"type": "crm_multifield", "isRequired": False, "isReadOnly": False, "isImmutable": False,
                   "isMultiple": True, "isDynamic": False, "title": name} for name in names}


def fields_description(standard: list[tuple[str, str, bool]], definitions: list[dict[str, Any]]) -> dict[str, Any]:
    """``crm.*.fields``: every standard field and user field with its type and flags."""
    result: dict[str, Any] = {}
    for name, kind, writable in standard:
        result[name] = {
            "type": _LINK_TYPES.get(name, _TYPE_NAMES.get(kind, "string")),
            "isRequired": name == "TITLE",
            "isReadOnly": not writable,
            "isImmutable": False,
            "isMultiple": False,
            "isDynamic": False,
            "title": name,
        }
    for definition in definitions:
        labels = definition.get("LIST_COLUMN_LABEL") or {}
        title = labels.get("ru") or definition["FIELD_NAME"]
        result[definition["FIELD_NAME"]] = {
            "type": definition["USER_TYPE_ID"],
            "isRequired": definition["MANDATORY"] == "Y",
            "isReadOnly": False,
            "isImmutable": False,
            "isMultiple": definition["MULTIPLE"] == "Y",
            "isDynamic": True,
            "title": definition["FIELD_NAME"],
            "listLabel": title,
            "formLabel": (definition.get("EDIT_FORM_LABEL") or {}).get("ru") or title,
            "filterLabel": (definition.get("LIST_FILTER_LABEL") or {}).get("ru") or title,
            "settings": dict(definition.get("SETTINGS") or {}),
        }
    return result


# ---------------------------------------------------------------- update

_STATUS_SEMANTIC = {"CONVERTED": "S", "JUNK": "F"}
_LINKS = ("COMPANY_ID", "CONTACT_ID")
_UNSET = object()


def _coerce_standard(name: str, kind: str, value: Any, tz: Any) -> Any:
    """The stored form of a standard lead field value (``_UNSET`` = ignore it)."""
    if isinstance(value, (list, dict)):
        return _UNSET
    empty = value is None or (isinstance(value, str) and value.strip() == "")
    if kind == "float":
        text = "" if empty else str(value).replace(",", ".").replace(" ", "")
        return f"{php_floatval(text):.2f}"
    if kind == "int":
        if empty:
            return None if name in _LINKS else _UNSET
        number = int(php_floatval(value))
        if number <= 0:
            return None if name in _LINKS else _UNSET
        return str(number)
    if kind == "char":
        if isinstance(value, bool):
            return "Y" if value else "N"
        return "Y" if str(value).strip().upper() in ("Y", "1", "TRUE") else "N"
    if kind == "datetime":
        if empty:
            return None
        normalized = normalize_datetime(str(value), tz)
        return _UNSET if normalized is None else normalized
    if kind == "date":
        if empty:
            return None
        day = normalize_date(str(value), tz)
        return _UNSET if day is None else date_field_value(day, tz)
    if empty:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _same(old: Any, new: Any) -> bool:
    if old in (None, "") and new in (None, "", []):
        return True
    return old == new


class Updatable:
    """What ``update_record`` needs to know about one entity."""

    def __init__(self, table: str, kinds: dict[str, str], writable: set[str], userfields: str,
                 stat: str, stage_field: str,
                 valid_stage: Callable[[Any, dict[str, Any], str], bool],
                 on_stage_change: Callable[[Any, dict[str, Any], str, str, str], None]) -> None:
        self.table = table
        self.kinds = kinds
        self.writable = writable
        self.userfields = userfields
        self.stat = stat
        self.stage_field = stage_field
        self.valid_stage = valid_stage
        self.on_stage_change = on_stage_change


def update_record(portal: Any, params: dict[str, Any], entity: Updatable) -> Outcome:
    """``crm.<entity>.update``: change only what really changes; bump DATE_MODIFY only then."""
    state = portal.state
    tz = portal.tzinfo
    portal.stats.add(f"{entity.stat}_update_calls")
    raw_id = param(params, "id")
    record_id = int(php_floatval(raw_id)) if raw_id not in (None, "") else 0
    if record_id <= 0:
        raise RestError(400, "", "ID is not defined or invalid.")
    fields = param(params, "fields")
    if fields is None or fields == "" or isinstance(fields, list):
        fields = {}
    if not isinstance(fields, dict):
        raise RestError(400, "", "The parameter 'fields' must be array.")
    with state.lock:
        record = getattr(state, entity.table).get(record_id)
        if record is None:
            raise RestError(400, "", "Not found")
        refused = portal.faults.rejection(f"crm.{entity.stat}.update", record_id)
        if refused is not None:
            raise RestError(refused.status, refused.error, refused.description)
        portal.stats.count_uf_writes(entity.stat, record_id,
                                     [n for n in fields if isinstance(n, str) and n.startswith("UF_")])
        changes: dict[str, Any] = {}
        for name, value in fields.items():
            if not isinstance(name, str):
                continue
            if name in entity.writable:
                new = _coerce_standard(name, entity.kinds[name], value, tz)
                if new is _UNSET:
                    continue
                if name == entity.stage_field and not entity.valid_stage(state, record, new):
                    raise RestError(400, "", f'Status "{new}" not found.')
            elif name.startswith("UF_"):
                definition = state.userfield(name, entity.userfields)
                if definition is None:
                    continue
                new = coerce_uf_value(definition, value, tz)
            else:
                continue
            if not _same(record.get(name), new):
                changes[name] = new
        if changes:
            now = format_ts(portal.clock(), tz)
            user = str(portal.user_id)
            record.update(changes)
            if entity.stage_field in changes:
                entity.on_stage_change(state, record, changes[entity.stage_field], now, user)
            record["DATE_MODIFY"] = now
            record["MODIFY_BY_ID"] = user
            portal.stats.add(f"{entity.stat}_updates_changed")
    return Outcome(True)


def append_history(state: Any, entity_type_id: int, owner_id: int, stage: str, when: str,
                   category: int | None = None) -> None:
    """A stage history row for a stage change made through the API (TYPE_ID 3 = final, else 2)."""
    rows = state.stage_history.setdefault(entity_type_id, {})
    history_id = next(reversed(rows), 0) + 1
    row = history_row(history_id, 2, owner_id, when, stage, category)
    semantic = row["STAGE_SEMANTIC_ID" if category is not None else "STATUS_SEMANTIC_ID"]
    row["TYPE_ID"] = 2 if semantic == "P" else 3
    rows[history_id] = row


def _lead_status_exists(state: Any, record: dict[str, Any], status: str) -> bool:
    return any(s["ENTITY_ID"] == "STATUS" and s["STATUS_ID"] == status for s in state.statuses)


def _lead_moved(state: Any, record: dict[str, Any], status: str, now: str, user: str) -> None:
    semantic = _STATUS_SEMANTIC.get(status, "P")
    record["STATUS_SEMANTIC_ID"] = semantic
    record["MOVED_TIME"] = now
    record["MOVED_BY_ID"] = user
    record["DATE_CLOSED"] = now if semantic != "P" else None
    append_history(state, 1, int(record["ID"]), status, now)


LEAD_UPDATE = Updatable("leads", LEAD_KINDS, LEAD_WRITABLE, "lead_userfields", "lead", "STATUS_ID",
                        _lead_status_exists, _lead_moved)


def lead_update(portal: Any, params: dict[str, Any]) -> Outcome:
    return update_record(portal, params, LEAD_UPDATE)


# A company has no stage: "" is no writable field, so the stage hooks never run.
COMPANY_UPDATE = Updatable("companies", COMPANY_KINDS, COMPANY_WRITABLE, "company_userfields", "company", "",
                           lambda *_: True, lambda *_: None)


def company_update(portal: Any, params: dict[str, Any]) -> Outcome:
    return update_record(portal, params, COMPANY_UPDATE)


# ---------------------------------------------------------------- misc

def server_time(portal: Any, params: dict[str, Any]) -> Outcome:
    return Outcome(format_ts(portal.clock(), portal.tzinfo))


def profile(portal: Any, params: dict[str, Any]) -> Outcome:
    return Outcome({"ID": str(portal.user_id), "ADMIN": True, "NAME": "Администратор",
                    "LAST_NAME": "Портала", "PERSONAL_GENDER": "", "TIME_ZONE": "",
                    "TIME_ZONE_OFFSET": 0})


HANDLERS: dict[str, Handler] = {
    "crm.lead.list": lead_list,
    "crm.lead.get": lead_get,
    "crm.lead.update": lead_update,
    "crm.lead.fields": lead_fields,
    **userfield_methods("crm.lead", LEAD_UF),
    "crm.company.list": company_list,
    "crm.company.get": company_get,
    "crm.company.update": company_update,
    "crm.company.fields": company_fields,
    **userfield_methods("crm.company", COMPANY_UF),
    "crm.status.list": status_list,
    "server.time": server_time,
    "profile": profile,
    "scope": scope,
}


_NO_WORK = Outcome(None)


def execute(portal: Any, method: str, params: dict[str, Any]) -> tuple[Outcome, dict[str, Any]]:
    """Run one method; returns its outcome and its ``time`` block.

    A method blocked by ``portal.block_method`` or over ``portal.operating_limit``
    answers 429 ``OPERATION_TIME_LIMIT``.  The processing seconds booked into
    ``portal.operating`` (and reported as ``processing``) are the measured run
    time, or with ``portal.cost`` set the cost model's simulated seconds; both
    plus ``portal.set_method_cost``'s extra.  Then the call sleeps
    ``portal.call_latency`` plus ``portal.latency_from_cost`` times the
    simulated cost.  The ``batch`` call itself books and sleeps nothing.
    """
    handler = HANDLERS.get(method)
    if handler is None:
        raise RestError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
    booked = method != "batch"  # a batch's cost is booked on its sub-commands' methods
    limit = portal.operating_limit
    if booked and (portal.operating.blocked(method)
                   or (limit is not None and portal.operating.read(method)[0] > limit)):
        raise RestError(429, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.")
    portal.stats.count_method(method)
    if booked:
        portal.faults.wait_if_held(method)
    start = portal.clock()  # the portal's own clock: the same one DATE_MODIFY is stamped with
    started = time.perf_counter()
    cost_model = portal.cost
    work = _NO_WORK  # what a call that raised did: one call, no rows
    try:
        outcome = handler(portal, params)
        work = outcome
    finally:
        simulated = 0.0
        if cost_model is None:
            processing = time.perf_counter() - started
        else:
            processing = simulated = cost_model.seconds(work.rows_read, work.rows_counted, work.rows_skipped)
        # simulated extra cost (portal.set_method_cost) counts as processing time
        processing += portal.method_costs.get(method, 0.0)
        if booked:
            portal.operating.add(method, processing)
            pause = portal.call_latency + portal.latency_from_cost * simulated
            if pause > 0:
                time.sleep(pause)
    finish = start + (time.perf_counter() - started)
    operating, reset_at = portal.operating.read(method)
    return outcome, time_block(start, finish, processing, portal.tzinfo, operating, reset_at)
