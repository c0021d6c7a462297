"""Money in and out: cost per lead, CAC, ROMI (M5) and plan vs actual with a forecast (R2)."""

from b24metrics.kpis.catalogue import Kpi

SQL: list[str] = []

KPIS: list[Kpi] = []
