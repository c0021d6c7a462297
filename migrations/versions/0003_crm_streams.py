"""Deals, contacts, users, activities, pipelines, stage history and call statistics.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LIVE = "deleted BOOLEAN NOT NULL DEFAULT false"
TABLES = {
    "deals": f"""
        id BIGINT PRIMARY KEY, title VARCHAR, type_id VARCHAR, category_id BIGINT, stage_id VARCHAR,
        stage_semantic_id VARCHAR, is_new BOOLEAN, is_recurring BOOLEAN, is_return_customer BOOLEAN,
        is_repeated_approach BOOLEAN, probability INTEGER, currency_id VARCHAR, opportunity DOUBLE,
        tax_value DOUBLE, company_id BIGINT, contact_id BIGINT, lead_id BIGINT, begindate DATE,
        closedate DATE, closed BOOLEAN, source_id VARCHAR, assigned_by_id BIGINT, created_by_id BIGINT,
        moved_by_id BIGINT, utm_source VARCHAR, utm_medium VARCHAR, utm_campaign VARCHAR,
        date_create TIMESTAMPTZ, date_modify TIMESTAMPTZ, moved_time TIMESTAMPTZ,
        last_activity_time TIMESTAMPTZ, {LIVE}""",
    "contacts": f"""
        id BIGINT PRIMARY KEY, name VARCHAR, last_name VARCHAR, type_id VARCHAR, source_id VARCHAR,
        company_id BIGINT, lead_id BIGINT, assigned_by_id BIGINT, has_phone BOOLEAN, has_email BOOLEAN,
        utm_source VARCHAR, utm_medium VARCHAR, utm_campaign VARCHAR,
        date_create TIMESTAMPTZ, date_modify TIMESTAMPTZ, {LIVE}""",
    "users": f"""
        id BIGINT PRIMARY KEY, active BOOLEAN, name VARCHAR, last_name VARCHAR, email VARCHAR,
        work_position VARCHAR, user_type VARCHAR, date_register TIMESTAMPTZ, {LIVE}""",
    "activities": f"""
        id BIGINT PRIMARY KEY, owner_id BIGINT, owner_type_id INTEGER, type_id INTEGER,
        provider_id VARCHAR, provider_type_id VARCHAR, direction INTEGER, subject VARCHAR,
        completed BOOLEAN, status INTEGER, priority INTEGER, responsible_id BIGINT, author_id BIGINT,
        created TIMESTAMPTZ, last_updated TIMESTAMPTZ, start_time TIMESTAMPTZ, end_time TIMESTAMPTZ,
        deadline TIMESTAMPTZ, is_incoming_channel BOOLEAN, {LIVE}""",
    "deal_categories": f"""
        id BIGINT PRIMARY KEY, name VARCHAR, sort INTEGER, is_default BOOLEAN, {LIVE}""",
    "lead_history": """
        id BIGINT PRIMARY KEY, type_id INTEGER, owner_id BIGINT, created_time TIMESTAMPTZ,
        status_id VARCHAR, status_semantic_id VARCHAR""",
    "deal_history": """
        id BIGINT PRIMARY KEY, type_id INTEGER, owner_id BIGINT, created_time TIMESTAMPTZ,
        category_id BIGINT, stage_id VARCHAR, stage_semantic_id VARCHAR""",
    "calls": """
        id BIGINT PRIMARY KEY, call_id VARCHAR, call_type INTEGER, portal_user_id BIGINT,
        portal_number VARCHAR, phone_number VARCHAR, call_duration INTEGER,
        call_start_date TIMESTAMPTZ, call_failed_code VARCHAR, call_failed_reason VARCHAR,
        crm_entity_type VARCHAR, crm_entity_id BIGINT, crm_activity_id BIGINT, cost DOUBLE,
        cost_currency VARCHAR, call_vote INTEGER""",
}


def upgrade() -> None:
    for name, columns in TABLES.items():
        op.execute(f"CREATE TABLE {name} ({columns})")


def downgrade() -> None:
    for name in reversed(list(TABLES)):
        op.execute(f"DROP TABLE {name}")
