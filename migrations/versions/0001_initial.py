"""The first warehouse: leads, companies, statuses, raw payloads, sync state, grades, ledger.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

No foreign keys and no secondary indexes: DuckDB cannot ALTER a table that has them (it
refuses while another entry depends on the table); primary keys stay because upserts need them.
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = {
    "raw_records": """
        entity VARCHAR NOT NULL,
        id VARCHAR NOT NULL,
        payload JSON NOT NULL,
        synced_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (entity, id)""",
    "leads": """
        id BIGINT PRIMARY KEY,
        title VARCHAR,
        name VARCHAR,
        last_name VARCHAR,
        status_id VARCHAR,
        status_semantic_id VARCHAR,
        source_id VARCHAR,
        company_id BIGINT,
        assigned_by_id BIGINT,
        opportunity DOUBLE,
        currency_id VARCHAR,
        has_phone BOOLEAN,
        has_email BOOLEAN,
        utm_source VARCHAR,
        utm_medium VARCHAR,
        utm_campaign VARCHAR,
        date_create TIMESTAMPTZ,
        date_modify TIMESTAMPTZ,
        moved_time TIMESTAMPTZ,
        date_closed TIMESTAMPTZ,
        deleted BOOLEAN NOT NULL DEFAULT false""",
    "companies": """
        id BIGINT PRIMARY KEY,
        title VARCHAR,
        company_type VARCHAR,
        industry VARCHAR,
        employees VARCHAR,
        revenue DOUBLE,
        currency_id VARCHAR,
        assigned_by_id BIGINT,
        date_create TIMESTAMPTZ,
        date_modify TIMESTAMPTZ,
        deleted BOOLEAN NOT NULL DEFAULT false""",
    "statuses": """
        entity_id VARCHAR NOT NULL,
        status_id VARCHAR NOT NULL,
        id BIGINT,
        name VARCHAR,
        sort INTEGER,
        semantics VARCHAR,
        category_id VARCHAR,
        deleted BOOLEAN NOT NULL DEFAULT false,
        PRIMARY KEY (entity_id, status_id)""",
    "sync_state": """
        stream VARCHAR PRIMARY KEY,
        cursor_id BIGINT,
        rows_loaded BIGINT NOT NULL DEFAULT 0,
        complete BOOLEAN NOT NULL DEFAULT false,
        updated_at TIMESTAMPTZ""",
    "sync_runs": """
        run_id BIGINT PRIMARY KEY DEFAULT nextval('seq_sync_runs'),
        kind VARCHAR NOT NULL,
        started_at TIMESTAMPTZ NOT NULL,
        finished_at TIMESTAMPTZ,
        status VARCHAR NOT NULL,
        rows_loaded BIGINT,
        requests BIGINT,
        error VARCHAR""",
    "quarantine": """
        entity VARCHAR NOT NULL,
        id VARCHAR NOT NULL,
        field VARCHAR NOT NULL,
        raw_value VARCHAR,
        error VARCHAR,
        seen_at TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (entity, id, field)""",
    "lead_grades": """
        lead_id BIGINT PRIMARY KEY,
        score INTEGER NOT NULL,
        grade VARCHAR NOT NULL,
        factors VARCHAR NOT NULL,
        computed_at TIMESTAMPTZ NOT NULL""",
    "writeback_ledger": """
        entry_id BIGINT PRIMARY KEY DEFAULT nextval('seq_writeback_ledger'),
        run_id BIGINT,
        entity VARCHAR NOT NULL,
        entity_id BIGINT NOT NULL,
        field VARCHAR NOT NULL,
        old_value VARCHAR,
        new_value VARCHAR,
        outcome VARCHAR NOT NULL,
        error VARCHAR,
        written_at TIMESTAMPTZ NOT NULL""",
}
SEQUENCES = ("seq_sync_runs", "seq_writeback_ledger")


def upgrade() -> None:
    for name in SEQUENCES:
        op.execute(f"CREATE SEQUENCE {name} START 1")
    for name, columns in TABLES.items():
        op.execute(f"CREATE TABLE {name} ({columns})")


def downgrade() -> None:
    for name in reversed(list(TABLES)):
        op.execute(f"DROP TABLE {name}")
    for name in SEQUENCES:
        op.execute(f"DROP SEQUENCE {name}")
