"""A warehouse connection held across a long run of short transactions, and let go between them.

DuckDB lets one process have the file while it writes, so a write-back that kept one connection
for its whole length kept `status` and `kpi` out for as long (31 s, then exit 5, on a 20,000-lead
first write-back). A lease opens the connection when a step needs it and closes it when its holder
says it is waiting (for the portal's answers), after `hold_for` seconds of steps in a row, or
as soon as a reader has marked that it waits (readers_mark): after the step under way, or at
once while the holder waits for the portal (its holder asks `readers_wait` meanwhile, every
READERS_CHECK seconds: the write-back's scheduler, Jobs.idle_now). It then lets the reader
have the file before it opens it again (at most YIELD_AT_MOST seconds). Closing has a price (DuckDB checkpoints on close, 0.1-0.5 s
on a few hundred thousand rows, measured), hence the lease keeps the connection over steps that
follow each other closely. Temporary tables do not outlive a release.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

from b24metrics.warehouse.db import Warehouse

#: a reader's mark no older than this says it is waiting for the file
FRESH = 0.6
#: the longest a lease waits for readers before it takes the file again
YIELD_AT_MOST = 2.0
#: how often a holder waiting for something else asks whether a reader waits (a stat(2) each time)
READERS_CHECK = 0.05


def readers_mark(warehouse_path: Path | str) -> Path:
    """Touched by a reader each time it finds the file taken (Warehouse.connect), removed once it
    has it: the lease then lets the file go after its step and waits a moment before the next."""
    path = Path(warehouse_path)
    return path.with_name(path.name + ".readers")


def readers_waiting(warehouse_path: Path | str) -> bool:
    try:
        return time.time() - os.stat(readers_mark(warehouse_path)).st_mtime < FRESH
    except OSError:
        return False


class Lease:
    def __init__(self, warehouse: Warehouse, *, hold_for: float = 2.0) -> None:
        self.warehouse = warehouse
        self.hold_for = hold_for
        self._opened: AbstractContextManager[duckdb.DuckDBPyConnection] | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._since = 0.0
        self.opened = 0   # how many times a connection was opened (for tests and logs)

    @contextmanager
    def use(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The connection for one step, opened if the lease had let it go. An error in the step
        closes it (typed as Warehouse.connect types errors)."""
        if self._con is None:
            self._yield_to_readers()
            self._opened = self.warehouse.connect()
            self._con = self._opened.__enter__()
            self._since = time.monotonic()
            self.opened += 1
        try:
            yield self._con
            if readers_waiting(self.warehouse.path):
                self.release()
        except BaseException:
            opened, self._opened, self._con = self._opened, None, None
            if opened is not None and not opened.__exit__(*sys.exc_info()):
                raise
            raise  # pragma: no cover (Warehouse.connect never swallows an error)

    @property
    def held(self) -> bool:
        return self._con is not None

    def readers_wait(self) -> bool:
        """Whether the lease holds the file while a reader has marked that it waits for it: its
        holder, waiting for something else (the portal), then lets go at once (release)."""
        return self._con is not None and readers_waiting(self.warehouse.path)

    def _yield_to_readers(self) -> None:
        deadline = time.monotonic() + YIELD_AT_MOST
        while readers_waiting(self.warehouse.path) and time.monotonic() < deadline:
            time.sleep(0.05)

    def release(self) -> None:
        """Let the connection go (the next step opens another)."""
        opened, self._opened, self._con = self._opened, None, None
        if opened is not None:
            opened.__exit__(None, None, None)

    def release_if_long(self) -> None:
        """Let go when held `hold_for` seconds or more: readers get a turn even while answers keep coming."""
        if self._con is not None and time.monotonic() - self._since >= self.hold_for:
            self.release()
