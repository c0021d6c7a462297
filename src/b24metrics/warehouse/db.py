"""The DuckDB file: short-lived connections, UTC sessions, alembic migrations, one writer.

SQLAlchemy and alembic own the schema; bulk rows go through Arrow on the raw DuckDB
connection taken from the same engine (a second, plain duckdb.connect on the same file in one
process fails while the engine's is open). No pooled engine stays open: DuckDB lets one process
hold the file. Readers (read-only connections, the schema revision) use DuckDB alone, with the
settings the engine would pass, and never import SQLAlchemy or alembic: `status` and `kpi` start
in a fraction of the time.
"""

from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, TypeVar, cast

import duckdb

import b24metrics
from b24metrics.errors import WarehouseBusy, WarehouseTooNew
from b24metrics.warehouse.problems import as_warehouse_error, check_is_duckdb
from b24metrics.warehouse.writer_lock import busy_text

T = TypeVar("T")

if TYPE_CHECKING:
    import sqlalchemy as sa
    from alembic.config import Config

    from b24metrics.config import Settings

log = logging.getLogger(__name__)

#: The schema revisions of migrations/versions, oldest first (tests/test_warehouse.py holds this to
#: alembic's own walk of the scripts): the newest is what a warehouse is upgraded to, and a revision
#: not here was written by a newer b24metrics. Known without importing alembic, for the readers.
REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010", "0011", "0012",
             "0013", "0014", "0015", "0016")

#: How long a reader that found the file taken sleeps before it tries again: a write-back's lease
#: looks for waiting readers as often (lease.py), and a failed open costs about 5 ms (measured).
_READER_PAUSE = 0.05

#: No extension is fetched or loaded behind our back: a file DuckDB takes for another format would
#: make it download a reader from the network.
_CONNECT_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}

#: SQLAlchemy's pool logs under its class's name (tests/test_warehouse_problems.py checks this one
#: against sqlalchemy.pool.NullPool): named here so that the filter is in place before the first engine.
_POOL_LOGGER = "sqlalchemy.pool.impl.NullPool"


