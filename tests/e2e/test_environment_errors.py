"""What the machine can do to the warehouse, through the real CLI: each ends with one `error:` line
and its exit code from the table (errors.EXIT_CODES), no traceback, and a warehouse still usable.

A read-only directory and a full disk are real where the test may mount a small tmpfs (root
with CAP_SYS_ADMIN, as in the project's container); elsewhere a chmod'ed directory and a file
size limit (RLIMIT_FSIZE, which makes writes fail with EFBIG) stand in for them."""

from __future__ import annotations

import errno
import os
import re
import resource
import signal
import socket
import sqlite3
import queue
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb
import pytest

from b24metrics.errors import EXIT_CONFIG, EXIT_INTERRUPTED, EXIT_OK, EXIT_WAREHOUSE
from b24metrics.extract import STREAMS

LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def _env(db: Path, portal=None, **keys: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("B24M_")}
    env["B24M_WAREHOUSE__PATH"] = str(db)
    if portal is not None:
        env.update(B24M_PORTAL__WEBHOOK_URL=portal.webhook_url, B24M_PORTAL__RATE="50", B24M_PORTAL__BURST="100")
    return {**env, **keys}


def _cli(args: list[str], env: dict[str, str], cwd: Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "b24metrics", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=cwd, **kw)


def _error_line(run: subprocess.CompletedProcess) -> str:
    """The one line a failed command leaves beside its log records."""
    assert "Traceback" not in run.stderr, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip() and not LOG_RECORD.match(line)]
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    return lines[0]


def _can_mount() -> bool:
    return os.geteuid() == 0 and subprocess.run(["mount", "--version"], capture_output=True).returncode == 0


@contextmanager
def _tmpfs(where: Path, size: str) -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _remount(where: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True)


# -- a file that is not a warehouse ------------------------------------------------------------

def _sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE leads (id INTEGER)")
    con.commit()
    con.close()


FOREIGN = {
    "a SQLite database": _sqlite,
    "text": lambda path: path.write_text("id,title\n1,a lead\n"),
    "data of another kind": lambda path: path.write_bytes(bytes(range(256)) * 64),
}


@pytest.mark.parametrize("kind", FOREIGN)
def test_a_file_that_is_no_duckdb_warehouse_is_refused_and_left_alone(kind, tmp_path, portals):
    db = tmp_path / "wh.duckdb"
    FOREIGN[kind](db)
    before = db.read_bytes()
    portal = portals(seed=3, leads=20, rate=50.0)
    for args in (["status"], ["kpi", "leads_by_channel"], ["sync"]):
        run = _cli(args, _env(db, portal), tmp_path)
        assert run.returncode == EXIT_WAREHOUSE, (args, run.stderr)
        assert f"holds {kind}, not a DuckDB warehouse" in _error_line(run)
    assert db.read_bytes() == before
    assert not (tmp_path / "wh.duckdb.wal").exists()


def test_a_warehouse_of_a_newer_schema_names_its_revision_and_is_not_written(tmp_path, portals):
    portal = portals(seed=3, leads=20, rate=50.0)
    db = tmp_path / "wh.duckdb"
    assert _cli(["sync"], _env(db, portal), tmp_path).returncode == EXIT_OK
    con = duckdb.connect(str(db))
    con.execute("UPDATE alembic_version SET version_num = '7c0ffee2b1d4'")
    con.close()
    before = db.read_bytes()
    for args in (["sync"], ["kpi", "leads_by_channel"]):
        run = _cli(args, _env(db, portal), tmp_path)
        assert run.returncode == EXIT_WAREHOUSE, (args, run.stderr)
        line = _error_line(run)
        assert "schema revision 7c0ffee2b1d4" in line and "a newer b24metrics" in line, line
    assert db.read_bytes() == before


# -- a read-only directory ---------------------------------------------------------------------

