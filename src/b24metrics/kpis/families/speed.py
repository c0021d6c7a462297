"""Speed to lead, time in stage, deal cycle (S1-S3)."""

from b24metrics.kpis.catalogue import Kpi, Measure

SQL = ["speed.sql"]

LEAD_DIMS = ("channel", "utm_source", "utm_medium", "utm_campaign", "manager", "grade")
DEAL_DIMS = ("channel", "utm_source", "utm_medium", "utm_campaign", "manager", "pipeline")


def top_of_pipeline(value: str, best: str) -> str:
    """A flag measure: is this stage's `value` the `best` ('max' or 'min') among the stages of its
    pipeline in the period? Only cut by stage is a row one stage; otherwise it is NULL."""
    return (f"CASE WHEN count(DISTINCT stage) = 1 THEN "
            f"{value} = {best}({value}) OVER (PARTITION BY period, min(pipeline)) END")


KPIS = [
    Kpi(
        code="S1", name="speed_to_lead", family="speed",
        title="Speed to lead", title_ru="Скорость обработки лида",
        definition="minutes from a lead's creation to the first outgoing call or e-mail or a meeting "
                   "(failing that, its first status change): median, p90, over the SLA, never contacted",
        table="kpi_speed_to_lead", date="created_at", dims=LEAD_DIMS, needs_leads=True,
        measures=(
            Measure("median_min", "round(median(speed_minutes), 1)", "min", title="median minutes to first response"),
            Measure("p90_min", "round(quantile_cont(speed_minutes, 0.9), 1)", "min",
                    title="90% of responses came within"),
            Measure("leads", "count(*)", title="leads"),
            Measure("over_sla", "count(*) FILTER (WHERE speed_minutes > sla_minutes)",
                    title="answered later than the SLA"),
            Measure("never_contacted", "count(*) FILTER (WHERE NOT contacted)", title="not answered at all"),
            Measure("within_sla", "round(100.0 * count(*) FILTER (WHERE speed_minutes <= sla_minutes) / count(*), 1)",
                    "%", title="share of leads answered within the SLA"),
        ),
    ),
    Kpi(
        code="S2", name="time_in_stage", family="speed",
        title="Time in stage", title_ru="Время на этапе",
        definition="hours a lead spent in a status or a deal in a stage (finished stays, counted when they "
                   "ended): median per stage and pipeline, and the slowest stage",
        table="kpi_stage_stays", date="ended_at", where="semantic = 'P'",
        dims=("stage", "pipeline", "channel", "utm_source", "utm_medium", "utm_campaign", "manager"),
        measures=(
            Measure("median_hours", "round(median(hours), 2)", "h", title="median hours in the stage"),
            Measure("mean_hours", "round(avg(hours), 2)", "h", title="mean hours in the stage"),
            Measure("stays", "count(*)", title="finished stays"),
            Measure("slowest", top_of_pipeline("median(hours)", "max"),
                    title="the slowest stage of its pipeline (cut by stage)"),
        ),
    ),
    Kpi(
        code="S3", name="deal_cycle", family="speed",
        title="Deal cycle", title_ru="Цикл сделки",
        definition="days from a deal's creation (and from its lead's creation, LT) to won, from stage history, "
                   "counted when the deal was won",
        table="kpi_deals", date="closed_at", where="won", dims=DEAL_DIMS,
        measures=(
            Measure("mean_days", "round(avg(cycle_days), 1)", "days", title="mean days, deal created to won"),
            Measure("median_days", "round(median(cycle_days), 1)", "days", title="median days, deal created to won"),
            Measure("won", "count(*)", title="won deals"),
            Measure("mean_lead_days", "round(avg(lead_to_won_days), 1)", "days",
                    title="mean days, lead created to won"),
            Measure("median_lead_days", "round(median(lead_to_won_days), 1)", "days",
                    title="median days, lead created to won"),
        ),
    ),
]
