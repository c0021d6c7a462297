"""CRM hygiene: data discipline per manager (H1)."""

from b24metrics.kpis.catalogue import Kpi

SQL: list[str] = []

KPIS: list[Kpi] = []
