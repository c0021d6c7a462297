import subprocess
import sys

import duckdb
import pyarrow as pa
import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from b24metrics.errors import WarehouseBusy, WarehouseTooNew
from b24metrics.warehouse import Warehouse
from b24metrics.warehouse.db import REVISIONS, migrations_dir
from b24metrics.warehouse.load import upsert


def _tables(wh):
    with wh.connect() as con:
        return {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def test_migrations_create_upgrade_idempotently_and_reverse(tmp_path):
    wh = Warehouse(tmp_path / "new" / "wh.duckdb")
    assert wh.revision() is None
    assert wh.migrate() is True and wh.migrate() is False
    assert wh.revision() == wh.head()
    assert {"leads", "companies", "statuses", "raw_records", "sync_state", "lead_grades"} <= _tables(wh)
    with wh._sa_connection() as conn:
        command.downgrade(wh._alembic(conn), "base")
        conn.commit()
    assert _tables(wh) == {"alembic_version"}


def test_the_kpi_calls_table_of_an_older_refresh_makes_way_for_the_view(tmp_path):
    wh = Warehouse(tmp_path / "wh.duckdb")
    with wh._sa_connection() as conn:
        command.upgrade(wh._alembic(conn), "0008")
        conn.commit()
    with wh.connect() as con:
        con.execute("CREATE TABLE kpi_calls (call_id BIGINT)")
    assert wh.migrate() is True and "kpi_calls" not in _tables(wh)
    with wh.connect() as con:   # at head, a view of that name is left alone by a rerun
        con.execute("CREATE VIEW kpi_calls AS SELECT 1 AS call_id")
        con.execute("DELETE FROM alembic_version")
        con.execute("INSERT INTO alembic_version VALUES ('0008')")
    assert wh.migrate() is True and "kpi_calls" in _tables(wh)


def test_companies_synced_before_the_own_company_flag_are_read_again_in_full(tmp_path):
    """The flag was not asked for before 0012: the companies' watermark goes, the next pass is full."""
    wh = Warehouse(tmp_path / "wh.duckdb")
    with wh._sa_connection() as conn:
        command.upgrade(wh._alembic(conn), "0011")
        conn.commit()
    with wh.connect() as con:
        con.execute("INSERT INTO sync_state (stream, complete, since) VALUES "
                    "('companies', true, TIMESTAMPTZ '2026-12-01 00:00:00+00'), "
                    "('leads', true, TIMESTAMPTZ '2026-12-01 00:00:00+00')")
    assert wh.migrate() is True
    with wh.connect() as con:
        assert con.execute("SELECT stream, since IS NULL FROM sync_state ORDER BY stream").fetchall() == [
            ("companies", True), ("leads", False)]
        assert con.execute("SELECT count(*) FROM information_schema.columns "
                           "WHERE table_name = 'companies' AND column_name = 'is_my_company'").fetchall() == [(1,)]


def test_upsert_replaces_by_key_and_keeps_the_last_duplicate(warehouse):
    schema = pa.schema([("id", pa.int64()), ("title", pa.string())])
    with warehouse.connect() as con:
        upsert(con, "leads", ["id"], pa.Table.from_pylist([{"id": 1, "title": "old"}, {"id": 2, "title": "two"}], schema))
        upsert(con, "leads", ["id"], pa.Table.from_pylist([{"id": 1, "title": "first"}, {"id": 1, "title": "last"}], schema))
        rows = con.execute("SELECT id, title FROM leads ORDER BY id").fetchall()
    assert rows == [(1, "last"), (2, "two")]


def test_a_second_writer_gets_a_clear_message_not_a_traceback(warehouse):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(60)",
         str(warehouse.path)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        busy = Warehouse(warehouse.path, busy_timeout=0.3)
        with pytest.raises(WarehouseBusy) as caught:
            with busy.connect():
                pass
        assert "in use by another b24metrics process" in str(caught.value)
        assert f"PID {holder.pid}" in str(caught.value)
    finally:
        holder.kill()
        holder.wait()


def test_the_grade_at_entry_of_leads_graded_before_it_is_their_first_history_row(tmp_path):
    wh = Warehouse(tmp_path / "wh.duckdb")
    with wh._sa_connection() as conn:
        command.upgrade(wh._alembic(conn), "0009")
        conn.commit()
    with wh.connect() as con:
        con.execute("INSERT INTO leads (id, status_semantic_id, date_closed) VALUES "
                    "(1, 'P', NULL), (2, 'F', '2026-03-01 00:00+00'), (3, 'S', '2026-01-01 00:00+00')")
        con.execute("""INSERT INTO lead_grade_history VALUES
            (1, '2026-02-01 00:00+00', NULL, 'C', NULL, 30, 'first'),
            (1, '2026-02-05 00:00+00', 'C', 'B', 30, 45, 'second'),
            (2, '2026-02-01 00:00+00', NULL, 'D', NULL, 5, 'closed after'),
            (3, '2026-02-01 00:00+00', NULL, 'A', NULL, 70, 'closed before')""")
    assert wh.migrate() is True
    with wh.connect() as con:
        rows = con.execute("SELECT lead_id, grade, score, factors, open_at_grading FROM lead_grade_at_entry "
                           "ORDER BY lead_id").fetchall()
    # still open; junked after it was graded; converted before: graded from history
    assert rows == [(1, "C", 30, "first", True), (2, "D", 5, "closed after", True), (3, "A", 70, "closed before", False)]


def test_the_revisions_known_without_alembic_are_alembics_own():
    """db.REVISIONS lets the readers check the schema without importing alembic: a new migration
    that is not added there fails here, not in a warehouse that would be taken for a newer one's."""
    scripts = ScriptDirectory(str(migrations_dir()))
    assert [script.revision for script in reversed(list(scripts.walk_revisions()))] == list(REVISIONS)
    assert Warehouse("unused.duckdb").head() == scripts.get_current_head()


def test_the_revision_read_without_alembic_is_what_alembic_reads(tmp_path):
    wh = Warehouse(tmp_path / "wh.duckdb")
    duckdb.connect(str(wh.path)).close()   # a DuckDB file b24metrics has not touched yet

    import b24metrics.warehouse.alembic_duckdb  # noqa: F401  (alembic's DuckDB dialect, which migrate() loads)

    def alembics() -> str | None:
        with wh._sa_connection() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    assert wh.revision() is None and alembics() is None
    with wh._sa_connection() as conn:
        command.upgrade(wh._alembic(conn), "0008")
        conn.commit()
    assert wh.revision() == alembics() == "0008"
    assert wh.migrate() is True and wh.revision() == alembics() == REVISIONS[-1]
    with wh.connect() as con:   # stamped by a newer b24metrics
        con.execute("UPDATE alembic_version SET version_num = '9999'")
    assert wh.revision() == alembics() == "9999"
    with pytest.raises(WarehouseTooNew, match="9999"):
        wh.migrate()


def test_a_reader_waits_for_a_writer_and_says_so(warehouse):
    """A read-only connection retries while another process holds the file, marks that it waits
    (a write-back lets go for it, lease.py), and gives up after busy_timeout naming the holder."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); "
         "sys.stdin.readline(); c.close(); print('let go', flush=True); time.sleep(60)",
         str(warehouse.path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    marker = warehouse.path.with_name(warehouse.path.name + ".readers")
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseBusy) as caught:
            with Warehouse(warehouse.path, busy_timeout=0.3).connect(read_only=True):
                pass
        assert f"PID {holder.pid}" in str(caught.value) and marker.exists()
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "let go"
        with Warehouse(warehouse.path, busy_timeout=5).connect(read_only=True) as con:
            assert con.execute("SELECT current_setting('TimeZone')").fetchone() == ("UTC",)
            with pytest.raises(duckdb.Error, match="read-only"):
                con.execute("CREATE TABLE t (x INT)")
        assert not marker.exists()
    finally:
        holder.kill()
        holder.wait()


def test_a_reader_opens_a_current_warehouse_once_and_upgrades_an_older_one_first(tmp_path, monkeypatch):
    """connect_current: a file at the newest schema is checked on the read-only connection the
    reader then uses (beside a write-back each open may wait its turn); an older one is upgraded."""
    wh = Warehouse(tmp_path / "wh.duckdb")
    with wh._sa_connection() as conn:
        command.upgrade(wh._alembic(conn), "0008")
        conn.commit()
    opens = []
    read_only = Warehouse._read_only_connection

    def counted(self):
        opens.append(self.path)
        return read_only(self)

    monkeypatch.setattr(Warehouse, "_read_only_connection", counted)
    with wh.connect_current() as con:
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(REVISIONS[-1],)]
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("CREATE TABLE t (x INT)")
    assert len(opens) == 3   # the check, migrate()'s own check, then the connection read with
    opens.clear()
    monkeypatch.setattr(Warehouse, "migrate", lambda self: pytest.fail("a current file is not migrated"))
    with wh.connect_current() as con:
        assert con.execute("SELECT count(*) FROM leads").fetchall() == [(0,)]
    assert len(opens) == 1
