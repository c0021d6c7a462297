"""Speed to lead, time in stage, deal cycle (S1-S3)."""

from b24metrics.kpis.catalogue import Kpi

SQL: list[str] = []

KPIS: list[Kpi] = []
