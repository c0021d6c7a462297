"""What a lead says when it arrives, for the grade (grading/sql/lead_features.sql): the company
title, position, contact, returning-client flag, e-mails and phones of leads; e-mails, phones and
sites of companies and contacts (to match a lead's company by domain or phone); what each graded
lead was matched by.

Rows already loaded lack the new columns until they are read again: the watermark of those
streams is cleared, so that the next sync reads them whole (the first sync's cost, once).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

COLUMNS = {
    "leads": ["company_title VARCHAR", "post VARCHAR", "contact_id BIGINT", "is_return_customer BOOLEAN",
              "emails VARCHAR", "phones VARCHAR"],
    "companies": ["emails VARCHAR", "phones VARCHAR", "web VARCHAR"],
    "contacts": ["emails VARCHAR", "phones VARCHAR"],
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        for column in columns:
            op.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column}")
    # What each graded lead was matched by (grading/grades.py): a change to a company, contact or
    # deal regrades the leads matched to it, not only those linked to it (kpis/sql/scope.sql).
    op.execute("CREATE TABLE IF NOT EXISTS lead_match_keys (lead_id BIGINT, kind VARCHAR, key VARCHAR)")
    # What identifies each company and contact (grading/sql/match_keys.sql), kept so that a
    # refresh computes them only for the companies and contacts that changed.
    op.execute("CREATE TABLE IF NOT EXISTS company_match_keys "
               "(company_id BIGINT, kind VARCHAR, key VARCHAR, known_since TIMESTAMPTZ)")
    op.execute("CREATE TABLE IF NOT EXISTS client_match_keys "
               "(contact_id BIGINT, kind VARCHAR, key VARCHAR, known_since TIMESTAMPTZ)")
    op.execute("UPDATE sync_state SET since = NULL WHERE stream IN ('leads', 'companies', 'contacts')")


def downgrade() -> None:
    op.execute("DROP TABLE client_match_keys")
    op.execute("DROP TABLE company_match_keys")
    op.execute("DROP TABLE lead_match_keys")
    for table, columns in COLUMNS.items():
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column.split()[0]}")
