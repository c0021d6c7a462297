"""KPI refresh state: what the KPI tables were last built from, so that the next refresh
recomputes only the leads and deals loaded since (stored with the data, in the same
transaction as the tables it describes).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """CREATE TABLE kpi_state (
            singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
            refreshed_at TIMESTAMPTZ NOT NULL,
            synced_mark TIMESTAMPTZ,
            fingerprint VARCHAR NOT NULL,
            mode VARCHAR NOT NULL,
            full_at TIMESTAMPTZ NOT NULL
        )"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE kpi_state")
