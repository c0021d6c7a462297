"""KPIs: plain SQL over the warehouse. Pure functions of it: no HTTP here."""

from typing import TYPE_CHECKING

from b24metrics.kpis.catalogue import Kpi, Measure, catalogue, find
from b24metrics.kpis.cuts import PERIODS, Cut, cut

if TYPE_CHECKING:
    from b24metrics.kpis.refresh import KpiRefresh, refresh_grades, refresh_kpis

__all__ = ["PERIODS", "Cut", "Kpi", "KpiRefresh", "Measure", "catalogue", "cut", "find",
           "refresh_grades", "refresh_kpis"]

#: Imported when first asked for (PEP 562): the refresh brings in the grading and its SQL, which
#: `kpi NAME`, reading the KPI tables, never needs.
_REFRESH = ("KpiRefresh", "refresh_grades", "refresh_kpis")


def __getattr__(name: str) -> object:
    if name in _REFRESH:
        from b24metrics.kpis import refresh

        value = getattr(refresh, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
