"""The write-back's lease on the warehouse file (warehouse/lease.py): it lets go for a reader that
marks that it waits, at once when the write-back is only waiting for the portal, and takes the
file again, after the reader, before it writes the ledger again."""

import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import duckdb

from b24metrics.portal import BatchResponse
from b24metrics.portal.budget import OperatingBudget
from b24metrics.warehouse import lease as lease_module
from b24metrics.warehouse.lease import Lease, readers_mark
from b24metrics.writeback import push
from b24metrics.writeback.push import PushReport, push_plan


def test_a_lease_lets_go_for_a_waiting_reader_and_lets_it_in_before_taking_the_file_again(warehouse, monkeypatch):
    lease = Lease(warehouse)
    mark = readers_mark(warehouse.path)
    with lease.use() as con:
        con.execute("SELECT 1")
    assert lease.held and not lease.readers_wait()   # nobody waits: kept for the next step
    mark.touch()
    assert lease.readers_wait()                      # what the write-back asks while the portal answers
    lease.release()
    assert not lease.held and not lease.readers_wait()

    naps = []

    def nap(seconds):  # the reader meanwhile has the file, then takes its mark away
        naps.append(lease.held)
        mark.unlink()

    monkeypatch.setattr(lease_module, "time", SimpleNamespace(time=time.time, monotonic=time.monotonic, sleep=nap))
    with lease.use() as con:
        assert con.execute("SELECT count(*) FROM writeback_ledger").fetchall() == [(0,)]
    assert naps == [False] and lease.opened == 2     # waited, not holding the file, then opened it again


def test_a_step_with_a_reader_waiting_ends_by_letting_go(warehouse, monkeypatch):
    lease = Lease(warehouse)
    with lease.use():
        readers_mark(warehouse.path).touch()   # a reader came meanwhile
    assert not lease.held


class Portal:
    """Answers every update batch; the first is held (in flight) until `answer` is set."""

    def __init__(self):
        self.budget = OperatingBudget()
        self.in_flight, self.answer = threading.Event(), threading.Event()
        self.batches = []

    def batch(self, commands, *, halt=False):
        self.batches.append(sorted(commands))
        if len(self.batches) == 1:
            self.in_flight.set()
            assert self.answer.wait(60)
        return BatchResponse(results={key: True for key in commands}, errors={}, totals={}, nexts={}, times={},
                             time={})


READER = """
import sys
from b24metrics.warehouse import Warehouse
with Warehouse(sys.argv[1], busy_timeout=30).connect(read_only=True) as con:
    print(con.execute("SELECT outcome, count(*) FROM writeback_ledger GROUP BY ALL").fetchall())
"""


def test_a_reader_gets_the_file_while_a_batch_is_in_flight_and_nothing_is_written_twice(
        warehouse, tmp_path, monkeypatch):
    """No idle_after: only the reader's mark makes the write-back let go while the portal has its
    batch (before, it held the file until the answer came). The reader sees the batch's values
    'sent', committed before it went out; afterwards every value is in the ledger once, applied."""
    monkeypatch.setattr(push._Sender, "idle_after", None)
    plan = tmp_path / "plan.parquet"
    duckdb.sql(
        "SELECT * FROM (VALUES (1, 'lead', 11, 'UF_A', NULL, '5', 0), (2, 'lead', 12, 'UF_A', NULL, '6', 0)) "
        f"t(rec_no, entity, entity_id, field, old_value, new_value, tries)").write_parquet(str(plan))
    portal = Portal()
    report = PushReport()
    failures = []

    def write_back():
        try:
            push_plan(portal, warehouse, report, plan, 2, batch_size=1, workers=1)
        except BaseException as exc:  # pragma: no cover (shown by the assertion below)
            failures.append(exc)

    writer = threading.Thread(target=write_back)
    writer.start()
    try:
        assert portal.in_flight.wait(60)
        reader = subprocess.run([sys.executable, "-c", READER, str(warehouse.path)], capture_output=True, text=True,
                                timeout=120)
        assert not portal.answer.is_set() and writer.is_alive()   # the first batch is still unanswered
    finally:
        portal.answer.set()
        writer.join(60)
    assert reader.returncode == 0, reader.stderr
    assert reader.stdout.strip() == "[('sent', 1)]"
    assert not failures and not writer.is_alive()
    assert portal.batches == [["l11"], ["l12"]] and report.applied == {("lead", "UF_A"): 2}
    with warehouse.connect(read_only=True) as con:
        rows = con.execute("SELECT entity_id, new_value, outcome FROM writeback_ledger ORDER BY entry_id").fetchall()
    assert rows == [(11, "5", "applied"), (12, "6", "applied")]
