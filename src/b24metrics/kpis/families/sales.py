"""Sales and revenue: revenue and average check, manager performance, LTV and repeat purchases (R1, R3, R4)."""

from b24metrics.kpis.catalogue import Kpi

SQL: list[str] = []

KPIS: list[Kpi] = []
