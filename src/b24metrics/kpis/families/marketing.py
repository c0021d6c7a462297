"""Marketing: volume and quality of leads (M1-M7)."""

from b24metrics.kpis.catalogue import Kpi, Measure

SQL: list[str] = []

LEAD_DIMS = ("channel", "utm_source", "utm_medium", "utm_campaign", "manager", "grade")

KPIS = [
    Kpi(
        code="M1", name="leads_by_channel", family="marketing",
        title="Leads by channel", title_ru="Лиды по каналам",
        definition="leads created in the period, per source, and each source's share of them",
        table="kpi_leads", date="created_at", dims=LEAD_DIMS, needs_leads=True,
        measures=(
            Measure("leads", "count(*)", title="leads"),
            Measure("share", "round(100.0 * count(*) / sum(count(*)) OVER (PARTITION BY period), 1)", "%",
                    title="share of the period's leads"),
        ),
    ),
    Kpi(
        code="M2", name="lead_grades", family="marketing",
        title="Lead grade mix", title_ru="Качество лидов (A–D)",
        definition="leads per fit grade A-D from the config's rules; share of the target segment (A+B); mean score",
        table="kpi_leads", date="created_at", dims=LEAD_DIMS, needs_leads=True,
        measures=(
            Measure("target_share", "round(100.0 * count(*) FILTER (WHERE grade IN ('A', 'B')) / count(*), 1)", "%",
                    title="A+B share"),
            Measure("a", "count(*) FILTER (WHERE grade = 'A')", title="A"),
            Measure("b", "count(*) FILTER (WHERE grade = 'B')", title="B"),
            Measure("c", "count(*) FILTER (WHERE grade = 'C')", title="C"),
            Measure("d", "count(*) FILTER (WHERE grade = 'D')", title="D"),
            Measure("mean_score", "round(avg(score), 1)", title="mean score"),
        ),
    ),
]
