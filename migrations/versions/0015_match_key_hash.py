"""lead_match_keys.h: the hash of (kind, key), so that finding the leads matched by a few changed
keys reads two numbers per row of the millions, not two strings (kpis/sql/scope.sql).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = op.get_bind().exec_driver_sql(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'lead_match_keys' AND column_name = 'h'").fetchall()
    if not columns[0][0]:   # a warehouse stamped back to an older revision reruns this (tests/test_warehouse.py)
        op.execute("ALTER TABLE lead_match_keys ADD COLUMN h UBIGINT")
    op.execute("UPDATE lead_match_keys SET h = hash(kind, key)")


def downgrade() -> None:
    op.execute("ALTER TABLE lead_match_keys DROP COLUMN h")
