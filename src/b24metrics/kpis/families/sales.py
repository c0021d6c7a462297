"""Sales and revenue: revenue and average check, manager performance, LTV and repeat purchases (R1, R3, R4)."""

from b24metrics.kpis.catalogue import Kpi, Measure

SQL = ["sales.sql", "cards.sql"]

DEAL_DIMS = ("channel", "utm_source", "utm_medium", "utm_campaign", "manager", "pipeline", "company", "contact")

REVENUE = Measure("revenue", "round(sum(amount), 2)", "money", title="revenue of won deals")
WON_DEALS = Measure("won_deals", "count(*)", title="won (paid) deals")
AVG_CHECK = Measure("avg_check", "round(avg(amount), 2)", "money", title="average check")
NEW_CLIENTS = Measure("new_clients", "count(*) FILTER (WHERE new_client)",
                      title="clients whose first won deal this is")


LTV_MEASURES = (
    Measure("ltv", "round(sum(amount) / count(DISTINCT client_id), 2)", "money",
            title="revenue per client (lifetime value)"),
    Measure("clients", "count(DISTINCT client_id)", title="clients"),
    Measure("revenue", "round(sum(amount), 2)", "money", title="revenue of their won deals"),
    Measure("purchases", "count(*)", title="purchases (won deals)"),
    Measure("repeat_clients", "count(DISTINCT client_id) FILTER (WHERE purchase_no > 1)",
            title="clients who bought again"),
    Measure("mean_days_between", "round(avg(days_since_prev), 1)", "days",
            title="mean days between a purchase and the one before"),
    Measure("days_to_first_purchase", "round(avg(days_to_first_purchase), 1)", "days",
            title="days from first contact to first purchase"),
)


def _events(*kinds: str) -> str:
    """How many events of these kinds the rows of kpi_manager_events hold."""
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    return f"coalesce(sum(events) FILTER (WHERE kind IN ({listed})), 0)"


def _ltv(kind: str, title_ru: str) -> Kpi:
    """R4 for one kind of client (company or contact): a period holds the clients first won in it."""
    return Kpi(
        code="R4", name=f"{kind}_ltv", family="sales",
        title=f"{kind.capitalize()} LTV and repeat purchases", title_ru=title_ru,
        definition=f"per {kind}: revenue of all its won deals per currency, purchases, mean days between them, "
                   "days from first contact to first purchase; a period holds the clients first won in it",
        table="kpi_client_purchases", date="first_purchase_at", where=f"client_kind = '{kind}'",
        dims=(kind, "channel", "manager"), per_currency=True, measures=LTV_MEASURES,
    )


KPIS = [
    Kpi(
        code="R1", name="revenue", family="sales",
        title="Revenue and average check", title_ru="Выручка и средний чек",
        definition="won deals in the period (when won), their revenue and average check per currency, new clients",
        table="kpi_revenue", date="closed_at", dims=DEAL_DIMS, per_currency=True,
        measures=(REVENUE, WON_DEALS, AVG_CHECK, NEW_CLIENTS),
    ),
    Kpi(
        code="R1", name="revenue_converted", family="sales",
        title="Revenue in the base currency", title_ru="Выручка в базовой валюте",
        definition="won deals' revenue converted with the config's currency rates (NULL without them); "
                   "deals in a currency without a rate are counted apart, never dropped silently",
        table="kpi_revenue", date="closed_at", dims=DEAL_DIMS,
        measures=(
            Measure("revenue_base", "round(sum(amount_base), 2)", "money", title="revenue in the base currency"),
            Measure("avg_check_base", "round(avg(amount_base), 2)", "money", title="average check, base currency"),
            WON_DEALS,
            NEW_CLIENTS,
            Measure("unconverted_deals", "count(*) FILTER (WHERE amount_base IS NULL)",
                    title="won deals in a currency without a rate"),
        ),
    ),
    Kpi(
        code="R3", name="manager_performance", family="sales",
        title="Manager performance", title_ru="Эффективность менеджеров",
        definition="per manager: leads assigned, deals won and lost, win rate, converted revenue, "
                   "outgoing calls and their length, open activities past their deadline",
        table="kpi_manager_events", date="event_day", dims=("manager",),
        measures=(
            Measure("deals_won", _events("won"), title="deals won"),
            Measure("leads_handled", f"CASE WHEN bool_and(has_leads) THEN {_events('lead')} END",
                    title="leads assigned (created in the period)"),
            Measure("deals_lost", _events("lost"), title="deals lost"),
            Measure("win_rate", f"round(100.0 * {_events('won')} / nullif({_events('won', 'lost')}, 0), 1)", "%",
                    title="won / closed deals"),
            Measure("revenue_base", "round(sum(amount_base), 2)", "money",
                    title="revenue in the base currency (per currency: manager_revenue)"),
            Measure("unconverted_deals", "coalesce(sum(unconverted), 0)",
                    title="won deals in a currency without a rate (not in revenue_base)"),
            Measure("calls", _events("call"), title="outgoing calls"),
            Measure("calls_answered", "coalesce(sum(answered), 0)", title="outgoing calls answered"),
            Measure("call_minutes", "round(coalesce(sum(seconds), 0) / 60.0, 1)", "min",
                    title="minutes on outgoing calls"),
            Measure("mean_talk_seconds", "round(sum(answered_seconds) / nullif(sum(answered), 0), 1)", "s",
                    title="mean length of an answered outgoing call"),
            Measure("overdue_activities", _events("overdue"),
                    title="open activities past their deadline (as of the refresh)"),
        ),
    ),
    Kpi(
        code="R3", name="manager_revenue", family="sales",
        title="Manager revenue", title_ru="Выручка менеджеров",
        definition="per manager: won deals, their revenue and average check per currency",
        table="kpi_revenue", date="closed_at", dims=("manager", "pipeline", "channel"), per_currency=True,
        measures=(REVENUE, WON_DEALS, AVG_CHECK),
    ),
    _ltv("company", "LTV компаний и повторные покупки"),
    _ltv("contact", "LTV контактов и повторные покупки"),
]
