"""Deletes: the portal's events for them are fire-and-forget, so the IDs are swept instead.

A sweep reads IDs only, by keyset (a few hundred bytes a row, 2,500 rows a request). Only a
sweep that reached the end marks anything: rows the warehouse has and the portal no longer
returns are marked deleted (soft: the row stays, `deleted` is true); a row that comes back
(restored from the recycle bin under its old ID) is live again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pyarrow as pa

from b24metrics.extract.streams import Stream
from b24metrics.portal import PortalClient, iter_pages
from b24metrics.warehouse import Warehouse, atomic

log = logging.getLogger(__name__)


@dataclass
class SweepResult:
    stream: str
    portal_ids: int = 0
    deleted: int = 0
    revived: int = 0


def sweepable(stream: Stream) -> bool:
    return stream.primary_key == ("id",) and stream.cursor == "modified"


def sweep_deletes(client: PortalClient, warehouse: Warehouse, stream: Stream) -> SweepResult:
    ids: list[int] = []
    for page in iter_pages(client, stream.method, select=[stream.id_field], filter=stream.filter,
                           id_field=stream.id_field, wrapper=stream.wrapper):
        ids.extend(int(row[stream.id_field]) for row in page.rows)
    # Reaching this line means the listing ran to its end: only now is absence evidence.
    result = SweepResult(stream.name, portal_ids=len(ids))
    seen = pa.table({"id": pa.array(ids, pa.int64())})
    with warehouse.connect() as con, atomic(con):
        con.register("_portal_ids", seen)
        result.deleted = len(con.execute(
            f"UPDATE {stream.table} SET deleted = true WHERE NOT deleted "
            f"AND id NOT IN (SELECT id FROM _portal_ids) RETURNING id"
        ).fetchall())
        result.revived = len(con.execute(
            f"UPDATE {stream.table} SET deleted = false WHERE deleted "
            f"AND id IN (SELECT id FROM _portal_ids) RETURNING id"
        ).fetchall())
        con.unregister("_portal_ids")
    log.info("%s: sweep saw %d IDs on the portal; %d marked deleted, %d back again",
             stream.name, result.portal_ids, result.deleted, result.revived)
    return result
