"""What a report is made of: sections holding charts, tables and cards of KPI values.

Every number printed comes as a Cell: the value of one measure in one row of one KPI cut, with
the coordinates of that row (KPI, period kind and start, dimension and key, currency). The HTML
carries those coordinates as data attributes on the number and on its chart mark, so a reader
(or a test) can check every figure against `cut()` for the same period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup

from b24metrics.kpis.cuts import Cut
from b24metrics.report.fmt import Locale


@dataclass(frozen=True)
class Cell:
    kpi: str                  # the KPI's name in the catalogue
    measure: str              # a measure of it, or <measure>_prev / <measure>_yoy
    kind: str                 # the period it was cut by
    period: date | None
    by: str | None            # the dimension it was cut by
    key: str | None           # that dimension's value in this row
    currency: str | None
    value: Any
    unit: str = ""
    #: a cut "all" between two days (since, until): the cut's bounds, without which its row differs
    span: tuple[date, date] | None = None

    def attrs(self) -> Markup:
        pairs = [("kpi", self.kpi), ("m", self.measure), ("pk", self.kind),
                 ("p", self.period.isoformat() if self.period else ""), ("by", self.by), ("k", self.key),
                 ("cur", self.currency), ("v", _raw(self.value))]
        if self.span is not None:
            pairs += [("since", self.span[0].isoformat()), ("until", self.span[1].isoformat())]
        return Markup(" ").join(Markup('data-{}="{}"').format(name, value) for name, value in pairs
                                if value is not None)

    def text(self, loc: Locale) -> str:
        return loc.number(self.value, self.unit, self.currency)

    def html(self, loc: Locale) -> Markup:
        return Markup('<span class="n" {}>{}</span>').format(self.attrs(), self.text(loc))


def _raw(value: Any) -> str:
    """The value as the KPI layer gave it: repr round-trips a float exactly; "" for NULL."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def cells_of(cut: Cut, row: dict[str, Any] | None, measure: str, suffix: str = "", *,
             period: date | None = None, key: Any = None, currency: str | None = None) -> Cell:
    """One measure of one row of a cut (suffix "_prev" or "_yoy" for the comparisons); with no
    row (no data), an empty Cell naming where the row would be: `period`, `key`, `currency`."""
    unit = next(m.unit for m in cut.kpi.measures if m.name == measure)
    if row is None:
        return Cell(cut.kpi.name, measure + suffix, cut.period, period, cut.by, key, currency, None, unit)
    currency = row.get("currency") if cut.kpi.per_currency or cut.by == "currency" else None
    return Cell(cut.kpi.name, measure + suffix, cut.period, row.get("period"), cut.by,
                None if cut.by is None else row.get(cut.by), currency, row.get(measure + suffix), unit)


def titled(title: str, chart: Markup) -> Markup:
    """A chart under its heading (a section drawing several charts names each)."""
    return Markup('<h3 class="chart-title">{}</h3>').format(title) + chart


@dataclass
class Table:
    columns: list[str]
    rows: list[list[Any]]      # a Cell, a str (escaped on output) or Markup (already safe)
    numeric: list[bool] = field(default_factory=list)  # right-aligned columns


@dataclass
class Card:
    """A headline figure: this period, the one before, the same one a year before."""

    title: str
    value: Cell
    prev: Cell | str           # a str where there is no comparison to make (a cohort too thin)
    yoy: Cell | str
    prev_change: tuple[str, int]
    yoy_change: tuple[str, int]
    better: int                # 1 when up is good, -1 when down is good (minutes to answer)
    spark: Markup
    why: str = ""              # why the value is blank, when it is: a dash alone reads as a bug
    to_date: Cell | None = None  # the period under way so far, beside the whole one
    to_date_label: str = ""    # "ноябрь 2026 на сегодня"
    forecast: str = ""         # the period under way at its pace, or why there is none yet
    basis: str = ""            # which records the value is of, when not the headline period's


@dataclass
class Section:
    id: str
    title: str
    lead: str = ""             # one line: what it shows, for which period
    note: str = ""             # why there is no chart, when there is none
    chart: Markup | None = None
    legend: list[tuple[str, str]] = field(default_factory=list)   # (css class, label)
    cards: list[Card] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)               # caveats under the chart

    @property
    def empty(self) -> bool:
        return self.chart is None and not self.cards
