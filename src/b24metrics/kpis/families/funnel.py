"""Funnel: stage conversion and the bottleneck, win and loss, communications to close (F1-F3)."""

from b24metrics.kpis.catalogue import Kpi, Measure
from b24metrics.kpis.families.speed import DEAL_DIMS, top_of_pipeline

SQL = ["funnel.sql"]

CONVERSION = "count(*) FILTER (WHERE went_on) / nullif(count(went_on), 0)"

KPIS = [
    Kpi(
        code="F1", name="stage_conversion", family="funnel",
        title="Stage conversion", title_ru="Конверсия этапов воронки",
        definition="of the leads and deals created in the period that reached a stage, the share that went on "
                   "to a later stage of the pipeline; the stage with the worst share is the bottleneck",
        table="kpi_stage_funnel", date="created_at", tables=("kpi_stages",),
        dims=("stage", "pipeline", "channel", "utm_source", "utm_medium", "utm_campaign", "manager"),
        measures=(
            Measure("conversion", f"round(100.0 * {CONVERSION}, 1)", "%", title="went on to a later stage"),
            Measure("reached", "count(*)", title="reached the stage"),
            Measure("went_on", "count(*) FILTER (WHERE went_on)", title="went on to a later stage"),
            Measure("waiting", "count(*) FILTER (WHERE waiting)", title="in the stage now"),
            Measure("bottleneck", top_of_pipeline(CONVERSION, "min"),
                    title="the worst conversion of its pipeline (cut by stage)"),
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