@contextmanager
def _writable_then_read_only(tmp_path: Path) -> Iterator[tuple[Path, "callable"]]:
    """A directory, and what makes it read-only: a remount where we may mount, else a chmod
    (which root would ignore)."""
    place = tmp_path / "place"
    if _can_mount():
        with _tmpfs(place, "64m"):
            yield place, lambda: _remount(place, "ro")
            _remount(place, "rw")
        return
    if os.geteuid() == 0:
        pytest.skip("root ignores a directory's mode and no tmpfs can be mounted here")
    place.mkdir()
    yield place, lambda: place.chmod(0o555)
    place.chmod(0o755)


def test_a_read_only_directory_is_one_line_and_readers_still_read(tmp_path, portals):
    portal = portals(seed=3, leads=20, rate=50.0)
    with _writable_then_read_only(tmp_path) as (place, make_read_only):
        fresh = place / "new" / "wh.duckdb"
        (place / "new").mkdir()
        db = place / "wh.duckdb"
        assert _cli(["sync"], _env(db, portal), tmp_path).returncode == EXIT_OK
        make_read_only()
        for path in (fresh, db):   # no warehouse yet, and one made before
            run = _cli(["sync"], _env(path, portal), tmp_path)
            assert run.returncode == EXIT_WAREHOUSE, run.stderr
            line = _error_line(run)
            assert f"the warehouse {path} cannot be written" in line, line
        status = _cli(["status"], _env(db), tmp_path)
        assert status.returncode == EXIT_OK and "ok" in status.stdout, status.stderr


# -- a full disk -------------------------------------------------------------------------------

