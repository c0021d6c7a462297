"""Lead grade A–D (M2): configurable rules (rules.py) over normalized lead features
(features.py, sql/lead_features.sql), recomputed into lead_grades (grades.py); the engagement
score beside it (engagement.py); the proof of the grade from the portal's history (backtest.py).

A layer of its own below the KPIs: the KPI refresh grades the leads in scope first, and
kpi_leads carries each lead's grade. Grading reads the warehouse and the macros its caller
defines (kpis/incremental.py): in_scope_grade(id), the leads to grade, and in_scope_lead(id), the
leads whose engagement to recount, with their activities in scope_activities; it imports
nothing from kpis.
"""

from b24metrics.grading.backtest import Backtest, backtest, define_outcomes
from b24metrics.grading.bands import band_mapping, portal_band_mapping
from b24metrics.grading.checks import check_rule_fields, one_grade_share
from b24metrics.grading.engagement import score_engagement
from b24metrics.grading.facts import legal_form
from b24metrics.grading.features import define_match_keys, update_match_keys
from b24metrics.grading.grades import grade_leads, grades_by_source
from b24metrics.grading.rules import NO_RULE, compile_grading

__all__ = ["NO_RULE", "Backtest", "backtest", "band_mapping", "check_rule_fields", "compile_grading", "define_match_keys",
           "define_outcomes", "grade_leads", "grades_by_source", "legal_form", "one_grade_share", "portal_band_mapping",
           "score_engagement", "update_match_keys"]
