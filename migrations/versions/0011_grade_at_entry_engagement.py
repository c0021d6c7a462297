"""The grade a lead had when it arrived, kept apart from its current grade; and each lead's
engagement: what it did (calls, e-mails, meetings, repeat requests) and when it last did it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

lead_grade_at_entry: the first graded state of each lead, written once and never updated, so
that the proof of the grade (`b24metrics grade check`) measures what was known before the
outcome, whatever the rules or the lead became later. open_at_grading says whether the lead
was still open then (a lead first graded from history, at a first sync, was not).

lead_engagement: per lead, its touches by kind, their points (the config's weights) and the
moment of the last one; the score 0-100 decays from it and is computed when read.
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """CREATE TABLE IF NOT EXISTS lead_grade_at_entry (
            lead_id BIGINT PRIMARY KEY,
            grade VARCHAR NOT NULL,
            score INTEGER NOT NULL,
            factors VARCHAR NOT NULL,
            graded_at TIMESTAMPTZ NOT NULL,
            open_at_grading BOOLEAN NOT NULL
        )"""
    )
    # Leads graded before this version: their first history row is their first graded state.
    # (IF NOT EXISTS, NOT IN: a warehouse put back to an older revision runs this again, and after
    # 0016 the table has no key to ignore a duplicate by.)
    op.execute(
        """INSERT INTO lead_grade_at_entry
           SELECT h.lead_id, arg_min(h.new_grade, h.changed_at), arg_min(h.new_score, h.changed_at),
                  arg_min(h.factors, h.changed_at), min(h.changed_at),
                  -- open then: still open, or closed after it was graded
                  bool_or(coalesce(l.status_semantic_id, 'P') NOT IN ('S', 'F'))
                  OR coalesce(max(l.date_closed) > min(h.changed_at), false)
           FROM lead_grade_history h LEFT JOIN leads l ON l.id = h.lead_id
           WHERE h.lead_id NOT IN (SELECT lead_id FROM lead_grade_at_entry)
           GROUP BY h.lead_id"""
    )
    op.execute(
        """CREATE TABLE IF NOT EXISTS lead_engagement (
            lead_id BIGINT PRIMARY KEY,
            answered_calls INTEGER NOT NULL,
            repeat_calls INTEGER NOT NULL,
            emails INTEGER NOT NULL,
            meetings INTEGER NOT NULL,
            repeat_requests INTEGER NOT NULL,
            points INTEGER NOT NULL,
            last_touch_at TIMESTAMPTZ,
            closed_at TIMESTAMPTZ,
            half_life_days DOUBLE NOT NULL
        )"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE lead_engagement")
    op.execute("DROP TABLE lead_grade_at_entry")
