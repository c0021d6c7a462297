"""Engagement (M2's second axis): what a lead did, as points that decay with the time since its
last touch, beside the fit grade of who it is. sql/engagement.sql keeps lead_engagement (the
touches and points of each lead in scope) and the view lead_engagement_scores (the score 0-100
as of today: it decays without a sync, so it is computed when read)."""

from __future__ import annotations

import duckdb

from b24metrics.config import EngagementSettings
from b24metrics.sqlfiles import sql_file

#: what score_engagement defines for sql/engagement.sql before running it
DEFINES = ("engagement_points",)


def score_engagement(con: duckdb.DuckDBPyConnection, settings: EngagementSettings) -> None:
    """Recompute lead_engagement for the live leads in scope (the macro in_scope_lead(id) and
    their activities, scope_activities, which the caller defines: kpis/incremental.py)."""
    con.execute("SET VARIABLE engagement_points = ?", [settings.model_dump()])
    con.execute("DELETE FROM lead_engagement WHERE in_scope_lead(lead_id)")
    con.execute(sql_file("b24metrics.grading", "engagement.sql"))
