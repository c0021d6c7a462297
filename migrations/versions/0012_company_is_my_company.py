"""companies.is_my_company: the portal's own legal entities (IS_MY_COMPANY = Y, the companies
that issue its invoices) are listed with the clients; the KPIs leave them out of every client
figure and the write-back never writes to them.

The companies synced before this were read without the field: their bookmark loses its
watermark, so the next sync reads every company again (a full pass) and fills the flag.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE companies ADD COLUMN IF NOT EXISTS is_my_company BOOLEAN")
    op.execute("UPDATE sync_state SET since = NULL WHERE stream = 'companies'")


def downgrade() -> None:
    op.execute("ALTER TABLE companies DROP COLUMN IF EXISTS is_my_company")
