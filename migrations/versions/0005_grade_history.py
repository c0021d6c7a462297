"""Lead grade history: when a lead's grade changed, from what, to what, and why.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """CREATE TABLE lead_grade_history (
            lead_id BIGINT NOT NULL,
            changed_at TIMESTAMPTZ NOT NULL,
            old_grade VARCHAR,
            new_grade VARCHAR NOT NULL,
            old_score INTEGER,
            new_score INTEGER NOT NULL,
            factors VARCHAR NOT NULL
        )"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE lead_grade_history")
