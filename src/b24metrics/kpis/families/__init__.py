"""KPI families: each module lists its KPIs (`KPIS`) and the SQL files that build its tables
(`SQL`, run in this order after the shared fact tables kpi_leads and kpi_deals). The order
matters: money.sql reads kpi_revenue and hygiene.sql the view live_activities, both made by
sales.sql."""

from b24metrics.kpis.families import funnel, hygiene, marketing, money, sales, speed, telephony

FAMILIES = [marketing, speed, funnel, telephony, sales, money, hygiene]

__all__ = ["FAMILIES"]
