"""The run records as `b24metrics status` reads them."""

from b24metrics.warehouse import Warehouse, finish_run, last_runs, start_run


def test_last_runs_are_the_newest_first_finished_or_not(tmp_path):
    wh = Warehouse(tmp_path / "wh.duckdb")
    wh.migrate()
    first, second, third = start_run(wh, "sync"), start_run(wh, "cycle"), start_run(wh, "writeback")
    finish_run(wh, second, status="failed", rows=12, requests=3, error="portal unavailable")
    with wh.connect(read_only=True) as con:
        runs = last_runs(con, 2)
        everything = last_runs(con)
    assert [r.run_id for r in runs] == [third, second]
    assert (runs[0].status, runs[0].finished_at, runs[0].rows_loaded) == ("running", None, None)
    newest_finished = runs[1]
    assert (newest_finished.kind, newest_finished.status, newest_finished.rows_loaded, newest_finished.requests,
            newest_finished.error) == ("cycle", "failed", 12, 3, "portal unavailable")
    assert newest_finished.finished_at >= newest_finished.started_at
    assert [r.run_id for r in everything] == [third, second, first]
