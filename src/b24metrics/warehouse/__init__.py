"""The DuckDB warehouse: schema, connections, and the transactional loads."""

from b24metrics.warehouse.db import Warehouse, atomic, missing_tables, open_warehouse, warehouse_of
from b24metrics.warehouse.load import (
    Bookmark,
    Page,
    finish_run,
    load_page,
    mark_synced,
    read_bookmark,
    read_bookmarks,
    save_bookmark,
    start_run,
)
from b24metrics.warehouse.problems import as_warehouse_error, is_interrupt
from b24metrics.warehouse.runs import Run, last_runs
from b24metrics.warehouse.writer_lock import Holder, announce_step, current_holder, lock_path, writer_lock

__all__ = [
    "Bookmark",
    "Holder",
    "Page",
    "Run",
    "Warehouse",
    "announce_step",
    "as_warehouse_error",
    "atomic",
    "current_holder",
    "finish_run",
    "is_interrupt",
    "last_runs",
    "load_page",
    "lock_path",
    "mark_synced",
    "missing_tables",
    "open_warehouse",
    "read_bookmark",
    "read_bookmarks",
    "save_bookmark",
    "start_run",
    "warehouse_of",
    "writer_lock",
]
