"""raw_records.changed_at: when a record last changed in substance, not merely was read again;
raw_records.content_hash: what that substance is.

A write-back bumps DATE_MODIFY of every record it writes, and the next sync reads them all
again; their payloads differ from the stored ones (which the write-back patched with the values
the portal accepted) only in DATE_MODIFY. `synced_at` still says when a row was last loaded;
`changed_at` moves only when something else in the payload did (content_hash: the payload
without DATE_MODIFY and our own fields), and is what the incremental KPI refresh looks at
(kpis/sql/scope.sql), so our own writes do not make it recompute. Existing rows get no hash: the
first time each is read again, it counts as changed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE raw_records ADD COLUMN changed_at TIMESTAMPTZ")
    op.execute("ALTER TABLE raw_records ADD COLUMN content_hash UBIGINT")
    op.execute("UPDATE raw_records SET changed_at = synced_at")


def downgrade() -> None:
    op.execute("ALTER TABLE raw_records DROP COLUMN content_hash")
    op.execute("ALTER TABLE raw_records DROP COLUMN changed_at")
