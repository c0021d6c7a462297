"""Keyset listing: order ID ASC, filter >ID, start=-1, pages chained inside one batch.

Offsets and total counts are what make big portals slow; a keyset page costs the same at any
depth. One request learns whether there is more than a page; after that each batch chains
up to 50 pages through `$result[pN][49][ID]`, 2,500 rows per HTTP request.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from b24metrics import errors
from b24metrics.portal.client import MAX_BATCH, PortalClient

PAGE = 50


def iter_pages(
    client: PortalClient,
    method: str,
    *,
    select: list[str] | None = None,
    filter: Mapping[str, Any] | None = None,
    id_field: str = "ID",
    wrapper: str | None = None,
    after_id: int = 0,
    pages_per_batch: int = MAX_BATCH,
) -> Iterator[list[dict[str, Any]]]:
    """Yield pages of rows in ascending ID order, each row exactly once.

    `wrapper` names the key that holds the rows for methods that answer {"items": [...]}.
    """
    last_id = after_id
    first = True
    while True:
        count = 1 if first else pages_per_batch
        commands = {
            f"p{i}": (method, _params(select, filter, id_field, last_id if i == 0 else _ref(i, wrapper, id_field)))
            for i in range(count)
        }
        if first:
            name, params = commands["p0"]
            pages = [_rows(client.call(name, params).result, wrapper, method)]
        else:
            reply = client.batch(commands, halt=True)
            if reply.errors:
                raise next(iter(reply.errors.values()))
            pages = [_rows(reply.results.get(f"p{i}"), wrapper, method) for i in range(count)]
        first = False
        for rows in pages:
            last_id = _check_order(rows, last_id, id_field, method)
            if rows:
                yield rows
            if len(rows) < PAGE:
                # Commands after a short page referred to a row that does not exist: whatever
                # they returned is not part of this listing.
                return


def _params(select, filter, id_field: str, after: Any) -> dict[str, Any]:
    flt = dict(filter or {})
    flt[f">{id_field}"] = after
    params: dict[str, Any] = {"order": {id_field: "ASC"}, "filter": flt, "start": -1}
    if select:
        params["select"] = list(select)
    return params


def _ref(index: int, wrapper: str | None, id_field: str) -> str:
    inner = f"[{wrapper}]" if wrapper else ""
    return f"$result[p{index - 1}]{inner}[{PAGE - 1}][{id_field}]"


def _rows(result: Any, wrapper: str | None, method: str) -> list[dict[str, Any]]:
    if wrapper and isinstance(result, dict):
        result = result.get(wrapper)
    if result is None or result == {}:
        return []
    if not isinstance(result, list):
        raise errors.PortalProtocolError("a list method answered something that is not a list", method=method)
    return result


def _check_order(rows: list[dict[str, Any]], last_id: int, id_field: str, method: str) -> int:
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
