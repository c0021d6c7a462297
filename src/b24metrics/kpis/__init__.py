"""KPIs: plain SQL over the warehouse. Pure functions of it: no HTTP here."""

from b24metrics.kpis.grade import compile_grading, grades_by_source, refresh_grades

__all__ = ["compile_grading", "grades_by_source", "refresh_grades"]
