"""Values that name no entry of their dictionary (an unknown status, stage or source).

The row stays: only the value goes to quarantine, with the dictionary it was looked up in. The
check runs over whole tables after each sync, so a value that resolves later (its status was
added, or the record was fixed) leaves quarantine on the next sync. A dictionary the warehouse
holds no entry of at all (statuses never synced) is not checked: every value would look unknown.
"""

from __future__ import annotations

import duckdb

from b24metrics.extract.streams import Stream
from b24metrics.warehouse import atomic

UNKNOWN = "unknown value: not in "


def _dictionary_of(dictionary: str) -> str:
    if dictionary == "DEAL_STAGE":
        return "CASE WHEN coalesce(t.category_id, 0) = 0 THEN 'DEAL_STAGE' ELSE 'DEAL_STAGE_' || t.category_id END"
    return f"'{dictionary}'"


def check_references(con: duckdb.DuckDBPyConnection, streams: list[Stream]) -> dict[str, int]:
    """Quarantine every unresolved reference of these streams; return how many each has now."""
    counts: dict[str, int] = {}
    with atomic(con):
        for stream in streams:
            counts[stream.name] = 0
            for column, dictionary in stream.references:
                field = next(c.source for c in stream.columns if c.name == column)
                con.execute("DELETE FROM quarantine WHERE entity = ? AND field = ? AND starts_with(error, ?)",
                            [stream.entity, field, UNKNOWN])
                known = con.execute("SELECT count(*) FROM statuses WHERE starts_with(entity_id, ?) AND NOT deleted",
                                    [dictionary]).fetchall()[0][0]
                if not known:
                    continue
                entry = _dictionary_of(dictionary)
                counts[stream.name] += len(con.execute(
                    f"""
                    INSERT OR REPLACE INTO quarantine (entity, id, field, raw_value, error, seen_at)
                    SELECT ?, CAST(t.id AS VARCHAR), ?, t.{column}, ? || {entry}, now()
                    FROM {stream.table} t
                    WHERE NOT t.deleted AND coalesce(t.{column}, '') <> ''
                      AND NOT EXISTS (SELECT 1 FROM statuses d
                                      WHERE d.entity_id = {entry} AND d.status_id = t.{column} AND NOT d.deleted)
                    RETURNING id
                    """,
                    [stream.entity, field, UNKNOWN],
                ).fetchall())
    return counts