class _NoInterruptRecords(logging.Filter):
    """SQLAlchemy's pool logs with a traceback whatever stops it resetting or closing a connection,
    then raises it on when it is no Exception. DuckDB checkpoints as its last connection closes, so
    a Ctrl-C often lands there: the KeyboardInterrupt goes on to end the command as interrupted
    (exit 130), and the pool's traceback of it is noise on the user's terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        # once redact.install has run the record's exc_info is already text; the pool logs inside
        # its except clause, so the exception it handles is still at hand
        logged = record.exc_info[1] if isinstance(record.exc_info, tuple) else None
        return not isinstance(logged, KeyboardInterrupt) and not isinstance(sys.exc_info()[1], KeyboardInterrupt)


logging.getLogger(_POOL_LOGGER).addFilter(_NoInterruptRecords())


def migrations_dir() -> Path:
    """Inside an installed wheel, or at the repository root in a source checkout."""
    package = Path(b24metrics.__file__).resolve().parent
    for candidate in (package / "_migrations", package.parent.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("alembic migrations not found next to the package")


class Warehouse:
    def __init__(self, path: Path | str, *, busy_timeout: float = 10.0, memory_limit: str | None = None) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.memory_limit = memory_limit
        # id(connection) -> (setting, value) of the memory limit a step set on it (set_memory_limit)
        self._memory_settings: dict[int, tuple[str, str]] = {}

    def _engine(self) -> sa.Engine:
        import sqlalchemy as sa
        from sqlalchemy.pool import NullPool

        args: dict = {"config": dict(_CONNECT_CONFIG)}
        return sa.create_engine(f"duckdb:///{self.path}", poolclass=NullPool, connect_args=args)

    def _session(self) -> list[str]:
        """What every connection starts with, however it was opened."""
        return ["SET TimeZone='UTC'"] + ([f"SET memory_limit='{self.memory_limit}'"] if self.memory_limit else [])

    def _open_retrying(self, open_: Callable[[], T], errors: type[Exception] | tuple[type[Exception], ...],
                       wait: Callable[[], None]) -> T:
        """open_() until it opens, waiting (wait()) while another process holds the file, for at
        most warehouse.busy_timeout seconds; then, or on any other error, one typed error."""
        deadline = time.monotonic() + self.busy_timeout
        while True:
            try:
                return open_()
            except errors as exc:
                locked = "lock" in str(exc).lower()
                if not locked or time.monotonic() >= deadline:
                    if locked:
                        raise WarehouseBusy(busy_text(self.path, str(exc))) from None
                    raise as_warehouse_error(exc, self.path) or exc
                wait()

    @contextmanager
    def _sa_connection(self) -> Iterator[sa.Connection]:
        """A read-write connection through SQLAlchemy, as alembic needs one (read-only ones:
        _read_only_connection)."""
        import sqlalchemy as sa

        check_is_duckdb(self.path)
        engine = self._engine()
        pause = 0.05

        def wait() -> None:
            nonlocal pause
            time.sleep(pause)
            pause = min(pause * 2, 0.25)   # short pauses: a writer lets the file go between its steps

        try:
            conn = self._open_retrying(engine.connect, sa.exc.DBAPIError, wait)
            try:
                for statement in self._session():
                    conn.exec_driver_sql(statement)
                yield conn
            finally:
                conn.close()
        finally:
            engine.dispose()

    @contextmanager
    def _read_only_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection from DuckDB alone, opened as _sa_connection opens one: it retries
        while a writer holds the file and marks that it waits, then sets the session up the same way."""
        check_is_duckdb(self.path)

        def wait() -> None:
            _mark_waiting(self.path)  # a write-back's lease lets go and waits for us (lease.py)
            # the same short pause every time: a write-back lets the file go within a moment
            # of seeing the mark, and takes it again once the mark is gone or stale
            time.sleep(_READER_PAUSE)

        con = self._open_retrying(
            lambda: duckdb.connect(str(self.path), read_only=True, config=dict(_CONNECT_CONFIG)), duckdb.Error, wait)
        _unmark_waiting(self.path)
        try:
            for statement in self._session():
                con.execute(statement)
            yield con
        finally:
            con.close()

    @contextmanager
    def connect(self, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A raw DuckDB connection for one unit of work; closed on exit."""
        if read_only and not self.path.exists():
            raise FileNotFoundError(f"no warehouse at {self.path}: run `b24metrics sync` first")
        with self._raw_connection(read_only) as con:
            try:
                yield con
            except Exception as exc:  # out of memory, a full disk, a read-only file, Ctrl-C inside a query: typed
                memory = self._memory_settings.get(id(con), ("warehouse.memory_limit", self.memory_limit or ""))
                typed = as_warehouse_error(exc, self.path, memory=memory)
                if typed is None:
                    raise
                raise typed from exc
            finally:
                self._memory_settings.pop(id(con), None)

    @contextmanager
    def _raw_connection(self, read_only: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only:
            with self._read_only_connection() as con:
                yield con
            return
        with self._sa_connection() as conn:
            conn.commit()  # end SQLAlchemy's implicit transaction; we manage our own
            yield cast(duckdb.DuckDBPyConnection, conn.connection.driver_connection)

    def set_memory_limit(self, con: duckdb.DuckDBPyConnection, setting: str, value: str) -> None:
        """Give a step on `con` the memory limit of `setting` (kpis.memory_limit for whole-table
        work): running out of it then names that setting, not warehouse.memory_limit."""
        con.execute(f"SET memory_limit = '{value}'")
        self._memory_settings[id(con)] = (setting, value)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection of its own whose work commits together or not at all."""
        with self.connect() as con, atomic(con):
            yield con

    # -- schema -----------------------------------------------------------------------------

    def _alembic(self, conn: sa.Connection) -> Config:
        from alembic.config import Config

        import b24metrics.warehouse.alembic_duckdb  # noqa: F401  (registers alembic's DuckDB dialect)

        cfg = Config()
        cfg.set_main_option("script_location", str(migrations_dir()))
        cfg.attributes["connection"] = conn
        return cfg

    def revision(self, con: duckdb.DuckDBPyConnection | None = None) -> str | None:
        """The schema revision alembic stamped the file with (None: no file, or not made by us yet),
        read as alembic's MigrationContext.get_current_revision reads it; on `con` when given."""
        if con is None:
            if not self.path.exists():
                return None
            with self._read_only_connection() as opened:
                return self.revision(opened)
        if not con.execute("SELECT 1 FROM information_schema.tables WHERE table_name = 'alembic_version' "
                           "AND table_schema = current_schema()").fetchall():
            return None
        rows = con.execute("SELECT version_num FROM alembic_version").fetchall()
        if len(rows) > 1:
            raise RuntimeError("Version table 'alembic_version' has more than one head present")
        return cast(str, rows[0][0]) if rows else None

    def head(self) -> str | None:
        return REVISIONS[-1]

    @contextmanager
    def connect_current(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the file at the newest schema: migrate() then
        connect(read_only=True), except that a file already at the newest schema is checked on the
        connection then used. Beside a write-back every open may wait for the writer's step (lease.py),
        so a reader opens the file once."""
        if self.path.exists():
            with self.connect(read_only=True) as con:
                if self.revision(con) == self.head():
                    yield con
                    return
        self.migrate()
        with self.connect(read_only=True) as con:
            yield con

    def migrate(self) -> bool:
        """Create or upgrade the file to the newest schema; True when something changed."""
        # A file already at head is checked read-only: readers (status, kpi) then never take the
        # write lock, so they share the file with each other and block a writer only briefly.
        if self.path.exists():
            current = self.revision()
            if current == self.head():
                return False
            self._refuse_unknown(current)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise as_warehouse_error(exc, self.path) or exc
        from alembic import command

        with self._sa_connection() as conn:
            # again under the write lock: another process may have upgraded it meanwhile
            before = self.revision(cast(duckdb.DuckDBPyConnection, conn.connection.driver_connection))
            if before == self.head():
                return False
            self._refuse_unknown(before)
            try:
                command.upgrade(self._alembic(conn), "head")
                conn.commit()
            except Exception as exc:
                raise as_warehouse_error(exc, self.path) or exc
        log.info("warehouse %s upgraded from %s to %s", self.path.name, before or "nothing", self.head())
        return True

    def _refuse_unknown(self, revision: str | None) -> None:
        """A revision our migrations do not hold was written by a newer b24metrics: upgrading
        "to head" from it is impossible, and writing it with an older schema in mind unsafe."""
        if revision is None:
            return
        if revision not in REVISIONS:
            raise WarehouseTooNew(
                f"the warehouse {self.path} is at schema revision {revision}, which b24metrics "
                f"{b24metrics.__version__} does not know (its newest is {self.head()}): a newer b24metrics "
                "made or upgraded it; run that version, or point warehouse.path at another file")


def warehouse_of(settings: Settings) -> Warehouse:
    """The configured warehouse, as it is: for readers that must not create or upgrade it."""
    w = settings.warehouse
    return Warehouse(w.path, memory_limit=w.memory_limit, busy_timeout=w.busy_timeout)


def open_warehouse(settings: Settings) -> Warehouse:
    """The warehouse, created or upgraded to the newest schema on first touch (a file already
    at the newest schema is only read to check that)."""
    warehouse = warehouse_of(settings)
    warehouse.migrate()
    return warehouse


def _mark_waiting(path: Path) -> None:
    try:
        path.with_name(path.name + ".readers").touch()
    except OSError:
        pass  # a read-only directory: the reader waits as before


def _unmark_waiting(path: Path) -> None:
    try:
        path.with_name(path.name + ".readers").unlink(missing_ok=True)
    except OSError:
        pass


@contextmanager
def atomic(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction on an open connection: everything inside commits or nothing does."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def missing_tables(con: duckdb.DuckDBPyConnection, names: Iterable[str]) -> list[str]:
    """Those of `names` the warehouse has no table or view of, sorted (a KPI table before the first refresh)."""
    present = {name for (name,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return sorted(set(names) - present)
