"""Attribution: which channel pays (M5, T2, R4 by lead cohort).

The cohort view: a lead belongs to the cohort of the day it was created and to its channel, UTM
source / medium / campaign and the tracking number it first called; the won deals, new clients
and revenue that came of it within kpis.attribution_window_days are credited to that cohort,
and the spend of a period to the leads acquired in it. Cut by month, a figure is the month's
cohort: its spend, the leads it bought and what they have brought so far, however late.

The cash view, revenue in the period it was won against that period's spend, stays in the
money family (spend_return): what finance sees, not an answer to "which channel pays".

What this family reads from the others (sql/attribution.sql's header says the same): the won
deals with their clients, new-client flags and money from sales (kpi_revenue), the first call of
each lead and the calls credited with each deal from telephony (kpi_call_leads, kpi_call_sales,
kpi_call_base), and the spend file's rows with the currency rates, the inputs the money family
reads (kpis/inputs.py). It runs after all three (families/__init__.py).

Models. "first": a client's later deals go to the cohort and channel that brought its first won
deal (lifetime value by channel). "deal": each deal to its own lead, or, without one, to its own
source and creation day. The table holds both; a cut shows kpis.attribution_model unless the
connection sets the variable attribution_model (`kpi --model`, use_model below).

Ripeness. A young cohort's figures are "to date". From the mature cohorts (at least a window
old) the refresh learns the share of eventual wins made by each age in days
(kpi_attribution_curve, with the cohorts it was learnt from); a cohort is ripe once 90 % of its
wins are expected to have happened, and projected_* divide what it has to date by the share
expected by its age: a projection to the window's end, always named as one. A projection from
nothing is no projection: a cohort with no win to date, under 90 % ripe, at an age by which its
leads would have brought fewer than MIN_EXPECTED_WINS wins at the curve's pace (its cohorts' won
deals per lead times the share expected by now), is too early to project (`too_early`, and
`too_early_rate` for lead to won): its projected_* are NULL rather than -100 % or 0 %.

Money is in one currency: kpis.base_currency (else the one most of the money is in); spend or
revenue in a currency without a rate is left out and named ("USD without a rate"), and every
figure it would change is NULL rather than wrong.
"""

from __future__ import annotations

import duckdb

from b24metrics.kpis.catalogue import Kpi, Measure

SQL = ["attribution.sql"]
#: the families whose tables attribution.sql reads, and so runs after
NEEDS = ("sales", "money", "telephony")
MODELS = ("first", "deal")

#: the model a cut shows: the connection's choice, else the configured one (refresh.py keeps it)
MODEL = "coalesce(getvariable('attribution_model'), attribution_model())"
SHARE = f"CASE WHEN {MODEL} = 'first' THEN share_first ELSE share_deal END"
IN_MODEL = f"(model IS NULL OR model = {MODEL})"

RIPE_SHARE = 0.9
#: the oldest month of age a payback can be found at (kpis.attribution_window_days is at most 730)
MAX_AGE_MONTHS = 26
#: months of age the payback curve is kept for as measures (covered_m1 ...): the default window
PAYBACK_AGES = 7

_SPEND_OK = "count(spend_unconverted) = 0"
_REVENUE_OK = "count(revenue_unconverted) = 0"
_PROJECTABLE = f"bool_and({SHARE} > 0) FILTER (WHERE leads > 0 OR won_deals > 0)"

#: below this many wins expected by a cohort's age, nothing won to date says nothing: with 3
#: expected, a cohort as good as the portal's mature ones has a chance of about 5 % of none
#: (Poisson), with 1 expected, 37 %. Projecting such a zero would show -100 % ROMI for a channel
#: that is merely young or small.
MIN_EXPECTED_WINS = 3
#: won deals per lead of the cohorts the ripeness curve was learnt from (the model's), kept on
#: each cohort day by attribution.sql (a subquery here cost each cut about 25 ms, measured)
PACE = f"CASE WHEN {MODEL} = 'first' THEN pace_first ELSE pace_deal END"
#: the wins the cohort's leads would have brought by their age at that pace
EXPECTED_WINS = f"sum(leads * {SHARE} * {PACE})"


