"""Every SQL file's header (b24metrics/sqlfiles.py) says what the file really reads and makes;
a KPI refresh makes each of those reads before it happens; and every `-- per item:` marker is
picked up by the incremental refresh."""

from __future__ import annotations

import re
import sys
from contextlib import contextmanager
from typing import Any

import pytest

from b24metrics.config import load_settings
from b24metrics.kpis import incremental, unchanged
from b24metrics.kpis.refresh import refresh_kpis, sql_steps
from b24metrics.warehouse import Warehouse

from tests.kpis import sqlscan

WEBHOOK = "https://portal.example/rest/1/secret/"
FILES = sqlscan.files()
KNOWN = sqlscan.known()
REFRESH_FILES = [file for _, group in sql_steps() for file in group]


@pytest.mark.parametrize("key", list(FILES), ids=[name for _, name in FILES])
def test_the_header_says_what_the_file_reads_and_makes(key):
    text = FILES[key]
    head = sqlscan.header(text)
    assert sorted(head.makes) == sorted(sqlscan.file_makes(text)), "-- makes: differs from what the SQL creates"
    assert sorted(head.reads | head.reads_last) == sorted(sqlscan.file_reads(text, KNOWN)), \
        "-- reads: differs from what the SQL reads of what other files and Python make"
    assert not head.reads & head.reads_last


def test_a_file_reads_the_last_refresh_only_of_the_tables_an_incremental_refresh_needs():
    """scope.sql runs before anything is rebuilt: what it reads must be a per-item table, which
    an incremental refresh requires to exist (incremental.full_reason)."""
    per_item = set(incremental.per_item_tables(REFRESH_FILES))
    last = {(name, table) for (_, name), text in FILES.items() for table in sqlscan.header(text).reads_last}
    assert last and {table for _, table in last} <= per_item
    assert {name for name, _ in last} == {"scope.sql"}


def test_each_name_has_one_maker():
    """A table, view or macro is made by one file or one Python definer, not declared again
    wherever it is read (the input tables: kpis/inputs.py only)."""
    makers: dict[str, list[str]] = {}
    for (_, name), text in FILES.items():
        for made in sqlscan.file_makes(text):
            makers.setdefault(made, []).append(name)
    for module, names in sqlscan.DEFINERS.items():
        for made in names:
            makers.setdefault(made, []).append(module)
    assert {name: who for name, who in makers.items() if len(who) > 1} == {}
    assert {"input_spend", "input_rates", "input_plan", "input_clock", "input_tracking"} <= set(makers)


# -- the order a refresh runs them in -------------------------------------------------------


def _definer() -> str:
    """The module of the innermost b24metrics function up the stack: who runs a statement."""
    frame = sys._getframe(2)
    while frame is not None and not frame.f_globals.get("__name__", "").startswith("b24metrics."):
        frame = frame.f_back
    return frame.f_globals["__name__"] if frame is not None else "?"


class _Traced:
    """A DuckDB connection that logs each statement it runs, and who ran it."""

    def __init__(self, con: Any, log: list[tuple[str, str, set[str]]]) -> None:
        self._con = con
        self._log = log

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def execute(self, query: str, *args: Any) -> Any:
        who = _definer()
        for statement in sqlscan.split(query):
            self._log.append((statement, who, sqlscan.makes(statement)))
        return self._con.execute(query, *args)

    def register(self, name: str, relation: Any) -> Any:
        self._log.append((f"-- register {name}", _definer(), {name}))
        return self._con.register(name, relation)


def _norm(statement: str) -> str:
    return statement.strip().rstrip(";").strip()


FILE_OF = {_norm(s): name for (_, name), text in FILES.items() for s in sqlscan.statements(text)}


