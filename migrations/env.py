"""alembic environment for the DuckDB warehouse.

b24metrics passes its own connection in `config.attributes["connection"]`; the alembic CLI
builds one from B24M_WAREHOUSE__PATH.
"""

import os

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

import b24metrics.warehouse.alembic_duckdb  # noqa: F401  (registers alembic's DuckDB dialect)


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    path = os.environ.get("B24M_WAREHOUSE__PATH", "b24metrics.duckdb")
    engine = create_engine(f"duckdb:///{path}", poolclass=NullPool)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()
