"""A DuckDB query stopped by Ctrl-C is an interruption, not an internal error, and the machine's
IO errors are typed. DuckDB stops a query on SIGINT with RuntimeError("Query interrupted") (how the
KPI refresh met it from the command line: tests/e2e/test_environment_errors.py), or, asked by
connection.interrupt(), with InterruptException; the latter is landed here for sure, while the
query is known to be running."""

import threading
import time
from unittest import mock

import duckdb
import pytest

from b24metrics import pipeline
from b24metrics.errors import DiskFull, Interrupted, WarehouseReadOnly
from b24metrics.warehouse import Warehouse, as_warehouse_error, is_interrupt, last_runs

ENDLESS = "SELECT count(*) FROM range(1000000000000) a"


def test_an_interrupted_query_is_interrupted_and_the_run_recorded_so(tmp_path):
    warehouse = Warehouse(tmp_path / "wh.duckdb")
    warehouse.migrate()
    client = mock.Mock()
    client.stats.since.return_value = mock.Mock(requests=0, rate_limited=0, retries=0, time_limited=0)
    running = threading.Event()

    def stop_it(con: duckdb.DuckDBPyConnection) -> None:
        running.wait(30)
        time.sleep(0.3)  # the query has entered DuckDB by now; it would run for hours
        con.interrupt()

    with pytest.raises(Interrupted):
        with pipeline.recorded_run(warehouse, client, "sync"):
            with warehouse.connect() as con:
                threading.Thread(target=stop_it, args=(con,), daemon=True).start()
                running.set()
                con.execute(ENDLESS)
    with warehouse.connect(read_only=True) as con:
        assert [r.status for r in last_runs(con)] == ["interrupted"]


def test_ctrl_c_in_a_query_is_told_from_a_bug():
    assert is_interrupt(RuntimeError("Query interrupted"))
    assert not is_interrupt(RuntimeError("Query interrupted by a bug of ours, somehow"))


@pytest.mark.parametrize("text, kind", [
    ('IO Error: Could not write file "x.duckdb.wal": No space left on device', DiskFull),
    ('IO Error: Could not truncate file "x.duckdb": File too large', DiskFull),
    ('IO Error: Cannot open file "x.duckdb": Permission denied', WarehouseReadOnly),
    ('IO Error: Cannot open file "x.duckdb": Read-only file system', WarehouseReadOnly),
])
def test_duckdb_io_errors_become_typed(text, kind, tmp_path):
    typed = as_warehouse_error(duckdb.IOException(text), tmp_path / "x.duckdb")
    assert isinstance(typed, kind) and str(tmp_path / "x.duckdb") in str(typed)


def test_a_bug_stays_a_bug(tmp_path):
    assert as_warehouse_error(RuntimeError("something else"), tmp_path / "x.duckdb") is None
    assert as_warehouse_error(KeyError("leads"), tmp_path / "x.duckdb") is None


def test_ctrl_c_while_a_connection_closes_leaves_no_traceback_on_stderr():
    """SQLAlchemy's pool logs an error with the traceback when closing a connection is
    interrupted, then lets the interrupt go on: the command says "interrupted" in one line.
    (The filter is asked directly: other tests' logging setups may silence this logger.)"""
    import logging
    import sys

    import b24metrics.warehouse.db  # noqa: F401  (installs the filter)
    from b24metrics import redact

    redact.install()   # as every command runs: a record's exception becomes text as it is made

    from sqlalchemy.pool import NullPool

    from b24metrics.warehouse.db import _POOL_LOGGER

    # db.py names the logger without importing SQLAlchemy (the readers never do): the pool's own
    assert _POOL_LOGGER == f"{NullPool.__module__}.{NullPool.__name__}"
    pool = logging.getLogger(_POOL_LOGGER)
    kept = []
    for error in (KeyboardInterrupt(), OSError("a real failure to close")):
        try:
            raise error
        except BaseException:
            record = pool.makeRecord(pool.name, logging.ERROR, __file__, 0, "Exception closing connection", (),
                                     sys.exc_info())
            # asked inside the except clause, as the pool logs; the record's exc_info may already be
            # text when another test installed the redaction (redact.install)
            if pool.filter(record):
                kept.append(type(error).__name__)
    assert kept == ["OSError"]