def _too_early(counted: str) -> str:
    """Nothing to date in `counted` (won_deals: the money projections; won_leads: lead to won),
    the cohort under RIPE_SHARE ripe, and fewer than MIN_EXPECTED_WINS wins expected by now: a
    projection would only repeat the zero. False where a projection exists (or there is none to
    make: no curve, no lead)."""
    return (f"coalesce(({_PROJECTABLE}) AND coalesce(sum({counted}), 0) = 0 "
            f"AND sum(leads * {SHARE}) < {RIPE_SHARE} * sum(leads) "
            f"AND coalesce({EXPECTED_WINS}, 0) < {MIN_EXPECTED_WINS}, false)")


TOO_EARLY = _too_early("won_deals")
TOO_EARLY_RATE = _too_early("won_leads")
#: the measures a too-early cohort leaves empty, and the measure that says so
TOO_EARLY_FLAGS = {"projected_revenue": "too_early", "projected_romi": "too_early", "ltv": "too_early",
                   "ltv_cac": "too_early", "projected_won_rate": "too_early_rate"}
#: what an empty projection of a too-early cohort says, wherever it is printed
TOO_EARLY_TEXT = "too early to project"
SPEND = f"CASE WHEN {_SPEND_OK} THEN sum(spend) END"
REVENUE = f"CASE WHEN {_REVENUE_OK} THEN sum(revenue) END"
PROJECTED = f"CASE WHEN {_REVENUE_OK} AND {_PROJECTABLE} AND NOT {TOO_EARLY} THEN sum(projected_revenue) END"
PAID = f"{_SPEND_OK} AND sum(spend) > 0"     # a cost exists only where there is spend of its own


def _per(num: str, den: str, digits: int = 2, scale: str = "") -> str:
    return f"round({scale}({num}) / nullif({den}, 0), {digits})"


def _currencies(column: str) -> str:
    """The currencies a group's rows name in `column`, as "EUR, USD"; NULL when none."""
    return f"nullif(array_to_string(list_sort(list_distinct(list({column}))), ', '), '')"


def use_model(con: duckdb.DuckDBPyConnection, model: str | None) -> None:
    """Cut the attribution KPIs on `con` by this model (None: the configured one)."""
    if model is not None and model not in MODELS:
        raise ValueError(f"unknown attribution model {model!r}; one of {', '.join(MODELS)}")
    if model is None:
        con.execute("RESET VARIABLE attribution_model")
    else:
        con.execute("SET VARIABLE attribution_model = ?", [model])


COHORT_DIMS = ("channel", "utm_source", "utm_medium", "utm_campaign", "tracking_number")

