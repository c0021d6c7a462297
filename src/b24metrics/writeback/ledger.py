"""How long the write-back ledger keeps its rows.

Every value sent is a ledger row, and an open deal's age changes every day: without a limit the
ledger grows by the number of open deals each day, forever. Rows older than
`writeback.ledger_days` go, except those the write-back still reads: a value whose fate is
unknown ('sent', read back from the portal before the next diff) and the refusals a value has
had since it was last applied (they count its tries towards `max_tries`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import duckdb


def prune_ledger(con: duckdb.DuckDBPyConnection, days: int, *, now: datetime | None = None) -> int:
    """Delete the ledger rows older than `days` (0 keeps everything) that nothing reads any more;
    return how many went."""
    if days <= 0:
        return 0
    cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    return con.execute(
        """DELETE FROM writeback_ledger l
           WHERE l.written_at < ?
             AND (l.outcome IN ('applied', 'deferred')
                  OR (l.outcome IN ('rejected', 'permanent') AND EXISTS (
                      SELECT 1 FROM writeback_ledger a
                      WHERE a.entity = l.entity AND a.entity_id = l.entity_id AND a.field = l.field
                        AND a.outcome = 'applied' AND a.entry_id > l.entry_id)))""",
        [cutoff],
    ).fetchall()[0][0]
