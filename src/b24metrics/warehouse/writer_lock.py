"""One writer at a time: a lock file beside the warehouse, held for a whole run that writes.

DuckDB locks the file per connection, and a run (a sync, a daemon cycle) opens several
connections one after the other (the sync, the KPI refresh, the write-back ledger). Two runs could
therefore interleave their steps: two passes over one stream moving one bookmark, two
write-backs sending the same values. The lock file is taken for the whole run instead. It is an
flock(2) lock, so the kernel releases it when its process dies, kill -9 included: a stale file
never blocks anyone. Its text names the holder (pid, start time, command) so that a second
writer, or a reader that met DuckDB's lock, can say who is writing.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from b24metrics.errors import Interrupted, WarehouseBusy
from b24metrics.warehouse.leftovers import remove_temp_dir
from b24metrics.warehouse.problems import as_warehouse_error

log = logging.getLogger(__name__)


#: the steps of a run that writes, as the busy line names them (announce_step)
STEPS = ("sync", "KPI refresh", "write-back", "ID sweep", "fields setup")


@dataclass(frozen=True)
class Holder:
    pid: int
    started_at: datetime
    command: str
    step: str | None = None   # what the run is doing now, once it has said (announce_step)

    def describe(self) -> str:
        started = self.started_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"a {self.doing()} is running (pid {self.pid}, started at {started}: {self.command})"

    def doing(self) -> str:
        """The step under way; before a run names one, what its command does first."""
        if self.step:
            return self.step
        for word, step in (("kpi", "KPI refresh"), ("writeback", "write-back"), ("fields", "fields setup")):
            if word in self.command.split():
                return step
        return "sync"


def lock_path(warehouse_path: Path | str) -> Path:
    path = Path(warehouse_path)
    return path.with_name(path.name + ".lock")


def current_holder(warehouse_path: Path | str) -> Holder | None:
    """Who holds the writer lock, as its file says; None when nobody (or nobody alive) does."""
    try:
        data = json.loads(lock_path(warehouse_path).read_text(encoding="utf-8") or "null")
        holder = Holder(int(data["pid"]), datetime.fromisoformat(data["started_at"]), str(data["command"]),
                        data.get("step"))
    except (OSError, ValueError, TypeError, KeyError):
        return None  # no file, or a holder between truncating and writing it
    return holder if _alive(holder.pid) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process, but alive
        return True
    return True


@contextmanager
def writer_lock(warehouse_path: Path | str, command: str, *, wait: float = 0.0,
                stop: threading.Event | None = None) -> Iterator[Holder]:
    """Hold the warehouse's writer lock for the block; wait up to `wait` seconds for it.

    Raises WarehouseBusy naming the holder when it is still taken after that (Interrupted when
    `stop` is set meanwhile).
    """
    path = lock_path(warehouse_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:  # a read-only directory: one line, not a traceback
        raise as_warehouse_error(exc, Path(warehouse_path)) or exc
    try:
        _acquire(fd, warehouse_path, wait, stop)
        remove_temp_dir(warehouse_path)  # what a run killed mid-spill left
        me = Holder(os.getpid(), datetime.now(timezone.utc), command)
        _write(fd, me)
        key = str(Path(warehouse_path).resolve())
        _held[key] = (fd, me)
        try:
            yield me
        finally:
            _held.pop(key, None)
            remove_temp_dir(warehouse_path)
            os.ftruncate(fd, 0)  # before the unlock: nobody reads a finished run as the holder
    finally:
        os.close(fd)  # closing the last descriptor releases the flock


#: the writer locks this process holds: warehouse path -> (lock file descriptor, holder)
_held: dict[str, tuple[int, Holder]] = {}


def _write(fd: int, holder: Holder) -> None:
    text = json.dumps({"pid": holder.pid, "started_at": holder.started_at.isoformat(), "command": holder.command,
                       "step": holder.step}).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, text, 0)


def announce_step(warehouse_path: Path | str, step: str) -> None:
    """Say in the lock file which step the run holding it is at (one of STEPS), so that a
    command turned away, or `status`, names it. A no-op where this process holds no lock."""
    held = _held.get(str(Path(warehouse_path).resolve()))
    if held is None:
        return
    fd, holder = held
    now = Holder(holder.pid, holder.started_at, holder.command, step)
    _held[str(Path(warehouse_path).resolve())] = (fd, now)
    _write(fd, now)


def _acquire(fd: int, warehouse_path: Path | str, wait: float, stop: threading.Event | None) -> None:
    deadline = time.monotonic() + wait
    pause, told = 0.05, False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        holder = current_holder(warehouse_path)
        who = holder.describe() if holder else "another b24metrics process is writing the warehouse"
        left = deadline - time.monotonic()
        if left <= 0:
            hint = f"gave up after {wait:g} s" if wait > 0 else "--wait SECONDS or warehouse.writer_wait waits for it"
            raise WarehouseBusy(f"{who}; nothing was done ({hint})")
        if not told:
            log.info("%s; waiting up to %.0f s for it to finish", who, left)
            told = True
        if stop is not None and stop.wait(min(pause, left)):
            raise Interrupted("stop requested while waiting for the warehouse")
        if stop is None:
            time.sleep(min(pause, left))
        pause = min(pause * 2, 1.0)


def busy_text(warehouse_path: Path | str, duckdb_text: str) -> str:
    """The line for a command that met DuckDB's file lock: the lock file's holder when it has one."""
    holder = current_holder(warehouse_path)
    if holder is not None:
        return f"the warehouse {warehouse_path} is busy: {holder.describe()}; try again when it is done"
    pid = ""
    if "PID" in duckdb_text:
        pid = " (" + duckdb_text[duckdb_text.index("PID"):].split(")")[0].strip() + ")"
    return f"the warehouse {warehouse_path} is in use by another b24metrics process{pid}; try again when it is done"
