"""Write-back ledger for retries and crash recovery; the moment a run's data was ready.

A ledger row is written as 'sent' before its batch goes out and turned into its outcome when
the answer comes, so a row still 'sent' after its run ended is a write whose fate is unknown
(the process died in between): the next write-back reads it back from the portal before it
diffs. `tries` counts the rejections of one value in a row, and `error_code` keeps the portal's
code apart from its text. `sync_runs.synced_at` says when a run's sync and KPI refresh were
done, so the quality gate can tell a cycle that died in its write-back from one that died
syncing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE writeback_ledger ADD COLUMN tries INTEGER")
    op.execute("ALTER TABLE writeback_ledger ADD COLUMN error_code VARCHAR")
    op.execute("ALTER TABLE writeback_ledger ADD COLUMN answered_at TIMESTAMPTZ")
    op.execute("ALTER TABLE sync_runs ADD COLUMN synced_at TIMESTAMPTZ")


def downgrade() -> None:
    op.execute("ALTER TABLE sync_runs DROP COLUMN synced_at")
    op.execute("ALTER TABLE writeback_ledger DROP COLUMN answered_at")
    op.execute("ALTER TABLE writeback_ledger DROP COLUMN error_code")
    op.execute("ALTER TABLE writeback_ledger DROP COLUMN tries")
