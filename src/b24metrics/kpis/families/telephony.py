"""Telephony and call tracking: calls per channel, calls to sales (T1-T2)."""

from b24metrics.kpis.catalogue import Kpi

SQL: list[str] = []

KPIS: list[Kpi] = []
