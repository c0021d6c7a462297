"""Money in and out: cost per lead, CAC, ROMI in the cash view (M5) and plan vs actual with a
forecast (R2). The cash view counts revenue in the month a deal was won, against that month's
spend: what finance sees. Which channel pays, by the cohort of the leads the spend bought, is
the attribution family's (families/attribution.py).

Spend and plan targets come from the files the config names (kpis/inputs.py). Money is cut per
currency; a currency with a configured rate is converted into the base currency first, the
others stay apart, and a ratio whose parts sit in different unconverted currencies is left
empty rather than made up.

Plan rows of different metrics cannot be added up, so each metric has its own KPI
(plan_leads, plan_revenue ...), plus plan_vs_actual counting the plans met and on pace. Cut
them by the period the plan is set in (or "all"): a finer period would split nothing.

A plan may set a metric at several levels at once: the team, each manager, each channel. Cut
without a dimension, a plan KPI adds up the coarsest level set for that period (the team's
target; without one, the managers'; without those, the channels'); cut by manager, the rows
set for all channels (the team's shows as "(all managers)"); by channel, the rows set for all
managers. A row set for one manager and one channel counts in plan_vs_actual only.
"""

from b24metrics.kpis.catalogue import Kpi, Measure
from b24metrics.kpis.inputs import MONEY_METRICS, PLAN_METRICS

SQL = ["money.sql"]

_RATIO = "CASE WHEN NOT bool_or({flag}) THEN round({num} / nullif({den}, 0), {digits}) END"
# the currencies a ratio above was left empty for, over all the months of the period
_CURRENCIES = "nullif(array_to_string(list_sort(list_distinct(flatten(list({column})))), ', '), '')"

SPEND_RETURN = Kpi(
    code="M5", name="spend_return", family="money",
    title="Cost per lead, CAC, ROMI (cash view)", title_ru="Стоимость лида, CAC, ROMI (кассовый взгляд)",
    definition="cash view, per channel and month: spend from the spend file / leads created, / new clients won "
               "(first won deal of a company, contact or lead); ROMI = (revenue of deals won that month - spend) / "
               "spend (which channel pays: cohort_return)",
    periods=("month", "quarter", "year", "all"),
    table="kpi_spend_return", date="month", dims=("channel",), per_currency=True,
    measures=(
        Measure("cpl", _RATIO.format(flag="spend_split", num="sum(spend)", den="sum(leads)", digits=2), "money",
                title="cost per lead"),
        Measure("cac", _RATIO.format(flag="spend_split", num="sum(spend)", den="sum(new_clients)", digits=2),
                "money", title="cost per new client"),
        Measure("romi", _RATIO.format(flag="split", num="100.0 * (sum(revenue) - sum(spend))", den="sum(spend)",
                                      digits=1), "%", title="ROMI"),
        Measure("spend", "round(sum(spend), 2)", "money", title="spend"),
        Measure("leads", "sum(leads)", title="leads"),
        Measure("new_clients", "sum(new_clients)", title="new clients"),
        Measure("revenue", "round(sum(revenue), 2)", "money", title="revenue of won deals"),
        Measure("unconverted", _CURRENCIES.format(column="unconverted"),
                title="other currencies of the channel's money without a rate to this one (no ROMI)"),
        Measure("unconverted_spend", _CURRENCIES.format(column="unconverted_spend"),
                title="other currencies of the channel's spend without a rate to this one (no CPL, CAC)"),
    ),
)

PLAN_OVERVIEW = Kpi(
    code="R2", name="plan_vs_actual", family="money",
    title="Plan vs actual", title_ru="План / факт",
    definition="plan rows (plan file) met so far and on pace to be met by the end of their period",
    table="kpi_plan", date="period_start", dims=("channel", "manager"),
    measures=(
        Measure("plans", "count(*)", title="plan rows"),
        Measure("met", "count(*) FILTER (WHERE actual >= target)", title="met"),
        Measure("on_pace", "count(*) FILTER (WHERE forecast >= target)", title="on pace"),
        Measure("mean_done_pct", "round(avg(100.0 * actual / target), 1)", "%", title="mean percent done"),
    ),
)


def _plan_kpi(metric: str, counts: str) -> Kpi:
    money = metric in MONEY_METRICS
    unit = "money" if money else ""
    return Kpi(
        code="R2", name=f"plan_{metric}", family="money",
        title=f"Plan vs actual: {metric.replace('_', ' ')}", title_ru=f"План / факт: {metric}",
        definition=f"target from the plan file against the actual ({counts}), percent done, forecast "
                   "to the period's end at the current pace",
        table="kpi_plan", date="period_start", where=f"metric = '{metric}'", dims=("channel", "manager"),
        where_by=((None, "top"), ("manager", "channel = '(all channels)'"), ("channel", "manager = '(all managers)'")),
        per_currency=money, needs_leads=metric == "leads",
        measures=(
            Measure("done_pct", "round(100.0 * sum(actual) / sum(target), 1)", "%", title="percent done"),
            Measure("target", "sum(target)", unit, title="target"),
            Measure("actual", "round(sum(actual), 2)", unit, title="actual"),
            Measure("forecast", "round(sum(forecast), 2)", unit, title="forecast at the current pace"),
            Measure("forecast_pct", "round(100.0 * sum(forecast) / sum(target), 1)", "%",
                    title="forecast, percent of target"),
        ) + ((Measure("other_currency_deals", "sum(other_currency_deals)",
                      title="won deals in another currency, not counted"),) if money else ()),
    )


KPIS = [SPEND_RETURN, PLAN_OVERVIEW] + [_plan_kpi(m, counts) for m, counts in PLAN_METRICS.items()]