COHORT_RETURN = Kpi(
    code="M5", name="cohort_return", family="attribution",
    title="Which channel pays: cohort CPL, CAC, ROMI",
    title_ru="Какой канал окупается: CPL, CAC, ROMI когорты",
    definition="cohort view: per period the leads were created in and their channel, UTM or tracking number: "
               "spend of the period / leads, / new clients; revenue credited to those leads within the attribution "
               "window to date and projected; ROMI to date and projected; ripeness",
    table="kpi_attribution", date="cohort_day", where=IN_MODEL, dims=COHORT_DIMS,
    measures=(
        Measure("romi", f"CASE WHEN {PAID} AND {_REVENUE_OK} THEN "
                        f"{_per('sum(revenue) - sum(spend)', 'sum(spend)', 1, '100.0 * ')} END", "%",
                title="ROMI to date: (revenue credited so far - spend) / spend"),
        Measure("spend", f"round({SPEND}, 2)", "money", title="spend of the period"),
        Measure("leads", "sum(leads)", title="leads created in the period"),
        Measure("cpl", f"CASE WHEN {PAID} THEN {_per('sum(spend)', 'sum(leads)')} END", "money",
                title="cost per lead"),
        Measure("new_clients", "sum(new_clients)", title="new clients from these leads so far"),
        Measure("cac", f"CASE WHEN {PAID} THEN {_per('sum(spend)', 'sum(new_clients)')} END", "money",
                title="cost per new client (CAC) to date"),
        Measure("won_deals", "sum(won_deals)", title="won deals credited so far"),
        Measure("revenue", f"round({REVENUE}, 2)", "money", title="revenue credited so far (to date)"),
        Measure("revenue_per_lead", _per(REVENUE, "sum(leads)"), "money", title="revenue per lead to date"),
        Measure("won_leads", "sum(won_leads)", title="leads of the cohort with a won deal of their own so far"),
        Measure("won_rate", _per("sum(won_leads)", "sum(leads)", 1, "100.0 * "), "%",
                title="lead to won deal to date: leads with a won deal of their own / leads"),
        Measure("projected_revenue", f"round({PROJECTED}, 2)", "money",
                title="revenue projected to the window's end at the ripeness curve (a projection)"),
        Measure("projected_romi", f"CASE WHEN {PAID} THEN "
                                  f"{_per(f'{PROJECTED} - sum(spend)', 'sum(spend)', 1, '100.0 * ')} END", "%",
                title="ROMI projected to the window's end (a projection)"),
        Measure("projected_won_rate", f"CASE WHEN {_PROJECTABLE} AND NOT {TOO_EARLY_RATE} THEN "
                                      f"{_per('sum(projected_won_leads)', 'sum(leads)', 1, '100.0 * ')} END", "%",
                title="lead to won deal projected to the window's end (a projection)"),
        Measure("too_early", TOO_EARLY,
                title=f"too early to project revenue and ROMI: no won deal yet, and under {MIN_EXPECTED_WINS} "
                      "expected by the cohort's age (projected_revenue, projected_romi, ltv, ltv_cac left empty)"),
        Measure("too_early_rate", TOO_EARLY_RATE,
                title=f"too early to project lead to won: no lead won yet, and under {MIN_EXPECTED_WINS} wins "
                      "expected by the cohort's age (projected_won_rate left empty)"),
        Measure("expected_wins", f"round({EXPECTED_WINS}, 1)",
                title="wins the cohort's leads would have brought by their age at the pace of the cohorts the "
                      "ripeness curve was learnt from"),
        Measure("ripeness", _per(f"sum(leads * {SHARE})", "sum(leads)", 1, "100.0 * "), "%",
                title="share of the cohort's eventual wins expected by now"),
        Measure("ripe", f"bool_and({SHARE} >= {RIPE_SHARE}) FILTER (WHERE leads > 0 OR spend > 0)",
                title=f"every day of the cohort has {RIPE_SHARE:.0%} of its wins expected by now"),
        Measure("age_days", "min(age_days) FILTER (WHERE leads > 0 OR spend > 0)", "days",
                title="days since the cohort's last day"),
        Measure("ltv", _per(PROJECTED, "sum(projected_clients)"), "money",
                title="revenue per new client over the window (projected where unripe): what a client may cost "
                      "at break-even"),
        Measure("ltv_cac", f"CASE WHEN {PAID} THEN {_per(PROJECTED, 'sum(spend)')} END",
                title="LTV / CAC over the window (projected where unripe)"),
        Measure("unconverted", _currencies("coalesce(spend_unconverted, revenue_unconverted)"),
                title="currencies without a rate, left out of the money figures"),
        Measure("unconverted_spend", _currencies("spend_unconverted"),
                title="currencies of spend without a rate (no spend, CPL, CAC, ROMI)"),
        Measure("unconverted_revenue", _currencies("revenue_unconverted"),
                title="currencies of revenue without a rate (no revenue, ROMI, LTV)"),
        Measure("base_currency", "max(base_currency)", title="the currency of the money figures"),
    ),
)


