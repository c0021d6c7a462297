"""userfields: the lead and deal custom field definitions (type, multiple; an enumeration's items
stay in the raw payload), so that KPIs show a field's labels instead of the IDs it stores.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # IF NOT EXISTS: a warehouse stamped back to an older revision reruns this (tests/test_warehouse.py)
    op.execute("""CREATE TABLE IF NOT EXISTS userfields (
        id BIGINT PRIMARY KEY, entity_id VARCHAR, field_name VARCHAR, user_type_id VARCHAR, multiple BOOLEAN,
        deleted BOOLEAN NOT NULL DEFAULT false)""")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS userfields")
