"""KPI families: each module lists its KPIs (`KPIS`) and the SQL files that build its tables
(`SQL`, run in this order after the shared fact tables kpi_leads and kpi_deals). The order
matters: hygiene.sql reads the view live_activities that sales.sql makes."""

from b24metrics.kpis.families import funnel, hygiene, marketing, money, sales, speed, telephony

FAMILIES = [marketing, speed, funnel, telephony, money, sales, hygiene]

__all__ = ["FAMILIES"]
