"""CRM hygiene: data discipline per manager (H1)."""

from b24metrics.kpis.catalogue import Kpi, Measure

SQL = ["hygiene.sql"]


def _share(flag: str, of: str) -> str:
    """Percent of the rows matching `of` whose `flag` is set."""
    return f"round(100.0 * count(*) FILTER (WHERE {of} AND {flag}) / nullif(count(*) FILTER (WHERE {of}), 0), 1)"


LEAD, DEAL_OPEN_OR_WON = "kind = 'lead'", "kind = 'deal' AND no_amount IS NOT NULL"
ITEM, ACTIVITY = "kind IN ('lead', 'deal')", "kind = 'activity'"

KPIS = [
    Kpi(
        code="H1", name="data_discipline", family="hygiene",
        title="Data discipline", title_ru="Дисциплина ведения CRM",
        definition="per manager: leads without a source, open or won deals without an amount, leads and deals "
                   "with no activity at all, open activities past their deadline; counts and shares",
        table="kpi_hygiene", date="item_at", dims=("manager",),
        measures=(
            Measure("leads_no_source", f"CASE WHEN bool_and(has_leads) THEN count(*) FILTER (WHERE {LEAD} AND no_source) END",
                    title="leads without a source"),
            Measure("no_source_share", _share("no_source", LEAD), "%", title="share of leads without a source"),
            Measure("deals_no_amount", f"count(*) FILTER (WHERE {DEAL_OPEN_OR_WON} AND no_amount)",
                    title="open or won deals without an amount"),
            Measure("no_amount_share", _share("no_amount", DEAL_OPEN_OR_WON), "%",
                    title="share of open or won deals without an amount"),
            Measure("items_no_activity", f"count(*) FILTER (WHERE {ITEM} AND no_activity)",
                    title="leads and deals with no activity at all"),
            Measure("no_activity_share", _share("no_activity", ITEM), "%",
                    title="share of leads and deals with no activity"),
            Measure("overdue_activities", f"count(*) FILTER (WHERE {ACTIVITY} AND overdue)",
                    title="open activities past their deadline (as of the refresh)"),
            Measure("overdue_share", _share("overdue", ACTIVITY), "%", title="share of open activities overdue"),
        ),
    ),
]
