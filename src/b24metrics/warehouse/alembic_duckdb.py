"""alembic's dialect implementation for DuckDB, registered when this module is imported: by the
migrations' env.py and by Warehouse before it runs them (kept out of db.py so that the commands
that only read the warehouse never import alembic)."""

from __future__ import annotations

from alembic.ddl.impl import DefaultImpl


class DuckDBImpl(DefaultImpl):
    """alembic has no DuckDB dialect of its own: without this, KeyError 'duckdb'."""

    __dialect__ = "duckdb"
    transactional_ddl = True  # a failed migration rolls back whole (measured)
