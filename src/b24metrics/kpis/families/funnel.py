"""Funnel: stage conversion and the bottleneck, win and loss, communications to close (F1-F3)."""

from b24metrics.kpis.catalogue import Kpi

SQL: list[str] = []

KPIS: list[Kpi] = []
