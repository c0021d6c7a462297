"""CRM hygiene: data discipline per manager (H1)."""

from b24metrics.kpis.catalogue import Kpi, Measure

SQL = ["hygiene.sql"]


def _total(column: str) -> str:
    return f"coalesce(sum({column}), 0)"


def _share(column: str, of: str) -> str:
    """Percent of `of` (a sum over kpi_hygiene's rows) that `column` counts."""
    return f"round(100.0 * sum({column}) / nullif({of}, 0), 1)"


LEADS = "sum(items) FILTER (WHERE kind = 'lead')"
ITEMS = "sum(items) FILTER (WHERE kind IN ('lead', 'deal'))"
OPEN_ACTIVITIES = "sum(items) FILTER (WHERE kind = 'activity')"

KPIS = [
    Kpi(
        code="H1", name="data_discipline", family="hygiene",
        title="Data discipline", title_ru="Дисциплина ведения CRM",
        definition="per manager: leads without a source, open or won deals without an amount, leads and deals "
                   "with no activity at all, open activities past their deadline; counts and shares",
        table="kpi_hygiene", date="item_day", dims=("manager",),
        measures=(
            Measure("leads_no_source", f"CASE WHEN bool_and(has_leads) THEN {_total('no_source')} END",
                    title="leads without a source"),
            Measure("no_source_share", _share("no_source", LEADS), "%", title="share of leads without a source"),
            Measure("deals_no_amount", _total("no_amount"), title="open or won deals without an amount"),
            Measure("no_amount_share", _share("no_amount", "sum(amount_due)"), "%",
                    title="share of open or won deals without an amount"),
            Measure("items_no_activity", _total("no_activity"), title="leads and deals with no activity at all"),
            Measure("no_activity_share", _share("no_activity", ITEMS), "%",
                    title="share of leads and deals with no activity"),
            Measure("overdue_activities", _total("overdue"),
                    title="open activities past their deadline (as of the refresh)"),
            Measure("overdue_share", _share("overdue", OPEN_ACTIVITIES), "%", title="share of open activities overdue"),
        ),
    ),
]
