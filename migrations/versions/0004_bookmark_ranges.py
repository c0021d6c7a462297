"""Bookmarks of passes read in independent ID ranges at once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

`ranges` is a JSON list of the ID ranges a pass still has to read, each `[after, upper]`: rows
with after < ID <= upper (upper null: no end). A crash resumes every range where it stopped.
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE sync_state ADD COLUMN ranges VARCHAR")


def downgrade() -> None:
    op.execute("ALTER TABLE sync_state DROP COLUMN ranges")
