"""KPIs: plain SQL over the warehouse. Pure functions of it: no HTTP here."""

from b24metrics.kpis.catalogue import Kpi, Measure, catalogue, find
from b24metrics.kpis.cuts import PERIODS, Cut, cut
from b24metrics.kpis.refresh import KpiRefresh, refresh_grades, refresh_kpis

__all__ = ["PERIODS", "Cut", "Kpi", "KpiRefresh", "Measure", "catalogue", "cut", "find",
           "refresh_grades", "refresh_kpis"]
