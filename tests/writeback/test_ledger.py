"""The ledger forgets old rows, but never one the write-back still reads."""

from datetime import datetime, timedelta, timezone

from b24metrics.warehouse import Warehouse
from b24metrics.writeback.ledger import prune_ledger

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
OLD, RECENT = NOW - timedelta(days=120), NOW - timedelta(days=10)

# (entity_id, field, new value, outcome, written at); entry IDs follow this order
ROWS = [
    (1, "G", "A", "applied", OLD),       # old and done: goes
    (1, "G", "B", "applied", RECENT),    # recent: stays
    (2, "G", "A", "deferred", OLD),      # the portal never answered; sent again since: goes
    (3, "G", "A", "sent", OLD),          # fate unknown, read back before the next diff: stays
    (4, "G", "A", "rejected", OLD),      # refused, then applied later: its tries are over, goes
    (4, "G", "A", "applied", OLD),       # applied long ago: goes
    (5, "G", "C", "rejected", OLD),      # refused and never applied since: both count as tries
    (5, "G", "C", "permanent", OLD),
    (5, "S", "C", "rejected", OLD),      # another field of the same lead: its own run of refusals
    (6, "G", "A", "rejected", OLD),      # refused, then applied later (a recent row): goes
    (6, "G", "B", "applied", RECENT),
]


def ledger(tmp_path):
    warehouse = Warehouse(tmp_path / "w.duckdb")
    warehouse.migrate()
    with warehouse.transaction() as con:
        for entity_id, field, value, outcome, at in ROWS:
            con.execute("INSERT INTO writeback_ledger (entity, entity_id, field, new_value, outcome, written_at) "
                        "VALUES ('lead', ?, ?, ?, ?, ?)", [entity_id, field, value, outcome, at])
    return warehouse


def kept(warehouse):
    with warehouse.connect(read_only=True) as con:
        return con.execute("SELECT entity_id, field, outcome FROM writeback_ledger ORDER BY entry_id").fetchall()


def test_old_rows_go_unless_still_read(tmp_path):
    warehouse = ledger(tmp_path)
    with warehouse.transaction() as con:
        assert prune_ledger(con, 90, now=NOW) == 5
    assert kept(warehouse) == [(1, "G", "applied"), (3, "G", "sent"), (5, "G", "rejected"),
                               (5, "G", "permanent"), (5, "S", "rejected"), (6, "G", "applied")]


def test_zero_days_and_a_long_limit_keep_everything(tmp_path):
    warehouse = ledger(tmp_path)
    with warehouse.transaction() as con:
        assert prune_ledger(con, 0, now=NOW) == 0
        assert prune_ledger(con, 365, now=NOW) == 0
    assert len(kept(warehouse)) == len(ROWS)
