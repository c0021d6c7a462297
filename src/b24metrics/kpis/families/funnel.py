"""Funnel: stage conversion and the bottleneck, win and loss, communications to close (F1-F3)."""

from b24metrics.kpis.catalogue import Kpi, Measure
from b24metrics.kpis.families.speed import DEAL_DIMS

SQL = ["funnel.sql"]

WENT_ON = "count(*) FILTER (WHERE went_on)"
ITEMS = "count(went_on)"   # items that have left a stage with a stage after it (waiting ones are NULL)
CONVERSION = f"{WENT_ON} / nullif({ITEMS}, 0)"
# Enough items to judge a stage: kpis.funnel.min_items, a macro the refresh keeps in the warehouse.
ENOUGH = f"{ITEMS} >= funnel_min_items()"
ONE_STAGE = "count(DISTINCT stage) = 1"
Z = 1.96   # 95 %


def wilson(sign: str) -> str:
    """A bound of the Wilson score interval (95 %) of the conversion, in percent: `sign` '-' for
    the lower, '+' for the upper. Unlike p +- z*se it stays within 0-100 % and is honest for few
    items, which is where a stage's share misleads most."""
    n, p, z2 = f"nullif({ITEMS}, 0)", f"({CONVERSION})", Z * Z
    bound = (f"round(100.0 * ({p} + {z2} / (2 * {n}) {sign} {Z} * sqrt({p} * (1 - {p}) / {n} + {z2} / (4 * {n} * {n})))"
             f" / (1 + {z2} / {n}), 1)")
    # at 0 % (or 100 %) the bound is exactly 0 (100): rounding error must not print "-0"; greatest
    # and least skip a NULL, so a stage without items is left out first
    clamped = f"{'greatest' if sign == '-' else 'least'}({bound}, {0.0 if sign == '-' else 100.0}) + 0.0"
    return f"CASE WHEN {ITEMS} > 0 THEN {clamped} END"


# The worst conversion of its pipeline among the stages with enough items that have left them (an
# item waiting in a stage is no failure of it): a stage below the minimum is never the bottleneck
# (NULL: too few to tell), and does not hide a worse-looking one. A bottleneck is the worst of
# several comparable stages: with only one stage of its pipeline above the minimum there is
# nothing to compare it with, so no stage of that pipeline is named (False, and the verdict says
# why) rather than the one judged stage being flagged however well it converts. A stage every item
# went on from is no bottleneck either.
PIPELINE = "PARTITION BY period, min(pipeline)"
COMPARABLE = f"count(CASE WHEN {ENOUGH} THEN 1 END) OVER ({PIPELINE}) >= 2"
BOTTLENECK = (f"CASE WHEN {ONE_STAGE} AND {ENOUGH} THEN {COMPARABLE} AND "
              f"{CONVERSION} = min(CASE WHEN {ENOUGH} THEN {CONVERSION} END) OVER ({PIPELINE}) "
              f"AND {CONVERSION} < 1 END")
TOO_FEW = "too few to tell"
ALONE = "only one stage with enough items"

KPIS = [
    Kpi(
        code="F1", name="stage_conversion", family="funnel",
        title="Stage conversion", title_ru="Конверсия этапов воронки",
        definition="of the leads and deals created in the period that reached a stage (by stage history; a "
                   "jump past a stage skips it) and have left it, the share that went on to a later stage, with "
                   "its 95% interval (those in it now are waiting, not failures); the worst share among stages "
                   "with enough items that have left is the bottleneck, when at least two stages of its pipeline "
                   "have enough",
        table="kpi_stage_funnel", date="created_at", tables=("kpi_stages",),
        dims=("stage", "pipeline", "channel", "utm_source", "utm_medium", "utm_campaign", "manager"),
        measures=(
            Measure("conversion", f"round(100.0 * {CONVERSION}, 1)", "%", title="went on to a later stage"),
            Measure("reached", "count(*) FILTER (WHERE reached)", title="reached the stage"),
            Measure("went_on", WENT_ON, title="went on to a later stage"),
            Measure("left", ITEMS,
                    title="left the stage: went on, or were lost or moved from it (the conversion's base)"),
            Measure("skipped", "count(*) FILTER (WHERE skipped)", title="jumped past the stage (never in it)"),
            Measure("waiting", "count(*) FILTER (WHERE waiting)", title="in the stage now"),
            Measure("conversion_low", wilson("-"), "%", title="conversion, lower bound of its 95% interval"),
            Measure("conversion_high", wilson("+"), "%", title="conversion, upper bound of its 95% interval"),
            Measure("bottleneck", BOTTLENECK,
                    title="the worst conversion of its pipeline among stages with enough items (cut by stage)"),
            Measure("verdict", f"CASE WHEN {ONE_STAGE} AND {ITEMS} > 0 THEN CASE WHEN NOT {ENOUGH} THEN "
                               f"'{TOO_FEW}' WHEN NOT {COMPARABLE} THEN '{ALONE}' WHEN {BOTTLENECK} THEN 'bottleneck' END END",
                    title="bottleneck; too few items to tell (kpis.funnel.min_items); or the only stage of "
                          "its pipeline with enough items, with none to compare it to (cut by stage)"),
        ),
    ),
    Kpi(
        code="F2", name="win_loss", family="funnel",
        title="Win and loss", title_ru="Выигранные и проигранные сделки",
        definition="deals won and lost (by stage semantics, a reopened deal by its current state), counted when "
                   "they closed; win rate = won / (won + lost)",
        table="kpi_deals", date="closed_at", where="won OR lost", dims=DEAL_DIMS,
        measures=(
            Measure("win_rate", "round(100.0 * count(*) FILTER (WHERE won) / count(*), 1)", "%",
                    title="won / (won + lost)"),
            Measure("won", "count(*) FILTER (WHERE won)", title="won deals"),
            Measure("lost", "count(*) FILTER (WHERE lost)", title="lost deals"),
        ),
    ),
    Kpi(
        code="F3", name="communications_to_close", family="funnel",
        title="Communications to close", title_ru="Коммуникации до закрытия сделки",
        definition="completed calls, e-mails and meetings of a won deal and its lead up to the win, per won "
                   "deal; meetings (demos) per won deal; counted when the deal was won",
        table="kpi_close_communications", date="closed_at", dims=DEAL_DIMS,
        measures=(
            Measure("per_deal", "round(avg(communications), 2)", title="communications per won deal"),
            Measure("meetings_per_deal", "round(avg(meetings), 2)", title="meetings (demos) per won deal"),
            Measure("calls_per_deal", "round(avg(calls), 2)", title="calls per won deal"),
            Measure("emails_per_deal", "round(avg(emails), 2)", title="e-mails per won deal"),
            Measure("won", "count(*)", title="won deals"),
        ),
    ),
]
