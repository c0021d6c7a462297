"""Employee thresholds of the rules mapped onto the portal's own size bands.

A company's size is a band of its EMPLOYEES list, not a head count. Bitrix24's default bands are
«менее 50», «50–250», «250–500», «более 500»: a rule "1,000+ employees" tested against the
band's lowest head count would never fire there. So each threshold of a rule on
company_employees_min is moved to the nearest lowest head count a band really has (the top band
when the threshold lies above them all), and band_mapping() says how, for `grade check`.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import pyarrow as pa

from b24metrics.config import Condition, GradeRule, GradingSettings
from b24metrics.sqlfiles import sql_file

SIZE_FEATURE = "company_employees_min"
#: what define_bands makes for sql/employee_bands.sql
DEFINES = ("band_overrides",)
_ORDERING = (">", ">=", "<", "<=")


def define_bands(con: duckdb.DuckDBPyConnection, settings: GradingSettings) -> None:
    """The view employee_bands on `con` (and band_overrides, which the caller unregisters)."""
    overrides = pa.table({
        "band": pa.array(list(settings.employee_bands), pa.string()),
        "min_employees": pa.array(list(settings.employee_bands.values()), pa.int32()),
    })
    con.register("band_overrides", overrides)
    con.execute(sql_file("b24metrics.grading", "employee_bands.sql"))


def read_bands(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """(band code, its name, its lowest head count), smallest first; bands of unknown size left out."""
    rows = con.execute(
        """SELECT b.band, coalesce(s.name, b.band), b.min_employees FROM employee_bands b
           LEFT JOIN statuses s ON s.entity_id = 'EMPLOYEES' AND s.status_id = b.band
           WHERE b.min_employees IS NOT NULL ORDER BY b.min_employees, b.band"""
    ).fetchall()
    return [(code, name, int(low)) for code, name, low in rows]


def nearest_band(threshold: float, lows: list[int]) -> int:
    """The lowest head count of a band nearest to `threshold` (by ratio; a tie goes to the larger).
    A threshold that some band starts at, or no bands at all, leaves it as it is."""
    candidates = sorted({low for low in lows if low > 0})
    if not candidates or threshold <= 0 or threshold in candidates:
        return int(threshold) if float(threshold).is_integer() else threshold  # type: ignore[return-value]
    return min(candidates, key=lambda low: (abs(math.log(low / threshold)), -low))


def band_mapping(bands: list[tuple[str, str, int]], settings: GradingSettings) -> list[dict[str, Any]]:
    """How each employee threshold of the rules meets the portal's bands, as plain rows:
    rule, op, threshold, mapped_to, band, band_name, note."""
    lows = [low for _, _, low in bands]
    rows = []
    for rule in settings.rules:
        for cond in rule.when:
            if cond.field != SIZE_FEATURE or cond.op not in _ORDERING or isinstance(cond.value, bool) \
                    or not isinstance(cond.value, (int, float)):
                continue
            mapped = nearest_band(cond.value, lows)
            band = next(((code, name) for code, name, low in bands if low == mapped), (None, None))
            if not bands:
                note = "the portal has no size bands: the threshold stays as written"
            elif mapped == cond.value:
                note = f"a band starts at {mapped:g}: «{band[1]}»"
            elif mapped < cond.value and mapped == max(lows):
                note = (f"no band starts at {cond.value:g} or above: the top band «{band[1]}» "
                        f"({mapped:g}+) stands in for it")
            else:
                note = f"no band starts at {cond.value:g}: the nearest, «{band[1]}» ({mapped:g}+), stands in for it"
            rows.append({"rule": rule.label, "op": cond.op, "threshold": cond.value, "mapped_to": mapped,
                         "band": band[0], "band_name": band[1], "note": note})
    return rows


def map_thresholds(settings: GradingSettings, bands: list[tuple[str, str, int]]) -> GradingSettings:
    """The settings with every employee threshold moved onto the portal's bands."""
    lows = [low for _, _, low in bands]
    if not lows:
        return settings

    def moved(cond: Condition) -> Condition:
        if cond.field != SIZE_FEATURE or cond.op not in _ORDERING or isinstance(cond.value, bool) \
                or not isinstance(cond.value, (int, float)):
            return cond
        return cond.model_copy(update={"value": nearest_band(cond.value, lows)})

    rules = [GradeRule(label=r.label, points=r.points, when=[moved(c) for c in r.when]) for r in settings.rules]
    return settings.model_copy(update={"rules": rules})


def portal_band_mapping(con: duckdb.DuckDBPyConnection, settings: GradingSettings) -> list[dict[str, Any]]:
    """band_mapping() against the bands stored in the warehouse `con` (read-only is enough)."""
    define_bands(con, settings)
    try:
        return band_mapping(read_bands(con), settings)
    finally:
        con.unregister("band_overrides")
