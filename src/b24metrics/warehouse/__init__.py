"""The DuckDB warehouse: schema, connections, and the transactional loads."""

from b24metrics.warehouse.db import Warehouse
from b24metrics.warehouse.load import (
    Bookmark,
    Page,
    complete_stream,
    finish_run,
    load_page,
    read_bookmark,
    restart_stream,
    start_run,
)

__all__ = [
    "Bookmark",
    "Page",
    "Warehouse",
    "complete_stream",
    "finish_run",
    "load_page",
    "read_bookmark",
    "restart_stream",
    "start_run",
]
