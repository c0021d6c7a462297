"""Bookmarks for incremental passes: the mode of the pass, its filter and its start time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

`since` is the watermark: the portal's clock when the last complete pass began. The next
incremental pass reads `>=DATE_MODIFY` from it minus an overlap. `pass_since` and
`pass_started_at` belong to the pass in progress, so that a crash resumes the same pass.
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = {
    "mode": "VARCHAR",
    "pass_since": "TIMESTAMPTZ",
    "pass_started_at": "TIMESTAMPTZ",
    "since": "TIMESTAMPTZ",
}


def upgrade() -> None:
    for name, kind in COLUMNS.items():
        op.execute(f"ALTER TABLE sync_state ADD COLUMN {name} {kind}")


def downgrade() -> None:
    for name in reversed(list(COLUMNS)):
        op.execute(f"ALTER TABLE sync_state DROP COLUMN {name}")
