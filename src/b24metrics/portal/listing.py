"""Keyset listing: order ID ASC, filter >ID, start=-1, pages chained inside one batch.

Offsets and total counts are what make big portals slow; a keyset page costs the same at any
depth. One request learns whether there is more than a page; after that each batch chains
up to 50 pages through `$result[pN][49][ID]`, 2,500 rows per HTTP request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from b24metrics import errors
from b24metrics.portal.client import MAX_BATCH, PortalClient

PAGE = 50


@dataclass
class ListPage:
    rows: list[dict[str, Any]]
    time: dict[str, Any] = field(default_factory=dict)  # the `time` block of the answer it came in


@dataclass
class BatchRead:
    """What one request of a keyset listing brought: pages in order, and whether the listing ended."""

    pages: list[ListPage]
    done: bool
    last_id: int
    error: errors.PortalError | None = None
    time: dict[str, Any] = field(default_factory=dict)  # the answer's own `time` block


def read_batch(
    client: PortalClient,
    method: str,
    *,
    select: list[str] | None = None,
    filter: Mapping[str, Any] | None = None,
    id_field: str = "ID",
    wrapper: str | None = None,
    after_id: int = 0,
    upper_id: int | None = None,
    pages: int = MAX_BATCH,
    style: str = "crm",
    extra: Mapping[str, Any] | None = None,
) -> BatchRead:
    """One HTTP request: up to `pages` keyset pages after `after_id` (and up to `upper_id`).

    pages=1 is a single call; more chain through `$result[pN][49][ID]` inside one batch.
    An error of a chained command comes back in `error` with the good pages before it.
    """
    flt = dict(filter or {})
    if upper_id is not None:
        flt[f"<={id_field}"] = upper_id

    def params(after: Any) -> dict[str, Any]:
        return list_params(select, flt, id_field, after, style=style, extra=extra)

    error = None
    if pages <= 1:
        reply = client.call(method, params(after_id))
        got, answered = [ListPage(rows_of(reply.result, wrapper, method), reply.time)], reply.time
    else:
        commands = {f"p{i}": (method, params(after_id if i == 0 else _ref(i, wrapper, id_field))) for i in range(pages)}
        # With halt=1 the portal stops at the first failing command; the pages before it
        # are good and are kept.
        batch = client.batch(commands, halt=True)
        failed = min((int(k[1:]) for k in batch.errors), default=None)
        got = [ListPage(rows_of(batch.results.get(f"p{i}"), wrapper, method), batch.times.get(f"p{i}") or batch.time)
               for i in range(pages if failed is None else failed)]
        error = None if failed is None else batch.errors[f"p{failed}"]
        answered = batch.time
    kept: list[ListPage] = []
    last_id = after_id
    for page in got:
        last_id = check_order(page.rows, last_id, id_field, method)
        if page.rows:
            kept.append(page)
        if len(page.rows) < PAGE:
            # Commands after a short page referred to a row that does not exist: whatever
            # they returned is not part of this listing.
            return BatchRead(kept, True, last_id, time=answered)
    return BatchRead(kept, False, last_id, error, answered)


def iter_pages(
    client: PortalClient,
    method: str,
    *,
    after_id: int = 0,
    pages_per_batch: int = MAX_BATCH,
    probe: bool = True,
    **listing: Any,
) -> Iterator[ListPage]:
    """Yield pages of rows in ascending ID order, each row exactly once.

    `listing` takes read_batch's select, filter, id_field, wrapper, upper_id, style, extra.
    The first request is one call (probe) unless probe=False: the caller already knows more
    than a page follows, so batches from the start.
    """
    last_id, first = after_id, probe
    while True:
        got = read_batch(client, method, after_id=last_id, pages=1 if first else pages_per_batch, **listing)
        first = False
        yield from got.pages
        if got.error is not None:
            raise got.error
        if got.done:
            return
        last_id = got.last_id


def list_params(
    select, filter, id_field: str, after: Any, *, style: str = "crm", extra: Mapping[str, Any] | None = None,
    descending: bool = False,
) -> dict[str, Any]:
    """One keyset page: rows after `after` in ID order, no total count (descending: the
    highest IDs first, which tells where the table ends).

    Methods spell it differently: crm.* take order/filter/select; user.get takes sort and
    order as strings and FILTER; voximplant.statistic.get takes SORT, ORDER and FILTER.
    """
    flt = dict(filter or {})
    flt[f">{id_field}"] = after
    direction = "DESC" if descending else "ASC"
    params: dict[str, Any] = dict(extra or {})
    if style == "user":
        params.update({"sort": id_field, "order": direction, "FILTER": flt})
    elif style == "voximplant":
        params.update({"SORT": id_field, "ORDER": direction, "FILTER": flt})
    else:
        params.update({"order": {id_field: direction}, "filter": flt})
        if select:
            params["select"] = list(select)
    params["start"] = -1
    return params


def _ref(index: int, wrapper: str | None, id_field: str) -> str:
    inner = f"[{wrapper}]" if wrapper else ""
    return f"$result[p{index - 1}]{inner}[{PAGE - 1}][{id_field}]"


def rows_of(result: Any, wrapper: str | None, method: str) -> list[dict[str, Any]]:
    if wrapper and isinstance(result, dict):
        result = result.get(wrapper)
    if result is None or result == {}:
        return []
    if not isinstance(result, list):
        raise errors.PortalProtocolError("a list method answered something that is not a list", method=method)
    return result


def check_order(rows: list[dict[str, Any]], last_id: int, id_field: str, method: str) -> int:
    """Guard against a method that ignores the filter or the order: it would loop forever."""
    for row in rows:
        try:
            current = int(row[id_field])
        except (KeyError, TypeError, ValueError):
            raise errors.PortalProtocolError(f"a row without a numeric {id_field}", method=method) from None
        if current <= last_id:
            raise errors.PortalProtocolError(
                f"{id_field} {current} came after {last_id}: the portal ignored the keyset filter or order",
                method=method,
            )
        last_id = current
    return last_id
