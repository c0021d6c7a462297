"""The KPI catalogue: one declarative entry per KPI (the README's KPI table is printed from it).

A KPI is a set of aggregates over one KPI table (built by the family's SQL file in `sql/`),
counted in periods of the row's date column and cut by a dimension that is a column of that
table. The cut engine (`cuts.py`) adds the previous period and the same period a year before.
Family modules (`families/`) each hold a list of entries and the SQL files they need.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: dimensions a KPI table may offer, as the column that holds them
DIMENSIONS = {
    "channel": "lead or deal source (SOURCE_ID), by name",
    "utm_source": "UTM source", "utm_medium": "UTM medium", "utm_campaign": "UTM campaign",
    "manager": "responsible user", "pipeline": "deal pipeline (category)", "grade": "lead grade A-D",
    "stage": "status or stage", "tracking_number": "the portal number a call came to",
    "currency": "currency of the amount", "company": "company", "contact": "contact",
    "reason": "rejection reason (the configured kpis.rejection_field)",
    "direction": "incoming or outgoing call",
}


@dataclass(frozen=True)
class Measure:
    name: str
    sql: str            # an aggregate over the KPI table; may use `period` in a window
    unit: str = ""      # "", "%", "days", "min", "s", "money"
    title: str = ""


@dataclass(frozen=True)
class Kpi:
    code: str                     # catalogue number: M1 ... H1
    name: str                     # command-line name: leads_by_channel
    family: str
    title: str
    title_ru: str
    definition: str               # one line: what it counts
    table: str                    # the KPI table it reads
    date: str                     # column whose local time places a row in a period
    measures: tuple[Measure, ...]
    dims: tuple[str, ...] = ()    # cuts it offers (columns of `table`)
    where: str = ""               # rows it counts
    # Rows it counts when cut by a dimension (None: no dimension), on top of `where`: a table
    # holding the same figure at several levels (a team's plan and its managers') must not add
    # one level to another.
    where_by: tuple[tuple[str | None, str], ...] = ()
    needs_leads: bool = False     # meaningless on a portal without leads (simple CRM mode)
    per_currency: bool = False    # money: always cut by currency, never summed across them
    tables: tuple[str, ...] = field(default=())  # other KPI tables it needs built first
    # Periods it can be cut in: tables kept per month (spend) or per plan period cannot be
    # split into days or weeks.
    periods: tuple[str, ...] = ("day", "week", "month", "quarter", "year", "all")

    @property
    def main(self) -> Measure:
        return self.measures[0]


def catalogue() -> dict[str, Kpi]:
    """Every KPI by name, in catalogue order."""
    from b24metrics.kpis.families import FAMILIES

    entries = [kpi for family in FAMILIES for kpi in family.KPIS]
    by_name = {k.name: k for k in entries}
    if len(by_name) != len(entries):
        raise RuntimeError("two KPIs share a name")
    return by_name


def find(name: str) -> Kpi:
    """A KPI by name or by catalogue code (M1, s2 ...)."""
    kpis = catalogue()
    if name in kpis:
        return kpis[name]
    for kpi in kpis.values():
        if kpi.code.lower() == name.lower():
            return kpi
    raise KeyError(name)


def markdown() -> str:
    """The catalogue as the README shows it (a test keeps the README equal to this)."""
    lines = ["| code | name | what it counts | table | cut by |", "|---|---|---|---|---|"]
    for k in catalogue().values():
        lines.append(f"| {k.code} | `{k.name}` | {k.definition} | `{k.table}` | {', '.join(k.dims) or '-'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