@pytest.fixture(scope="module")
def traces(tmp_path_factory):
    """What a first (full) refresh of a new warehouse runs, then what an incremental one runs,
    each with the persistent objects the warehouse held before it."""
    warehouse = Warehouse(tmp_path_factory.mktemp("trace") / "wh.duckdb")
    warehouse.migrate()
    settings = load_settings(read_file=False, portal={"webhook_url": WEBHOOK})
    connect = warehouse.connect
    runs = []

    @contextmanager
    def traced(**kw):
        with connect(**kw) as con:
            yield _Traced(con, runs[-1][1])

    for _ in range(2):
        with connect() as con:
            if runs:    # else nothing changed for attribution.sql and the refresh skips it (kpis/unchanged.py)
                con.execute(f"COMMENT ON TABLE {unchanged.KEYED_TABLE} IS NULL")
            before = {r[0] for r in con.execute(
                "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views() "
                "WHERE NOT internal UNION ALL SELECT function_name || '()' FROM duckdb_functions() "
                "WHERE function_type = 'macro' AND NOT internal").fetchall()}
        runs.append((before, [], None))
        warehouse.connect = traced
        try:
            result: Any = refresh_kpis(warehouse, settings)
        except Exception as exc:    # the order test says which read came too early
            result = exc
        finally:
            warehouse.connect = connect
        runs[-1] = (*runs[-1][:2], result)
    return {"full": runs[0], "incremental": runs[1]}


@pytest.mark.parametrize("mode", ["full", "incremental"])
def test_the_refresh_makes_every_read_before_it(traces, mode):
    """Made earlier in this refresh, that is; or kept from the last one where a file says it
    reads the last refresh's table, or updates its own per-item table (DELETE, INSERT)."""
    before, log, result = traces[mode]
    known = KNOWN | {name for _, _, made in log for name in made}
    made: set[str] = set()
    late = []
    for statement, who, makes in log:
        source = FILE_OF.get(_norm(statement))
        updates = set(re.findall(r"^(?:DELETE FROM|INSERT INTO) (\w+)", statement))
        allowed = set()
        if source:
            head = sqlscan.header(_text(source))
            allowed = (head.reads_last | head.makes & updates) & before
        missing = sqlscan.reads(statement, known) - made - allowed
        if missing:
            late.append(f"{source or who} reads {sorted(missing)} before anything makes it: {statement[:80]!r}")
        made |= makes | updates
    assert late == []
    assert not isinstance(result, Exception), result
    assert result.full == (mode == "full")
    ran = {FILE_OF.get(_norm(s)) for s, _, _ in log}
    assert set(REFRESH_FILES) | {"lead_features.sql"} <= ran
    assert ("scope.sql" in ran) == ("scope_changes.sql" in ran) == (mode == "incremental")


def test_python_defines_what_it_declares_and_nothing_else_the_sql_reads(traces):
    """The names Python makes for the SQL files come from the definer that declares them
    (DEFINES, inputs.INPUT_TABLES), and each definer makes all it declares."""
    made_by: dict[str, set[str]] = {}
    read_by_files: set[str] = set()
    for _, log, _ in traces.values():
        known = KNOWN | {name for _, _, made in log for name in made}
        for statement, who, makes in log:
            if _norm(statement) in FILE_OF:
                read_by_files |= sqlscan.reads(statement, known)
            else:
                made_by.setdefault(who, set()).update(makes)
    undeclared = {(who, n) for who, names in made_by.items() for n in names & read_by_files
                  if n not in sqlscan.DEFINERS.get(who, ())}
    assert undeclared == set()
    for module, names in sqlscan.DEFINERS.items():
        assert set(names) <= made_by.get(module, set()), module


def _text(name: str) -> str:
    return next(text for (_, n), text in FILES.items() if n == name)


# -- per-item tables ------------------------------------------------------------------------

MARKER = re.compile(r"--\s*per item:")


@pytest.mark.parametrize("key", list(FILES), ids=[name for _, name in FILES])
def test_every_per_item_marker_is_picked_up(key):
    package, name = key
    text = FILES[key]
    markers = len(MARKER.findall(text))
    rewritten = [s for s in incremental.statements(text, incremental=True) if s.startswith("DELETE FROM ")]
    assert len(rewritten) == markers
    if markers:
        assert package == "b24metrics.kpis" and name in REFRESH_FILES
        assert len(incremental.per_item_tables([name])) == markers


def test_an_incremental_refresh_recomputes_every_per_item_table_by_its_items(traces):
    _, log, _ = traces["incremental"]
    deleted = {m.group(1) for s, _, _ in log if (m := re.match(r"DELETE FROM (\w+) WHERE ", s))}
    tables = incremental.per_item_tables(REFRESH_FILES)
    assert len(tables) == sum(len(MARKER.findall(FILES[("b24metrics.kpis", f)])) for f in REFRESH_FILES)
    assert set(tables) <= deleted