def _payback() -> str:
    """The first month of age at which the cohorts' revenue covered their spend."""
    steps = " ".join(f"WHEN sum(cum_revenue) FILTER (WHERE age_month = {m}) >= sum(spend) FILTER "
                     f"(WHERE age_month = {m}) THEN {m}" for m in range(1, MAX_AGE_MONTHS + 1))
    return f"CASE WHEN count(unconverted) = 0 AND sum(spend) > 0 THEN CASE {steps} END END"


def _covered(age: int) -> Measure:
    at = f"FILTER (WHERE age_month = {age})"
    return Measure(f"covered_m{age}", f"CASE WHEN count(unconverted) = 0 AND sum(spend) {at} > 0 THEN "
                                      f"round(100.0 * sum(cum_revenue) {at} / sum(spend) {at}, 1) END", "%",
                   title=f"revenue credited by the end of month {age} of age, in percent of the spend of the "
                         "cohorts that reached it (100: paid back)")


def _cumulative(field: str, age: int) -> Measure:
    what = "revenue credited by the end of" if field == "cum_revenue" else "spend of the cohorts that reached"
    return Measure(f"{field}_m{age}", f"round(sum({field}) FILTER (WHERE age_month = {age}), 2)", "money",
                   title=f"{what} month {age} of age")


COHORT_PAYBACK = Kpi(
    code="M5", name="cohort_payback", family="attribution",
    title="Payback of the cohorts", title_ru="Окупаемость когорт",
    definition="cohort view per cohort month and channel, UTM campaign or tracking number: the month of age "
               "(1: the cohort's own) by which the revenue credited to it covered its spend; revenue and spend "
               "by month of age",
    periods=("month", "quarter", "year", "all"),
    table="kpi_attribution_age", date="cohort_month", where=f"model = {MODEL}",
    dims=("channel", "utm_campaign", "tracking_number"),
    measures=(Measure("payback_months", _payback(), title="months until the revenue covered the spend"),)
    + tuple(_covered(age) for age in range(1, PAYBACK_AGES + 1))
    + tuple(_cumulative(f, age) for age in range(1, PAYBACK_AGES + 1) for f in ("cum_revenue", "spend")),
)

RIPENESS = Kpi(
    code="M5", name="ripeness_curve", family="attribution",
    title="Ripeness curve", title_ru="Кривая созревания когорт",
    definition="share of a cohort's eventual won deals (within the window) won by each age in days, learnt "
               "from the mature cohorts it names",
    periods=("all",),
    table="kpi_attribution_curve", date="learnt_until", where=f"model = {MODEL}", dims=(),
    measures=(
        Measure("share_30", "round(100.0 * max(share) FILTER (WHERE age_days = 30), 1)", "%",
                title="wins made by day 30"),
        Measure("share_60", "round(100.0 * max(share) FILTER (WHERE age_days = 60), 1)", "%",
                title="wins made by day 60"),
        Measure("share_90", "round(100.0 * max(share) FILTER (WHERE age_days = 90), 1)", "%",
                title="wins made by day 90"),
        Measure("ripe_days", f"min(age_days) FILTER (WHERE share >= {RIPE_SHARE})", "days",
                title=f"age by which {RIPE_SHARE:.0%} of the wins were made"),
        Measure("learnt_from", "min(learnt_from)", title="first cohort day it was learnt from"),
        Measure("learnt_until", "max(learnt_until)", title="last cohort day it was learnt from"),
        Measure("leads", "max(leads)", title="leads of those cohorts"),
        Measure("won_deals", "max(won_deals)", title="won deals credited to them"),
    ),
)

KPIS = [COHORT_RETURN, COHORT_PAYBACK, RIPENESS]