def _file_size_limit(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


@pytest.mark.parametrize("how", ["tmpfs", "file size limit"])
def test_a_full_disk_is_one_line_and_the_warehouse_stays_usable(how, tmp_path, portals):
    portal = portals(seed=5, leads=3000, rate=50.0, burst=100)
    cutoff = "3m" if how == "tmpfs" else 3 * 1024 * 1024
    if how == "tmpfs" and not _can_mount():
        pytest.skip("cannot mount a tmpfs here")

    def run_sync(db: Path, limited: bool) -> subprocess.CompletedProcess:
        extra = {"preexec_fn": _file_size_limit(cutoff)} if limited and how != "tmpfs" else {}
        return _cli(["sync"], _env(db, portal), tmp_path, **extra)

    with (_tmpfs(tmp_path / "small", cutoff) if how == "tmpfs" else _nothing(tmp_path / "small")) as place:
        db = place / "wh.duckdb"
        run = run_sync(db, limited=True)
        assert run.returncode == EXIT_WAREHOUSE, run.stderr
        line = _error_line(run)
        assert f"no room to write the warehouse {db}" in line, line
        assert ("the disk is full" if how == "tmpfs" else "the file size limit is reached") in line
        if how == "tmpfs":
            _remount(place, "size=256m")
        again = run_sync(db, limited=False)
        assert again.returncode == EXIT_OK, again.stderr
        con = duckdb.connect(str(db), read_only=True)
        leads = con.execute("SELECT count(*), count(DISTINCT id) FROM leads").fetchall()[0]
        runs = con.execute("SELECT status FROM sync_runs ORDER BY run_id").fetchall()
        con.close()
        assert leads == (3000, 3000)
        # recorded failed, or, when the full disk refused even that, closed as interrupted by the next run
        assert runs[0][0] in ("failed", "interrupted") and [r[0] for r in runs[1:]] == ["ok"], runs


@contextmanager
def _nothing(place: Path) -> Iterator[Path]:
    place.mkdir()
    yield place


# -- the daemon's port -------------------------------------------------------------------------

def test_a_daemon_port_in_use_is_one_line_exit_2(tmp_path, portals):
    portal = portals(seed=3, leads=20, rate=50.0)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        run = _cli(["run"], _env(tmp_path / "wh.duckdb", portal, B24M_DAEMON__PORT=str(port)), tmp_path)
    finally:
        taken.close()
    assert run.returncode == EXIT_CONFIG, run.stderr
    line = _error_line(run)
    assert f"127.0.0.1:{port}: cannot listen there ({os.strerror(errno.EADDRINUSE)})" in line, line


# -- Ctrl-C ------------------------------------------------------------------------------------

@pytest.mark.parametrize("delay", [0.0, 0.4, 0.8, 1.2])
def test_ctrl_c_after_the_sync_exits_130_and_records_the_run_interrupted(delay, tmp_path, portals):
    """SIGINT `delay` s after every stream is synced: in the KPI refresh (DuckDB's own work,
    where Ctrl-C stops a query with a RuntimeError "Query interrupted", once reported as an
    internal error and a failed run), its checkpoint, or between them; wherever it lands,
    exit 130 and the run interrupted. The signal comes at the latest as the refresh's end is logged
    (a refresh shorter than `delay` would otherwise let the run end before it, and the test would
    be of nothing). tests/test_warehouse_problems.py lands it in a query for sure."""
    portal = portals(seed=7, leads=3000, rate=50.0, burst=100)
    db = tmp_path / "wh.duckdb"
    proc = subprocess.Popen([sys.executable, "-m", "b24metrics", "sync"], env=_env(db, portal), cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    lines: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=lambda: ([lines.put(line) for line in proc.stderr], lines.put(None)))
    reader.start()
    seen = []
    passes = 0
    while passes < len(STREAMS) and (line := lines.get(timeout=120)) is not None:
        seen.append(line)
        passes += " pass, " in line
    deadline = time.monotonic() + delay
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if "KPI tables rebuilt" in line:
            break
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=120)
    reader.join(timeout=10)
    while not lines.empty():
        seen.append(lines.get() or "")
    stderr = "".join(seen)
    con = duckdb.connect(str(db), read_only=True)
    runs = con.execute("SELECT status FROM sync_runs ORDER BY run_id").fetchall()
    con.close()
    if proc.returncode in (EXIT_OK, -signal.SIGINT) and runs == [("ok",)]:
        # done before the signal came (-2: it came while the interpreter shut down, after the run)
        pytest.skip(f"the sync ended before the signal came {delay} s after its last pass")
    assert proc.returncode == EXIT_INTERRUPTED, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr
    assert [line for line in stderr.splitlines() if line.startswith("error")] == ["error: interrupted"], stderr
    assert runs == [("interrupted",)]
    # and the warehouse goes on: the next sync ends well
    assert _cli(["sync"], _env(db, portal), tmp_path).returncode == EXIT_OK


# -- DuckDB's temporary directory ----------------------------------------------------------------

SPILL_AND_DIE = """
import os, sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("SET memory_limit = '64MB'; SET threads = 1")
con.execute("CREATE TEMP TABLE spill AS SELECT i, md5(i::VARCHAR) AS m FROM range(3000000) r(i) ORDER BY m")
os._exit(9)  # as a kill -9 would: DuckDB has no chance to remove its temporary directory
"""


def test_duckdbs_temporary_directory_is_removed_by_the_next_writer_and_on_a_clean_end(tmp_path, portals):
    portal = portals(seed=3, leads=20, rate=50.0)
    db = tmp_path / "wh.duckdb"
    leftover = tmp_path / "wh.duckdb.tmp"
    assert _cli(["sync"], _env(db, portal), tmp_path).returncode == EXIT_OK
    assert not leftover.exists()
    subprocess.run([sys.executable, "-c", SPILL_AND_DIE, str(db)], timeout=300)
    assert leftover.is_dir() and any(leftover.iterdir()), "the killed process spilled nothing"
    status = _cli(["status"], _env(db), tmp_path)     # a reader leaves it: a writer may be spilling
    assert status.returncode == EXIT_OK and leftover.is_dir()
    run = _cli(["sync"], _env(db, portal), tmp_path)
    assert run.returncode == EXIT_OK, run.stderr
    assert "removed DuckDB's temporary directory" in run.stderr
    assert not leftover.exists()
